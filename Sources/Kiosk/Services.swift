import Capture
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import HubAPI
import Imaging
import Logging
import Scanning
import ServiceLifecycle
import Sync
import Synchronization

/// Camera (or replay) → decoder → debouncer → the desk. A camera that is unplugged, stalls or cannot be opened
/// is reported on the kiosk's status line and retried; the service ends only when the daemon stops.
public struct ScannerService: Service {
    let desk: Desk
    let settings: DaemonSettings
    let metrics: DeviceMetrics
    let logger: Logger
    let source: any FrameSource
    let describeSource: String

    public init(desk: Desk, settings: DaemonSettings, metrics: DeviceMetrics, logger: Logger) throws(CaptureError) {
        self.desk = desk
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        let (events, emit) = AsyncStream<CameraEvent>.makeStream(bufferingPolicy: .bufferingNewest(16))
        self.events = events
        switch settings.input {
        case .device(let path):
            source = V4L2Camera(
                path: path, request: CaptureRequest(width: settings.width, height: settings.height, framesPerSecond: Int(settings.framesPerSecond.rounded()))
            ) { event in emit.yield(event) }
            describeSource = path
        case .replay(let path):
            source = try ReplaySource(path: path, framesPerSecond: settings.replayFramesPerSecond, loop: settings.replayLoop)
            describeSource = (path as NSString).standardizingPath
            emit.finish()
        }
    }

    let events: AsyncStream<CameraEvent>
    /// The "ready" line to show with the next frame (set when the camera (re)starts streaming).
    let readyLine = PendingLine()

    public func run() async throws {
        let desk = desk
        let metrics = metrics
        let replay: Bool = if case .replay = settings.input { true } else { false }
        if replay {
            await desk.setCamera(StatusLine(ok: true, text: "Camera: replaying \(describeSource) (no camera)"))
        } else {
            await desk.setCamera(StatusLine(ok: false, text: "Camera: opening \(describeSource)"))
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [events, describeSource, logger, readyLine] in
                for await event in events {
                    if let line = ScannerService.statusLine(event, device: describeSource) {
                        logger.info("\(line.text)")
                        await desk.setCamera(line)
                    }
                    switch event {
                    case .configured(let format), .reconnected(let format):
                        // "Ready" (and camera_up) only once a picture arrives: a stream that starts but
                        // delivers nothing is not a working camera.
                        readyLine.set(StatusLine(ok: true, text: "Camera: ready (\(format))"))
                    case .lost, .stalled, .reconnectFailed: metrics.set("fieldpay_camera_up", 0)
                    case .state: break
                    }
                }
            }
            await scanLoop(replay: replay)
            group.cancelAll()
        }
    }

    func scanLoop(replay: Bool) async {
        var pipeline = ScanPipeline(
            holdSeconds: settings.holdSeconds, metrics: metrics, idleEvery: settings.idleEvery, decoder: settings.scanner)
        var seenGeneration = 0
        var backoff = 1.0
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    for try await frame in source.frames() {
                        let generation = desk.idleGeneration.load(ordering: .acquiring)
                        if generation != seenGeneration {
                            seenGeneration = generation
                            pipeline.reset()
                        }
                        if let line = readyLine.take() {
                            metrics.set("fieldpay_camera_up", 1)
                            await desk.setCamera(line)
                        }
                        let fresh = pipeline.process(frame)
                        let stats = source.stats
                        metrics.set("fieldpay_frames_captured_total", Double(stats.framesCaptured))
                        metrics.set("fieldpay_frames_dropped_total", Double(stats.framesDropped))
                        metrics.set("fieldpay_camera_reconnects_total", Double(stats.reconnects))
                        metrics.set("fieldpay_camera_stream_restarts_total", Double(stats.streamRestarts))
                        if replay { metrics.set("fieldpay_camera_up", 1) }
                        if !fresh.isEmpty { await desk.scanned(fresh) }
                        backoff = 1
                    }
                    if replay {
                        if Task.isShuttingDownGracefully { return }
                        await desk.setCamera(StatusLine(ok: false, text: "Camera: the replay has ended"))
                        metrics.set("fieldpay_camera_up", 0)
                        try await gracefulShutdown()  // nothing more will come; wait for the daemon to stop
                        return
                    }
                } catch let error as CaptureError {
                    metrics.set("fieldpay_camera_up", 0)
                    logger.warning("camera: \(error.message) [\(error.codeString)]")
                    await desk.setCamera(StatusLine(ok: false, text: "Camera: \(error.message) — trying again in \(Int(backoff)) s"))
                } catch {
                    if Task.isCancelled || Task.isShuttingDownGracefully { return }
                    metrics.set("fieldpay_camera_up", 0)
                    logger.warning("camera: \(error)")
                    await desk.setCamera(StatusLine(ok: false, text: "Camera: \(error) — trying again in \(Int(backoff)) s"))
                }
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 30)
            }
        } onGracefulShutdown: { [source] in
            source.stop()
        }
    }

    static func statusLine(_ event: CameraEvent, device: String) -> StatusLine? {
        switch event {
        case .configured(let format): StatusLine(ok: false, text: "Camera: opened (\(format)), waiting for a picture")
        case .reconnected(let format): StatusLine(ok: false, text: "Camera: back (\(format)), waiting for a picture")
        case .stalled(let millis): StatusLine(ok: false, text: "Camera: no picture for \(millis / 1000) s — restarting it")
        case .lost(let error): StatusLine(ok: false, text: "Camera lost (\(error.message)) — check the cable; reconnecting")
        case .reconnectFailed(let error, let retry):
            StatusLine(ok: false, text: "Camera not available (\(error.message)) — trying again in \(max(1, retry / 1000)) s")
        case .state: nil
        }
    }
}

