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
        discussion: """
            Stores the hub's address, the device id and its secret in hub.json (mode 0600) beside the device key. \
            The hub is reached over https:// (plain http only to a hub on this machine). With --ca-file the device \
            trusts only the certificates in that PEM file for this hub from now on (the hub's private CA, or its \
            self-signed certificate): a hub presenting any other certificate is refused, whatever the system trusts.
            """
    )

    @Option(help: ArgumentHelp("The hub's address.", valueName: "url")) var hub: String
    @Option(help: "The one-time enrollment code.") var code: String
    @Option(help: "A name for this device at the hub.") var name: String?
    @Option(help: ArgumentHelp("Trust only these certificates (PEM) for the hub: its private CA or its own.", valueName: "file"))
    var caFile: String?
    @OptionGroup var device: DeviceOptions

    func run() async throws {
        let profile = try device.loadProfile()
        do {
            var trusted: String?
            if let caFile {
                guard let text = try? String(contentsOfFile: caFile, encoding: .utf8) else {
                    throw SyncError(message: "cannot read --ca-file \(caFile)", refused: true)
                }
                trusted = text
            }
            // The hub checks every receipt this device uploads against its receipt key, and every QR reference
            // against its code: send both.
            let key = try receiptKey(profile)
            let response = try await HubClient(baseURL: hub, trusting: trusted).enroll(
                code: code, deviceName: name ?? profile.deviceName, publicKey: key.publicKeyBase64, deviceCode: profile.deviceCode)
            let credentials = HubCredentials(hubURL: hub, deviceID: response.deviceID, secret: response.secret, trustedCertificates: trusted)
            try FileManager.default.createDirectory(
                atPath: (profile.credentialsPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Another hub's cursors mean nothing to this one: start its change feed and events from the beginning.
            if (try? HubCredentials.load(path: profile.credentialsPath))??.hubURL != hub {
                try device.openDatabase(profile).resetSyncState()
            }
            try credentials.save(path: profile.credentialsPath)
            emit("enrolled as \(response.deviceID) for \(response.rep) at \(hub)")
        } catch let error as SyncError {
            printError("\(error.message) [sync.enroll]")
            throw ExitCode(error.refused ? ExitStatus.badInput : ExitStatus.deviceFailed)
        }
    }
}

/// The device's receipt key, made on first use; a key that cannot be read or made ends the command.
func receiptKey(_ profile: DeviceProfile) throws -> DeviceKey {
    do { return try DeviceKey.loadOrCreate(path: profile.resolvedKeyPath) } catch {
        printError("\(error.message) [\(error.codeString)]")
        throw ExitCode(ExitStatus.storeFailed)
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
        let client: HubClient
        do { client = try credentials.client() } catch let error as SyncError {
            printError("\(error.message) [sync.credentials]")
            throw ExitCode(ExitStatus.badInput)
        }
        var configured = SyncService(database: database, client: client)
        configured.scope = profile.daemon.syncScope
        configured.payees = profile.upi?.payees
        let service = configured
        if once {
            try await round(service)
            return
        }
        // Rounds every --interval seconds, and at once when the hub's event stream says an invoice was
        // credited; meanwhile confirmations of this device's payments arrive by long-poll within a second.
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var backoff = 1.0
                while !Task.isCancelled {
                    do {
                        let (count, invoiceCredited) = try await service.listenOnce(wait: 25)
                        if count > 0 { emit("events: \(count) confirmation\(count == 1 ? "" : "s") from the hub") }
                        if invoiceCredited { wake.yield() }
                        backoff = 1
                    } catch {
                        try await Task.sleep(for: .seconds(backoff))
                        backoff = min(backoff * 2, 30)
                    }
                }
            }
            group.addTask {
                // The clock: a round every --interval seconds (wake-ups that pile up count once).
                while !Task.isCancelled {
                    wake.yield()
                    try await Task.sleep(for: .seconds(interval))
                }
            }
            group.addTask {
                for await _ in wakeups { try? await round(service) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    func round(_ service: SyncService) async throws {
        let bar = ProgressBar(total: nil, enabled: isatty(STDERR_FILENO) == 1)
        do {
            let report = try await service.runOnce { pulled in bar.update(rows: pulled, bytes: 0) }
            bar.finish()
            for refusal in report.refusedPayees { printError("\(refusal) [sync.payee-not-allowed]") }
            emit("sync: \(report.uploaded) payments uploaded, \(report.followUps) follow-ups sent, \(report.rejected) rejected, \(report.confirmed) UPI confirmed, \(report.pulled) invoice changes pulled in \(report.pages) page\(report.pages == 1 ? "" : "s")")
        } catch let error as SyncError {
            bar.finish()
            printError("\(error.message) [sync.failed]")
            if once { throw ExitCode(error.refused ? ExitStatus.badInput : ExitStatus.deviceFailed) }
        }
    }
}
