import AsyncHTTPClient
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import Kiosk
import Logging
import NIOCore
import ServiceLifecycle
import Sync
import Synchronization

/// The demo (`make demo`, `fieldpay-demo run --profile devices/demo.toml`): a hub inside the daemon and a
/// simulated payer. Only executables import this target, so the field binary carries no hub.
public enum Demo {
    /// Registers the demo with the daemon: a profile's `[demo]` section then runs an embedded hub and a payer.
    public static func register() {
        DaemonAddOns.register { settings, profile, database, logger in
            let hub = try DemoHub(settings: settings, folder: (profile.databasePath as NSString).deletingLastPathComponent, logger: logger)
            try database.resetSyncState()  // the hub is new: its change feed starts again
            let payer = DemoPayer(hub: hub, settings: settings, logger: logger)
            return DaemonAddOn(
                services: [hub, payer], credentials: { try await hub.enroll(profile: profile) },
                onPrompt: { payer.offer($0) })
        }
    }
}

/// A hub inside the daemon (`make demo`): SQLite beside the device database, the profile's sample invoices,
/// served on loopback like a real one, so the device syncs and hears credits exactly as in the field.
public final class DemoHub: Service, Sendable {
    let store: SQLiteHubStore
    let configuration: HubConfiguration
    let logger: Logger
    let address = Mutex<String?>(nil)
    let (ready, readyContinuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
    static let webhookSecret = "whsec_fieldpay_demo"

    init(settings: DemoSettings, folder: String, logger: Logger) throws {
        let directory = (folder as NSString).appendingPathComponent("demo-hub")
        try? FileManager.default.removeItem(atPath: directory)  // a new hub each start
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = HubConfiguration(dataDirectory: directory, providers: [.razorpay(webhookSecret: DemoHub.webhookSecret)])
        configuration.port = settings.hubPort
        configuration.eventKeepAlive = .seconds(15)
        configuration.logLevel = .warning
        self.configuration = configuration
        self.logger = logger
        store = try SQLiteHubStore(path: configuration.databasePath)
        let result = try store.importInvoices(from: try InvoiceFileReader(path: settings.invoices))
        logger.info("demo hub: \(result.written) sample invoices from \(settings.invoices)")
    }

    public func run() async throws {
        let router = buildRouter(configuration, store: store)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: configuration.port), serverName: "fieldpay-demo-hub"),
            onServerRunning: { [self] channel in
                let url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
                address.withLock { $0 = url }
                logger.info("demo hub at \(url)")
                readyContinuation.yield(url)
            },
            logger: quieter(logger))
        try await app.run()
    }

    /// The hub's address once it is listening.
    func url() async -> String? {
        if let url = address.withLock({ $0 }) { return url }
        for await url in ready { return url }
        return nil
    }

    /// Enrolls the device with this hub (a fresh device id each start: the demo hub is new each time).
    func enroll(profile: DeviceProfile) async throws -> HubCredentials? {
        guard let url = await url() else { return nil }
        let key = try DeviceKey.loadOrCreate(path: profile.resolvedKeyPath)
        let code = try store.createEnrollmentCode(rep: "Demo rep", hours: 1)
        // The kiosk is a depot's: it carries the whole book (a new rep's scope is only what is assigned).
        _ = try store.setRep("Demo rep", RepSettings(scope: "all"))
        let response = try await HubClient(baseURL: url).enroll(
            code: code, deviceName: profile.deviceName, publicKey: key.publicKeyBase64, deviceCode: profile.deviceCode)
        return HubCredentials(hubURL: url, deviceID: response.deviceID, secret: response.secret)
    }
}

/// The demo's customer: pays the QR on screen a few seconds after it appears, by a signed Razorpay-style
/// webhook to the demo hub — except every n-th, which is left to expire (or for the rep to take cash).
public final class DemoPayer: Service, Sendable {
    let hub: DemoHub
    let settings: DemoSettings
    let logger: Logger
    let offers: AsyncStream<Session.Prompt>
    let offerContinuation: AsyncStream<Session.Prompt>.Continuation

    init(hub: DemoHub, settings: DemoSettings, logger: Logger) {
        self.hub = hub
        self.settings = settings
        self.logger = logger
        (offers, offerContinuation) = AsyncStream<Session.Prompt>.makeStream(bufferingPolicy: .bufferingNewest(8))
    }

    func offer(_ prompt: Session.Prompt) { offerContinuation.yield(prompt) }

    public func run() async throws {
        var seen = 0
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for await prompt in offers {
                    seen += 1
                    if settings.leaveUnpaidEvery > 0 && seen % settings.leaveUnpaidEvery == 0 {
                        logger.info("demo payer: leaving the QR for \(prompt.amount.displayString) unpaid")
                        continue
                    }
                    group.addTask { [self] in
                        try? await Task.sleep(for: .seconds(settings.payerDelaySeconds))
                        if Task.isCancelled { return }
                        do { try await pay(prompt) } catch { logger.warning("demo payer: \(error)") }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [offerContinuation] in
            offerContinuation.finish()
        }
    }

    func pay(_ prompt: Session.Prompt) async throws {
        guard let url = await hub.url() else { return }
        let paymentID = "pay_demo" + String(UUID().uuidString.prefix(8))
        let utr = String(Int.random(in: 400_000_000_000...499_999_999_999))
        let body = Razorpay.creditEvent(paymentID: paymentID, amountPaise: prompt.amount.paise, utr: utr, reference: prompt.reference)
        let response = try await Razorpay.deliver(body, to: url, secret: DemoHub.webhookSecret, eventID: "evt_" + paymentID)
        logger.info("demo payer: paid \(prompt.amount.displayString) for \(prompt.reference) (UTR \(utr)); the PSP webhook got \(response.status)")
    }
}