/// A status line waiting to be shown (by another task than the one that made it).
final class PendingLine: Sendable {
    private let value = Mutex<StatusLine?>(nil)
    func set(_ line: StatusLine) { value.withLock { $0 = line } }
    func take() -> StatusLine? { value.withLock { line in defer { line = nil }; return line } }
}

/// One frame's work: decode (timed into the histogram), then keep only codes not seen within the hold time.
public struct ScanPipeline {
    let decoder: ZBarDecoder
    var debouncer: Debouncer
    let metrics: DeviceMetrics
    /// After `quietNanos` with nothing in view, only every `idleEvery`-th frame is decoded (zbar's pass is
    /// nearly all of the daemon's idle CPU); the first code seen brings back every frame. 1: decode all.
    let idleEvery: Int
    let quietNanos: UInt64
    var lastSeen: UInt64 = 0
    var skipped = 0

    public init(
        holdSeconds: Double, metrics: DeviceMetrics, idleEvery: Int = 1, quietSeconds: Double = 2,
        decoder options: DecoderOptions = DecoderOptions()
    ) {
        decoder = ZBarDecoder(options: options)
        debouncer = Debouncer(holdSeconds: holdSeconds)
        self.metrics = metrics
        self.idleEvery = max(1, idleEvery)
        quietNanos = UInt64(max(0, quietSeconds) * 1e9)
    }

    /// Every code counts as new again.
    public mutating func reset() { debouncer.reset() }

    /// Whether the last frames were decoded at the idle rate.
    public var isIdle: Bool { idleEvery > 1 && skipped > 0 }

    /// The new codes in `frame`, as (text, symbology) for `Desk.scanned`.
    public mutating func process(_ frame: Frame) -> [(text: String, symbology: String?)] {
        if lastSeen == 0 { lastSeen = frame.timestampNanos }
        if idleEvery > 1, frame.timestampNanos > lastSeen, frame.timestampNanos - lastSeen >= quietNanos {
            skipped += 1
            if skipped % idleEvery != 0 { return [] }
        }
        let start = monotonicNanos()
        let symbols = decoder.decode(frame)
        metrics.observeDecode(seconds: Double(monotonicNanos() - start) / 1e9)
        if !symbols.isEmpty {
            lastSeen = frame.timestampNanos
            skipped = 0
        }
        return debouncer.admit(symbols, at: frame.timestampNanos).map { ($0.text, $0.symbology.rawValue) }
    }
}

/// Sync with the hub in the background: a round (uploads, then invoice changes) every `syncSeconds`, at once
/// after a payment is recorded, and a long-poll for the hub's events; a credit for the QR on screen goes to
/// the desk. A hub that cannot be reached is said on the status line, and retried.
public struct SyncLoop: Service {
    let desk: Desk
    let database: AppDatabase
    let metrics: DeviceMetrics
    let interval: Double
    let logger: Logger
    let credentials: @Sendable () async throws -> HubCredentials?
    let wakeups: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    /// The profile's `[hub] scope`.
    let scope: String?

