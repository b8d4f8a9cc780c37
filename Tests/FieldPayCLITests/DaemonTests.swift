import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The demo build: every `fieldpay` command, and a profile's [demo] section runs an embedded hub.
let demoBinary = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("fieldpay-demo").path

/// `fieldpay run --profile PROFILE` started as a user would; `url` is the kiosk's address once served. A
/// profile with a [demo] section runs in the demo build (`fieldpay-demo`), as `make demo` does.
/// The process is stopped (SIGTERM) by `stop`, or killed when the test ends without it.
final class DaemonProcess {
    let process = Process()
    let url: String

    init(profile: String, urlFile: String, environment: [String: String] = [:]) async throws {
        let demo = (try? String(contentsOfFile: profile, encoding: .utf8))?.contains("[demo]") == true
        process.executableURL = URL(fileURLWithPath: demo ? demoBinary : binary)
        process.arguments = ["run", "--profile", profile, "--url-file", urlFile]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var served: String?
        for _ in 0..<300 where served == nil && process.isRunning {
            served = try? String(contentsOfFile: urlFile, encoding: .utf8)
            if served == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let served else {
            if process.isRunning { process.terminate() }
            throw DaemonStartError(description: "fieldpay run did not serve its page within 30 s")
        }
        url = served
    }

    /// SIGTERM, then up to 15 s for a graceful exit; returns the exit status (nil: still running).
    func stop() async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<150 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}

struct DaemonStartError: Error, CustomStringConvertible {
    let description: String
}

/// `fieldpay run` under systemd's eyes: the unit file, and the notify protocol spoken by the real binary.
@Suite("fieldpay run and systemd", .serialized)
struct DaemonTests {
    @Test("devices/fieldpay.service passes systemd-analyze verify with nothing to say")
    func unitFile() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // verify checks that ExecStart exists: point it at the binary under test.
        let unit = try String(contentsOfFile: repository + "/devices/fieldpay.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/fieldpay run"))
        #expect(unit.contains("Type=notify"))
        #expect(unit.contains("WatchdogSec="))
        try unit.replacingOccurrences(of: "/usr/local/bin/fieldpay", with: binary)
            .write(toFile: folder + "/fieldpay.service", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", folder + "/fieldpay.service"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.isEmpty, "systemd-analyze verify: \(text)")
    }

