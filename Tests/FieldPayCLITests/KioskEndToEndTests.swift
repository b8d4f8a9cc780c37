import AsyncHTTPClient
import DeviceStore
import Foundation
import Imaging
import Logging
import NIOCore
import Testing
import WSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Screenshots of the end-to-end run are kept here (CI keeps .build/test-artifacts).
let artifacts = repository + "/.build/test-artifacts/kiosk"

/// The daemon as a user runs it — `fieldpay run` on a replayed camera with the demo's embedded hub on loopback —
/// and the kiosk page in real headless Chromium, driven over the DevTools protocol: scan → QR → paid by the
/// hub's credit, then a second invoice paid in cash from the keyboard alone, then SIGTERM.
@Suite("Kiosk end to end: fieldpay run and headless Chromium", .serialized)
struct KioskEndToEndTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("scan → QR → paid by a PSP credit; keyboard-only cash; SIGTERM leaves every payment whole")
    func scanPayAndStop() async throws {
        let chromiumPath = try #require(Self.chromium, "Debian's chromium is not installed (make test installs it)")
        let folder = NSTemporaryDirectory() + "fieldpay-kiosk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The camera shows blank paper until the page is open (a replayed Y4M is read again on every loop, so
        // swapping the file changes what the camera sees); then two invoices: the payer pays the first QR,
        // and leaves the second to the rep.
        let blank = Frame(width: 1000, height: 700, filledWith: 235)
        try writeY4M(folder + "/camera.y4m", [blank, blank])
        let profile = folder + "/kiosk.toml"
        try """
            [device]
            code = "E2E01"
            name = "End-to-end kiosk"
            [store]
            path = "device.sqlite"
            [upi]
            vpa = "acme.traders@okhdfcbank"
            name = "Acme Distributors"
            [payloads]
            plain_numbers = true
            [[payloads.pattern]]
            name = "acme-label"
            regex = '^ACME\\*(?<invoice>[A-Z0-9/-]+)\\*(?<amount>[0-9]+\\.[0-9]{2})\\*(?<date>[0-9]{2}/[0-9]{2}/[0-9]{4})$'
            [camera]
            replay = "camera.y4m"
            replay_fps = 2
            [kiosk]
            port = 0
            hindi = true
            display_seconds = 4
            [hub]
            sync_seconds = 5
            [demo]
            invoices = "\(repository)/samples/invoices.csv"
            payer_delay_seconds = 1
            leave_unpaid_every = 2
            """.write(toFile: profile, atomically: true, encoding: .utf8)
        #expect(try fieldpay(["invoices", "import", repository + "/samples/invoices.csv", "--profile", profile]).status == 0)

        let daemon = try await DaemonProcess(profile: profile, urlFile: folder + "/url")
        let kioskURL = daemon.url

        let browser = try Browser(chromium: chromiumPath, profileFolder: folder + "/chromium")
        defer { browser.stop() }
        try await browser.drive { page in
            try await page.call("Page.enable")
            try await page.call("Page.navigate", ["url": kioskURL])
            try await page.waitFor(screen: "idle", timeout: 30)
            let invoices = try ["acme-label.png", "gs1-payment-slip.png"].map { name in
                try on(blank, ImageLoader().load(path: repository + "/samples/invoices/" + name))
            }
            try writeY4M(folder + "/next.y4m", [invoices[0], invoices[0], invoices[1], invoices[1]])
            #expect(rename(folder + "/next.y4m", folder + "/camera.y4m") == 0)

            // 1. The first invoice is scanned: its customer, amount due and a UPI QR, with a countdown.
            var text = try await page.waitFor(screen: "awaiting", timeout: 30)
            #expect(text.contains("Gupta Medicals"))
            #expect(text.contains("INV/2026-27/004530"))
            #expect(text.contains("₹6,725.25"))
            #expect(text.contains("QR valid for"))
            #expect(text.contains("बकाया राशि"))  // Hindi labels, as the profile asks
            let uri = try await page.evaluate("document.getElementById('qr').dataset.uri")
            #expect(uri.hasPrefix("upi://pay?pa=acme.traders@okhdfcbank"))
            #expect(try await page.evaluate("String(document.querySelector('#qr svg').getBoundingClientRect().width >= 300)") == "true")
            try await page.screenshot(artifacts + "/1-qr.png")

            // 2. The payer pays; the PSP's webhook reaches the hub, the hub's event the daemon: Paid, with a receipt.
            text = try await page.waitFor(screen: "paid", timeout: 30)
            #expect(text.contains("Receipt E2E01-"))
            #expect(text.contains("₹6,725.25"))
            #expect(try await page.evaluate("document.getElementById('receiptQR').dataset.text").hasPrefix("FPR2|"))
            try await page.screenshot(artifacts + "/2-paid.png")

            // 3. The next invoice's QR is left unpaid: the rep takes cash, by keyboard only (C, then Enter).
            text = try await page.waitFor(screen: "awaiting", timeout: 30, containing: "INV/2026-27/004518")
            try await page.key("c")
            #expect(try await page.evaluate("document.activeElement.id") == "field-amount")
            try await page.screenshot(artifacts + "/3-cash-form.png")
            try await page.key("Enter")
            text = try await page.waitFor(screen: "paid", timeout: 15)
            #expect(text.contains("CASH for invoice INV/2026-27/004518"))
            try await page.screenshot(artifacts + "/4-cash-paid.png")

            // 4. The first invoice, seen again, is already paid.
            text = try await page.waitFor(screen: "notice", timeout: 30, containing: "Already paid")
            try await page.screenshot(artifacts + "/5-already-paid.png")
        }

        // SIGTERM: a graceful stop, exit 0, and every payment whole (receipt, allocation, outbox entry).
        #expect(try await daemon.stop() == 0, "the daemon did not stop with status 0 within 15 s of SIGTERM")
        let database = try AppDatabase(path: folder + "/device.sqlite")
        let receipts = try database.receipts()
        #expect(receipts.count == 2)
        #expect(Set(receipts.map(\.payment.method.rawValue)) == ["upi", "cash"])
        let counts = try database.ledgerCounts()
        #expect(counts.0 == 2)
        #expect(try database.health().check == "ok")
    }
}

