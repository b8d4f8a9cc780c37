import Foundation
import Imaging
import Synchronization
import Testing

@testable import Capture

/// A scripted device: each `next` consumes one step. Records every call so tests can check what the
/// camera did to the device, in order.
final class FakeDevice: CameraDevice, @unchecked Sendable {
    // Driven only by the camera's run loop on one thread; `calls` is read after the loop ends.
    enum Step {
        case frame
        case silence  // no frame within the poll timeout
        case fail(Int32)  // next() throws with this errno
    }

    let path = "/dev/fake0"
    var script: [Step]
    var openFailures: [Int32]
    var startFailures: [Int32] = []
    var calls: [String] = []
    var frameNumber: UInt64 = 0
    /// How long producing a frame takes (a real camera delivers one every 33 ms at 30 fps).
    var frameDelayMicros: UInt32 = 0
    var onExhausted: () -> Void = {}

    init(script: [Step], openFailures: [Int32] = []) {
        self.script = script
        self.openFailures = openFailures
    }

    func open() throws(CaptureError) {
        calls.append("open")
        if !openFailures.isEmpty {
            throw CaptureError.from(errno: openFailures.removeFirst(), call: "open", path: path)
        }
    }

    func configure(_ request: CaptureRequest) throws(CaptureError) -> NegotiatedFormat {
        calls.append("configure")
        return NegotiatedFormat(pixelFormat: .grey, width: 8, height: 8, bytesPerLine: 8, framesPerSecond: 30)
    }

    func start(bufferCount: Int) throws(CaptureError) {
        calls.append("start")
        if !startFailures.isEmpty {
            throw CaptureError.from(errno: startFailures.removeFirst(), call: "VIDIOC_REQBUFS", path: path)
        }
    }

    func next(timeoutMillis: Int32) throws(CaptureError) -> Frame? {
        guard !script.isEmpty else {
            onExhausted()
            usleep(UInt32(timeoutMillis) * 1_000)
            return nil
        }
        switch script.removeFirst() {
        case .frame:
            if frameDelayMicros > 0 { usleep(frameDelayMicros) }
            frameNumber += 1
            return Frame(width: 8, height: 8, pixels: [UInt8](repeating: 0, count: 64), timestampNanos: frameNumber)
        case .silence:
            usleep(UInt32(timeoutMillis) * 1_000)
            return nil
        case .fail(let err):
            throw CaptureError.from(errno: err, call: "VIDIOC_DQBUF", path: path)
        }
    }

    func stop() { calls.append("stop") }
    func close() { calls.append("close") }
}

/// Fast timing so the watchdog and backoff act within milliseconds.
let quick = CameraTiming(
    watchdogMillis: 30, restartsBeforeReopen: 1, backoffStartMillis: 5, backoffMaxMillis: 20, pollMillis: 5)

/// Runs the camera until the script is used up, then stops it; returns the frames it delivered.
func drive(_ camera: Camera<FakeDevice>, _ device: FakeDevice) throws(CaptureError) -> [Frame] {
    device.onExhausted = { camera.stop() }
    var frames: [Frame] = []
    try camera.run { frames.append($0) }
    return frames
}

final class EventRecorder: Sendable {
    let events = Mutex<[String]>([])
    func record(_ event: CameraEvent) {
        let text: String
        switch event {
        case .state(let s): text = s.rawValue
        case .configured: text = "configured"
        case .stalled: text = "stalled"
        case .lost: text = "lost"
        case .reconnectFailed: text = "reconnect-failed"
        case .reconnected: text = "reconnected"
        }
        events.withLock { $0.append(text) }
    }
    var list: [String] { events.withLock { $0 } }
}

@Suite("Camera state machine (fake device)")
struct CameraStateTests {
    @Test("open, configure, stream: states in order, frames delivered, device closed at the end")
    func happyPath() throws {
        let device = FakeDevice(script: [.frame, .frame, .frame])
        let recorder = EventRecorder()
        let camera = Camera(device: device, timing: quick, onEvent: recorder.record)
        #expect(camera.state == .closed)
        let frames = try drive(camera, device)
        #expect(frames.map(\.timestampNanos) == [1, 2, 3])
        #expect(recorder.list == ["opened", "configured", "streaming", "closed"])
        #expect(device.calls.prefix(3) == ["open", "configure", "start"])
        #expect(device.calls.last == "close")
        #expect(camera.state == .closed)
        #expect(camera.format?.pixelFormat == .grey)
    }

