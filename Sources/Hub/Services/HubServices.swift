import FieldPayCore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Asks a provider every `interval` for the last `window` of payments and puts each through the confirmation
/// state machine: a credit the webhook already brought is a no-op (same provider id), a missed one is
/// applied now. A failed poll is logged and retried at the next tick; graceful shutdown ends it.
public struct CreditPoller: Service {
    public let source: any CreditSource
    public let store: any PaymentLedger
    public var interval: Duration = .seconds(300)
    public var window: TimeInterval = 6 * 3600
    public var logger = Logger(label: "fieldpay-hub")

    public init(api source: any CreditSource, store: any PaymentLedger) {
        self.source = source
        self.store = store
    }

    /// One poll: returns how many credits were new to the hub.
    public func pollOnce(now: Date = Date()) async throws -> (seen: Int, applied: Int) {
        let credits = try await source.credits(from: now.addingTimeInterval(-window), to: now)
        var applied = 0
        for credit in credits {
            let outcome = try store.applyCredit(credit)
            if outcome != .duplicateCredit { applied += 1 }
        }
        return (credits.count, applied)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let (seen, applied) = try await pollOnce()
                    if applied > 0 { logger.info("polled \(source.provider): \(seen) UPI payments, \(applied) new to the hub") }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("polling \(source.provider) failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The day's reminders and escalations, once an `interval` (the run is idempotent within a day).
public struct CollectionsRunService: Service {
    public let store: any CollectionsWork
    public var interval: Duration = .seconds(3600)
    public var logger = Logger(label: "fieldpay-hub")
    public var today: @Sendable () -> LocalDate = { LocalDate.today() }

    public init(store: any CollectionsWork) { self.store = store }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let run = try store.runCollections(asOf: today())
                    if run.remindersQueued + run.escalations > 0 {
                        logger.info("collections run \(run.asOf): \(run.remindersQueued) reminders queued, \(run.escalations) escalations")
                    }
                } catch {
                    logger.error("collections run failed: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The hub as it runs: the HTTP server, a poller for each provider that has an API configured, and the
/// collections run, in one `ServiceGroup` that SIGTERM or SIGINT stops gracefully (the server drains first).
public enum HubServices {
    public static func make(_ configuration: HubConfiguration, store: some HubStorage, logger: Logger) -> [any Service] {
        var services: [any Service] = [buildApplication(configuration, store: store)]
        for provider in configuration.providers.all {
            if !provider.canVerify {
                logger.warning("no \(provider.name) webhook secret: every \(provider.name) webhook will be refused as a bad signature")
            }
            guard let source = provider.poller, provider.pollInterval > .zero else { continue }
            logger.info("polling \(provider.name) every \(provider.pollInterval) for credits whose webhook never came")
            var poller = CreditPoller(api: source, store: store)
            poller.interval = provider.pollInterval
            poller.logger = logger
            services.append(poller)
        }
        var collections = CollectionsRunService(store: store)
        collections.logger = logger
        services.append(collections)
        if configuration.messaging.isEnabled {
            var sender = MessageSender(store: store, configuration: configuration.messaging, channels: MessageSender.channels(configuration.messaging))
            sender.logger = logger
            services.append(sender)
            if configuration.messaging.publicURL == nil { logger.warning("[messaging] has no public_url: receipt messages go without their link") }
            if let whatsapp = configuration.messaging.whatsapp, whatsapp.appSecret == nil {
                logger.warning("[messaging.whatsapp] has no app_secret_file: every WhatsApp status webhook will be refused")
            }
        } else {
            logger.info("no [messaging.whatsapp] or [messaging.sms]: receipts and reminders wait in the outbox (they expire after a day or two)")
        }
        for connector in configuration.erp.connectors(dataDirectory: configuration.dataDirectory) {
            // From now on every payment the books should hold is queued for this connector too.
            do { try store.enableConnector(connector.name, now: HubTime.nowMillis()) } catch {
                logger.error("[erp.\(connector.name)] cannot be enabled: \(error)")
                continue
            }
            var worker = ERPWorker(connector: connector, store: store)
            worker.logger = logger
            services.append(ERPPushService(worker: worker, signal: store.erpSignal))
            logger.info("pushing payments to \(connector.name)")
        }
        return services
    }

    /// Runs until SIGTERM or SIGINT.
    public static func run(_ configuration: HubConfiguration, store: some HubStorage, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: make(configuration, store: store, logger: logger).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        try await group.run()
    }
}
