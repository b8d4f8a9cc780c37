import FieldPayMetrics
import Foundation
import Hummingbird
import Synchronization

/// The hub's Prometheus metrics (swift-prometheus): request counts and latency by route, webhook outcomes, and,
/// read from the store at scrape time, the state of the book (invoices, payments by status, credits to
/// reconcile, devices, event listeners).
public final class HubMetrics: RouterMiddleware, Sendable {
    public typealias Context = HubRequestContext

    static let families: [String: MetricsRegistry.Family] = [
        "fieldpay_hub_http_requests_total": .init(.counter, "HTTP requests by method, route and status."),
        "fieldpay_hub_http_request_seconds": .init(.histogram([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]), "Seconds spent answering, by route."),
        "fieldpay_hub_webhooks_total": .init(.counter, "PSP webhook deliveries by provider and outcome."),
        "fieldpay_hub_invoices": .init(.gauge, "Live invoices, and those with something outstanding."),
        "fieldpay_hub_outstanding_rupees": .init(.gauge, "Outstanding over live invoices."),
        "fieldpay_hub_payments": .init(.gauge, "Payments uploaded, by method and status."),
        "fieldpay_hub_payments_flagged": .init(.gauge, "Payments flagged for review (overpaid, unknown invoice, claimed UTR)."),
        "fieldpay_hub_credits": .init(.gauge, "PSP and statement credits, by state (unmatched and duplicate-utr await reconciliation)."),
        "fieldpay_hub_devices": .init(.gauge, "Enrolled devices."),
        "fieldpay_hub_event_listeners": .init(.gauge, "Devices listening on /v1/events now."),
        "fieldpay_hub_messages": .init(.gauge, "Customer messages in the outbox, by kind and state."),
        "fieldpay_hub_message_webhooks_total": .init(.counter, "Messaging status webhooks and delivery reports, by channel and outcome."),
    ]

    let registry = MetricsRegistry(families: HubMetrics.families)
    /// The book's gauges scan whole tables: they are read at most once per `snapshotMaxAge`, however often
    /// `/metrics` is asked.
    let snapshotMaxAge: Duration
    let snapshot = Mutex<(at: ContinuousClock.Instant, value: BookSnapshot)?>(nil)

    public init(snapshotMaxAge: Duration = .seconds(15)) {
        self.snapshotMaxAge = snapshotMaxAge
    }

    public func count(_ name: String, labels: [String: String] = [:], by value: Double = 1) {
        registry.count(name, labels: labels, by: value)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        func record(_ status: Int, _ path: String) {
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            registry.count("fieldpay_hub_http_requests_total", labels: ["method": request.method.rawValue, "route": path, "status": String(status)])
            registry.observe("fieldpay_hub_http_request_seconds", labels: ["route": path], seconds)
        }
        do {
            let response = try await next(request, context)
            record(Int(response.status.code), context.endpointPath ?? "unmatched")
            return response
        } catch let error as HTTPResponseError {
            record(Int(error.status.code), context.endpointPath ?? "unmatched")
            throw error
        } catch {
            record(500, context.endpointPath ?? "unmatched")
            throw error
        }
    }

    /// The exposition text, with the book's gauges as read within the last `snapshotMaxAge`.
    public func render(store: some BookMetrics & EventFeed) throws -> String {
        let now = ContinuousClock.now
        let state: BookSnapshot
        if let cached = snapshot.withLock({ $0 }), cached.at.duration(to: now) < snapshotMaxAge {
            state = cached.value
        } else {
            state = try store.bookSnapshot()
            snapshot.withLock { $0 = (now, state) }
        }
        registry.set("fieldpay_hub_invoices", labels: ["state": "live"], Double(state.invoices))
        registry.set("fieldpay_hub_invoices", labels: ["state": "open"], Double(state.openInvoices))
        registry.set("fieldpay_hub_outstanding_rupees", Double(state.outstandingPaise) / 100)
        for (key, value) in state.payments {
            let parts = key.split(separator: "|")
            registry.set("fieldpay_hub_payments", labels: ["method": String(parts[0]), "status": String(parts.dropFirst().first ?? "")], Double(value))
        }
        registry.set("fieldpay_hub_payments_flagged", Double(state.flagged))
        for (credit, value) in state.credits { registry.set("fieldpay_hub_credits", labels: ["state": credit], Double(value)) }
        registry.set("fieldpay_hub_devices", labels: ["state": "active"], Double(state.devices))
        registry.set("fieldpay_hub_devices", labels: ["state": "revoked"], Double(state.revokedDevices))
        registry.set("fieldpay_hub_event_listeners", Double(store.broadcaster.subscriberCount))
        for (key, value) in state.messages {
            let parts = key.split(separator: "|")
            registry.set("fieldpay_hub_messages", labels: ["kind": String(parts[0]), "state": String(parts.dropFirst().first ?? "")], Double(value))
        }
        return registry.render()
    }
}
