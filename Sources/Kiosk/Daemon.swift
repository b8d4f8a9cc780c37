import AsyncHTTPClient
import Capture
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import HubAPI
import Hummingbird
import InvoiceImport
import Logging
import NIOCore
import ServiceLifecycle
import Sync
import Synchronization

/// `fieldpay run`: builds the services a profile asks for and runs them in one `ServiceGroup` until SIGTERM or
/// SIGINT — the kiosk page, the scanner, sync with the hub, the session's clock and, for the demo profile (in
/// the demo build, `fieldpay-demo`), a hub inside the process with a simulated payer. Tells systemd READY when the page is served and STOPPING when
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
        var onPrompt: @Sendable (Session.Prompt) -> Void = { _ in }
        if let demo = settings.demo {
            // The demo's hub and payer come from the `Demo` target, which only the demo build links.
            guard let makeDemo = DaemonAddOns.demo else { throw DaemonError.demoNotBuiltIn }
            let addOn = try makeDemo(demo, profile, database, logger)
            services += addOn.services.map { .init(service: $0) }
            credentials = addOn.credentials
            onPrompt = addOn.onPrompt
        } else {
            let path = profile.credentialsPath
            credentials = { try HubCredentials.load(path: path) }
        }
        let sync = SyncLoop(
            desk: desk, database: database, metrics: metrics, interval: settings.syncSeconds, logger: logger, scope: settings.syncScope,
            credentials: credentials)
        await desk.setHooks(
            onRecorded: { sync.poke() },
            onPrompt: onPrompt)

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
public func quieter(_ logger: Logger) -> Logger {
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


// MARK: What a build adds

/// What the demo build adds to the daemon for a profile's `[demo]` section: its services (an embedded hub,
/// a simulated payer), how the device gets its hub credentials, and who hears of each QR put on screen.
public struct DaemonAddOn: Sendable {
    public var services: [any Service]
    public var credentials: @Sendable () async throws -> HubCredentials?
    public var onPrompt: @Sendable (Session.Prompt) -> Void

    public init(
        services: [any Service], credentials: @escaping @Sendable () async throws -> HubCredentials?,
        onPrompt: @escaping @Sendable (Session.Prompt) -> Void
    ) {
        self.services = services
        self.credentials = credentials
        self.onPrompt = onPrompt
    }
}

/// The add-ons this process was built with. The field binary (`fieldpay`) has none, so it links no hub; the
/// demo binary (`fieldpay-demo`) registers the demo before it parses its arguments.
public enum DaemonAddOns {
    public typealias DemoFactory = @Sendable (DemoSettings, DeviceProfile, AppDatabase, Logger) throws -> DaemonAddOn
    private static let registered = Mutex<DemoFactory?>(nil)

    public static var demo: DemoFactory? { registered.withLock { $0 } }

    public static func register(demo: @escaping DemoFactory) { registered.withLock { $0 = demo } }
}

public enum DaemonError: FieldPayError {
    case demoNotBuiltIn

    public var codeString: String { "run.demo-not-built-in" }
    public var message: String {
        "this profile has a [demo] section (an embedded hub and a simulated payer), which the field binary does not carry: run it with fieldpay-demo (make demo), or remove [demo]"
    }
}
