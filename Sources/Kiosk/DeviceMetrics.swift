import Foundation
import Synchronization

/// The daemon's Prometheus metrics. Counters and the decode-time histogram are kept here as the daemon goes;
/// gauges read at scrape time (outbox depth and age, camera frames) come from the `gauges` closure.
public final class DeviceMetrics: Sendable {
    struct Series: Hashable {
        let name: String
        let labels: [String: String]
    }

    /// Decode-time histogram bounds, in seconds.
    static let decodeBuckets: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]

    struct State {
        var counters: [Series: Double] = [:]
        var decodeBuckets = [Int](repeating: 0, count: DeviceMetrics.decodeBuckets.count)
        var decodeCount = 0
        var decodeSum = 0.0
        var gauges: [Series: Double] = [:]
    }

    let state = Mutex(State())

    static let help: [String: (type: String, text: String)] = [
        "fieldpay_frames_captured_total": ("counter", "Frames the camera (or replay) delivered."),
        "fieldpay_frames_dropped_total": ("counter", "Frames dropped because the decoder was busy with an earlier one."),
        "fieldpay_camera_reconnects_total": ("counter", "Times the camera was lost and opened again."),
        "fieldpay_camera_stream_restarts_total": ("counter", "Times a stalled stream was restarted."),
        "fieldpay_camera_up": ("gauge", "1 while frames are arriving."),
        "fieldpay_decode_seconds": ("histogram", "Time to decode one frame."),
        "fieldpay_scans_total": ("counter", "Codes seen (after debouncing), by outcome."),
        "fieldpay_lookups_total": ("counter", "Invoice lookups in the cache, by result (hit, miss, ambiguous)."),
        "fieldpay_payments_total": ("counter", "Payments recorded here, by method and how they were confirmed."),
        "fieldpay_payment_failures_total": ("counter", "Payments the ledger refused."),
        "fieldpay_outbox_depth": ("gauge", "Payments waiting to upload."),
        "fieldpay_outbox_oldest_seconds": ("gauge", "Age of the oldest payment waiting to upload."),
        "fieldpay_sync_rounds_total": ("counter", "Sync rounds, by result."),
        "fieldpay_sync_lag_seconds": ("gauge", "Seconds since the last sync round that reached the hub."),
        "fieldpay_hub_up": ("gauge", "1 when the last exchange with the hub worked."),
        "fieldpay_kiosk_clients": ("gauge", "Pages connected to the event stream."),
    ]

    public init() {}

    public func count(_ name: String, labels: [String: String] = [:], by value: Double = 1) {
        state.withLock { $0.counters[Series(name: name, labels: labels), default: 0] += value }
    }

    public func set(_ name: String, labels: [String: String] = [:], _ value: Double) {
        state.withLock { $0.gauges[Series(name: name, labels: labels)] = value }
    }

    public func observeDecode(seconds: Double) {
        state.withLock { state in
            state.decodeCount += 1
            state.decodeSum += seconds
            for (index, bound) in DeviceMetrics.decodeBuckets.enumerated() where seconds <= bound {
                state.decodeBuckets[index] += 1
            }
        }
    }

    /// Frames decoded so far.
    public var decodes: Int { state.withLock { $0.decodeCount } }

    public func value(_ name: String, labels: [String: String] = [:]) -> Double {
        state.withLock { $0.counters[Series(name: name, labels: labels)] ?? $0.gauges[Series(name: name, labels: labels)] ?? 0 }
    }

    /// The exposition text; `extra` are gauges read now (name, labels, value).
    public func render(extra: [(String, [String: String], Double)] = []) -> String {
        let snapshot = state.withLock { $0 }
        var series: [String: [String]] = [:]
        func escape(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        func format(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        func add(_ name: String, _ labels: [String: String], _ value: Double, family: String? = nil) {
            let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
            series[family ?? name, default: []].append(labels.isEmpty ? "\(name) \(format(value))" : "\(name){\(text)} \(format(value))")
        }
        for (key, value) in snapshot.counters { add(key.name, key.labels, value) }
        for (key, value) in snapshot.gauges { add(key.name, key.labels, value) }
        for (name, labels, value) in extra { add(name, labels, value) }
        for (index, bound) in DeviceMetrics.decodeBuckets.enumerated() {
            add("fieldpay_decode_seconds_bucket", ["le": String(bound)], Double(snapshot.decodeBuckets[index]), family: "fieldpay_decode_seconds")
        }
        add("fieldpay_decode_seconds_bucket", ["le": "+Inf"], Double(snapshot.decodeCount), family: "fieldpay_decode_seconds")
        add("fieldpay_decode_seconds_sum", [:], snapshot.decodeSum, family: "fieldpay_decode_seconds")
        add("fieldpay_decode_seconds_count", [:], Double(snapshot.decodeCount), family: "fieldpay_decode_seconds")
        var lines: [String] = []
        for family in series.keys.sorted() {
            if let help = DeviceMetrics.help[family] {
                lines.append("# HELP \(family) \(help.text)")
                lines.append("# TYPE \(family) \(help.type)")
            }
            // Histogram lines keep their order (buckets ascending); the rest are sorted for stable output.
            lines += family == "fieldpay_decode_seconds" ? series[family]! : series[family]!.sorted()
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
