import Capture
import Foundation
import Imaging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let loopbackCamera = ProcessInfo.processInfo.environment["FIELDPAY_V4L2_LOOPBACK"]

/// Feeds a v4l2loopback node with one frame at 30 fps on its own thread; `paused` stops the frames (a camera
/// that stalls), `stop()` ends it.
final class LoopbackFeeder: Sendable {
    let running = Atomic<Bool>(true)
    let paused = Atomic<Bool>(false)
    let sent = Atomic<Int>(0)
    let failure = Mutex<String?>(nil)
    let finished = Atomic<Bool>(false)

    init(path: String, frame: Frame) {
        let thread = Thread { [self] in
            defer { finished.store(true, ordering: .releasing) }
            do {
                let output = try V4L2Output(path: path, width: frame.width, height: frame.height)
                while running.load(ordering: .relaxed) {
                    if !paused.load(ordering: .relaxed) {
                        try output.send(frame)
                        sent.add(1, ordering: .relaxed)
                    }
                    usleep(33_000)
                }
                output.close()
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        thread.start()
    }

    /// Stops and waits (up to 5 s) for the node to be closed, so that the next test can open it afresh.
    func stop() {
        running.store(false, ordering: .relaxed)
        for _ in 0..<500 where !finished.load(ordering: .acquiring) { usleep(10_000) }
    }
}

/// `fieldpay run` and `fieldpay doctor` on a real V4L2 camera, inside ../shared/v4l2-rig (make test runs this
/// suite there with the V4L2RigTests filter); skipped elsewhere with the reason.
@Suite(
    "fieldpay run and doctor on real V4L2 (DaemonV4L2RigTests)", .serialized,
    .enabled(if: loopbackCamera != nil, "needs real V4L2 nodes: run inside ../shared/v4l2-rig/run.sh (make test does)"))
struct DaemonV4L2RigTests {
    func folderWithInvoice() throws -> String {
        let folder = NSTemporaryDirectory() + "fieldpay-rig-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid\nINV-2026-004512,01/10/2026,31/10/2026,C1,Rig Stores,1500.00,0\n"
            .write(toFile: folder + "/invoices.csv", atomically: true, encoding: .utf8)
        try """
            [device]
            code = "RIG01"
            [store]
            path = "device.sqlite"
            [upi]
            vpa = "acme@okhdfcbank"
            name = "Acme"
            [camera]
            device = "\(loopbackCamera!)"
            width = 1280
            height = 720
            fps = 30
            [kiosk]
            port = 0
            """.write(toFile: folder + "/device.toml", atomically: true, encoding: .utf8)
        #expect(try fieldpay(["invoices", "import", folder + "/invoices.csv", "--profile", folder + "/device.toml"]).status == 0)
        return folder
    }

    /// The invoice's Code 128 label (760 px wide) on white paper.
    func invoiceFrame(width: Int = 1280, height: Int = 720) throws -> Frame {
        let code = try ImageLoader().load(path: fixturePath("code128-invoice.png"))
        var frame = Frame(width: width, height: height, filledWith: 255)
        let x0 = max(0, (width - code.width) / 2)
        let y0 = (height - code.height) / 2
        for y in 0..<code.height { for x in 0..<min(code.width, width) { frame[x0 + x, y0 + y] = code[x, y] } }
        return frame
    }

    @Test("doctor opens the camera and grabs a frame")
    func doctorCamera() throws {
        let folder = try folderWithInvoice()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let feeder = LoopbackFeeder(path: loopbackCamera!, frame: try invoiceFrame(width: 640, height: 480))
        defer { feeder.stop() }
        for _ in 0..<100 where feeder.sent.load(ordering: .relaxed) == 0 { usleep(50_000) }
        let run = try fieldpay(["doctor", "--profile", folder + "/device.toml", "--camera", loopbackCamera!])
        #expect(run.stdout.contains("ok    camera   \(loopbackCamera!): a 640x480 frame"), "\(run.stdout)\(run.stderr)")
    }

    @Test("the daemon reads the camera: the invoice's QR on the page; a stalled camera is said on the status line, and recovers")
    func daemonOnCamera() async throws {
        let folder = try folderWithInvoice()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let feeder = LoopbackFeeder(path: loopbackCamera!, frame: try invoiceFrame())
        defer { feeder.stop() }
        for _ in 0..<100 where feeder.sent.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        try #require(feeder.failure.withLock { $0 } == nil)

        let daemon = try await DaemonProcess(profile: folder + "/device.toml", urlFile: folder + "/url")
        let base = daemon.url
        func state() throws -> [String: Any] {
            let reply = try rawGet(base + "state")
            return try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] ?? [:]
        }
        func waitFor(_ seconds: Double, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
            var last: [String: Any] = [:]
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                last = (try? state()) ?? [:]
                if condition(last) { return last }
                try await Task.sleep(for: .milliseconds(200))
            }
            return last
        }
        func camera(_ s: [String: Any]) -> (ok: Bool, text: String) {
            let line = s["camera"] as? [String: Any] ?? [:]
            return (line["ok"] as? Bool ?? false, line["text"] as? String ?? "")
        }
        var seen = try await waitFor(30) { ($0["screen"] as? String) == "awaiting" }
        #expect(seen["screen"] as? String == "awaiting", "\(seen)")
        #expect((seen["invoice"] as? [String: Any])?["number"] as? String == "INV-2026-004512")
        #expect(camera(seen).ok, "\(camera(seen).text)")
        #expect(camera(seen).text.hasPrefix("Camera: ready"), "\(camera(seen).text)")

        feeder.paused.store(true, ordering: .relaxed)
        seen = try await waitFor(30) { !camera($0).ok }
        #expect(!camera(seen).ok, "the status line did not say the camera stalled: \(camera(seen).text)")
        feeder.paused.store(false, ordering: .relaxed)
        seen = try await waitFor(60) { camera($0).ok }
        #expect(camera(seen).ok, "the camera did not come back: \(camera(seen).text)")

        #expect(try await daemon.stop() == 0)
    }
}

/// GET `url` (http://127.0.0.1:PORT/PATH) over a plain socket; returns the body.
func rawGet(_ url: String) throws -> String {
    let rest = url.dropFirst("http://127.0.0.1:".count)
    let port = Int(rest.prefix { $0.isNumber }) ?? 0
    let path = "/" + rest.drop { $0.isNumber }.dropFirst()
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
    _ = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        data += buffer[0..<count]
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { return "" }
    return String(text[split.upperBound...])
}
