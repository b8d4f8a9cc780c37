/// The `p`-quantile of `values` by nearest rank (the value at index ⌊n·p⌋ of the sorted list, the largest for
/// p = 1): every benchmark's p50 and p99. `empty` is the answer for no values.
public func percentile(_ values: [Double], _ p: Double, empty: Double = 0) -> Double {
    guard !values.isEmpty else { return empty }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// The same over integer samples (nanoseconds, say), as a `Double` in their unit.
public func percentile(_ values: [UInt64], _ p: Double, empty: Double = 0) -> Double {
    percentile(values.map(Double.init), p, empty: empty)
}
