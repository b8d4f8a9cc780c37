import AsyncHTTPClient
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InvoiceImport
import Imaging
import Kiosk
import QRRender
import NIOCore
import Synchronization
import Testing

/// A device with three invoices in a real SQLite file, a desk on a clock the test moves, and the kiosk router.
final class Fixture: Sendable {
    let folder: String
    let database: AppDatabase
    let profile: DeviceProfile
    let desk: Desk
    let metrics = DeviceMetrics()
    let clock = TestClock()

    init(profileText: String = "") throws {
        folder = NSTemporaryDirectory() + "kiosk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let csv = """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid
            INV/2026-27/000101,01/10/2026,31/10/2026,C1,Sharma <b>Stores</b>,1500.00,0
            INV/2026-27/000102,01/10/2026,31/10/2026,C2,Gupta Medicals,250000.00,0
            INV/2026-27/000103,01/10/2026,31/10/2026,C3,Patel Kirana,900.00,900.00
            """
        try csv.write(toFile: folder + "/invoices.csv", atomically: true, encoding: .utf8)
        let text = """
            [device]
            code = "KIOSK1"
            name = "Test kiosk"
            [store]
            path = "device.sqlite"
            [upi]
            vpa = "acme@okhdfcbank"
            name = "Acme"
            [payloads]
            plain_numbers = true
            [kiosk]
            qr_seconds = 60
            display_seconds = 5
            \(profileText)
            """
        try text.write(toFile: folder + "/device.toml", atomically: true, encoding: .utf8)
        profile = try DeviceProfile.load(path: folder + "/device.toml")
        database = try AppDatabase(path: profile.databasePath)
        _ = try database.importInvoices(from: InvoiceFileReader(path: folder + "/invoices.csv"))
        let clock = clock
        desk = try Desk(profile: profile, database: database, metrics: metrics, clock: { clock.now })
    }

    func advance(_ seconds: TimeInterval) { clock.advance(seconds) }

    var router: Router<BasicRequestContext> { buildKioskRouter(desk: desk, metrics: metrics, actionToken: Fixture.actionToken) }
    static let actionToken = "test-boot-token"

    deinit { try? FileManager.default.removeItem(atPath: folder) }
}

/// The desk's clock, moved by the test.
final class TestClock: Sendable {
    let value = Mutex(Date(timeIntervalSince1970: 1_796_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 += seconds } }
}

func decode(_ buffer: ByteBuffer) throws -> KioskState {
    try JSONDecoder().decode(KioskState.self, from: Data(buffer: buffer))
}

/// The router test client's requests come from `localhost`.
let jsonHeaders: HTTPFields = [.contentType: "application/json", KioskActionToken.header: Fixture.actionToken]

func post(_ client: some TestClientProtocol, _ action: String, _ body: String = "{}", headers: HTTPFields = jsonHeaders) async throws -> TestResponse {
    try await client.execute(uri: "/actions/\(action)", method: .post, headers: headers, body: ByteBuffer(string: body))
}

@Suite("Kiosk: the desk and the page's routes")
struct KioskTests {
    @Test("idle page: the HTML with a strict CSP, its script and style, and the idle state")
    func page() async throws {
        let fixture = try Fixture()
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
            #expect(String(buffer: page.body).contains("<script src=\"/kiosk.js\""))
            #expect(try await client.execute(uri: "/kiosk.js", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/kiosk.css", method: .get).status == .ok)
            let state = try decode(try await client.execute(uri: "/state", method: .get).body)
            #expect(state.screen == "idle")
            #expect(state.deviceName == "Test kiosk")
        }
    }

    @Test("security: an action without this boot's page token is refused; the page carries the token, a new boot a new one")
    func actionToken() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        try await Application(router: fixture.router).test(.router) { client in
            let page = String(buffer: try await client.execute(uri: "/", method: .get).body)
            #expect(page.contains("<meta name=\"kiosk-token\" content=\"\(Fixture.actionToken)\">"))
            // JSON, from this page's origin, but without the token (or with another boot's): nothing is recorded.
            for token in [nil, "another-boot-token"] {
                var headers: HTTPFields = [.contentType: "application/json", .origin: "http://localhost"]
                if let token { headers[KioskActionToken.header] = token }
                let response = try await post(client, "cash", #"{"amount": "1500"}"#, headers: headers)
                #expect(response.status == .forbidden && String(buffer: response.body).contains("reload the page"))
            }
            #expect(try fixture.database.outbox().isEmpty)
            #expect(try await post(client, "cash", #"{"amount": "1500"}"#).status == .ok)
        }
        #expect(KioskActionToken.make() != KioskActionToken.make())
        let real = String(buffer: try await Application(router: buildKioskRouter(desk: fixture.desk, metrics: fixture.metrics)).test(.router) {
            try await $0.execute(uri: "/", method: .get).body
        })
        #expect(!real.contains(Fixture.actionToken) && real.contains("name=\"kiosk-token\""))
    }

    @Test("a scanned invoice shows the customer, amount due and a UPI QR for it with a countdown")
    func scanShowsQR() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let state = await fixture.desk.state()
        #expect(state.screen == "awaiting")
        #expect(state.invoice?.customerName == "Sharma <b>Stores</b>")  // text, drawn with textContent by the page
        #expect(state.invoice?.outstandingDisplay == "₹1,500.00")
        #expect(state.invoice?.dueDate == "31/10/2026")
        let qr = try #require(state.qr)
        #expect(qr.uri.hasPrefix("upi://pay?"))
        #expect(qr.uri.contains("am=1500.00"))
        #expect(qr.uri.contains("tr=\(qr.reference)"))
        #expect(qr.svg.hasPrefix("<svg"))
        #expect(qr.expiresAtMillis == state.nowMillis + 60_000)
        #expect(fixture.metrics.value("fieldpay_lookups_total", labels: ["result": "hit"]) == 1)
    }

    @Test("a frame with a UPI QR or a product barcode beside the invoice's code shows the invoice, not a notice")
    func invoiceWins() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned([("upi://pay?pa=shop@okaxis&pn=Shop&am=1.00", "qrcode"), ("8901234567890", "ean13"), ("INV/2026-27/000101", "code128")])
        #expect(await fixture.desk.state().screen == "awaiting")
    }

    @Test("unknown code, invoice not in the cache, already paid: each its own screen, back to idle after the display time")
    func notices() async throws {
        let fixture = try Fixture()
        for (payload, kind) in [("https://example.com/", "not-invoice-code"), ("INV/2026-27/999999", "not-in-cache"), ("INV/2026-27/000103", "already-paid")] {
            await fixture.desk.scanned(payload, symbology: payload.hasPrefix("http") ? "qrcode" : "code128")
            let state = await fixture.desk.state()
            #expect(state.screen == "notice")
            #expect(state.notice?.kind == kind)
            fixture.advance(5)
            await fixture.desk.tick()
            #expect(await fixture.desk.state().screen == "idle")
        }
    }

    @Test("above the UPI limit: no QR, the reason, cash and cheque only; left alone it is put away after the QR's life")
    func noQR() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000102", symbology: "code128")
        var state = await fixture.desk.state()
        #expect(state.screen == "invoice")
        #expect(state.qr == nil)
        #expect(state.qrRefused?.contains("UPI limit") == true)
        fixture.advance(59)
        await fixture.desk.tick()
        #expect(await fixture.desk.state().screen == "invoice")
        fixture.advance(1)
        await fixture.desk.tick()
        state = await fixture.desk.state()
        #expect(state.screen == "cancelled")
    }

    @Test("cash from the page: recorded in the ledger with a signed receipt, queued for upload, and the Paid screen")
    func cash() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            let response = try await post(client, "cash", #"{"amount": "1500"}"#)
            #expect(response.status == .ok)
            let state = try decode(response.body)
            #expect(state.screen == "paid")
            #expect(state.paid?.receiptNumber == "KIOSK1-000001")
            #expect(state.paid?.method == "cash")
            #expect(state.paid?.receiptText.hasPrefix("FPR2|") == true)
        }
        let receipt = try #require(try fixture.database.receipt(number: "KIOSK1-000001"))
        #expect(receipt.payment.amount == Money(rupees: 1500))
        #expect(try fixture.database.outbox().count == 1)
        #expect(fixture.metrics.value("fieldpay_payments_total", labels: ["method": "cash", "confirmed_by": "rep"]) == 1)
        // Back to idle after the display time; the invoice is paid, so a new scan says so.
        fixture.advance(5)
        await fixture.desk.tick()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        #expect(await fixture.desk.state().notice?.kind == "already-paid")
    }

    @Test("bad input is refused with a sentence and nothing is written: amounts, cheque details, UTR")
    func refusals() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            for (action, body, words) in [
                ("cash", #"{"amount": "2000"}"#, "outstanding"), ("cash", #"{"amount": "lots"}"#, "not an amount"),
                ("cheque", #"{"amount": "100", "number": "12", "bank": "HDFC", "date": "2026-11-30"}"#, "cheque number"),
                ("cheque", #"{"amount": "100", "number": "004512", "bank": "", "date": "2026-11-30"}"#, "bank"),
                ("cheque", #"{"amount": "100", "number": "004512", "bank": "HDFC", "date": "soon"}"#, "date"),
                ("utr", #"{"utr": "12345"}"#, "12 digits"), ("amount", #"{"amount": "0"}"#, "more than zero"),
                ("nonsense", "{}", "no action"), ("cash", "[1,2]", "JSON object"),
            ] {
                let response = try await post(client, action, body)
                #expect(response.status.code >= 400, "\(action) \(body)")
                #expect(String(buffer: response.body).contains(words), "\(action) \(body): \(String(buffer: response.body))")
            }
        }
        #expect(try fixture.database.outbox().isEmpty)
        #expect(await fixture.desk.state().screen == "awaiting")
    }

    @Test("a payment with no invoice on screen is refused, and nothing is written")
    func nothingOnScreen() async throws {
        let fixture = try Fixture()
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            for (action, body) in [("cash", #"{"amount": "100"}"#), ("utr", #"{"utr": "412345678901"}"#), ("amount", #"{"amount": "100"}"#)] {
                let response = try await post(client, action, body)
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("no invoice on screen"))
            }
            #expect(try await post(client, "cancel").status == .ok)
        }
        #expect(try fixture.database.outbox().isEmpty)
    }

    @Test("actions only from this server's page: JSON only, loopback Host only, same Origin only")
    func sameOrigin() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            // A form post from another site (no preflight needed for text/plain).
            var response = try await post(client, "cash", #"{"amount": "1500"}"#, headers: [.contentType: "text/plain"])
            #expect(response.status == .unsupportedMediaType)
            response = try await post(client, "cash", #"{"amount": "1500"}"#, headers: [.contentType: "application/json", .origin: "http://evil.example"])
            #expect(response.status == .forbidden)
        }
        // DNS rebinding: a hostile name that resolves to 127.0.0.1 (Host and Origin agree, but not with us).
        let live = Application(router: fixture.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await live.test(.live) { client in
            let body = #"{"amount": "1500"}"#
            let head = "POST /actions/cash HTTP/1.1\r\nContent-Type: application/json\r\nX-Kiosk-Token: \(Fixture.actionToken)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
            var status = try await rawRequest(port: client.port!, head + "Host: evil.example:\(client.port!)\r\nOrigin: http://evil.example:\(client.port!)\r\n\r\n" + body)
            #expect(status.hasPrefix("HTTP/1.1 403"), "\(status)")
            #expect(try fixture.database.outbox().isEmpty)
            status = try await rawRequest(port: client.port!, head + "Host: 127.0.0.1:\(client.port!)\r\nOrigin: http://127.0.0.1:\(client.port!)\r\n\r\n" + body)
            #expect(status.hasPrefix("HTTP/1.1 200"), "\(status)")
            // Reading is refused to a hostile name too: the customer on screen is not for another site.
            for path in ["/state", "/events", "/metrics", "/"] {
                let read = try await rawRequest(port: client.port!, "GET \(path) HTTP/1.1\r\nHost: evil.example:\(client.port!)\r\nConnection: close\r\n\r\n")
                #expect(read.hasPrefix("HTTP/1.1 403") && !read.contains("INV/2026-27/000101"), "\(path): \(read.prefix(80))")
            }
            let mine = try await rawRequest(port: client.port!, "GET /state HTTP/1.1\r\nHost: localhost:\(client.port!)\r\nConnection: close\r\n\r\n")
            #expect(mine.hasPrefix("HTTP/1.1 200"), "\(mine.prefix(80))")
        }
        #expect(try fixture.database.outbox().count == 1)
    }

    @Test("part amount: a new QR for that amount; UTR typed by the rep records UPI for the QR's amount")
    func partAndUTR() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            var state = try decode(try await post(client, "amount", #"{"amount": "500"}"#).body)
            #expect(state.qr?.uri.contains("am=500.00") == true)
            state = try decode(try await post(client, "utr", #"{"utr": "412345678901"}"#).body)
            #expect(state.screen == "paid")
            #expect(state.paid?.amountDisplay == "₹500.00")
        }
        let receipt = try #require(try fixture.database.receipt(number: "KIOSK1-000001"))
        #expect(receipt.payment.utr == "412345678901")
        #expect(receipt.payment.method == .upi)
    }

    @Test("the hub's credit for the QR on screen records the payment and shows Paid; another QR's credit changes nothing")
    func hubCredit() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let reference = try #require(await fixture.desk.state().qr?.reference)
        await fixture.desk.credit(reference: "SOMEONEELSE", utr: "499999999999", amount: Money(rupees: 1500))
        #expect(await fixture.desk.state().screen == "awaiting")
        await fixture.desk.credit(reference: reference, utr: "412345678901", amount: Money(rupees: 1500))
        let state = await fixture.desk.state()
        #expect(state.screen == "paid")
        let receipt = try #require(try fixture.database.receipt(number: "KIOSK1-000001"))
        #expect(receipt.payment.upiReference == reference)
        #expect(receipt.payment.utr == "412345678901")
        #expect(fixture.metrics.value("fieldpay_payments_total", labels: ["method": "upi", "confirmed_by": "hub"]) == 1)
    }

    @Test("the QR expires after its life; cancel puts the invoice away with nothing recorded")
    func expiryAndCancel() async throws {
        let fixture = try Fixture()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        fixture.advance(60)
        await fixture.desk.tick()
        #expect(await fixture.desk.state().screen == "expired")
        fixture.advance(5)
        await fixture.desk.tick()
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            let state = try decode(try await post(client, "cancel").body)
            #expect(state.screen == "cancelled")
        }
        #expect(try fixture.database.outbox().isEmpty)
    }

    @Test("/events: the state at once, then each change, over a live server on 127.0.0.1")
    func events() async throws {
        let fixture = try Fixture()
        let app = Application(router: fixture.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            // The stream read as it comes, through AsyncHTTPClient (the request's deadline bounds every wait).
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(client.port!)/events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
            #expect(response.headers["Content-Type"].first == "text/event-stream")
            var chunks = response.body.makeAsyncIterator()
            var pending = ""
            func nextEvent() async throws -> String? {
                while true {
                    if let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        if block.contains("data: ") { return block }
                        continue  // retry: and keep-alive lines
                    }
                    guard let chunk = try await chunks.next() else { return nil }
                    pending += String(buffer: chunk)
                }
            }
            let first = try #require(try await nextEvent())
            #expect(first.contains("event: state"))
            #expect(first.contains(#""screen":"idle""#))
            await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
            let second = try #require(try await nextEvent())
            #expect(second.contains(#""screen":"awaiting""#))
        }
    }

    @Test("/metrics: Prometheus text with scans, lookups, payments and the decode histogram")
    func metrics() async throws {
        let fixture = try Fixture()
        fixture.metrics.observeDecode(seconds: 0.004)
        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        await fixture.desk.act(.cash(amount: nil))
        let app = Application(router: fixture.router)
        try await app.test(.router) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains("# TYPE fieldpay_decode_seconds histogram"))
            #expect(text.contains(#"fieldpay_decode_seconds_bucket{le="0.005"} 1"#))
            #expect(text.contains(#"fieldpay_scans_total{outcome="invoice"} 1"#))
            #expect(text.contains(#"fieldpay_payments_total{confirmed_by="rep",method="cash"} 1"#))
        }
    }
}

/// One request on a fresh socket, as written; returns the status line. The reply is polled, never waited on in
/// `recv`: the server under test answers on the same few threads this test runs on.
func rawRequest(port: Int, _ text: String) async throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    _ = text.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
    var reply = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline, !reply.contains(UInt8(ascii: "\r")) {
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count > 0 {
            reply += buffer[0..<count]
        } else if count == 0 {
            break
        } else {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
    return String(String(decoding: reply, as: UTF8.self).prefix { $0 != "\r" })
}

@Suite("Scan pipeline")
struct ScanPipelineTests {
    static func frame(code: String?, at millis: UInt64) throws -> Frame {
        var frame = Frame(width: 320, height: 240, filledWith: 255)
        if let code {
            let (side, pixels) = try QRCode(code).bitmap(moduleSize: 4)
            for y in 0..<side { for x in 0..<side { frame[20 + x, 20 + y] = pixels[y * side + x] } }
        }
        frame.timestampNanos = 1_000_000_000 + millis * 1_000_000
        return frame
    }

    @Test("after 2 s with nothing in view every 2nd frame is decoded; a code brings back every frame and is found within 2 frames")
    func idleRate() throws {
        let metrics = DeviceMetrics()
        var pipeline = ScanPipeline(holdSeconds: 2, metrics: metrics, idleEvery: 2)
        #expect(pipeline.process(try Self.frame(code: "https://x.example/?invoice=A", at: 0)).count == 1)
        var decoded: [Int] = []
        for n in 1...90 {  // 3 s of paper at 30 fps
            let before = metrics.decodes
            _ = pipeline.process(try Self.frame(code: nil, at: UInt64(n) * 33))
            if metrics.decodes > before { decoded.append(n) }
        }
        // Every frame for the first 2 s (frames 1...60), then every other one.
        #expect(decoded.filter { $0 <= 60 } == Array(1...60))
        #expect(decoded.filter { $0 > 60 } == Array(stride(from: 62, through: 90, by: 2)))
        #expect(pipeline.isIdle)
        var found = 0
        for n in 91...92 where found == 0 {
            found = pipeline.process(try Self.frame(code: "https://x.example/?invoice=B", at: UInt64(n) * 33)).count
        }
        #expect(found == 1)
        #expect(!pipeline.isIdle)
        // idle_every = 1: every frame, always.
        var every = ScanPipeline(holdSeconds: 2, metrics: DeviceMetrics(), idleEvery: 1)
        for n in 0..<90 { _ = every.process(try Self.frame(code: nil, at: UInt64(n) * 33)) }
        #expect(!every.isIdle)
    }
}

@Suite("systemd notify protocol")
struct NotifierTests {
    @Test("READY and WATCHDOG reach the socket named by NOTIFY_SOCKET; the watchdog interval is half WATCHDOG_USEC")
    func notify() throws {
        let path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"])
        #expect(notifier.watchdogInterval == .seconds(10))
        #expect(notifier.notify("READY=1", "STATUS=serving"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(0, count)], as: UTF8.self) == "READY=1\nSTATUS=serving")
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
    }
}
