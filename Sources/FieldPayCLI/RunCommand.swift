import ArgumentParser
import Capture
import DeviceApp
import FieldPayCore
import Foundation
import Kiosk
import Logging

#if canImport(Glibc)
    import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the device daemon: camera → decoder → invoice → payment screen, with sync in the background.",
        discussion: """
            Serves the kiosk page on 127.0.0.1 (the profile's [kiosk] port; point Chromium in kiosk mode at the \
            printed URL), reads the profile's [camera] (a V4L2 device, or replayed files), and syncs with the hub \
            this device enrolled with. A camera that is unplugged or a hub that is down is said on the page and \
            retried. SIGTERM or SIGINT stops it gracefully: a payment being written is finished first. Under \
            systemd (devices/fieldpay.service) it sends READY, WATCHDOG and STOPPING.

            With a [demo] section (devices/demo.toml) a hub runs inside the daemon with the sample invoices, and a \
            simulated payer pays the QRs on screen: the whole flow with no hardware.
            """
    )

    @OptionGroup var device: DeviceOptions
    @Option(help: ArgumentHelp("Serve the kiosk page on this port instead of the profile's (0: any free port).", valueName: "port"))
    var port: Int?
    @Option(help: ArgumentHelp("Replay these frames (a folder of images or a .y4m) instead of the profile's camera.", valueName: "path"))
    var replay: String?
    @Option(help: ArgumentHelp("Use this V4L2 device instead of the profile's camera.", valueName: "path"))
    var camera: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @Option(help: ArgumentHelp("Write the kiosk URL to this file once it is served (for scripts and tests).", valueName: "file"))
    var urlFile: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        if replay != nil && camera != nil { throw ValidationError("give --replay or --camera, not both") }
    }

    func run() async throws {
        var profile = try device.loadProfile()
        if let port { profile.daemon.kioskPort = port }
        if let replay { profile.daemon.input = .replay(replay) }
        if let camera { profile.daemon.input = .device(camera) }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "fieldpay")
        logger.logLevel = level
        // One daemon per database: a second would fight the first over the camera, the port and the queue.
        let lockPath = profile.databasePath + ".run-lock"
        try? FileManager.default.createDirectory(atPath: (lockPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            printError("another fieldpay run (pid \(holder)) is using \(profile.databasePath); stop it first [run.already-running]")
            throw ExitCode(ExitStatus.badInput)
        }
        defer { close(lock) }
        _ = ftruncate(lock, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(lock, $0.baseAddress, $0.count, 0) }

        let database = try device.openDatabase(profile)
        let daemon = Daemon(profile: profile, database: database, logger: logger)
        let urlFile = urlFile
        do {
            try await daemon.run { url in
                emit("FieldPay kiosk: open \(url) in a browser (Ctrl-C stops)")
                if let urlFile { try? url.write(toFile: urlFile, atomically: true, encoding: .utf8) }
            }
        } catch let error as DaemonError {
            printError(error.description)
            throw ExitCode(ExitStatus.badInput)
        } catch let error as CaptureError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        } catch let error as any FieldPayError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.deviceFailed)
        } catch where "\(error)".contains("Address already in use") {
            printError(
                "the kiosk port \(profile.daemon.kioskHost):\(profile.daemon.kioskPort) is taken by another program: choose another with --port or [kiosk] port [run.port-in-use]"
            )
            throw ExitCode(ExitStatus.badInput)
        } catch {
            printError("the daemon stopped: \(error)")
            throw ExitCode(ExitStatus.deviceFailed)
        }
    }
}
