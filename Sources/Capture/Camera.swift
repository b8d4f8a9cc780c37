import FieldPayCore
import Imaging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The operations a camera needs from a device. `V4L2Device` is the real one; tests drive `Camera` with
/// a scripted fake to prove the state machine, watchdog and reconnection without hardware.
public protocol CameraDevice: AnyObject {
    var path: String { get }
    func open() throws(CaptureError)
    func configure(_ request: CaptureRequest) throws(CaptureError) -> NegotiatedFormat
    func start(bufferCount: Int) throws(CaptureError)
    /// A frame, or nil when none came within the timeout.
    func next(timeoutMillis: Int32) throws(CaptureError) -> Frame?
    func stop()
    func close()
}

/// Where a camera is. Calls that make no sense in a state are refused (`capture.wrong-state`).
///
/// ```
/// closed ─open→ opened ─configure→ configured ─start→ streaming ⇄ stalled (watchdog restarts the stream)
///    ▲                                                   │ ENODEV/EIO
///    └──────────────── close ───────────────────────── lost ─(backoff, reopen)→ opened …
/// ```
public enum CameraState: String, Sendable, Equatable {
    case closed, opened, configured, streaming, stalled, lost
}

/// Counters a person (or `--stats`, or `/metrics`) reads to see how capture is going.
public struct CaptureStats: Sendable, Equatable {
    public var framesCaptured = 0
    /// Frames the consumer never saw because a newer one replaced them (newest frame wins).
    public var framesDropped = 0
    public var streamRestarts = 0
    public var reconnects = 0
    public init() {}
}

/// Timing of the watchdog and of reconnection.
public struct CameraTiming: Sendable, Equatable {
    /// No frame for this long while streaming: the stream is restarted.
    public var watchdogMillis: Int
    /// After this many restarts with no frame in between, the device is closed and reopened.
    public var restartsBeforeReopen: Int
    /// Reconnection backoff: first delay, ceiling, and the fraction of random jitter.
    public var backoffStartMillis: Int
    public var backoffMaxMillis: Int
    /// How long one wait for a frame may block (bounds how fast `stop()` is noticed).
    public var pollMillis: Int32

    public init(
        watchdogMillis: Int = 2_000, restartsBeforeReopen: Int = 2, backoffStartMillis: Int = 250,
        backoffMaxMillis: Int = 5_000, pollMillis: Int32 = 100
    ) {
        self.watchdogMillis = watchdogMillis
        self.restartsBeforeReopen = restartsBeforeReopen
        self.backoffStartMillis = backoffStartMillis
        self.backoffMaxMillis = backoffMaxMillis
        self.pollMillis = pollMillis
    }
}

/// Something that produces frames: a camera, or a replay of files.
public protocol FrameSource: Sendable {
    /// Frames, newest first: when the consumer is slower than the source, older frames are dropped
    /// (and counted) rather than queued. The stream ends when the source is stopped or exhausted and
    /// throws on an error the source cannot recover from.
    func frames() -> AsyncThrowingStream<Frame, Error>
    func stop()
    var stats: CaptureStats { get }
}

/// A camera: drives a `CameraDevice` through its states on a dedicated capture thread (blocking
/// `poll`, never on the Swift concurrency pool), with a dequeue watchdog and reconnection with backoff.
///
/// Thread safety: `device`, `state` bookkeeping and timing are touched only by the capture thread once
/// `frames()` has started it; other threads see only `stopRequested` (atomic), `sharedState` and
/// `sharedStats` (mutex-protected). That is what makes the `@unchecked Sendable` sound.
public final class Camera<Device: CameraDevice>: FrameSource, @unchecked Sendable {
    public let request: CaptureRequest
    public let timing: CameraTiming
    /// Reopen after the device is lost. Off, a lost device ends the stream with an error.
    public let reconnect: Bool
    private let device: Device
    private let stopRequested = Atomic<Bool>(false)
    private let sharedState = Mutex<CameraState>(.closed)
    private let sharedStats = StatsBox()
    private let sharedFormat = Mutex<NegotiatedFormat?>(nil)
    private let onEvent: @Sendable (CameraEvent) -> Void
    private var started = false

