import Foundation
import Imaging
import Scanning
import Synchronization
import Testing

@testable import Capture

/// Real V4L2 devices, inside `../shared/v4l2-rig/run.sh` (qemu with vivid and v4l2loopback). `make test`
/// runs this suite there; anywhere else it is skipped with the reason, never passed silently.
let rig = ProcessInfo.processInfo.environment
let loopbackNode = rig["FIELDPAY_V4L2_LOOPBACK"]
let vividCapture = rig["FIELDPAY_V4L2_VIVID"]
let vividOutput = rig["FIELDPAY_V4L2_VIVID_OUTPUT"]
let vividLooped = rig["FIELDPAY_V4L2_VIVID_LOOP"] == "1"
let inRig = loopbackNode != nil && vividCapture != nil

let scanningFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("ScanningTests/Fixtures")

/// A white 640x480 frame with the fixture's code in the middle.
func barcodeFrame(_ name: String, width: Int = 640, height: Int = 480) throws -> Frame {
    let code = try ImageLoader().load(path: scanningFixtures.appendingPathComponent(name).path)
    var frame = Frame(width: width, height: height, filledWith: 255)
    let x0 = max(0, (width - code.width) / 2)
    let y0 = max(0, (height - code.height) / 2)
    for y in 0..<min(code.height, height) { for x in 0..<min(code.width, width) { frame[x0 + x, y0 + y] = code[x, y] } }
    return frame
}

/// Feeds an output node from its own thread until stopped; `pause` makes it stop sending for a while.
final class Producer: @unchecked Sendable {
    // `output` is used only on the producer thread; the flags are atomics.
    private let running = Atomic<Bool>(true)
    private let paused = Atomic<Bool>(false)
    let sent = Atomic<Int>(0)
    private let finished = Mutex<Bool>(false)
    let ready = DispatchSemaphore(value: 0)
    let failure = Mutex<String?>(nil)

    init(path: String, frame: Frame, framesPerSecond: Double = 60) {
        let thread = Thread { [self] in
            defer { finished.withLock { $0 = true } }
            do {
                let output = try V4L2Output(path: path, width: frame.width, height: frame.height)
                try output.send(frame)
                sent.add(1, ordering: .relaxed)
                ready.signal()
                while running.load(ordering: .relaxed) {
                    if !paused.load(ordering: .relaxed) {
                        try output.send(frame)
                        sent.add(1, ordering: .relaxed)
                    }
                    usleep(UInt32(1e6 / framesPerSecond))
                }
                output.close()
            } catch {
                failure.withLock { $0 = "\(error)" }
                ready.signal()
            }
        }
        thread.start()
    }

    func pause(_ on: Bool) { paused.store(on, ordering: .relaxed) }
    func stop() {
        running.store(false, ordering: .relaxed)
        for _ in 0..<200 where !finished.withLock({ $0 }) { usleep(10_000) }
    }
}

/// Runs a camera on its own thread, collecting events, until `stop()`.
final class CameraRun<Device: CameraDevice>: @unchecked Sendable {
    // `camera.run` owns the device on the runner thread; everything read from outside is behind a Mutex.
    let camera: Camera<Device>
    let log = EventLog()
    func eventList() -> [String] { log.entries.withLock { $0 } }
    let decoded = Mutex<[String]>([])
    let error = Mutex<CaptureError?>(nil)
    let frames = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    init(device: Device, request: CaptureRequest, timing: CameraTiming, decodeEvery: Int = 1) {
        let log = self.log
        camera = Camera(device: device, request: request, timing: timing) { event in
            log.entries.withLock { $0.append("\(event)") }
        }
        let thread = Thread { [self] in
            let decoder = ZBarDecoder(options: DecoderOptions(symbologies: [.qr, .code128]))
            do {
                try camera.run { frame in
                    let n = frames.add(1, ordering: .relaxed).newValue
                    if n % decodeEvery == 0 {
                        let texts = decoder.decode(frame).map(\.text)
                        if !texts.isEmpty { decoded.withLock { $0.append(contentsOf: texts) } }
                    }
                }
            } catch let failure as CaptureError {
                error.withLock { $0 = failure }
            } catch {
                Issue.record("unexpected error \(error)")
            }
            done.signal()
        }
        thread.start()
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    func stop() -> Bool {
        camera.stop()
        return done.wait(timeout: .now() + 10) == .success
    }
}

final class EventLog: Sendable {
    let entries = Mutex<[String]>([])
}

func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.filter(\.isNumber)) ?? -1
}

@Suite(
    "V4L2 in the rig", .serialized,
    .enabled(if: inRig, "needs real V4L2 nodes: run inside ../shared/v4l2-rig/run.sh (make test does)"))
struct V4L2RigTests {
    let grey640 = CaptureRequest(width: 640, height: 480, framesPerSecond: 30, formats: [.grey])

