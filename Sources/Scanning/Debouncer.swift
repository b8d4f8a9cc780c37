/// Live video shows the same code in frame after frame: report each code once, and again only after it
/// has been out of view for `holdNanos`.
public struct Debouncer: Sendable {
    public var holdNanos: UInt64
    private var lastSeen: [SymbolIdentity: UInt64] = [:]

    public init(holdSeconds: Double = 2) { holdNanos = UInt64(max(0, holdSeconds) * 1e9) }

    /// Forgets every code: the next sighting of each is new again (the screen became ready for a scan, and a
    /// code held in view while it was busy must now count).
    public mutating func reset() { lastSeen = [:] }

    /// The symbols in this frame that are new, i.e. not seen within the hold time before `time`.
    public mutating func admit(_ symbols: [Symbol], at time: UInt64) -> [Symbol] {
        var fresh: [Symbol] = []
        for symbol in symbols {
            let key = symbol.identity
            if let last = lastSeen[key], time >= last, time - last <= holdNanos {
                lastSeen[key] = time
                continue
            }
            if fresh.contains(where: { $0.identity == key }) { continue }
            lastSeen[key] = time
            fresh.append(symbol)
        }
        if lastSeen.count > 256 { lastSeen = lastSeen.filter { time < $0.value || time - $0.value <= holdNanos } }
        return fresh
    }
}