    public init(
        device: Device, request: CaptureRequest = CaptureRequest(), timing: CameraTiming = CameraTiming(),
        reconnect: Bool = true, onEvent: @escaping @Sendable (CameraEvent) -> Void = { _ in }
    ) {
        self.device = device
        self.request = request
        self.timing = timing
        self.reconnect = reconnect
        self.onEvent = onEvent
    }

    public var state: CameraState { sharedState.withLock { $0 } }
    public var stats: CaptureStats { sharedStats.withLock { $0 } }
    public var format: NegotiatedFormat? { sharedFormat.withLock { $0 } }

    public func stop() { stopRequested.store(true, ordering: .releasing) }

    private var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    private func enter(_ next: CameraState, _ event: CameraEvent? = nil) {
        let previous = sharedState.withLock { state in
            defer { state = next }
            return state
        }
        if previous != next { onEvent(event ?? .state(next)) }
    }

    /// Starts the capture thread. Call once; the first open/configure error ends the stream with that
    /// error (a wrong path or an unsupported camera is not worth retrying), later losses are retried.
    public func frames() -> AsyncThrowingStream<Frame, Error> {
        precondition(!started, "Camera.frames() may be called only once")
        started = true
        return frameStream(stop: stop, stats: sharedStats) { deliver throws(CaptureError) in
            try self.run(deliver: deliver)
        }
    }

    /// The capture loop: runs until `stop()`, calling `deliver` with each frame. Public for callers that
    /// want frames on this thread without a stream (benchmarks, the rig tests).
    public func run(deliver: (Frame) -> Void) throws(CaptureError) {
        defer {
            device.close()
            enter(.closed)
        }
        try openAndStart()
        var lastFrame = monotonicMillis()
        var restartsWithoutFrame = 0
        var backoff = timing.backoffStartMillis
        while !isStopping {
            if state == .lost {
                sleepInterruptibly(millis: jittered(backoff))
                backoff = min(backoff * 2, timing.backoffMaxMillis)
                if isStopping { break }
                do {
                    try openAndStart()
                    sharedStats.withLock { $0.reconnects += 1 }
                    onEvent(
                        .reconnected(
                            format ?? NegotiatedFormat(pixelFormat: .grey, width: 0, height: 0, bytesPerLine: 0)))
                    backoff = timing.backoffStartMillis
                    lastFrame = monotonicMillis()
                    restartsWithoutFrame = 0
                } catch {
                    device.close()
                    onEvent(.reconnectFailed(error, retryInMillis: backoff))
                }
                continue
            }
            do {
                if let frame = try device.next(timeoutMillis: timing.pollMillis) {
                    if state != .streaming { enter(.streaming) }
                    lastFrame = monotonicMillis()
                    restartsWithoutFrame = 0
                    deliver(frame)
                } else if monotonicMillis() - lastFrame >= timing.watchdogMillis {
                    enter(.stalled, .stalled(millisWithoutFrame: monotonicMillis() - lastFrame))
                    restartsWithoutFrame += 1
                    sharedStats.withLock { $0.streamRestarts += 1 }
                    try restart(reopen: restartsWithoutFrame > timing.restartsBeforeReopen)
                    if restartsWithoutFrame > timing.restartsBeforeReopen { restartsWithoutFrame = 0 }
                    lastFrame = monotonicMillis()
                }
            } catch {
                // Once streaming has begun, every device error is worth a reconnect (a wrong request
                // would have failed at the first open); without reconnection it ends the stream.
                device.close()
                guard reconnect, error.code != .wrongState else { throw error }
                enter(.lost, .lost(error))
            }
        }
    }

