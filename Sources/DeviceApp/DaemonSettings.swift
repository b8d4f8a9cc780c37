import Foundation
import Scanning
import TOMLKit

/// What `fieldpay run` reads from a profile: where frames come from ([camera]), the payment screen ([kiosk]),
/// how often to sync ([hub]) and, for `make demo`, a hub run inside the daemon with a simulated payer ([demo]).
public struct DaemonSettings: Sendable, Equatable {
    public enum FrameInput: Sendable, Equatable {
        /// A V4L2 capture device.
        case device(String)
        /// A folder of images or a Y4M file, played like a camera.
        case replay(String)
    }

    public var input: FrameInput = .device("/dev/video0")
    public var width = 1280
    public var height = 720
    public var framesPerSecond = 15.0
    /// Frames per second when replaying files.
    public var replayFramesPerSecond = 2.0
    public var replayLoop = true
    /// A code seen again within this many seconds is the same scan.
    public var holdSeconds = 2.0
    /// After 2 s with nothing in view only every n-th frame is decoded (1: every frame). The first code seen
    /// brings back every frame; it costs a code coming into view at most n−1 frames.
    public var idleEvery = 2

    /// [scanner]: what the camera's decoder looks for (fewer symbologies decode faster), whether EAN/UPC
    /// add-ons are read with their codes, and whether Code 39 is Full ASCII.
    public var scanner = DecoderOptions()

    /// The kiosk page: loopback only (Chromium runs on the same device).
    public var kioskHost = "127.0.0.1"
    public var kioskPort = 8787
    /// Hindi labels under the English ones.
    public var hindi = false
    /// How long a UPI QR is offered.
    public var qrSeconds = 300
    /// How long paid, cancelled, expired and notice screens stay before the idle screen.
    public var displaySeconds = 8

    /// Seconds between sync rounds (confirmations arrive sooner, by long-poll).
    public var syncSeconds = 30.0
    /// What this device asks of the hub's invoice feed beyond its rep's scope: nil or "rep" (what the hub gives
    /// the rep), "region" (also every invoice of the rep's regions' customers).
    public var syncScope: String?

    public var demo: DemoSettings?

    public init() {}