    @Test("the watchdog restarts a silent stream in place, then reopens when restarts do not help")
    func watchdog() throws {
        let silence = [FakeDevice.Step](repeating: .silence, count: 8)  // 8 × 5 ms > 30 ms
        let device = FakeDevice(script: [.frame] + silence + [.frame] + silence + silence + [.frame])
        let recorder = EventRecorder()
        let camera = Camera(device: device, timing: quick, onEvent: recorder.record)
        let frames = try drive(camera, device)
        #expect(frames.count == 3)
        #expect(camera.stats.streamRestarts >= 3)
        #expect(recorder.list.contains("stalled"))
        // First stall: stop + start in place. Repeated stall: close and open again.
        let afterFirst = Array(device.calls.dropFirst(3))
        #expect(afterFirst.starts(with: ["stop", "start"]), "\(device.calls)")
        #expect(device.calls.filter { $0 == "open" }.count >= 2, "\(device.calls)")
    }

    @Test("a restart the driver refuses (EBUSY) falls back to reopening the device")
    func refusedRestart() throws {
        let silence = [FakeDevice.Step](repeating: .silence, count: 8)
        let device = FakeDevice(script: [.frame] + silence + [.frame])
        device.startFailures = []
        let camera = Camera(device: device, timing: quick)
        device.onExhausted = { camera.stop() }
        var frames = 0
        // Make the in-place restart fail once.
        var armed = false
        try camera.run { _ in
            frames += 1
            if !armed {
                armed = true
                device.startFailures = [EBUSY]
            }
        }
        #expect(frames == 2)
        #expect(device.calls.contains("close") && device.calls.filter { $0 == "open" }.count == 2, "\(device.calls)")
    }

    @Test("an unplugged device (ENODEV) is lost, retried with backoff until it returns, then streams again")
    func reconnect() throws {
        let device = FakeDevice(script: [.frame, .fail(ENODEV), .frame, .frame])
        let recorder = EventRecorder()
        let camera = Camera(device: device, timing: quick, onEvent: recorder.record)
        // After the loss, the first two reopen attempts find nothing.
        var lossSeen = false
        device.onExhausted = { camera.stop() }
        var frames: [Frame] = []
        try camera.run { frame in
            frames.append(frame)
            if !lossSeen {
                lossSeen = true
                device.openFailures = [ENOENT, ENOENT]
            }
        }
        #expect(frames.count == 3)
        #expect(camera.stats.reconnects == 1)
        let list = recorder.list
        #expect(list.contains("lost") && list.contains("reconnected"))
        #expect(list.filter { $0 == "reconnect-failed" }.count == 2, "\(list)")
    }

    @Test("without reconnection a lost device ends capture with its error")
    func noReconnect() {
        let device = FakeDevice(script: [.frame, .fail(ENODEV)])
        let camera = Camera(device: device, timing: quick, reconnect: false)
        do {
            _ = try drive(camera, device)
            Issue.record("expected deviceLost")
        } catch {
            #expect(error.code == .deviceLost)
            #expect(error.call == "VIDIOC_DQBUF")
        }
        #expect(device.calls.last == "close")
    }

    @Test("a device that cannot be opened at the start fails at once, with the reason (no retry loop)")
    func firstOpenFails() {
        for (err, code) in [(ENOENT, CaptureError.Code.notFound), (EACCES, .permissionDenied), (EBUSY, .busy)] {
            let device = FakeDevice(script: [.frame], openFailures: [err])
            let camera = Camera(device: device, timing: quick)
            do {
                _ = try drive(camera, device)
                Issue.record("expected \(code)")
            } catch {
                #expect(error.code == code)
                #expect(error.message.contains("/dev/fake0"))
            }
            #expect(device.calls == ["open", "close"])
        }
    }

    @Test(
        "stop() ends a stream of frames promptly, and the stream counts frames a slow consumer dropped",
        .timeLimit(.minutes(1)))
    func streamDropsAndStops() async throws {
        // Up to 200 s of frames: the consumer's stop at 20 is what ends it, however slow a loaded machine makes
        // the consumer (the suite's time limit bounds it).
        let device = FakeDevice(script: [FakeDevice.Step](repeating: .frame, count: 200_000))
        device.frameDelayMicros = 1_000
        let camera = Camera(device: device, timing: quick)
        device.onExhausted = { camera.stop() }
        var received = 0
        for try await _ in camera.frames() {
            received += 1
            try await Task.sleep(for: .milliseconds(4))  // slower than the fake's 1 ms a frame
            if received == 20 { camera.stop() }
        }
        #expect(received >= 20)
        let stats = camera.stats
        #expect(stats.framesDropped > 0)
        #expect(stats.framesCaptured >= received)
        #expect(camera.state == .closed)
    }
}

