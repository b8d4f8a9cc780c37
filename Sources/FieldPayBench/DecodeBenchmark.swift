import CZBarBaseline
import Imaging
import Scanning

#if canImport(Glibc)
    import Glibc
#endif

/// `fieldpay-bench decode`: ms per frame through `ZBarDecoder` next to a plain C loop over libzbar on the
/// same frames, in the same run, and resident memory over a long run of decodes. Figures, not verdicts:
/// the machine is shared, so compare the ratios, not the absolute numbers, between runs.
public struct DecodeBenchmark {
    public struct Configuration: Sendable {
        public var iterations = 200
        public var rounds = 5
        public var memoryDecodes = 100_000
        public var fixtures: String
        public init(fixtures: String) { self.fixtures = fixtures }
    }

    public struct Row: Sendable {
        public var frame: String
        public var symbolsPerDecode: Int
        public var swiftMillis: Double
        public var cMillis: Double
        public var overheadPercent: Double { (swiftMillis / cMillis - 1) * 100 }
    }

    public let configuration: Configuration
    let output: (String) -> Void

    public init(configuration: Configuration, output: @escaping (String) -> Void) {
        self.configuration = configuration
        self.output = output
    }

    /// The frames measured: empty paper, one QR code, one Code 128, at 640x480 and 1280x720.
    public func frames() throws -> [(String, Frame)] {
        let loader = ImageLoader()
        let qr = try loader.load(path: configuration.fixtures + "/qr-invoice.png")
        let code128 = try loader.load(path: configuration.fixtures + "/code128-short.png")
        var result: [(String, Frame)] = []
        for (w, h) in [(640, 480), (1280, 720)] {
            result.append(("\(w)x\(h) empty", Self.paper(width: w, height: h)))
            result.append(("\(w)x\(h) QR", Self.paper(width: w, height: h).pasting(qr)))
            result.append(("\(w)x\(h) Code 128", Self.paper(width: w, height: h).pasting(code128)))
        }
        return result
    }

    /// Light paper with faint deterministic texture (±2 grey levels, like a camera's sensor noise), and a
    /// soft shadow across it.
    static func paper(width: Int, height: Int) -> Frame {
        var state: UInt32 = 0x1234_5678
        var pixels = [UInt8](repeating: 0, count: width * height)
        for i in pixels.indices {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            let shade = 30 * (i % width) / width
            pixels[i] = UInt8(200 - shade) + UInt8(state % 5)
        }
        return Frame(width: width, height: height, pixels: pixels)
    }

    public func runSpeed() throws -> [Row] {
        let options = DecoderOptions()
        let decoder = ZBarDecoder(options: DecoderOptions(recycleInterval: Int.max))
        let symbologies = options.symbologies.map(\.zbarTypeValue)
        var rows: [Row] = []
        for (name, frame) in try frames() {
            let expected = decoder.decode(frame).count
            var swiftBest = Double.infinity
            var cBest = Double.infinity
            // Alternate the two in rounds and keep each one's best round: noise from the other core only
            // ever adds time.
            for _ in 0..<configuration.rounds {
                let t0 = Self.now()
                var found = 0
                for _ in 0..<configuration.iterations { found += decoder.decode(frame).count }
                let t1 = Self.now()
                let cFound = frame.pixels.withUnsafeBufferPointer { pixels in
                    symbologies.withUnsafeBufferPointer { list in
                        fp_zbar_baseline_decode(
                            pixels.baseAddress, Int32(frame.width), Int32(frame.height),
                            configuration.iterations, list.baseAddress, Int32(list.count), 1)
                    }
                }
                let t2 = Self.now()
                precondition(found == cFound, "wrapper and C loop disagree on \(name): \(found) vs \(cFound)")
                swiftBest = min(swiftBest, (t1 - t0) / Double(configuration.iterations))
                cBest = min(cBest, (t2 - t1) / Double(configuration.iterations))
            }
            let row = Row(frame: name, symbolsPerDecode: expected, swiftMillis: swiftBest * 1000, cMillis: cBest * 1000)
            output(
                pad(row.frame, 20) + pad("\(row.symbolsPerDecode)", 8) + pad(fmt(row.swiftMillis, 3), 14)
                    + pad(fmt(row.cMillis, 3), 14) + fmt(row.overheadPercent, 1) + "%")
            rows.append(row)
        }
        return rows
    }

    public struct MemoryReport: Sendable {
        public var decodes: Int
        public var startKiB: Int
        public var endKiB: Int
        public var peakKiB: Int
        public var recycles: Int
        public var growthKiB: Int { endKiB - startKiB }
    }

    /// Resident memory across `memoryDecodes` decodes of a small QR frame (QR detection is where zbar's
    /// per-decode allocations are), measured after a warm-up.
    public func runMemory() throws -> MemoryReport {
        let qr = try ImageLoader().load(path: configuration.fixtures + "/qr-invoice.png")
        let frame = Self.paper(width: 320, height: 240).pasting(qr)
        let decoder = ZBarDecoder(options: DecoderOptions(symbologies: [.qr, .code128]))
        for _ in 0..<2_000 { _ = decoder.decode(frame) }
        let start = Self.residentKiB()
        var peak = start
        let step = max(1, configuration.memoryDecodes / 10)
        for i in 1...configuration.memoryDecodes {
            precondition(decoder.decode(frame).count == 1, "the memory frame stopped decoding")
            if i % step == 0 {
                let rss = Self.residentKiB()
                peak = max(peak, rss)
                output(
                    "  \(pad("\(i)", 8)) decodes  RSS \(rss) KiB  (\(rss - start >= 0 ? "+" : "")\(rss - start) KiB)")
            }
        }
        let end = Self.residentKiB()
        return MemoryReport(
            decodes: configuration.memoryDecodes, startKiB: start, endKiB: end, peakKiB: max(peak, end),
            recycles: decoder.recycleCount)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// VmRSS from /proc/self/status, in KiB.
    static func residentKiB() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return -1 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmRSS:") {
                return Int(text.dropFirst(6).filter(\.isNumber)) ?? -1
            }
        }
        return -1
    }
}

public func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

public func fmt(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let have = text.distance(from: dot, to: text.endIndex) - 1
        if have < decimals { text += String(repeating: "0", count: decimals - have) }
    }
    return text
}

extension Frame {
    /// `other` copied into the middle of this frame (clipped to fit).
    func pasting(_ other: Frame) -> Frame {
        var result = self
        let x0 = max(0, (width - other.width) / 2)
        let y0 = max(0, (height - other.height) / 2)
        for y in 0..<min(other.height, height) {
            for x in 0..<min(other.width, width) {
                result[x0 + x, y0 + y] = other[x, y]
            }
        }
        return result
    }
}