    @Test("the daemon tells systemd READY once the page is served, feeds the watchdog, and says STOPPING on SIGTERM")
    func notify() async throws {
        let folder = NSTemporaryDirectory() + "fieldpay-notify-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            [store]
            path = "device.sqlite"
            [camera]
            replay = "\(repository)/samples/invoices"
            replay_fps = 5
            [kiosk]
            port = 0
            """.write(toFile: folder + "/device.toml", atomically: true, encoding: .utf8)
        let socketPath = folder + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: binary)
        daemon.arguments = ["run", "--profile", folder + "/device.toml", "--url-file", folder + "/url"]
        daemon.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "1000000"]) { $1 }
        daemon.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        // Messages as they come, polled without blocking a thread, for at most `seconds`.
        func receive(until wanted: String, seconds: Double) async throws -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                var buffer = [UInt8](repeating: 0, count: 512)
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count > 0 {
                    messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
                    if messages.last!.contains(wanted) { return messages }
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            return messages
        }
        let start = try await receive(until: "READY=1", seconds: 30)
        #expect(start.last?.hasPrefix("READY=1\nSTATUS=kiosk page at http://127.0.0.1:") == true, "\(start)")
        let pings = try await receive(until: "WATCHDOG=1", seconds: 5)
        #expect(pings.last == "WATCHDOG=1", "\(pings)")
        kill(daemon.processIdentifier, SIGTERM)
        let stop = try await receive(until: "STOPPING=1", seconds: 10)
        #expect(stop.last == "STOPPING=1", "\(stop)")
        for _ in 0..<100 where daemon.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!daemon.isRunning)
        #expect(daemon.terminationStatus == 0)
    }

    @Test("a hub outage is said on the page in plain words, and the daemon recovers by itself when the hub is back")
    func hubOutage() async throws {
        let folder = NSTemporaryDirectory() + "fieldpay-outage-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = folder + "/hub"
        #expect(try hub(["invoices", "import", repository + "/samples/invoices.csv", "--data", data]).status == 0)
        let code = try hub(["devices", "enroll", "--rep", "Ravi", "--scope", "all", "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func startHub(_ port: Int) throws -> Process? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: hubBinary)
            process.arguments = ["serve", "--data", data, "--port", String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 where process.isRunning && !listening(port) { usleep(50_000) }
            if process.isRunning && listening(port) { return process }
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        var port = 0
        var server: Process?
        for _ in 0..<5 where server == nil {
            port = Int.random(in: 20_000...60_000)
            server = try startHub(port)
        }
        try #require(server != nil, "the hub did not start")
        defer { if let server, server.isRunning { server.terminate(); server.waitUntilExit() } }
        try """
            [device]
            code = "OUT01"
            [store]
            path = "device.sqlite"
            [camera]
            replay = "\(repository)/samples/invoices"
            replay_fps = 0.5
            [kiosk]
            port = 0
            [hub]
            sync_seconds = 1
            """.write(toFile: folder + "/device.toml", atomically: true, encoding: .utf8)
        #expect(try fieldpay(["enroll", "--hub", "http://127.0.0.1:\(port)", "--code", code, "--profile", folder + "/device.toml"]).status == 0)

        let daemon = try await DaemonProcess(profile: folder + "/device.toml", urlFile: folder + "/url")
        let base = daemon.url
        func hubLine(within seconds: Double, until condition: (Bool, String) -> Bool) async throws -> (Bool, String) {
            var last = (false, "")
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let state = try? JSONSerialization.jsonObject(with: Data(rawGet(base + "state").utf8)) as? [String: Any],
                    let line = state["hub"] as? [String: Any]
                {
                    last = (line["ok"] as? Bool ?? false, line["text"] as? String ?? "")
                    if condition(last.0, last.1) { return last }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            return last
        }
        var line = try await hubLine(within: 20) { ok, text in ok && text.contains("synced at") }
        #expect(line.0 && line.1.contains("Hub: online, synced at"), "\(line)")

        server!.terminate()
        server!.waitUntilExit()
        line = try await hubLine(within: 20) { ok, _ in !ok }
        #expect(!line.0 && line.1.hasPrefix("Offline since ") && line.1.contains("payments are kept on this device"), "\(line)")

        server = try startHub(port)
        try #require(server != nil, "the hub did not start again on port \(port)")
        line = try await hubLine(within: 30) { ok, _ in ok }
        #expect(line.0 && line.1.contains("Hub: online"), "the daemon did not recover: \(line)")

        #expect(try await daemon.stop() == 0)
    }
}

@Suite("The field build carries no hub")
struct FieldBuildTests {
    @Test("fieldpay run refuses a [demo] profile with a code, and says to use the demo build")
    func demoNeedsDemoBuild() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-nodemo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            [store]
            path = "\(folder)/device.sqlite"
            [camera]
            replay = "\(repository)/samples/invoices"
            [kiosk]
            port = 0
            [demo]
            invoices = "\(repository)/samples/invoices.csv"
            """.write(toFile: folder + "/device.toml", atomically: true, encoding: .utf8)
        let run = try fieldpay(["run", "--profile", folder + "/device.toml"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("[run.demo-not-built-in]") && run.stderr.contains("fieldpay-demo"), "\(run.stderr)")
    }

    @Test("the fieldpay binary has no hub symbols (the hub, the demo and the benchmarks live in other binaries)")
    func noHubSymbols() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nm")
        process.arguments = ["--defined-only", binary]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0 && text.contains("FieldPayCLI"), "nm could not read \(binary)")
        // Swift mangles a module name as its length and name: 3Hub is the Hub module, 4Demo the demo's.
        let hub = text.split(separator: "\n").filter { $0.contains("$s3Hub") || $0.contains("$s4Demo") || $0.contains("SQLiteHubStore") }
        #expect(hub.isEmpty, "\(hub.prefix(5))")
    }
}