/// `picture` in the middle of `canvas`.
func on(_ canvas: Frame, _ picture: Frame) -> Frame {
    var frame = canvas
    let x0 = (canvas.width - picture.width) / 2
    let y0 = (canvas.height - picture.height) / 2
    for y in 0..<picture.height { for x in 0..<picture.width { frame[x0 + x, y0 + y] = picture[x, y] } }
    return frame
}

/// A grey (mono) Y4M video of `frames`, all of one size.
func writeY4M(_ path: String, _ frames: [Frame]) throws {
    var data = Data("YUV4MPEG2 W\(frames[0].width) H\(frames[0].height) F2:1 Ip A1:1 Cmono\n".utf8)
    for frame in frames {
        data += Data("FRAME\n".utf8)
        for y in 0..<frame.height { for x in 0..<frame.width { data.append(frame[x, y]) } }
    }
    try data.write(to: URL(fileURLWithPath: path))
}

/// Headless Chromium with the DevTools protocol on a loopback port.
final class Browser {
    let process = Process()
    let profileFolder: String

    init(chromium: String, profileFolder: String) throws {
        self.profileFolder = profileFolder
        try FileManager.default.createDirectory(atPath: profileFolder, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
            "--window-size=1280,800", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + profileFolder,
            "about:blank",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Connects to the first page and runs `body` with it.
    func drive(_ body: @escaping @Sendable (CDPPage) async throws -> Void) async throws {
        // Chromium writes its port to DevToolsActivePort once it listens.
        var port: Int?
        for _ in 0..<300 where port == nil {
            if let text = try? String(contentsOfFile: profileFolder + "/DevToolsActivePort", encoding: .utf8),
                let first = text.split(separator: "\n").first
            {
                port = Int(first)
            }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let devtools = try #require(port, "Chromium did not open its DevTools port within 30 s")
        var socketURL: String?
        for _ in 0..<100 where socketURL == nil {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(devtools)/json/list"), timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            let targets = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] ?? []
            socketURL = targets.first { $0["type"] as? String == "page" }?["webSocketDebuggerUrl"] as? String
            if socketURL == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let address = try #require(socketURL, "Chromium has no page target")
        var logger = Logger(label: "cdp")
        logger.logLevel = .warning
        _ = try await WebSocketClient.connect(url: address, configuration: .init(maxFrameSize: 1 << 26), logger: logger) { inbound, outbound, _ in
            let page = CDPPage(outbound: outbound, inbound: inbound.messages(maxSize: 1 << 26).makeAsyncIterator())
            try await body(page)
        }
    }
}

/// One page over the DevTools protocol: commands with ids, answers matched by id (events are skipped).
/// `@unchecked Sendable`: it is made and used inside one `drive` closure, by one task, one call at a time.
final class CDPPage: @unchecked Sendable {
    let outbound: WebSocketOutboundWriter
    var inbound: WebSocketInboundMessageStream.AsyncIterator
    var nextID = 0

    init(outbound: WebSocketOutboundWriter, inbound: WebSocketInboundMessageStream.AsyncIterator) {
        self.outbound = outbound
        self.inbound = inbound
    }

    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        nextID += 1
        let id = nextID
        let data = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
        while let message = try await inbound.next() {
            guard case .text(let text) = message,
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], object["id"] as? Int == id
            else { continue }
            if let error = object["error"] as? [String: Any] {
                throw CDPError(message: "\(method): \(error["message"] ?? error)")
            }
            return object["result"] as? [String: Any] ?? [:]
        }
        throw CDPError(message: "Chromium closed the DevTools connection during \(method)")
    }

    /// A JavaScript expression's value as a string.
    func evaluate(_ expression: String) async throws -> String {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        let value = (result["result"] as? [String: Any])?["value"]
        return value.map { "\($0)" } ?? ""
    }

    /// Waits (bounded) until the page shows `screen` (and `containing`, if given); returns the page's text.
    @discardableResult
    func waitFor(screen: String, timeout: Double, containing: String? = nil) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try await evaluate("(document.body.dataset.screen || '') + '\\n' + document.body.innerText")
            if last.hasPrefix(screen + "\n"), containing.map(last.contains) ?? true { return last }
            try await Task.sleep(for: .milliseconds(150))
        }
        throw CDPError(message: "the page did not reach \(screen) \(containing ?? "") within \(Int(timeout)) s; it shows: \(last)")
    }

    /// One key press, as the rep's keyboard sends it.
    func key(_ key: String) async throws {
        var down: [String: Any] = ["type": "keyDown", "key": key]
        if key == "Enter" {
            down["code"] = "Enter"
            down["windowsVirtualKeyCode"] = 13
            down["text"] = "\r"
        } else {
            down["text"] = key
        }
        try await call("Input.dispatchKeyEvent", down)
        try await call("Input.dispatchKeyEvent", ["type": "keyUp", "key": key])
        try await Task.sleep(for: .milliseconds(200))
    }

    func screenshot(_ path: String) async throws {
        let result = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw CDPError(message: "no screenshot data")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }
}

struct CDPError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