    /// Watchdog action: restart the stream in place, or close and reopen the device when in-place
    /// restarts have not helped (or the driver refuses one, as v4l2loopback does with EBUSY).
    private func restart(reopen: Bool) throws(CaptureError) {
        if !reopen {
            device.stop()
            do {
                try device.start(bufferCount: request.bufferCount)
                return
            } catch {
                if error.meansDeviceLost { throw error }
            }
        }
        device.close()
        try openAndStart()
    }

    private func openAndStart() throws(CaptureError) {
        try device.open()
        enter(.opened)
        let negotiated = try device.configure(request)
        sharedFormat.withLock { $0 = negotiated }
        enter(.configured, .configured(negotiated))
        try device.start(bufferCount: request.bufferCount)
        enter(.streaming)
    }

    private func jittered(_ millis: Int) -> Int {
        let spread = millis / 5
        return millis + (spread > 0 ? Int.random(in: -spread...spread) : 0)
    }

    private func sleepInterruptibly(millis: Int) {
        var left = millis
        while left > 0 && !isStopping {
            let step = min(left, 50)
            usleep(UInt32(step * 1_000))
            left -= step
        }
    }
}

/// What a camera tells its owner as it goes (for logs and the kiosk's camera-status line).
public enum CameraEvent: Sendable {
    case state(CameraState)
    case configured(NegotiatedFormat)
    case stalled(millisWithoutFrame: Int)
    case lost(CaptureError)
    case reconnectFailed(CaptureError, retryInMillis: Int)
    case reconnected(NegotiatedFormat)
}

/// The camera FieldPay uses on real hardware.
public typealias V4L2Camera = Camera<V4L2Device>

extension Camera where Device == V4L2Device {
    public convenience init(
        path: String, request: CaptureRequest = CaptureRequest(), timing: CameraTiming = CameraTiming(),
        reconnect: Bool = true, onEvent: @escaping @Sendable (CameraEvent) -> Void = { _ in }
    ) {
        self.init(
            device: V4L2Device(path: path), request: request, timing: timing, reconnect: reconnect, onEvent: onEvent)
    }
}

/// Runs `produce` on its own thread and hands its frames to an `AsyncThrowingStream` that keeps only the
/// newest one: a frame the consumer has not taken when the next arrives is dropped and counted. The
/// stream ends when `produce` returns, and throws what it throws; cancelling the consumer calls `stop`.
func frameStream<E: Error>(
    stop: @escaping @Sendable () -> Void, stats: StatsBox,
    produce: @escaping (_ deliver: (Frame) -> Void) throws(E) -> Void
) -> AsyncThrowingStream<Frame, Error> {
    let (stream, continuation) = AsyncThrowingStream<Frame, Error>.makeStream(bufferingPolicy: .bufferingNewest(1))
    continuation.onTermination = { _ in stop() }
    CaptureThread {
        do {
            try produce { frame in
                stats.withLock { $0.framesCaptured += 1 }
                if case .dropped = continuation.yield(frame) { stats.withLock { $0.framesDropped += 1 } }
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }.start()
    return stream
}

/// Capture counters shared between a source's thread and its readers.
final class StatsBox: Sendable {
    private let value = Mutex(CaptureStats())
    func withLock<R>(_ body: (inout CaptureStats) -> R) -> R { value.withLock { body(&$0) } }
}

/// A plain OS thread for blocking work (capture loops wait in `poll`; that must not tie up the
/// cooperative pool the decoder and the rest of the app run on).
final class CaptureThread: @unchecked Sendable {
    // The body runs once, on the new thread; nothing else touches it.
    private let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                let me = Unmanaged<CaptureThread>.fromOpaque(raw!).takeRetainedValue()
                me.body()
                return nil
            }, box.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }
}

func monotonicMillis() -> Int { Int(monotonicNanos() / 1_000_000) }
