import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Sync

#if canImport(Glibc)
    import Glibc
#endif

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll this device with a hub using the one-time code from `fieldpay-hub devices enroll`.",
        discussion: "Stores the hub's address, the device id and its secret in hub.json (mode 0600) beside the device key."
    )

    @Option(help: ArgumentHelp("The hub's address.", valueName: "url")) var hub: String
    @Option(help: "The one-time enrollment code.") var code: String
    @Option(help: "A name for this device at the hub.") var name: String?
    @OptionGroup var device: DeviceOptions

    func run() async throws {
        let profile = try device.loadProfile()
        do {
            let response = try await HubClient(baseURL: hub).enroll(code: code, deviceName: name ?? profile.deviceName)
            let credentials = HubCredentials(hubURL: hub, deviceID: response.deviceID, secret: response.secret)
            try FileManager.default.createDirectory(
                atPath: (profile.credentialsPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try credentials.save(path: profile.credentialsPath)
            emit("enrolled as \(response.deviceID) for \(response.rep) at \(hub)")
        } catch let error as SyncError {
            printError("\(error.message) [sync.enroll]")
            throw ExitCode(error.refused ? ExitStatus.badInput : ExitStatus.deviceFailed)
        }
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Upload queued payments to the hub and pull the invoices that changed.",
        discussion: """
            Without --once it runs again every --interval seconds until stopped. Each page of invoices is saved \
            with its cursor in one transaction, and uploads are idempotent by payment id: stopping it at any \
            moment loses nothing and doubles nothing. Exit 0; 3 the hub could not be reached; 2 not enrolled.
            """
    )

    @Flag(help: "One round, then exit.") var once = false
    @Option(help: "Seconds between rounds.") var interval: Double = 30
    @OptionGroup var device: DeviceOptions

    func run() async throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        guard let credentials = try HubCredentials.load(path: profile.credentialsPath) else {
            printError("this device is not enrolled: run fieldpay enroll --hub URL --code CODE")
            throw ExitCode(ExitStatus.badInput)
        }
        let service = SyncService(
            database: database,
            client: HubClient(baseURL: credentials.hubURL, token: "\(credentials.deviceID).\(credentials.secret)"))
        let bar = ProgressBar(total: nil, enabled: isatty(STDERR_FILENO) == 1)
        while true {
            do {
                let report = try await service.runOnce { pulled in bar.update(rows: pulled, bytes: 0) }
                bar.finish()
                emit("sync: \(report.uploaded) payments uploaded, \(report.rejected) rejected, \(report.confirmed) UPI confirmed, \(report.pulled) invoice changes pulled in \(report.pages) page\(report.pages == 1 ? "" : "s")")
            } catch let error as SyncError {
                bar.finish()
                printError("\(error.message) [sync.failed]")
                if once { throw ExitCode(error.refused ? ExitStatus.badInput : ExitStatus.deviceFailed) }
            }
            if once { return }
            try await Task.sleep(for: .seconds(interval))
        }
    }
}
