import AsyncHTTPClient
import FieldPayCore
import Foundation
import Imaging
import NIOCore
import QRRender
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `fieldpay-bench daemon`: the real `fieldpay run` process on replayed 1280x720 frames at 15 fps, watched from
/// outside through /proc. First its CPU at idle (the camera running, nothing in view); then a soak: a code
/// comes into view every few seconds, a page stays connected to `/events`, and each QR is paid ₹1 in cash
/// through the page's API (a ledger write, a receipt, an upload to the demo hub) — its RSS sampled throughout.
public struct DaemonSoak {
    public struct Sample: Sendable {
        public var seconds: Double
        public var rssMB: Double
        public var cpuPercent: Double
    }

    public struct Report: Sendable {
        public var idleCPUPercent: Double
        public var samples: [Sample]
        public var payments: Int
    }

    public let binary: String
    public let minutes: Double
    public let idleSeconds: Double
    let width = 1280
    let height = 720
    let fps = 15

    public init(binary: String, minutes: Double, idleSeconds: Double = 60) {
        self.binary = binary
        self.minutes = minutes
        self.idleSeconds = idleSeconds
    }

    func writeVideo(to path: String, withCode: Bool) throws {
        let paper = DecodeBenchmark.paper(width: width, height: height)
        var marked = paper
        if withCode {
            let code = try QRCode("https://acme.example/pay?invoice=INV/SOAK/000001", correction: .medium)
            let (side, pixels) = code.bitmap(moduleSize: 8)
            let x0 = (width - side) / 2
            let y0 = (height - side) / 2
            for y in 0..<side { for x in 0..<side { marked[x0 + x, y0 + y] = pixels[y * side + x] } }
        }
        guard let file = fopen(path, "wb") else { throw SoakError("\(path): cannot write") }
        defer { fclose(file) }
        fputs("YUV4MPEG2 W\(width) H\(height) F\(fps):1 Ip A1:1 Cmono\n", file)
        // 4 s of paper, then (for the soak) 4 s with the code in view.
        for n in 0..<(withCode ? 8 : 2) * fps {
            let frame = n < 4 * fps ? paper : marked
            fputs("FRAME\n", file)
            _ = frame.pixels.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        }
    }

    public func run(progress: (String) -> Void) async throws -> Report {
        let folder = NSTemporaryDirectory() + "fieldpay-soak-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid\nINV/SOAK/000001,01/10/2026,31/10/2026,C1,Soak Stores,99999.00,0\n"
            .write(toFile: folder + "/invoices.csv", atomically: true, encoding: .utf8)
        try writeVideo(to: folder + "/idle.y4m", withCode: false)
        try writeVideo(to: folder + "/soak.y4m", withCode: true)

        func profile(_ video: String) throws -> String {
            let path = folder + "/\(video).toml"
            try """
                [device]
                code = "SOAK01"
                [store]
                path = "device.sqlite"
                [upi]
                vpa = "acme@okhdfcbank"
                name = "Acme"
                [camera]
                replay = "\(video).y4m"
                replay_fps = \(fps)
                [kiosk]
                port = 0
                qr_seconds = 20
                display_seconds = 2
                [hub]
                sync_seconds = 10
                [demo]
                invoices = "invoices.csv"
                leave_unpaid_every = 1
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        // Idle: frames flowing, nothing to find.
        let idle = try Daemon(binary: binary, profile: try profile("idle"), urlFile: folder + "/idle.url")
        _ = try await idle.waitForURL()
        try await Task.sleep(for: .seconds(3))  // past start-up
        let cpu0 = idle.cpuSeconds()
        let wall0 = monotonicNanos()
        try await Task.sleep(for: .seconds(idleSeconds))
        let idleCPU = (idle.cpuSeconds() - cpu0) / (Double(monotonicNanos() - wall0) / 1e9) * 100
        progress("idle: \(String(format: "%.1f", idleCPU)) % of one core with 1280x720 frames at \(fps) fps and nothing in view")
        idle.stop()

        // Soak.
        let soak = try Daemon(binary: binary, profile: try profile("soak"), urlFile: folder + "/soak.url")
        defer { soak.stop() }
        let url = try await soak.waitForURL()
        let payments = Atomic<Int>(0)
        // The page: connected to /events throughout; pays each QR ₹1 in cash the moment it shows.
        let page = Task {
            var request = HTTPClientRequest(url: url + "events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(86_400))
            var pending = ""
            for try await chunk in response.body {
                pending += String(buffer: chunk)
                while let end = pending.range(of: "\n\n") {
                    let block = String(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    guard block.contains(#""screen":"awaiting""#) else { continue }
                    var post = HTTPClientRequest(url: url + "actions/cash")
                    post.method = .POST
                    post.headers.add(name: "Content-Type", value: "application/json")
                    post.body = .bytes(ByteBuffer(string: #"{"amount": "1.00"}"#))
                    let answer = try await HTTPClient.shared.execute(post, timeout: .seconds(10))
                    _ = try await answer.body.collect(upTo: 1 << 20)
                    if answer.status == .ok { payments.add(1, ordering: .relaxed) }
                }
            }
        }
        defer { page.cancel() }
        var samples: [Sample] = []
        let start = monotonicNanos()
        var lastCPU = soak.cpuSeconds()
        var lastWall = start
        let end = start + UInt64(minutes * 60e9)
        var nextReport = start + 60_000_000_000
        while monotonicNanos() < end {
            try await Task.sleep(for: .seconds(10))
            let now = monotonicNanos()
            let cpu = soak.cpuSeconds()
            samples.append(
                Sample(
                    seconds: Double(now - start) / 1e9, rssMB: soak.rssMB(),
                    cpuPercent: (cpu - lastCPU) / (Double(now - lastWall) / 1e9) * 100))
            lastCPU = cpu
            lastWall = now
            if now >= nextReport {
                nextReport += 60_000_000_000
                let s = samples.last!
                progress(
                    String(format: "%5.1f min: RSS %.1f MB, CPU %.1f %%, %d cash payments", s.seconds / 60, s.rssMB, s.cpuPercent, payments.load(ordering: .relaxed)))
            }
            guard soak.process.isRunning else { throw SoakError("the daemon exited during the soak") }
        }
        return Report(idleCPUPercent: idleCPU, samples: samples, payments: payments.load(ordering: .relaxed))
    }

    /// One `fieldpay run` child process.
    final class Daemon {
        let process = Process()
        let urlFile: String

        init(binary: String, profile: String, urlFile: String) throws {
            self.urlFile = urlFile
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["run", "--profile", profile, "--url-file", urlFile, "--log-level", "warning"]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
        }

        func waitForURL() async throws -> String {
            for _ in 0..<300 {
                if let url = try? String(contentsOfFile: urlFile, encoding: .utf8) { return url }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw SoakError("fieldpay run did not serve its page within 30 s")
        }

        /// utime + stime from /proc/PID/stat.
        func cpuSeconds() -> Double {
            guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return 0 }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // After the command: state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12 here.
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        func rssMB() -> Double {
            guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return 0 }
            for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                return (Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0) / 1024
            }
            return 0
        }

        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }
}

struct SoakError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
