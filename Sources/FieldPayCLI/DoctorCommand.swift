import ArgumentParser
import AsyncHTTPClient
import Capture
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Sync

#if canImport(Glibc)
    import Glibc
#endif

/// `fieldpay doctor`: one line per part of the device, and an exit status for scripts and the service manager.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the profile, database, disk, camera and hub: one line each.",
        discussion: """
            Each line starts with ok, warn, FAIL or skip. The camera check opens the camera and waits up to \
            5 s for a frame (--camera, else the first capture device; --no-camera to leave it out). The hub \
            check needs `fieldpay enroll`: it times /healthz, compares the hub's clock with this one, and \
            tries the device's credentials. Exit 0 when nothing failed, 3 when something did.
            """
    )

    @Option(help: ArgumentHelp("The camera to check (default: the first capture device).", valueName: "path")) var camera: String?
    @Flag(help: "Do not check a camera.") var noCamera = false
    @OptionGroup var device: DeviceOptions

    enum Level: String {
        case ok = "ok  "
        case warn = "warn"
        case fail = "FAIL"
        case skip = "skip"
    }

    func run() async throws {
        var failed = false
        func report(_ level: Level, _ part: String, _ text: String) {
            if level == .fail { failed = true }
            emit("\(level.rawValue)  \(part.padding(toLength: 9, withPad: " ", startingAt: 0))\(text)")
        }

        let profile: DeviceProfile
        do { profile = try device.loadProfile() } catch {
            report(.fail, "profile", "\(error)")
            throw ExitCode(ExitStatus.deviceFailed)
        }
        report(.ok, "profile", "\(profile.source ?? "defaults"): device \(profile.deviceCode), \(profile.timeZone.identifier)"
            + (profile.upi.map { ", UPI \($0.vpa)" } ?? ", no UPI merchant (cash and cheque only)"))

        var database: AppDatabase?
        do {
            let opened = try AppDatabase(path: profile.databasePath)
            database = opened
            let health = try opened.health()
            let size = ByteCountFormatter.string(fromByteCount: health.bytes, countStyle: .binary)
            let backlog = health.unsent == 0 ? "nothing waiting to upload" : "\(health.unsent) waiting to upload" + (health.oldestUnsentSeconds.map { ", oldest \(duration($0))" } ?? "")
            let level: Level = health.check != "ok" ? .fail : (health.journalMode != "wal" ? .warn : .ok)
            report(level, "database", "\((profile.databasePath as NSString).standardizingPath): check \(health.check), journal \(health.journalMode), \(health.invoices) invoices, \(health.payments) payments (\(backlog)), \(size)")
        } catch {
            report(.fail, "database", "\((profile.databasePath as NSString).standardizingPath): \(error.message) [\(error.codeString)]")
        }

        let folder = ((profile.databasePath as NSString).standardizingPath as NSString).deletingLastPathComponent
        var stats = statvfs()
        if statvfs(folder.isEmpty ? "." : folder, &stats) == 0 {
            let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
            let text = "\(ByteCountFormatter.string(fromByteCount: free, countStyle: .binary)) free in \(folder.isEmpty ? "." : folder)"
            report(free < 10 << 20 ? .fail : free < 200 << 20 ? .warn : .ok, "disk", text)
        } else {
            report(.fail, "disk", "cannot read free space of \(folder): \(String(cString: strerror(errno)))")
        }

        if noCamera {
            report(.skip, "camera", "left out (--no-camera)")
        } else if let path = camera ?? V4L2Device.list().compactMap({ try? $0.get() }).first(where: \.isCapture)?.path {
            let (level, text) = await checkCamera(path)
            report(level, "camera", text)
        } else {
            report(.fail, "camera", "no capture device (/dev/video*) found; --camera PATH to name one, --no-camera for a device without one")
        }

        if let credentials = try? HubCredentials.load(path: profile.credentialsPath) {
            let (level, text) = await checkHub(credentials, cursor: (try? database?.syncCursor()) ?? nil)
            report(level, "hub", text)
        } else {
            report(.warn, "hub", "not enrolled: fieldpay enroll --hub URL --code CODE (payments stay queued on this device)")
        }
        if failed { throw ExitCode(ExitStatus.deviceFailed) }
    }

    func duration(_ seconds: Int) -> String {
        seconds < 120 ? "\(seconds) s" : seconds < 7200 ? "\(seconds / 60) min" : seconds < 172_800 ? "\(seconds / 3600) h" : "\(seconds / 86400) days"
    }

    /// Opens the camera and waits up to 5 s for one frame.
    func checkCamera(_ path: String) async -> (Level, String) {
        let camera = V4L2Camera(path: path, reconnect: false)
        let started = monotonicNanos()
        let outcome: Result<(Int, Int), Error>? = await withTaskGroup(of: Result<(Int, Int), Error>?.self) { group in
            group.addTask {
                do {
                    for try await frame in camera.frames() { return .success((frame.width, frame.height)) }
                    return nil
                } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = await group.next() ?? nil
            camera.stop()
            group.cancelAll()
            return first
        }
        let millis = Double(monotonicNanos() - started) / 1e6
        switch outcome {
        case .success(let (width, height)):
            let format = camera.format.map { " (\($0))" } ?? ""
            return (.ok, "\(path): a \(width)x\(height) frame\(format) in \(String(format: "%.0f", millis)) ms")
        case .failure(let error as CaptureError):
            return (.fail, "\(path): \(error.message) [\(error.codeString)]")
        case .failure(let error):
            return (.fail, "\(path): \(error)")
        case nil:
            return (.fail, "\(path): opened, but no frame came within 5 s")
        }
    }

    /// Reachability and round trip, clock skew from the hub's Date header, and the credentials.
    func checkHub(_ credentials: HubCredentials, cursor: String?) async -> (Level, String) {
        let base = credentials.hubURL.hasSuffix("/") ? String(credentials.hubURL.dropLast()) : credentials.hubURL
        if let problem = HubClient.addressProblem(base) { return (.fail, problem) }
        let client: HubClient
        var health = HTTPClientRequest(url: base + "/healthz")
        do {
            client = try credentials.client()
            health.tlsConfiguration = try credentials.trustedCertificates.map(HubClient.trustConfiguration)
        } catch {
            return (.fail, "\(base): \(error)")
        }
        let started = monotonicNanos()
        let response: HTTPClientResponse
        do { response = try await HTTPClient.shared.execute(health, timeout: .seconds(5)) } catch {
            return (.fail, "\(base): unreachable (\(error)); payments stay queued until it answers")
        }
        let millis = Double(monotonicNanos() - started) / 1e6
        var skewText = "clock skew unknown"
        var level = Level.ok
        if let date = response.headers.first(name: "date").flatMap(DoctorCommand.httpDate) {
            let skew = Date().timeIntervalSince(date)
            skewText = "clock \(skew >= 0 ? "+" : "")\(String(format: "%.0f", skew)) s against the hub"
            if abs(skew) > 120 {
                level = .warn
                skewText += " (set this device's clock: receipts and QR expiry use it)"
            }
        }
        guard response.status == .ok else { return (.fail, "\(base): /healthz answered \(response.status.code)") }
        do {
            _ = try await client.changes(after: cursor ?? "0", limit: 1)
        } catch let error as SyncError {
            return (.fail, "\(base): \(error.message)")
        } catch {
            return (.fail, "\(base): \(error)")
        }
        return (level, "\(base): answered in \(String(format: "%.0f", millis)) ms, \(skewText), credentials accepted (\(credentials.deviceID))")
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
