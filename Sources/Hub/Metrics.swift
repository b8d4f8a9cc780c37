import Foundation
import Hummingbird
import Synchronization

/// The hub's Prometheus metrics: request counts and latency by route, webhook outcomes, and, read from the
/// database at scrape time, the state of the book (invoices, payments by status, credits to reconcile,
/// devices, event listeners).
public final class HubMetrics: RouterMiddleware, Sendable {
    public typealias Context = BasicRequestContext

    struct Series: Hashable {
        let name: String
        let labels: [String: String]
    }

    let counters = Mutex<[Series: Double]>([:])

    public init() {}

    public func count(_ name: String, labels: [String: String] = [:], by value: Double = 1) {
        counters.withLock { $0[Series(name: name, labels: labels), default: 0] += value }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        func record(_ status: Int, _ path: String) {
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let labels = ["method": request.method.rawValue, "route": path, "status": String(status)]
            count("fieldpay_hub_http_requests_total", labels: labels)
            count("fieldpay_hub_http_request_seconds_sum", labels: ["route": path], by: seconds)
            count("fieldpay_hub_http_request_seconds_count", labels: ["route": path])
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

    /// The exposition text.
    public func render(store: some BookMetrics & EventFeed) throws -> String {
        var lines: [String] = []
        func escape(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        func line(_ name: String, _ labels: [String: String], _ value: Double) {
            let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
            let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            lines.append(labels.isEmpty ? "\(name) \(number)" : "\(name){\(text)} \(number)")
        }
        let snapshot = counters.withLock { $0 }
        let help = [
            "fieldpay_hub_http_requests_total": "counter|HTTP requests by method, route and status.",
            "fieldpay_hub_http_request_seconds_sum": "counter|Seconds spent answering, by route.",
            "fieldpay_hub_http_request_seconds_count": "counter|Requests timed, by route.",
            "fieldpay_hub_webhooks_total": "counter|PSP webhook deliveries by provider and outcome.",
        ]
        for name in Set(snapshot.keys.map(\.name)).sorted() {
            if let text = help[name] {
                let parts = text.split(separator: "|", maxSplits: 1)
                lines.append("# HELP \(name) \(parts[1])")
                lines.append("# TYPE \(name) \(parts[0])")
            }
            for (series, value) in snapshot.filter({ $0.key.name == name }).sorted(by: { "\($0.key.labels)" < "\($1.key.labels)" }) {
                line(name, series.labels, value)
            }
        }
        let state = try store.bookSnapshot()
        // Gauges read at scrape time: name, help, and its series.
        let gauges: [(String, String, [([String: String], Double)])] = [
            ("fieldpay_hub_invoices", "Live invoices, and those with something outstanding.",
             [(["state": "live"], Double(state.invoices)), (["state": "open"], Double(state.openInvoices))]),
            ("fieldpay_hub_outstanding_rupees", "Outstanding over live invoices.", [([:], Double(state.outstandingPaise) / 100)]),
            ("fieldpay_hub_payments", "Payments uploaded, by method and status.",
             state.payments.sorted { $0.key < $1.key }.map { key, value in
                 let parts = key.split(separator: "|")
                 return (["method": String(parts[0]), "status": String(parts[1])], Double(value))
             }),
            ("fieldpay_hub_payments_flagged", "Payments flagged for review (overpaid, unknown invoice, claimed UTR).", [([:], Double(state.flagged))]),
            ("fieldpay_hub_credits", "PSP and statement credits, by state (unmatched and duplicate-utr await reconciliation).",
             state.credits.sorted { $0.key < $1.key }.map { (["state": $0.key], Double($0.value)) }),
            ("fieldpay_hub_devices", "Enrolled devices.",
             [(["state": "active"], Double(state.devices)), (["state": "revoked"], Double(state.revokedDevices))]),
            ("fieldpay_hub_event_listeners", "Devices listening on /v1/events now.", [([:], Double(store.broadcaster.subscriberCount))]),
        ]
        for (name, text, series) in gauges {
            lines.append("# HELP \(name) \(text)")
            lines.append("# TYPE \(name) gauge")
            for (labels, value) in series { line(name, labels, value) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