    static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]

    static func parse(_ table: TOMLTable, reader: TableReader, resolve: (String) -> String) throws(ProfileError) -> DaemonSettings {
        var settings = DaemonSettings()
        if let scanner = try reader.table(table, "scanner") {
            try reader.only(scanner, "scanner", ["symbologies", "ean_addons", "code39_full_ascii"])
            if let names = try reader.strings(scanner, "scanner", "symbologies") {
                do { settings.scanner.symbologies = try Symbology.parseList(names.joined(separator: ",")) } catch {
                    throw ProfileError(.badValue, "\(reader.place("scanner", "symbologies")): [scanner] symbologies: \(error.message)")
                }
            }
            settings.scanner.eanAddons = try reader.bool(scanner, "scanner", "ean_addons") ?? false
            settings.scanner.code39FullASCII = try reader.bool(scanner, "scanner", "code39_full_ascii") ?? false
        }
        if let camera = try reader.table(table, "camera") {
            try reader.only(camera, "camera", ["device", "replay", "width", "height", "fps", "replay_fps", "loop", "hold_seconds", "idle_every"])
            let device = try reader.string(camera, "camera", "device")
            let replay = try reader.string(camera, "camera", "replay")
            if device != nil, replay != nil {
                throw ProfileError(.badValue, "\(reader.place("camera", "replay")): [camera] has both device and replay: keep one")
            }
            if let device {
                guard device.hasPrefix("/dev/") else { throw reader.fail("camera", "device", "a V4L2 device path such as /dev/video0") }
                settings.input = .device(device)
            }
            if let replay { settings.input = .replay(resolve(replay)) }
            settings.width = try reader.int(camera, "camera", "width", in: 160...4096) ?? settings.width
            settings.height = try reader.int(camera, "camera", "height", in: 120...4096) ?? settings.height
            settings.framesPerSecond = try reader.number(camera, "camera", "fps", in: 1...120) ?? settings.framesPerSecond
            settings.replayFramesPerSecond = try reader.number(camera, "camera", "replay_fps", in: 0.05...120) ?? settings.replayFramesPerSecond
            settings.replayLoop = try reader.bool(camera, "camera", "loop") ?? settings.replayLoop
            settings.holdSeconds = try reader.number(camera, "camera", "hold_seconds", in: 0...60) ?? settings.holdSeconds
            settings.idleEvery = try reader.int(camera, "camera", "idle_every", in: 1...30) ?? settings.idleEvery
        }
        if let kiosk = try reader.table(table, "kiosk") {
            try reader.only(kiosk, "kiosk", ["host", "port", "hindi", "qr_seconds", "display_seconds"])
            if let host = try reader.string(kiosk, "kiosk", "host") {
                guard loopbackHosts.contains(host) else {
                    throw reader.fail("kiosk", "host", "127.0.0.1, ::1 or localhost: the payment screen is served to this device only")
                }
                settings.kioskHost = host
            }
            settings.kioskPort = try reader.int(kiosk, "kiosk", "port", in: 0...65535) ?? settings.kioskPort
            settings.hindi = try reader.bool(kiosk, "kiosk", "hindi") ?? settings.hindi
            settings.qrSeconds = try reader.int(kiosk, "kiosk", "qr_seconds", in: 10...3600) ?? settings.qrSeconds
            settings.displaySeconds = try reader.int(kiosk, "kiosk", "display_seconds", in: 1...300) ?? settings.displaySeconds
        }
        if let hub = try reader.table(table, "hub") {
            try reader.only(hub, "hub", ["sync_seconds", "scope"])
            settings.syncSeconds = try reader.number(hub, "hub", "sync_seconds", in: 1...86_400) ?? settings.syncSeconds
            if let scope = try reader.string(hub, "hub", "scope") {
                guard ["rep", "region"].contains(scope) else {
                    throw reader.fail("hub", "scope", "rep (what the hub gives this device's rep) or region (also the rep's whole region)")
                }
                settings.syncScope = scope
            }
        }
        if let demo = try reader.table(table, "demo") {
            try reader.only(demo, "demo", ["invoices", "hub_port", "payer_delay_seconds", "leave_unpaid_every"])
            guard let invoices = try reader.string(demo, "demo", "invoices") else {
                throw ProfileError(.badValue, "\(reader.source): [demo] needs invoices = \"FILE\": the sample invoices the embedded hub starts with")
            }
            var settingsDemo = DemoSettings(invoices: resolve(invoices))
            guard FileManager.default.fileExists(atPath: settingsDemo.invoices) else {
                throw ProfileError(.badValue, "\(reader.place("demo", "invoices")): [demo] invoices: no file at \(settingsDemo.invoices)")
            }
            settingsDemo.hubPort = try reader.int(demo, "demo", "hub_port", in: 0...65535) ?? settingsDemo.hubPort
            settingsDemo.payerDelaySeconds = try reader.number(demo, "demo", "payer_delay_seconds", in: 0...600) ?? settingsDemo.payerDelaySeconds
            settingsDemo.leaveUnpaidEvery = try reader.int(demo, "demo", "leave_unpaid_every", in: 0...1000) ?? settingsDemo.leaveUnpaidEvery
            settings.demo = settingsDemo
        }
        return settings
    }
}

/// `make demo`: a hub inside the daemon, on SQLite beside the device database, loaded with sample invoices,
/// and a simulated payer that pays the QRs on screen after a few seconds, by a signed PSP webhook.
public struct DemoSettings: Sendable, Equatable {
    public var invoices: String
    /// 0: any free port.
    public var hubPort = 0
    public var payerDelaySeconds = 4.0
    /// Every n-th QR is left unpaid (it expires, or the rep takes cash); 0 pays them all.
    public var leaveUnpaidEvery = 3

    public init(invoices: String) {
        self.invoices = invoices
    }
}
