import AsyncHTTPClient
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Hummingbird
import Imaging
import InvoiceImport
import Kiosk
import Logging
import NIOCore
import QRRender
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `fieldpay-bench kiosk`: from a barcode appearing in the camera stream to its UPI QR reaching the page. Frames
/// (paper, then paper with an invoice's QR code) go through the daemon's own scan pipeline into the `Desk`, and
/// a client on the kiosk's real `/events` stream (Hummingbird on 127.0.0.1) notes when the state with that
/// invoice's QR arrives. Latency = arrival − the frame's capture stamp. The page paints on arrival, so this is
/// the path to the screen short of the browser's own paint.
public struct KioskBenchmark {
    public struct Row: Sendable {
        public var size: String
        public var scans: Int
        public var p50: Double
        public var p99: Double
        public var max: Double
        public var eventBytes: Int
    }

    public let scans: Int
    /// Each code comes after 2.2 s of paper, so the scanner is at its idle rate (every `idle_every`-th frame)
    /// when it appears; otherwise after 0.1 s.
    public let afterIdle: Bool

    public init(scans: Int = 60, afterIdle: Bool = false) {
        self.scans = scans
        self.afterIdle = afterIdle
    }

    public func run(width: Int, height: Int) async throws -> Row {
        let folder = NSTemporaryDirectory() + "fieldpay-kiosk-bench-\(getpid())-\(width)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var csv = "invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid\n"
        for n in 0..<scans { csv += "INV/B/\(String(format: "%06d", n)),01/10/2026,31/10/2026,C\(n % 50),Customer \(n % 50),\(1000 + n).50,0\n" }
        try csv.write(toFile: folder + "/invoices.csv", atomically: true, encoding: .utf8)
        try """
            [device]
            code = "BENCH1"
            [store]
            path = "device.sqlite"
            [upi]
            vpa = "acme@okhdfcbank"
            name = "Acme"
            """.write(toFile: folder + "/device.toml", atomically: true, encoding: .utf8)
        let profile = try DeviceProfile.load(path: folder + "/device.toml")
        let database = try AppDatabase(path: profile.databasePath)
        _ = try database.importInvoices(from: InvoiceFileReader(path: folder + "/invoices.csv"))
        let metrics = DeviceMetrics()
        let desk = try Desk(profile: profile, database: database, metrics: metrics)

        // The frames, made before the clock starts: paper, and paper with each invoice's QR (as printed labels are).
        let paper = DecodeBenchmark.paper(width: width, height: height)
        var framesWithCode: [Frame] = []
        for n in 0..<scans {
            let code = try QRCode("https://acme.example/pay?invoice=INV/B/\(String(format: "%06d", n))", correction: .medium)
            let module = max(3, min(width, height) / 4 / (code.size + 8))
            let (side, pixels) = code.bitmap(moduleSize: module)
            var frame = paper
            let x0 = (width - side) / 2 + (n % 7) * 5 - 15
            let y0 = (height - side) / 2
            for y in 0..<side { for x in 0..<side { frame[x0 + x, y0 + y] = pixels[y * side + x] } }
            framesWithCode.append(frame)
        }

        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: buildKioskRouter(desk: desk, metrics: metrics),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bench"),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
            logger: {
                var logger = Logger(label: "bench")
                logger.logLevel = .critical
                return logger
            }())
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var port = 0
        for await value in ports {
            port = value
            break
        }

        // The page: one SSE client; notes when each invoice's QR state arrives.
        let arrivals = Mutex<[String: UInt64]>([:])
        let eventBytes = Atomic<Int>(0)
        let reader = Task {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3600))
            var pending = ""
            for try await chunk in response.body {
                let now = monotonicNanos()
                pending += String(buffer: chunk)
                while let end = pending.range(of: "\n\n") {
                    let block = pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    guard let line = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }),
                        let state = try? JSONDecoder().decode(KioskState.self, from: Data(line.dropFirst(6).utf8))
                    else { continue }
                    if state.screen == "awaiting", let number = state.invoice?.number {
                        eventBytes.store(line.utf8.count, ordering: .relaxed)
                        arrivals.withLock { if $0[number] == nil { $0[number] = now } }
                    }
                }
            }
        }
        defer { reader.cancel() }

        var pipeline = ScanPipeline(holdSeconds: 2, metrics: metrics, idleEvery: DaemonSettings().idleEvery)
        var latencies: [Double] = []
        let period: UInt64 = 33_333_333  // 30 fps
        for n in 0..<scans {
            let number = "INV/B/\(String(format: "%06d", n))"
            // A few frames of bare paper, then the code comes into view and stays until its QR is on the page.
            for _ in 0..<(afterIdle ? 66 : 3) {
                var frame = paper
                frame.timestampNanos = monotonicNanos()
                let fresh = pipeline.process(frame)
                if !fresh.isEmpty { await desk.scanned(fresh) }
                try await Task.sleep(for: .nanoseconds(Int(period)))
            }
            var appeared: UInt64?
            let deadline = monotonicNanos() + 5_000_000_000
            while monotonicNanos() < deadline {
                var frame = framesWithCode[n]
                frame.timestampNanos = monotonicNanos()
                if appeared == nil { appeared = frame.timestampNanos }
                let fresh = pipeline.process(frame)
                if !fresh.isEmpty { await desk.scanned(fresh) }
                if let arrived = arrivals.withLock({ $0[number] }) {
                    latencies.append(Double(arrived - appeared!) / 1e6)
                    break
                }
                let next = frame.timestampNanos + period
                while monotonicNanos() < next {
                    if let arrived = arrivals.withLock({ $0[number] }) {
                        latencies.append(Double(arrived - appeared!) / 1e6)
                        break
                    }
                    try await Task.sleep(for: .microseconds(200))
                }
                if arrivals.withLock({ $0[number] }) != nil { break }
            }
            await desk.act(.cancel)
        }
        latencies.sort()

        return Row(
            size: "\(width)x\(height)" + (afterIdle ? " idle" : ""), scans: latencies.count, p50: percentile(latencies, 0.5, empty: .nan), p99: percentile(latencies, 0.99, empty: .nan), max: latencies.last ?? .nan,
            eventBytes: eventBytes.load(ordering: .relaxed))
    }
}
