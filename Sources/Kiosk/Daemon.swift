import AsyncHTTPClient
import Capture
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import Logging
import NIOCore
import ServiceLifecycle
import Sync
import Synchronization

/// `fieldpay run`: builds the services a profile asks for and runs them in one `ServiceGroup` until SIGTERM or
/// SIGINT — the kiosk page, the scanner, sync with the hub, the session's clock and, for the demo profile, a
/// hub inside the process with a simulated payer. Tells systemd READY when the page is served and STOPPING when
/// a signal arrives.
public struct Daemon: Sendable {
    public let profile: DeviceProfile
    public let database: AppDatabase
    public let logger: Logger
    public let notifier: SystemdNotifier

    public init(profile: DeviceProfile, database: AppDatabase, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.profile = profile
        self.database = database
        self.logger = logger
        self.notifier = notifier
    }

    /// Runs until stopped. `onReady` gets the kiosk's URL once it is served.
    public func run(onReady: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let settings = profile.daemon
        let metrics = DeviceMetrics()
        let desk = try Desk(profile: profile, database: database, metrics: metrics)
        let scanner = try ScannerService(desk: desk, settings: settings, metrics: metrics, logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let credentials: @Sendable () async throws -> HubCredentials?
        var payer: DemoPayer?
        if let demo = settings.demo {
            let hub = try DemoHub(settings: demo, folder: (profile.databasePath as NSString).deletingLastPathComponent, logger: logger)
            try database.resetSyncState()  // the hub is new: its change feed starts again
            services.append(.init(service: hub))
            let profile = profile
            credentials = { try await hub.enroll(profile: profile) }
            let demoPayer = DemoPayer(hub: hub, settings: demo, logger: logger)
            payer = demoPayer
            services.append(.init(service: demoPayer))
        } else {
            let path = profile.credentialsPath
            credentials = { try HubCredentials.load(path: path) }
        }
        let sync = SyncLoop(
            desk: desk, database: database, metrics: metrics, interval: settings.syncSeconds, logger: logger, scope: settings.syncScope,
            credentials: credentials)
        await desk.setHooks(
            onRecorded: { sync.poke() },
            onPrompt: { [payer] prompt in payer?.offer(prompt) })

        let database = database
        let router = buildKioskRouter(desk: desk, metrics: metrics) {
            guard let outbox = try? database.outbox() else { return [] }
            let oldest = outbox.map(\.createdAtMillis).min().map { max(0, Date().timeIntervalSince1970 - Double($0) / 1000) } ?? 0
            return [("fieldpay_outbox_depth", [:], Double(outbox.count)), ("fieldpay_outbox_oldest_seconds", [:], oldest)]
        }
        let notifier = notifier
        let logger = logger
        let kiosk = Application(
            router: router,
            configuration: .init(address: .hostname(settings.kioskHost, port: settings.kioskPort), serverName: "fieldpay-kiosk"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.kioskPort
                let host = settings.kioskHost.contains(":") ? "[\(settings.kioskHost)]" : settings.kioskHost
                let url = "http://\(host):\(port)/"
                logger.info("kiosk page at \(url)")
                notifier.notify("READY=1", "STATUS=kiosk page at \(url)")
                onReady(url)
            },
            logger: quieter(logger))
        services.append(.init(service: kiosk))
        services.append(.init(service: scanner))
        services.append(.init(service: sync))
        services.append(.init(service: ClockService(desk: desk, notifier: notifier)))
        services.append(.init(service: StopNotice(notifier: notifier, desk: desk)))

        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: quieter(logger)))
        try await group.run()
    }
}

/// Hummingbird and ServiceLifecycle log every connection at info; the daemon's own lines are enough.
func quieter(_ logger: Logger) -> Logger {
    var copy = logger
    copy.logLevel = max(logger.logLevel, .warning)
    return copy
}

/// Says STOPPING to systemd and closes the page streams when the daemon is asked to stop.
struct StopNotice: Service {
    let notifier: SystemdNotifier
    let desk: Desk

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify("STOPPING=1")
        await desk.closeAll()
    }
}

// MARK: The demo

/// A hub inside the daemon (`make demo`): SQLite beside the device database, the profile's sample invoices,
/// served on loopback like a real one, so the device syncs and hears credits exactly as in the field.
public final class DemoHub: Service, Sendable {
    let store: HubStore
    let configuration: HubConfiguration
    let logger: Logger
    let address = Mutex<String?>(nil)
    let (ready, readyContinuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
    static let webhookSecret = "whsec_fieldpay_demo"

    init(settings: DemoSettings, folder: String, logger: Logger) throws {
        let directory = (folder as NSString).appendingPathComponent("demo-hub")
        try? FileManager.default.removeItem(atPath: directory)  // a new hub each start
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = HubConfiguration(dataDirectory: directory, razorpayWebhookSecret: DemoHub.webhookSecret)
        configuration.port = settings.hubPort
        configuration.eventKeepAlive = .seconds(15)
        configuration.logLevel = .warning
        self.configuration = configuration
        self.logger = logger
        store = try HubStore(path: configuration.databasePath)
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
        let response = try await HubClient(baseURL: url).enroll(code: code, deviceName: profile.deviceName, publicKey: key.publicKeyBase64)
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
        let object: [String: Any] = [
            "entity": "event", "event": "qr_code.credited", "contains": ["qr_code", "payment"],
            "payload": [
                "payment": [
                    "entity": [
                        "id": paymentID, "amount": prompt.amount.paise, "currency": "INR", "status": "captured", "method": "upi",
                        "acquirer_data": ["rrn": utr],
                    ]
                ],
                "qr_code": ["entity": ["id": "qr_" + paymentID.dropFirst(4), "notes": ["tr": prompt.reference]]],
            ],
            "created_at": Int(Date().timeIntervalSince1970),
        ]
        let body = try JSONSerialization.data(withJSONObject: object)
        var request = HTTPClientRequest(url: url + "/v1/webhooks/razorpay")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Razorpay-Signature", value: Razorpay.signature(body: body, secret: DemoHub.webhookSecret))
        request.headers.add(name: "x-razorpay-event-id", value: "evt_" + paymentID)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        logger.info("demo payer: paid \(prompt.amount.displayString) for \(prompt.reference) (UTR \(utr)); the PSP webhook got \(response.status.code)")
    }
}
