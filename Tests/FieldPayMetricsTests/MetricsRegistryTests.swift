import FieldPayMetrics
import Testing

@Suite("Metrics registry")
struct MetricsRegistryTests {
    let families: [String: MetricsRegistry.Family] = [
        "jobs_total": .init(.counter, "Jobs done, by kind."),
        "frames_total": .init(.counter, "Frames seen."),
        "queue_depth": .init(.gauge, "Jobs waiting."),
        "job_seconds": .init(.histogram([0.1, 1]), "Time per job."),
    ]

    @Test("counters, gauges and histograms render as Prometheus text with HELP, TYPE and labels in name order")
    func text() {
        let metrics = MetricsRegistry(families: families)
        metrics.count("jobs_total", labels: ["zone": "a", "kind": "x"])
        metrics.count("jobs_total", labels: ["kind": "x", "zone": "a"], by: 2)
        metrics.set("queue_depth", 4)
        metrics.observe("job_seconds", 0.05)
        metrics.observe("job_seconds", 0.5)
        let text = metrics.render()
        #expect(text.contains("# HELP jobs_total Jobs done, by kind.\n# TYPE jobs_total counter\n"))
        #expect(text.contains(#"jobs_total{kind="x",zone="a"} 3"#))
        #expect(text.contains("# TYPE queue_depth gauge") && text.contains("queue_depth 4.0"))
        #expect(text.contains(#"job_seconds_bucket{le="0.1"} 1"#) && text.contains(#"job_seconds_bucket{le="1.0"} 2"#))
        #expect(text.contains("job_seconds_count 2"))
        #expect(metrics.value("jobs_total", labels: ["kind": "x", "zone": "a"]) == 3)
    }

    @Test("a counter set from a total kept elsewhere moves forward by the difference, never back")
    func counterTotals() {
        let metrics = MetricsRegistry(families: families)
        metrics.set("frames_total", 10)
        metrics.set("frames_total", 25)
        metrics.set("frames_total", 5)  // a restarted source: the counter stays
        #expect(metrics.value("frames_total") == 25)
        #expect(metrics.render().contains("frames_total 25"))
    }

    @Test("two registries never share a series")
    func separate() {
        let a = MetricsRegistry(families: families)
        let b = MetricsRegistry(families: families)
        a.count("jobs_total", labels: ["kind": "x"])
        #expect(b.value("jobs_total", labels: ["kind": "x"]) == 0)
        #expect(!b.render().contains("jobs_total{"))
    }
}