@Suite("V4L2Device without hardware")
struct V4L2DeviceTests {
    @Test("calls in the wrong state are refused, not sent to a driver")
    func wrongState() {
        let device = V4L2Device(path: "/dev/null")
        #expect(throws: CaptureError(.wrongState, "/dev/null: start() before configure()")) {
            try device.start(bufferCount: 4)
        }
        #expect(throws: CaptureError.self) { _ = try device.next(timeoutMillis: 1) }
    }

    @Test("a missing node is reported as not found, naming the path and the call")
    func missing() {
        let device = V4L2Device(path: "/dev/video-does-not-exist")
        do {
            try device.open()
            Issue.record("opened a missing device")
        } catch {
            #expect(error.code == .notFound && error.call == "open")
            #expect(error.message == "/dev/video-does-not-exist: no such device")
        }
    }

    @Test("a file that is not a V4L2 node is refused by name")
    func notV4L2() {
        let device = V4L2Device(path: "/dev/null")
        defer { device.close() }
        do {
            try device.open()
            _ = try device.info()
            Issue.record("/dev/null was taken for a V4L2 device")
        } catch {
            #expect(error.code == .notCaptureDevice)
            #expect(error.message == "/dev/null is not a V4L2 video device")
        }
    }

    @Test("nearest size: the offered size closest in area, a range clamps, nothing offered keeps the request")
    func nearest() {
        let offered = [(320, 240), (640, 480), (1280, 720), (1920, 1080)].map {
            SizeInfo(width: $0.0, height: $0.1, framesPerSecond: [30])
        }
        #expect(V4L2Device.nearest(offered, to: CaptureRequest(width: 1280, height: 720)) == (1280, 720))
        #expect(V4L2Device.nearest(offered, to: CaptureRequest(width: 1024, height: 768)) == (1280, 720))
        #expect(V4L2Device.nearest(offered, to: CaptureRequest(width: 600, height: 400)) == (640, 480))
        let range = [SizeInfo(width: 48, height: 32, maxWidth: 1920, maxHeight: 1080, framesPerSecond: [])]
        #expect(V4L2Device.nearest(range, to: CaptureRequest(width: 4000, height: 20)) == (1920, 32))
        #expect(V4L2Device.nearest([], to: CaptureRequest(width: 800, height: 600)) == (800, 600))
    }
}

@Suite("Pixel formats")
struct PixelFormatTests {
    @Test("fourcc names round-trip")
    func names() {
        #expect(PixelFormat(name: "YUYV") == .yuyv)
        #expect(PixelFormat.grey.description == "GREY")
        #expect(PixelFormat(name: "TOOLONG") == nil)
    }

    @Test("luma comes out of YUYV and UYVY rows, padding skipped")
    func packedYUV() {
        // 2x2 pixels, 6 bytes a row (2 of padding): Y0 U Y1 V
        let yuyv: [UInt8] = [10, 128, 20, 128, 0, 0, 30, 128, 40, 128, 0, 0]
        let uyvy: [UInt8] = [128, 10, 128, 20, 0, 0, 128, 30, 128, 40, 0, 0]
        for (format, bytes) in [(PixelFormat.yuyv, yuyv), (.uyvy, uyvy)] {
            var out = [UInt8](repeating: 0, count: 4)
            let ok = bytes.withUnsafeBytes { raw in
                out.withUnsafeMutableBufferPointer {
                    format.extractLuma(from: raw, width: 2, height: 2, bytesPerLine: 6, into: $0)
                }
            }
            #expect(ok && out == [10, 20, 30, 40], "\(format)")
        }
    }

    @Test("a short buffer is refused rather than read past")
    func shortBuffer() {
        var out = [UInt8](repeating: 0, count: 16)
        let bytes = [UInt8](repeating: 1, count: 10)
        let ok = bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer {
                PixelFormat.grey.extractLuma(from: raw, width: 4, height: 4, bytesPerLine: 4, into: $0)
            }
        }
        #expect(!ok)
    }
}
