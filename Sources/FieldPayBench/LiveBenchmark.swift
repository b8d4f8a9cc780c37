import Capture
import FieldPayCore
import Imaging
import Scanning

#if canImport(Glibc)
    import Glibc
#endif

/// `fieldpay-bench live`: replayed video at 30 fps through the live path (ReplaySource → newest-frame
/// stream → cheap ZBarDecoder pass → debouncer), as `fieldpay scan --replay` runs it. Reports frames
/// decoded per second, frames dropped, decode CPU per frame, and the latency from a frame's capture
/// timestamp to its code being ready to print (p50/p99).
public struct LiveBenchmark {
    public struct Row: Sendable {
        public var size: String
        public var replayed: Int
        public var decoded: Int
        public var dropped: Int
        public var seconds: Double
        public var cpuMillisPerFrame: Double
        public var latencyP50: Double
        public var latencyP99: Double
        public var codes: Int
    }

    public let fixtures: String
    public let seconds: Double
    public let framesPerSecond: Double

    public init(fixtures: String, seconds: Double = 10, framesPerSecond: Double = 30) {
        self.fixtures = fixtures
        self.seconds = seconds
        self.framesPerSecond = framesPerSecond
    }

    /// A video in which a QR code drifts across paper, leaves view and comes back: the scan a rep makes.
    func writeVideo(width: Int, height: Int, to path: String) throws {
        let qr = try ImageLoader().load(path: fixtures + "/qr-invoice.png")
        let count = Int(seconds * framesPerSecond)
        guard let file = fopen(path, "wb") else { throw CaptureError(.badReplay, "\(path): cannot write") }
        defer { fclose(file) }
        let header = "YUV4MPEG2 W\(width) H\(height) F\(Int(framesPerSecond)):1 Ip A1:1 Cmono\n"
        fputs(header, file)
        let paper = DecodeBenchmark.paper(width: width, height: height)
        for n in 0..<count {
            var frame = paper
            // In view for 2 s, out for 1 s.
            if n % Int(3 * framesPerSecond) < Int(2 * framesPerSecond) {
                let x0 = (width - qr.width) / 4 + (n % 60) * 2
                let y0 = (height - qr.height) / 2
                for y in 0..<qr.height { for x in 0..<qr.width { frame[x0 + x, y0 + y] = qr[x, y] } }
            }
            fputs("FRAME\n", file)
            _ = frame.pixels.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        }
    }

    public func run(width: Int, height: Int) async throws -> Row {
        let path = "/tmp/fieldpay-bench-\(getpid())-\(width)x\(height).y4m"
        try writeVideo(width: width, height: height, to: path)
        defer { unlink(path) }
        let source = try ReplaySource(path: path, framesPerSecond: framesPerSecond)
        let decoder = ZBarDecoder()
        var debouncer = Debouncer(holdSeconds: 0.5)
        var latencies: [Double] = []
        var cpuNanos: UInt64 = 0
        var decoded = 0
        var codes = 0
        let start = monotonicNanos()
        for try await frame in source.frames() {
            let cpu0 = threadCPUNanos()
            let symbols = decoder.decode(frame)
            cpuNanos += threadCPUNanos() - cpu0
            decoded += 1
            if !symbols.isEmpty {
                latencies.append(Double(monotonicNanos() - frame.timestampNanos) / 1e6)
                codes += debouncer.admit(symbols, at: frame.timestampNanos).count
            }
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        let stats = source.stats
        return Row(
            size: "\(width)x\(height)", replayed: stats.framesCaptured, decoded: decoded, dropped: stats.framesDropped,
            seconds: elapsed, cpuMillisPerFrame: Double(cpuNanos) / Double(max(decoded, 1)) / 1e6,
            latencyP50: percentile(latencies, 0.5), latencyP99: percentile(latencies, 0.99), codes: codes)
    }
}

/// CPU time of the calling thread (the decode cost without waiting).
func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