    @Test("a QR frame written into v4l2loopback comes out of V4L2Camera decoded")
    func loopbackRoundTrip() throws {
        let producer = Producer(path: loopbackNode!, frame: try barcodeFrame("qr-invoice.png"))
        defer { producer.stop() }
        #expect(producer.ready.wait(timeout: .now() + 10) == .success)
        try #require(producer.failure.withLock { $0 } == nil, "producer: \(producer.failure.withLock { $0 } ?? "")")
        let run = CameraRun(device: V4L2Device(path: loopbackNode!), request: grey640, timing: CameraTiming())
        let found = run.wait(seconds: 60) { run.decoded.withLock { $0.contains("INV/2026-27/004512") } }
        #expect(run.stop())
        #expect(found, "events: \(run.eventList()), error: \(String(describing: run.error.withLock { $0 }))")
        #expect(
            run.camera.format
                == NegotiatedFormat(
                    pixelFormat: .grey, width: 640, height: 480, bytesPerLine: 640,
                    framesPerSecond: run.camera.format?.framesPerSecond))
        #expect(run.camera.state == .closed)
    }

    @Test(
        "a Code 128 frame sent through vivid's output→capture loop is decoded",
        .enabled(if: vividLooped, "the rig's vivid loop setup failed"))
    func vividLoop() throws {
        let producer = Producer(path: vividOutput!, frame: try barcodeFrame("code128-short.png"), framesPerSecond: 30)
        defer { producer.stop() }
        #expect(producer.ready.wait(timeout: .now() + 10) == .success)
        try #require(producer.failure.withLock { $0 } == nil, "producer: \(producer.failure.withLock { $0 } ?? "")")
        let run = CameraRun(device: V4L2Device(path: vividCapture!), request: grey640, timing: CameraTiming())
        let found = run.wait(seconds: 60) { run.decoded.withLock { $0.contains("INV-4512") } }
        #expect(run.stop())
        #expect(found, "events: \(run.eventList()), error: \(String(describing: run.error.withLock { $0 }))")
    }

    @Test("format negotiation against what vivid offers")
    func negotiation() throws {
        let device = V4L2Device(path: vividCapture!)
        defer { device.close() }
        try device.open()
        let offered = try device.formats()
        #expect(offered.contains { $0.fourcc == "GREY" } && offered.contains { $0.fourcc == "YUYV" })
        // Default preference: GREY first.
        #expect(try device.configure(CaptureRequest(width: 640, height: 480)).pixelFormat == .grey)
        // A camera without GREY: YUYV is next, and its luma is extracted.
        let yuyv = try device.configure(CaptureRequest(width: 640, height: 480, formats: [.yuyv, .mjpeg]))
        #expect(yuyv.pixelFormat == .yuyv && yuyv.bytesPerLine >= 1280)
        try device.start(bufferCount: 4)
        var frame: Frame?
        for _ in 0..<100 where frame == nil { frame = try device.next(timeoutMillis: 200) }
        device.stop()
        #expect(frame?.width == 640 && frame?.pixels.count == 640 * 480)
        // Nothing acceptable: a clear error that lists what the device has.
        do {
            _ = try device.configure(CaptureRequest(formats: [.mjpeg]))
            Issue.record("vivid has no MJPEG, yet configure succeeded")
        } catch {
            #expect(error.code == .formatNotOffered)
            #expect(error.message.contains("GREY") && error.message.contains("YUYV"), "\(error.message)")
        }
    }

    @Test("an output node is refused as a camera, by name")
    func notCapture() throws {
        let device = V4L2Device(path: vividOutput!)
        defer { device.close() }
        try device.open()
        #expect(throws: CaptureError.self) { try device.configure(CaptureRequest()) }
        do { _ = try device.configure(CaptureRequest()) } catch {
            #expect(error.code == .notCaptureDevice && error.message.contains(vividOutput!))
        }
    }

    @Test("devices are listed with driver, card and formats")
    func listing() {
        let infos = V4L2Device.list().compactMap { try? $0.get() }
        let vivid = infos.first { $0.path == vividCapture }
        #expect(vivid?.driver == "vivid" && vivid?.isCapture == true)
        #expect(vivid?.formats.contains { $0.fourcc == "GREY" && !$0.sizes.isEmpty } == true)
        #expect(infos.contains { $0.path == vividOutput && !$0.isCapture })
    }

    @Test("the watchdog restarts a stalled stream, and frames flow again when the producer resumes")
    func watchdog() throws {
        let producer = Producer(path: loopbackNode!, frame: try barcodeFrame("qr-invoice.png"), framesPerSecond: 30)
        defer { producer.stop() }
        #expect(producer.ready.wait(timeout: .now() + 10) == .success)
        let run = CameraRun(
            device: V4L2Device(path: loopbackNode!), request: grey640,
            timing: CameraTiming(watchdogMillis: 1_000, restartsBeforeReopen: 100), decodeEvery: 1_000_000)
        #expect(run.wait(seconds: 30) { run.frames.load(ordering: .relaxed) > 10 })
        producer.pause(true)
        let stalled = run.wait(seconds: 30) { run.camera.stats.streamRestarts >= 1 }
        let beforeResume = run.frames.load(ordering: .relaxed)
        producer.pause(false)
        let resumed = run.wait(seconds: 30) { run.frames.load(ordering: .relaxed) > beforeResume + 10 }
        #expect(run.stop())
        #expect(stalled, "events: \(run.eventList())")
        #expect(resumed, "events: \(run.eventList()), error: \(String(describing: run.error.withLock { $0 }))")
        #expect(run.eventList().contains { $0.hasPrefix("stalled") })
    }

    @Test("the camera reconnects after the device is unplugged (vivid unbound) and comes back")
    func reconnect() throws {
        let driver = "/sys/bus/platform/drivers/vivid"
        let instance = try #require(
            (try? FileManager.default.contentsOfDirectory(atPath: driver))?.first { $0.hasPrefix("vivid.") },
            "no vivid platform device under \(driver)")
        let run = CameraRun(
            device: V4L2Device(path: vividCapture!),
            request: CaptureRequest(width: 640, height: 480, formats: [.grey, .yuyv]),
            timing: CameraTiming(watchdogMillis: 1_000, backoffStartMillis: 100, backoffMaxMillis: 400),
            decodeEvery: 1_000_000)
        #expect(run.wait(seconds: 30) { run.frames.load(ordering: .relaxed) > 5 })
        try instance.write(toFile: driver + "/unbind", atomically: false, encoding: .utf8)
        let lost = run.wait(seconds: 30) { run.eventList().contains { $0.hasPrefix("lost") } }
        usleep(500_000)
        try instance.write(toFile: driver + "/bind", atomically: false, encoding: .utf8)
        let back = run.wait(seconds: 60) { run.camera.stats.reconnects >= 1 }
        let before = run.frames.load(ordering: .relaxed)
        let flowing = run.wait(seconds: 30) { run.frames.load(ordering: .relaxed) > before + 5 }
        #expect(run.stop())
        #expect(lost, "events: \(run.eventList())")
        #expect(back && flowing, "events: \(run.eventList()), error: \(String(describing: run.error.withLock { $0 }))")
    }

    @Test("10,000 captured frames with flat memory (buffers reused, no allocation per frame)")
    func flatMemory() throws {
        let small = Frame(width: 320, height: 240, filledWith: 128)
        let producer = Producer(path: loopbackNode!, frame: small, framesPerSecond: 2_000)
        defer { producer.stop() }
        #expect(producer.ready.wait(timeout: .now() + 10) == .success)
        let run = CameraRun(
            device: V4L2Device(path: loopbackNode!),
            request: CaptureRequest(width: 320, height: 240, framesPerSecond: 30, formats: [.grey]),
            timing: CameraTiming(), decodeEvery: 1_000_000)
        // Warm up (threads, allocator arenas, first buffers), then sample RSS every 1,000 frames up to 12,000. A
        // per-frame leak grows nearly every interval; a one-off step (an allocator arena, a thread's stack
        // touched once) grows one. So: the median interval grows less than 26 KiB (~26 bytes a frame), at most
        // two intervals grow by more than 64 KiB, and the whole run by less than 4 MiB.
        #expect(run.wait(seconds: 120) { run.frames.load(ordering: .relaxed) >= 2_000 })
        var samples = [residentKiB()]
        var done = true
        for target in stride(from: 3_000, through: 12_000, by: 1_000) where done {
            done = run.wait(seconds: 120) { run.frames.load(ordering: .relaxed) >= target }
            samples.append(residentKiB())
        }
        #expect(run.stop())
        #expect(done, "only \(run.frames.load(ordering: .relaxed)) frames")
        let growth = zip(samples.dropFirst(), samples).map { $0 - $1 }
        let median = growth.sorted()[growth.count / 2]
        #expect(median < 26, "RSS grew a median \(median) KiB per 1,000 frames: \(samples)")
        #expect(growth.filter { $0 > 64 }.count <= 2, "RSS grew in steps: \(samples)")
        #expect(samples.last! - samples.first! < 4_096, "RSS grew \(samples.last! - samples.first!) KiB over 10,000 frames")
        let (start, middle, end) = (samples.first!, samples[samples.count / 2], samples.last!)
        print("flat memory: RSS \(start) → \(middle) → \(end) KiB at 2,000 / 7,000 / 12,000 frames")
    }
}
