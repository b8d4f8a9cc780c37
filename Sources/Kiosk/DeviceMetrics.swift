import FieldPayMetrics
import Foundation
import Synchronization

/// The daemon's Prometheus metrics (swift-prometheus). Counters and the decode-time histogram are kept as the
/// daemon goes; gauges read at scrape time (outbox depth and age) are passed to `render`.
public final class DeviceMetrics: Sendable {
    /// Decode-time histogram bounds, in seconds.
    static let decodeBuckets: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]

    static let families: [String: MetricsRegistry.Family] = [
        "fieldpay_frames_captured_total": .init(.counter, "Frames the camera (or replay) delivered."),
        "fieldpay_frames_dropped_total": .init(.counter, "Frames dropped because the decoder was busy with an earlier one."),
        "fieldpay_camera_reconnects_total": .init(.counter, "Times the camera was lost and opened again."),
        "fieldpay_camera_stream_restarts_total": .init(.counter, "Times a stalled stream was restarted."),
        "fieldpay_camera_up": .init(.gauge, "1 while frames are arriving."),
        "fieldpay_decode_seconds": .init(.histogram(DeviceMetrics.decodeBuckets), "Time to decode one frame."),
        "fieldpay_scans_total": .init(.counter, "Codes seen (after debouncing), by outcome."),
        "fieldpay_lookups_total": .init(.counter, "Invoice lookups in the cache, by result (hit, miss, ambiguous)."),
        "fieldpay_payments_total": .init(.counter, "Payments recorded here, by method and how they were confirmed."),
        "fieldpay_payment_failures_total": .init(.counter, "Payments the ledger refused."),
        "fieldpay_outbox_depth": .init(.gauge, "Payments waiting to upload."),
        "fieldpay_outbox_oldest_seconds": .init(.gauge, "Age of the oldest payment waiting to upload."),
        "fieldpay_sync_rounds_total": .init(.counter, "Sync rounds, by result."),
        "fieldpay_sync_last_success_timestamp_seconds": .init(.gauge, "When the last sync round reached the hub (sync lag = now - it)."),
        "fieldpay_hub_up": .init(.gauge, "1 when the last exchange with the hub worked."),
        "fieldpay_kiosk_clients": .init(.gauge, "Pages connected to the event stream."),
    ]

    let registry = MetricsRegistry(families: DeviceMetrics.families)
    let decodeCount = Atomic<Int>(0)
    /// Decodes come once a frame: the series is looked up once.
    let recordDecode: @Sendable (Double) -> Void

    public init() { recordDecode = registry.histogram("fieldpay_decode_seconds") }

    public func count(_ name: String, labels: [String: String] = [:], by value: Double = 1) {
        registry.count(name, labels: labels, by: value)
    }

    public func set(_ name: String, labels: [String: String] = [:], _ value: Double) {
        registry.set(name, labels: labels, value)
    }

    public func observeDecode(seconds: Double) {
        recordDecode(seconds)
        decodeCount.add(1, ordering: .relaxed)
    }

    /// Frames decoded so far.
    public var decodes: Int { decodeCount.load(ordering: .relaxed) }

    public func value(_ name: String, labels: [String: String] = [:]) -> Double { registry.value(name, labels: labels) }

    /// The exposition text; `extra` are gauges read now (name, labels, value).
    public func render(extra: [(String, [String: String], Double)] = []) -> String {
        for (name, labels, value) in extra { registry.set(name, labels: labels, value) }
        return registry.render()
    }
}