    public init(
        desk: Desk, database: AppDatabase, metrics: DeviceMetrics, interval: Double, logger: Logger, scope: String? = nil,
        credentials: @escaping @Sendable () async throws -> HubCredentials?
    ) {
        self.scope = scope
        self.desk = desk
        self.database = database
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
        self.credentials = credentials
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Fetches the hub's events (waiting up to `wait` s for one) and hands each credit not yet tied to a
    /// payment to the desk (the QR on screen may be the one paid). Returns whether one credited an invoice.
    static func deliverCredits(_ service: SyncService, to desk: Desk, wait: Int) async throws -> Bool {
        let events = try await service.listen(wait: wait) { event in
            if event.paymentID == nil, let reference = event.reference, let amount = try? Money(parsing: event.amount) {
                await desk.credit(reference: reference, utr: event.utr, amount: amount)
            }
        }
        return events.contains { $0.invoice != nil }
    }

    /// One sync round. Before a page of invoice changes is applied, the hub's events are fetched and their
    /// credits handed to the desk: a page fetched after a credit lowered an invoice already shows it paid, and
    /// the desk must record the payment for the QR on screen against the cache as it was, or the ledger would
    /// refuse it as "already paid". The event and the change are one transaction at the hub, so an event
    /// fetch made after the page fetch holds every credit the page reflects; and the long-poll moves the event
    /// cursor only after the desk has seen an event, so one it holds undelivered is fetched here too (the
    /// session ignores the second delivery).
    public static func round(_ service: SyncService, desk: Desk) async throws -> SyncService.Report {
        try await service.runOnce(beforeApplying: { _ = try await deliverCredits(service, to: desk, wait: 0) })
    }

    /// Asks for a round now (a payment was just recorded).
    public func poke() { wake.yield() }

    public func run() async throws {
        guard let credentials = try await credentials() else {
            await desk.setHub(StatusLine(ok: false, text: "Hub: this device is not enrolled (fieldpay enroll) — payments are kept here"))
            metrics.set("fieldpay_hub_up", 0)
            try? await gracefulShutdown()
            return
        }
        let client: HubClient
        do { client = try credentials.client() } catch {
            await desk.setHub(StatusLine(ok: false, text: "Hub: \(error) — payments are kept here"))
            metrics.set("fieldpay_hub_up", 0)
            logger.error("hub.json: \(error)")
            try? await gracefulShutdown()
            return
        }
        var configured = SyncService(database: database, client: client)
        configured.scope = scope
        configured.payees = desk.profile.upi?.payees
        let service = configured
        let state = HubLink(desk: desk, metrics: metrics, logger: logger)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [wake] in
                    var backoff = 1.0
                    while !Task.isCancelled {
                        do {
                            if try await SyncLoop.deliverCredits(service, to: desk, wait: 25) { wake.yield() }
                            await state.reached()
                            backoff = 1
                        } catch {
                            if Task.isCancelled { return }
                            await state.failed(error)
                            try? await Task.sleep(for: .seconds(backoff))
                            backoff = min(backoff * 2, 30)
                        }
                    }
                }
                group.addTask { [wake, interval] in
                    while !Task.isCancelled {
                        wake.yield()
                        try? await Task.sleep(for: .seconds(interval))
                    }
                }
                group.addTask { [wakeups, metrics, logger] in
                    for await _ in wakeups {
                        if Task.isCancelled { return }
                        do {
                            let report = try await SyncLoop.round(service, desk: desk)
                            metrics.count("fieldpay_sync_rounds_total", labels: ["result": "ok"])
                            for refusal in report.refusedPayees { logger.warning("sync: \(refusal)") }
                            if report.uploaded + report.pulled + report.confirmed > 0 {
                                logger.info("sync: \(report.uploaded) uploaded, \(report.confirmed) confirmed, \(report.pulled) invoice changes")
                            }
                            await state.synced()
                        } catch {
                            metrics.count("fieldpay_sync_rounds_total", labels: ["result": "failed"])
                            await state.failed(error)
                        }
                    }
                }
                group.addTask {
                    try? await gracefulShutdown()
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
    }
}

/// What the status bar says about the hub.
actor HubLink {
    let desk: Desk
    let metrics: DeviceMetrics
    let logger: Logger
    var downSince: Date?
    var lastSync: Date?

    init(desk: Desk, metrics: DeviceMetrics, logger: Logger) {
        self.desk = desk
        self.metrics = metrics
        self.logger = logger
    }

    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = .current
        return formatter.string(from: date)
    }

    func reached() async {
        metrics.set("fieldpay_hub_up", 1)
        if downSince != nil {
            downSince = nil
            logger.info("hub: reachable again")
        }
        await desk.setHub(StatusLine(ok: true, text: lastSync.map { "Hub: online, synced at \(HubLink.clock($0))" } ?? "Hub: online"))
    }

    func synced() async {
        lastSync = Date()
        metrics.set("fieldpay_sync_last_success_timestamp_seconds", Date().timeIntervalSince1970)
        await reached()
    }

    func failed(_ error: any Error) async {
        metrics.set("fieldpay_hub_up", 0)
        let reason = (error as? SyncError)?.message ?? "\(error)"
        if let refused = error as? SyncError, refused.refused {
            await desk.setHub(StatusLine(ok: false, text: "Hub refused this device: \(reason)"))
            return
        }
        if downSince == nil {
            downSince = Date()
            logger.warning("hub: unreachable (\(reason))")
        }
        await desk.setHub(
            StatusLine(
                ok: false,
                text: "Offline since \(HubLink.clock(downSince!)): payments are kept on this device and upload when the hub is back. Confirm UPI by the payer's UTR."
            ))
    }
}

/// The session's clock (QR expiry, screens back to idle) and systemd's watchdog: the watchdog is fed only when
/// the desk answers, so a wedged daemon is restarted.
public struct ClockService: Service {
    let desk: Desk
    let notifier: SystemdNotifier

    public init(desk: Desk, notifier: SystemdNotifier) {
        self.desk = desk
        self.notifier = notifier
    }

    public func run() async throws {
        var lastPing = ContinuousClock.now
        let interval = notifier.watchdogInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await desk.tick()
            if let interval, lastPing.duration(to: .now) >= interval {
                notifier.notify("WATCHDOG=1")
                lastPing = .now
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
