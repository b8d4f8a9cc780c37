import Prometheus
import Synchronization

/// One process part's metrics (the hub's, a daemon's) in a swift-prometheus registry of its own: counters,
/// gauges and histograms by name and labels, each family with its `# HELP` and `# TYPE`, rendered as the
/// Prometheus text format on `/metrics`. A registry per owner, not the process-global swift-metrics
/// bootstrap, so that several hubs or desks in one process (the tests, the demo's embedded hub) never mix.
public final class MetricsRegistry: Sendable {
    public enum Kind: Sendable { case counter, gauge, histogram([Double]) }

    /// A family the owner declares: its kind and help text (the same for every series of the name).
    public struct Family: Sendable {
        public let kind: Kind
        public let help: String
        public init(_ kind: Kind, _ help: String) {
            self.kind = kind
            self.help = help
        }
    }

    struct Key: Hashable {
        let name: String
        let labels: [String: String]
    }

    private let registry = PrometheusCollectorRegistry()
    private let families: [String: Family]
    /// What each counter and gauge holds, to be read back (tests, the daemon's own status) without parsing the text.
    private let values = Mutex<[Key: Double]>([:])

    public init(families: [String: Family]) { self.families = families }

    private func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: families[name]?.help ?? "")
    }

    /// Labels in name order: the text is the same for the same series whoever records it.
    private func sorted(_ labels: [String: String]) -> [(String, String)] { labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }

    public func count(_ name: String, labels: [String: String] = [:], by amount: Double = 1) {
        let counter = registry.makeCounter(descriptor: descriptor(name), labels: sorted(labels))
        if amount == amount.rounded(), let whole = Int64(exactly: amount) { counter.increment(by: whole) } else { counter.increment(by: amount) }
        values.withLock { $0[Key(name: name, labels: labels), default: 0] += amount }
    }

    /// A gauge's value; for a name declared as a counter, the counter's total (kept from elsewhere, like a
    /// camera's frame count), which moves it forward by the difference and never back.
    public func set(_ name: String, labels: [String: String] = [:], _ value: Double) {
        if case .counter = families[name]?.kind {
            let key = Key(name: name, labels: labels)
            let step = values.withLock { stored -> Double in
                let step = max(0, value - (stored[key] ?? 0))
                stored[key, default: 0] += step
                return step
            }
            let counter = registry.makeCounter(descriptor: descriptor(name), labels: sorted(labels))
            if step > 0 { counter.increment(by: step) }
            return
        }
        registry.makeGauge(descriptor: descriptor(name), labels: sorted(labels)).set(value)
        values.withLock { $0[Key(name: name, labels: labels)] = value }
    }

    /// Records one observation in a histogram family declared with its buckets.
    public func observe(_ name: String, labels: [String: String] = [:], _ value: Double) {
        histogram(name, labels: labels)(value)
    }

    /// One histogram series, looked up once: for a hot path (a decode per frame) that records into it often.
    public func histogram(_ name: String, labels: [String: String] = [:]) -> @Sendable (Double) -> Void {
        guard case .histogram(let buckets) = families[name]?.kind else {
            preconditionFailure("\(name) is not declared as a histogram")
        }
        let series = registry.makeValueHistogram(descriptor: descriptor(name), labels: sorted(labels), buckets: buckets)
        return { series.record($0) }
    }

    /// A counter's or gauge's value now (0 for a series never recorded).
    public func value(_ name: String, labels: [String: String] = [:]) -> Double {
        values.withLock { $0[Key(name: name, labels: labels)] ?? 0 }
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }
}
