import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Nanoseconds on the monotonic clock (the clock V4L2 stamps frames with): for frame timestamps,
/// latencies and durations, never for wall-clock time.
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

extension Date {
    /// Wall-clock milliseconds since 1970, as the databases and the wire store times.
    public var millisecondsSince1970: Int64 { Int64(timeIntervalSince1970 * 1000) }
}
