import AsyncHTTPClient
import FieldPayCore
import Foundation
import Hub
import HubAPI
import InvoiceImport
import NIOCore
import Testing

/// A stand-in service from `scripts/` run by python3 on a free port of 127.0.0.1, killed (SIGKILL: a Process child
/// ignores the SIGTERM of `terminate()` here) when the value goes; the script itself exits with its parent.
final class ScriptFake: @unchecked Sendable {
    // `process` is set once in init and only read after.
    let process = Process()
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/\(name)").path
    }

    /// Starts `scripts/NAME` on port 0 with `arguments` and reads the port from its first line
    /// ("listening on 127.0.0.1:PORT …").
    init(_ name: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script(name), "0"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ERPError("\(name) did not start") }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "127.0.0.1:"), let port = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw ERPError("\(name) said \(text)")
        }
        self.port = port
    }

    deinit { kill(process.processIdentifier, SIGKILL) }

    /// A GET, or a POST when there is a body (or `post`).
    func call(_ path: String, body: String? = nil, post: Bool = false) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: url + path)
        request.method = body != nil || post ? .POST : .GET
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), buffer.readData(length: buffer.readableBytes) ?? Data())
    }
}

/// `scripts/fake-tally.py`: TallyPrime's XML server as its documents describe it, written apart from the
/// connector, keeping every voucher it took.
final class FakeTally: Sendable {
    let server: ScriptFake
    let company: String
    var url: String { server.url }

    init(company: String = "Test Co", ledgers: [String] = ["Sharma Stores", "Gupta Medicals", "HDFC Bank"], bills: Int = 0, parties: Int = 5) throws {
        self.company = company
        server = try ScriptFake(
            "fake-tally.py", ["--company", company, "--bills", String(bills), "--parties", String(parties)] + ledgers.flatMap { ["--ledger", $0] })
    }

    func settings() -> TallySettings {
        var settings = TallySettings(company: company, upiLedger: "HDFC Bank", chequeLedger: "HDFC Bank")
        settings.url = url
        settings.timeout = .seconds(10)
        return settings
    }

    func call(_ path: String, body: String? = nil, post: Bool = false) async throws -> (status: Int, body: Data) {
        try await server.call(path, body: body, post: post)
    }

    struct Voucher: Decodable {
        struct Line: Decodable {
            struct Bill: Decodable {
                let name: String?
                let type: String
                let amount: String
            }
            let ledger: String
            let amount: String
            let bills: [Bill]
        }
        let remote_id: String
        let date: String
        let party: String
        let amount: String
        let lines: [Line]
        let narration: String?
        let cancelled: Bool
    }

    func vouchers() async throws -> [Voucher] { try JSONDecoder().decode([Voucher].self, from: try await call("/fake/vouchers").body) }

    func stats() async throws -> [String: Int] { try JSONDecoder().decode([String: Int].self, from: try await call("/fake/stats").body) }
}

/// A test hub with the Tally connector enabled and a device that signs.
struct ERPHub {
    let hub = try! TestHub()
    let device: String

    init(connector: String = "tally") throws {
        try hub.store.enableConnector(connector, now: HubTime.nowMillis() - 60_000)
        let code = try hub.store.createEnrollmentCode(rep: "Ravi")
        guard case .enrolled(let response) = try hub.store.enroll(code: code, deviceName: "h1") else { throw ERPError("not enrolled") }
        device = response.deviceID
    }

    var store: any HubStorage { hub.store }

    @discardableResult
    func pay(_ receipt: String, amount: String = "100.00", invoice: String = "INV/1", method: String = "cash", reference: String? = nil) throws -> String {
        var body = upload(receipt, amount: amount, invoice: invoice, method: method, reference: reference)
        if method == "cheque" {
            body.chequeNumber = "004512"
            body.bank = "HDFC"
        }
        let id = UUID().uuidString.lowercased()
        let signed = testSigner.sign(body, paymentID: id)
        // The body as a device sends it: the hub keeps it, and the cheque's number and bank come from it.
        guard case .created = try store.upload(paymentID: id, deviceID: device, body: try JSONEncoder().encode(signed), payment: signed) else {
            throw ERPError("upload refused")
        }
        return id
    }

    func worker(_ tally: FakeTally, batch: Int = 25) -> ERPWorker {
        var settings = tally.settings()
        settings.batchSize = batch
        return ERPWorker(connector: TallyConnector(settings: settings), store: hub.store)
    }

    func queue(_ state: ERPState? = nil) throws -> [ERPQueueEntry] { try store.erpQueue(connector: nil, state: state, limit: 1000) }
}

@Suite("ERP: Tally Prime")
struct TallyTests {
    @Test("a cash payment becomes one Receipt voucher: party credited bill-wise Agst Ref, cash debited, REMOTEID the payment's id")
    func pushes() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let cash = try setup.pay("A-000001", amount: "100.00")
        let cheque = try setup.pay("A-000002", amount: "250.00", invoice: "INV/3", method: "cheque")
        let round = try await setup.worker(tally).drain()
        #expect(round.accepted == 2 && round.parked == 0)
        let vouchers = try await tally.vouchers()
        #expect(vouchers.count == 2)
        let first = try #require(vouchers.first { $0.remote_id == cash })
        #expect(first.party == "Sharma Stores" && first.amount == "100.00" && first.date == "20261130")
        let party = try #require(first.lines.first { $0.ledger == "Sharma Stores" })
        #expect(party.amount == "100.00" && party.bills.count == 1)
        #expect(party.bills.first?.name == "INV/1" && party.bills.first?.type == "Agst Ref" && party.bills.first?.amount == "100.00")
        #expect(first.lines.contains { $0.ledger == "Cash" && $0.amount == "-100.00" })
        #expect(first.narration?.contains("A-000001") == true && first.narration?.contains("Ravi") == true)
        let second = try #require(vouchers.first { $0.remote_id == cheque })
        #expect(second.lines.contains { $0.ledger == "HDFC Bank" && $0.amount == "-250.00" })
        #expect(second.narration?.contains("cheque 004512") == true)
        #expect(try setup.queue(.sent).count == 2)
    }

    @Test("more than the invoice was owed goes On Account; the bills add up to the party's line")
    func onAccount() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let id = try setup.pay("A-000001", amount: "300.00", invoice: "INV/3")  // INV/3 owes 250.00
        #expect(try await setup.worker(tally).drain().accepted == 1)
        let voucher = try #require(try await tally.vouchers().first { $0.remote_id == id })
        let bills = try #require(voucher.lines.first { $0.ledger == "Gupta Medicals" }?.bills)
        #expect(bills.map(\.type) == ["Agst Ref", "On Account"])
        #expect(bills.map(\.amount) == ["250.00", "50.00"])
    }

    @Test("a UPI payment goes to the books when its credit confirms it, not when it is uploaded")
    func upiWaitsForCredit() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let id = try setup.pay("A-000001", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU")
        #expect(try setup.queue().isEmpty)
        #expect(try await setup.worker(tally).drain() == ERPWorker.Round())
        _ = try setup.store.applyCredit(
            CreditNotice(provider: "razorpay", providerPaymentID: "pay_1", amount: Money(paise: 25_000), utr: "412345678901", reference: "DEMO01INV3TPAUOU", source: "webhook"))
        #expect(try setup.queue(.pending).map(\.paymentID) == [id])
        #expect(try await setup.worker(tally).drain().accepted == 1)
        let voucher = try #require(try await tally.vouchers().first)
        #expect(voucher.remote_id == id && voucher.lines.contains { $0.ledger == "HDFC Bank" } && voucher.narration?.contains("412345678901") == true)
    }

    @Test("a resend (a lost reply, a manager's retry) alters the voucher: never a second one")
    func resendAlters() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let id = try setup.pay("A-000001")
        #expect(try await setup.worker(tally).drain().accepted == 1)
        #expect(try setup.store.requeueERP(connector: "tally", paymentIDs: [id], now: HubTime.nowMillis()) == 1)
        #expect(try await setup.worker(tally).drain().accepted == 1)
        let stats = try await tally.stats()
        #expect(stats["vouchers"] == 1 && stats["created"] == 1 && stats["altered"] == 1)
    }

    @Test("a ledger Tally lacks parks the voucher with Tally's words; the customer's later payments and others still go")
    func unknownLedgerParks() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally(ledgers: ["Sharma Stores", "HDFC Bank"])  // no "Gupta Medicals"
        let refused = try setup.pay("A-000001", amount: "100.00", invoice: "INV/3")
        let other = try setup.pay("A-000002", amount: "100.00", invoice: "INV/1")
        let later = try setup.pay("A-000003", amount: "50.00", invoice: "INV/3")
        let round = try await setup.worker(tally).drain()
        #expect(round.accepted == 1 && round.parked == 2)
        let parked = try setup.queue(.parked)
        #expect(Set(parked.map(\.paymentID)) == [refused, later])
        let reason = try #require(parked.first?.failure)
        #expect(reason.contains("Ledger 'Gupta Medicals' does not exist in company 'Test Co'") && reason.contains("A-00000"))
        #expect(try setup.queue(.sent).map(\.paymentID) == [other])
        // Not retried by itself: another round sends nothing.
        #expect(try await setup.worker(tally).drain() == ERPWorker.Round())
        // The ledger made in Tally, a manager's retry books both.
        _ = try await tally.call("/fake/ledgers", body: #"["Gupta Medicals"]"#)
        #expect(try setup.store.retryParkedERP(connector: "tally", id: nil, now: HubTime.nowMillis()) == 2)
        #expect(try await setup.worker(tally).drain().accepted == 2)
        #expect(try await tally.vouchers().count == 3)
    }

    @Test("a batch Tally refuses in part is sent again one by one: the good ones altered, not doubled; the bad one parked")
    func partialBatch() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally(ledgers: ["Sharma Stores", "HDFC Bank"])
        for n in 1...4 { try setup.pay("A-00000\(n)", amount: "10.00", invoice: n == 2 ? "INV/3" : "INV/\(n == 4 ? 2 : 1)") }
        // Each customer's oldest first: C1's three go one at a time behind each other, so the batch holds C1's
        // first and C2's one.
        let round = try await setup.worker(tally, batch: 10).drain()
        #expect(round.accepted == 3 && round.parked == 1)
        let stats = try await tally.stats()
        #expect(stats["vouchers"] == 3)
        #expect(try await tally.vouchers().count == Set(try await tally.vouchers().map(\.remote_id)).count)
    }

    @Test("a customer's payments go in order: the second waits while the first is pending")
    func fifoPerCustomer() throws {
        let setup = try ERPHub()
        let first = try setup.pay("A-000001", invoice: "INV/1")
        _ = try setup.pay("A-000002", invoice: "INV/2")
        let other = try setup.pay("A-000003", amount: "10.00", invoice: "INV/3")
        let claimed = try setup.store.claimERP(connector: "tally", now: HubTime.nowMillis(), limit: 10, leaseMillis: 60_000)
        #expect(claimed.map(\.paymentID) == [first, other])
        #expect(claimed.first?.attempt == 1 && claimed.first?.ledger == "Sharma Stores" && claimed.first?.allocations == [ERPAllocation(invoice: "INV/1", amount: Money(paise: 10_000))])
    }

    @Test("Tally closed: the voucher waits and is tried again later, with the reason; never parked")
    func tallyDown() async throws {
        let setup = try ERPHub()
        var settings = TallySettings(company: "Test Co", upiLedger: "HDFC Bank", chequeLedger: "HDFC Bank")
        settings.url = "http://127.0.0.1:9"  // discard: nothing listens
        settings.timeout = .seconds(3)
        _ = try setup.pay("A-000001")
        let round = try await ERPWorker(connector: TallyConnector(settings: settings), store: setup.store).drain()
        #expect(round.retrying == 1 && round.accepted == 0 && round.parked == 0)
        let row = try #require(try setup.queue(.pending).first)
        #expect(row.failure?.contains("Tally is not answering at http://127.0.0.1:9") == true && row.attempts == 1)
        // Not due again at once.
        #expect(try setup.store.claimERP(connector: "tally", now: HubTime.nowMillis(), limit: 10, leaseMillis: 60_000).isEmpty)
    }

    @Test("reconcile finds a voucher deleted in Tally by hand, and a receipt entered there by hand; resent, it is clean")
    func reconcile() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let kept = try setup.pay("A-000001")
        let deleted = try setup.pay("A-000002", amount: "50.00", invoice: "INV/3")
        let worker = setup.worker(tally)
        _ = try await worker.drain()
        let day = LocalDate(year: 2026, month: 11, day: 30)!
        #expect(try await worker.reconcile(day: day).isClean)
        #expect(try await tally.call("/fake/delete?remoteid=\(deleted)", post: true).status == 200)
        let report = try await worker.reconcile(day: day)
        #expect(report.lines.count == 1 && report.hubPayments == 2 && report.erpReceipts == 1)
        let line = try #require(report.lines.first)
        #expect(line.problem == "missing-in-erp" && line.paymentID == deleted && line.receiptNumber == "A-000002" && line.note?.contains("deleted there") == true)
        #expect(try setup.store.lastReconcile(connector: "tally") == report)
        #expect(try setup.store.requeueERP(connector: "tally", paymentIDs: [deleted], now: HubTime.nowMillis()) == 1)
        _ = try await worker.drain()
        #expect(try await worker.reconcile(day: day).isClean)
        // A receipt someone typed into Tally that day, with no FieldPay id.
        let typed = ERPVoucher(outboxID: 0, paymentID: "", receiptNumber: "manual", date: day, method: "cash", amount: Money(paise: 5_000),
            customerCode: "C1", ledger: "Sharma Stores", allocations: [])
        var xml = TallyXML.importEnvelope([typed], settings: tally.settings())
        xml = xml.replacingOccurrences(of: #"REMOTEID="""#, with: #"REMOTEID="manual-1""#)
        _ = try await tally.call("/", body: xml)
        let after = try await worker.reconcile(day: day)
        #expect(after.lines.map(\.problem) == ["missing-at-hub"] && after.lines.first?.erpAmount == Money(paise: 5_000))
        _ = kept
    }

    @Test("pull: Tally's outstanding bills become the invoice book; payments Tally has not acknowledged keep it lower; paid there, closed")
    func pull() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally(ledgers: ["HDFC Bank"], bills: 300, parties: 5)
        let worker = setup.worker(tally)
        let first = try await worker.pull()
        #expect(first.bills == 300 && first.written == 300 && first.heldDown == 0 && first.rejected.isEmpty)
        let bill = try #require(try setup.store.invoices(number: "TB/000007", openOnly: false, limit: 1).first)
        #expect(bill.customer == "Party 0002 Traders" && bill.outstanding.isPositive)
        // Paid at the hub, not yet in Tally: the next pull must not raise it back.
        var body = upload("A-000001", amount: "10.00", invoice: "TB/000007")
        body.customerCode = try #require(try setup.store.changes(after: 0, limit: 1000, deviceID: nil).changes.first { $0.number == "TB/000007" }?.customerCode)
        guard case .created = try setup.store.uploadSigned(deviceID: setup.device, payment: body) else { throw ERPError("refused") }
        let lowered = try #require(try setup.store.invoiceOutstanding("TB/000007"))
        #expect(lowered == bill.outstanding - Money(paise: 1_000))
        let second = try await worker.pull()
        #expect(second.heldDown == 1 && second.written == 0)
        #expect(try setup.store.invoiceOutstanding("TB/000007") == lowered)
        // Pushed: Tally's bill falls by the Agst Ref; the pull agrees with the hub and nothing is held.
        #expect(try await worker.drain().accepted == 1)
        let cursor = try setup.store.changes(after: 0, limit: 100_000, deviceID: nil).nextCursor
        let third = try await worker.pull()
        // Nothing differs from what the hub holds: nothing written, so devices are sent nothing again.
        #expect(third.heldDown == 0 && third.written == 0 && third.unchanged == 300)
        #expect(try setup.store.changes(after: Int64(cursor) ?? 0, limit: 1000, deviceID: nil).changes.isEmpty)
        #expect(try setup.store.invoiceOutstanding("TB/000007") == lowered)
        // A bill settled in Tally by hand: the pull closes it at the hub.
        let settle = ERPVoucher(outboxID: 0, paymentID: "hand-1", receiptNumber: "hand", date: LocalDate(year: 2026, month: 12, day: 1)!, method: "cash",
            amount: lowered, customerCode: "-", ledger: bill.customer, allocations: [ERPAllocation(invoice: "TB/000007", amount: lowered)])
        _ = try await tally.call("/", body: TallyXML.importEnvelope([settle], settings: tally.settings()))
        let fourth = try await worker.pull()
        #expect(fourth.closed == 1 && fourth.bills == 299)
        #expect(try setup.store.invoiceOutstanding("TB/000007") == .zero)
    }

    @Test("a bill of a party named exactly as a customer imported from a file goes to that customer, who keeps the ledger name")
    func pullMatchesCustomers() throws {
        let setup = try ERPHub()
        let date = LocalDate(year: 2026, month: 11, day: 1)!
        let bills = [ERPBill(party: "Sharma Stores", reference: "TS/9", date: date, dueDate: date.adding(days: 30), pending: Money(paise: 70_000))]
        let outcome = try setup.store.importERPBills(connector: "tally", bills: bills, closeMissing: true)
        // C1's invoices from the file are not Tally's: not closed though Tally does not list them.
        #expect(outcome.written == 1 && outcome.closed == 0)
        #expect(try setup.store.invoiceOutstanding("INV/1") == Money(paise: 100_000))
        let change = try #require(try setup.store.changes(after: 0, limit: 100, deviceID: nil).changes.first { $0.number == "TS/9" })
        #expect(change.customerCode == "C1")
        // Its payments go to Tally under that ledger.
        let id = try setup.pay("A-000001", amount: "10.00", invoice: "INV/2")
        #expect(try setup.store.claimERP(connector: "tally", now: HubTime.nowMillis(), limit: 5, leaseMillis: 60_000).first { $0.paymentID == id }?.ledger == "Sharma Stores")
    }

    @Test("a pull with a bill the importer refuses applies nothing and names the bill")
    func pullAllOrNothing() throws {
        let setup = try ERPHub()
        let before = try setup.store.invoices(number: nil, openOnly: false, limit: 100).map { "\($0.number) \($0.outstanding)" }
        let bills = [
            ERPBill(party: "New Party", reference: "NEW/1", date: LocalDate(year: 2026, month: 11, day: 1)!, dueDate: LocalDate(year: 2026, month: 12, day: 1)!,
                pending: Money(paise: 10_000)),
            ERPBill(party: "New Party", reference: "", date: LocalDate(year: 2026, month: 11, day: 1)!, dueDate: LocalDate(year: 2026, month: 12, day: 1)!,
                pending: Money(paise: 10_000)),
        ]
        #expect(throws: ERPPullRefused.self) { try setup.store.importERPBills(connector: "tally", bills: bills, closeMissing: true) }
        do { _ = try setup.store.importERPBills(connector: "tally", bills: bills, closeMissing: true) } catch let error as ERPPullRefused {
            #expect(error.description.contains("nothing applied") && error.outcome.rejected.count == 1)
        }
        #expect(try setup.store.invoices(number: nil, openOnly: false, limit: 100).map { "\($0.number) \($0.outstanding)" } == before)
    }
}

@Suite("ERP: Tally's XML")
struct TallyXMLTests {
    @Test("an import result is read from TallyPrime's envelope and Tally.ERP 9's RESPONSE alike; HTTP 200 with errors is a failure")
    func results() throws {
        let prime = """
            <ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DATA><IMPORTRESULT><CREATED>1</CREATED><ALTERED>0</ALTERED>\
            <DELETED>0</DELETED><LASTVCHID>87</LASTVCHID><IGNORED>0</IGNORED><ERRORS>0</ERRORS><CANCELLED>0</CANCELLED><EXCEPTIONS>0</EXCEPTIONS>\
            </IMPORTRESULT></DATA></BODY></ENVELOPE>
            """
        let ok = try #require(TallyImportResult.parse(Data(prime.utf8)))
        #expect(ok.isClean && ok.created == 1 && ok.lastVoucherID == "87")
        let erp9 = "<RESPONSE><LINEERROR>Ledger 'Sharma Traders' does not exist!</LINEERROR><CREATED>0</CREATED><ALTERED>0</ALTERED><ERRORS>1</ERRORS></RESPONSE>"
        let refused = try #require(TallyImportResult.parse(Data(erp9.utf8)))
        #expect(!refused.isClean && refused.errors == 1 && refused.lineErrors == ["Ledger 'Sharma Traders' does not exist!"])
        #expect(TallyImportResult.parse(Data("<html>Bad Gateway</html>".utf8)) == nil)
        #expect(TallyImportResult.parse(Data("not xml".utf8)) == nil)
    }

    @Test("amounts exactly, in paise: Tally's signs, Dr and Cr, nothing finer than a paisa")
    func amounts() {
        #expect(TallyXML.parseAmount("-1180.00") == Money(paise: -118_000))
        #expect(TallyXML.parseAmount("1180") == Money(paise: 118_000))
        #expect(TallyXML.parseAmount("1,180.5 Dr") == Money(paise: -118_050))
        #expect(TallyXML.parseAmount("99.990") == Money(paise: 9_999))
        #expect(TallyXML.parseAmount("0.001") == nil)
        #expect(TallyXML.parseAmount("1e5") == nil)
        #expect(TallyXML.parseAmount("") == nil)
        #expect(TallyXML.amount(Money(paise: -5)) == "-0.05")
        #expect(TallyXML.date(LocalDate(year: 2026, month: 3, day: 9)!) == "20260309")
        #expect(TallyXML.parseDate("7-Dec-2026") == LocalDate(year: 2026, month: 12, day: 7))
        #expect(TallyXML.parseDate("20261207") == LocalDate(year: 2026, month: 12, day: 7))
    }

    @Test("names with XML's special characters travel escaped, and come back as they were")
    func escaping() throws {
        let voucher = ERPVoucher(outboxID: 1, paymentID: "p-1", receiptNumber: "A-1", date: LocalDate(year: 2026, month: 12, day: 1)!, method: "cash",
            amount: Money(paise: 100), customerCode: "C1", ledger: "Shah & Sons <\"Wholesale\">", allocations: [ERPAllocation(invoice: "INV/1", amount: Money(paise: 100))])
        var settings = TallySettings(company: "M&M 'Traders'", upiLedger: "HDFC", chequeLedger: "HDFC")
        settings.cashLedger = "Cash"
        let xml = TallyXML.importEnvelope([voucher], settings: settings)
        let root = try #require(XMLTree.parse(Data(xml.utf8)))
        #expect(root.first("PARTYLEDGERNAME") == "Shah & Sons <\"Wholesale\">")
        #expect(root.first("SVCURRENTCOMPANY") == "M&M 'Traders'")
        #expect(root.all("VOUCHER").first?.attributes["REMOTEID"] == "p-1")
        #expect(XMLTree.escape("a\u{1}b") == "ab")
    }

    @Test("[erp.tally] in hub.toml: what it needs, in words")
    func configuration() throws {
        let folder = NSTemporaryDirectory() + "erp-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func load(_ text: String) throws -> HubConfiguration {
            try text.write(toFile: folder + "/hub.toml", atomically: true, encoding: .utf8)
            return try HubConfiguration.load(path: folder + "/hub.toml")
        }
        let good = try load("[erp.tally]\ncompany = \"Sharma Distributors\"\nupi_ledger = \"HDFC Bank\"\ncheque_ledger = \"HDFC Bank\"\nbatch_size = 5\n")
        #expect(good.erp.tally?.url == "http://127.0.0.1:9000" && good.erp.tally?.cashLedger == "Cash" && good.erp.tally?.batchSize == 5)
        #expect(good.erp.connectors().map(\.name) == ["tally"])
        func refusal(_ text: String) -> String {
            do { _ = try load(text) } catch { return "\(error)" }
            return "accepted"
        }
        #expect(refusal("[erp.tally]\nupi_ledger = \"HDFC\"\ncheque_ledger = \"HDFC\"\n").contains("company is missing"))
        #expect(refusal("[erp.tally]\ncompany = \"X\"\nupi_ledger = \"HDFC\"\ncheque_ledger = \"HDFC\"\nport = 9000\n").contains("no setting \"port\""))
        #expect(refusal("[erp.busy]\nurl = \"x\"\n").contains("no connector \"busy\""))
        #expect(refusal("[erp.tally]\ncompany = \"X\"\nupi_ledger = \"H\"\ncheque_ledger = \"H\"\nurl = \"ftp://tally\"\n").contains("url must be"))
    }
}

@Suite("ERP: the dashboard's Books page")
struct ERPDashboardTests {
    @Test("a parked voucher shows with Tally's reason and a Send again button that queues it; the last reconcile's differences are listed")
    func booksPage() async throws {
        let setup = try ERPHub()
        let manager = try setup.store.addManager(name: "Asha")
        _ = try setup.pay("A-000001", invoice: "INV/3")
        let voucher = try #require(try setup.store.claimERP(connector: "tally", now: HubTime.nowMillis(), limit: 1, leaseMillis: 60_000).first)
        try setup.store.recordERP(
            voucher.outboxID, action: .push, outcome: .rejected("Tally refused receipt A-000001: Ledger 'Gupta <Medicals>' does not exist in company 'Test Co'"),
            now: HubTime.nowMillis(), retryAt: 0)
        try setup.store.saveReconcile(
            ERPReconcileReport(
                connector: "tally", day: LocalDate(year: 2026, month: 11, day: 30)!, ranAt: HubTime.nowMillis(), hubPayments: 1, erpReceipts: 0,
                lines: [.init(paymentID: voucher.paymentID, receiptNumber: "A-000001", party: "C2", hubAmount: Money(paise: 10_000), erpAmount: nil,
                    problem: "missing-in-erp", note: "parked: the ERP refused it")]))
        let app = buildApplication(setup.hub.configuration, store: setup.store)
        try await app.test(.live) { client in
            let origin = "http://localhost"
            let cookie = try await DashboardTests.signIn(client, token: manager.token, origin: origin)
            try await client.execute(uri: "/manage/erp", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("<h2>tally</h2>") && page.contains("<b>1</b> parked"))
                #expect(page.contains("Ledger &#39;Gupta &lt;Medicals&gt;&#39; does not exist") || page.contains("Ledger &apos;Gupta &lt;Medicals&gt;&apos; does not exist")
                    || page.contains("Gupta &lt;Medicals&gt;"))
                #expect(!page.contains("<Medicals>"))
                #expect(page.contains("Send again") && page.contains("missing-in-erp") && page.contains("1 differences"))
            }
            var headers = DashboardTests.formType
            headers[.cookie] = cookie
            headers[.origin] = origin
            try await client.execute(
                uri: "/manage/erp/retry", method: .post, headers: headers, body: DashboardTests.form([("id", String(voucher.outboxID)), ("connector", "tally")])
            ) { response in
                #expect(response.status == .seeOther && response.headers[.location]?.hasPrefix("/manage/erp?notice=") == true)
            }
            #expect(try setup.queue(.pending).map(\.paymentID) == [voucher.paymentID])
            // Only a parked voucher: a second press is refused in words.
            try await client.execute(
                uri: "/manage/erp/retry", method: .post, headers: headers, body: DashboardTests.form([("id", String(voucher.outboxID)), ("connector", "tally")])
            ) { response in
                #expect(response.headers[.location]?.contains("error=") == true)
            }
        }
    }
}

/// `scripts/fake-zoho.py`: Zoho Books' API and accounts server as Zoho documents them.
final class FakeZoho: Sendable {
    let server: ScriptFake
    var url: String { server.url }

    init(invoices: Int = 30, customers: Int = 5) throws {
        server = try ScriptFake(
            "fake-zoho.py",
            ["--organization", "60012345678", "--client-id", "1000.CLIENT", "--client-secret", "secret", "--refresh-token", "1000.refresh",
                "--invoices", String(invoices), "--customers", String(customers)])
    }

    func settings(refreshToken: String = "1000.refresh") -> ZohoSettings {
        var settings = ZohoSettings(organizationID: "60012345678", clientID: "1000.CLIENT", clientSecret: "secret", refreshToken: refreshToken)
        settings.apiBase = url + "/books/v3"
        settings.accountsBase = url
        settings.timeout = .seconds(10)
        return settings
    }

    func call(_ path: String, post: Bool = false) async throws -> Data { try await server.call(path, post: post).body }

    func payments() async throws -> [[String: Any]] { try JSONSerialization.jsonObject(with: try await call("/fake/payments")) as? [[String: Any]] ?? [] }
    func stats() async throws -> [String: Int] { try JSONDecoder().decode([String: Int].self, from: try await call("/fake/stats")) }
}

@Suite("ERP: Zoho Books")
struct ZohoTests {
    /// A hub whose invoice book came from the fake Zoho, with the connector enabled.
    func pulled(_ zoho: FakeZoho, _ connector: ZohoBooksConnector) async throws -> (ERPHub, ERPWorker) {
        let setup = try ERPHub(connector: "zoho")
        let worker = ERPWorker(connector: connector, store: setup.store)
        let outcome = try await worker.pull()
        #expect(outcome.written == outcome.bills && outcome.rejected.isEmpty)
        return (setup, worker)
    }

    func pay(_ setup: ERPHub, _ receipt: String, invoice: String, amount: String) throws -> String {
        let code = try #require(try setup.store.changes(after: 0, limit: 10_000, deviceID: nil).changes.first { $0.number == invoice }?.customerCode)
        var body = upload(receipt, amount: amount, invoice: invoice)
        body.customerCode = code
        let id = UUID().uuidString.lowercased()
        guard case .created = try setup.store.uploadSigned(deviceID: setup.device, payment: body, id: id) else { throw ERPError("refused") }
        return id
    }

    @Test("the pull pages through every unpaid invoice; a payment becomes one customer payment applied to its invoice, found again, never made twice")
    func pushAndPull() async throws {
        let zoho = try FakeZoho(invoices: 450, customers: 7)
        let connector = ZohoBooksConnector(settings: zoho.settings())
        let (setup, worker) = try await pulled(zoho, connector)
        #expect(try setup.store.invoices(number: nil, openOnly: true, limit: 1000).filter { $0.number.hasPrefix("ZB-") }.count == 450)
        let id = try pay(setup, "A-000001", invoice: "ZB-000003", amount: "100.50")
        #expect(try await worker.drain().accepted == 1)
        let payments = try await zoho.payments()
        #expect(payments.count == 1)
        let payment = try #require(payments.first)
        #expect(payment["reference_number"] as? String == "A-000001" && payment["payment_mode"] as? String == "cash" && "\(payment["amount"] ?? "")" == "100.50")
        #expect((payment["description"] as? String)?.contains("FieldPay payment \(id)") == true)
        let applied = try #require((payment["invoices"] as? [[String: Any]])?.first)
        #expect(applied["invoice_id"] as? String == "460000000020003" && applied["amount_applied"] as? String == "100.50")
        // A lost reply, a manager's retry: the search finds it; no second payment.
        #expect(try setup.store.requeueERP(connector: "zoho", paymentIDs: [id], now: HubTime.nowMillis()) == 1)
        #expect(try await worker.drain().accepted == 1)
        let created = try await zoho.stats()["created"]
        let held = try await zoho.payments().count
        #expect(created == 1 && held == 1)
        // Reconcile: clean, then the payment deleted in Zoho by hand is missing there.
        let day = LocalDate(year: 2026, month: 11, day: 30)!
        #expect(try await worker.reconcile(day: day).isClean)
        _ = try await zoho.call("/fake/delete?payment_id=\(payment["payment_id"] as? String ?? "")", post: true)
        #expect(try await worker.reconcile(day: day).lines.map(\.problem) == ["missing-in-erp"])
    }

    @Test("an expired token is renewed once, shared, and the call made again; a wrong refresh token makes vouchers wait with the reason")
    func tokens() async throws {
        let zoho = try FakeZoho()
        let connector = ZohoBooksConnector(settings: zoho.settings())
        let (setup, worker) = try await pulled(zoho, connector)
        #expect(try await zoho.stats()["tokens"] == 1)
        _ = try await zoho.call("/fake/expire", post: true)
        _ = try pay(setup, "A-000001", invoice: "ZB-000001", amount: "10.00")
        #expect(try await worker.drain().accepted == 1)
        let stats = try await zoho.stats()
        #expect(stats["tokens"] == 2 && stats["unauthorized"] == 1 && stats["created"] == 1)

        let wrong = ZohoBooksConnector(settings: zoho.settings(refreshToken: "1000.revoked"))
        _ = try pay(setup, "A-000002", invoice: "ZB-000002", amount: "10.00")
        let round = try await ERPWorker(connector: wrong, store: setup.store).drain()
        #expect(round.retrying == 1 && round.parked == 0)
        #expect(try setup.queue(.pending).first?.failure?.contains("Zoho would not renew the access token (invalid_code)") == true)
    }

    @Test("the access token is kept in the data folder (mode 0600): a restarted hub uses it, and does not spend Zoho's 10 tokens in 10 minutes")
    func tokenKept() async throws {
        let zoho = try FakeZoho()
        let folder = NSTemporaryDirectory() + "zoho-token-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = zoho.settings()
        settings.tokenFile = folder + "/zoho-token"
        for _ in 0..<12 { _ = try await ZohoBooksConnector(settings: settings).pullBills() }  // twelve "restarts"
        #expect(try await zoho.stats()["tokens"] == 1)
        #expect(PrivateFile.exposure(of: folder + "/zoho-token") == nil)
        // Without the file, each new process asks for its own (Zoho stops giving them after ten in ten minutes).
        _ = try await ZohoBooksConnector(settings: zoho.settings()).pullBills()
        #expect(try await zoho.stats()["tokens"] == 2)
    }

    @Test("a 429 waits as long as Zoho says and then goes; a payment Zoho refuses is parked with Zoho's words")
    func limitsAndRefusals() async throws {
        let zoho = try FakeZoho()
        let connector = ZohoBooksConnector(settings: zoho.settings())
        let (setup, worker) = try await pulled(zoho, connector)
        let id = try pay(setup, "A-000001", invoice: "ZB-000004", amount: "10.00")
        _ = try await zoho.call("/fake/throttle?count=1", post: true)
        let voucher = try #require(try setup.store.claimERP(connector: "zoho", now: HubTime.nowMillis(), limit: 1, leaseMillis: 60_000).first)
        let outcomes = await connector.push([voucher])
        guard case .retry(let reason, let after)? = outcomes.first else { Issue.record("not a retry: \(outcomes)"); return }
        #expect(reason.contains("HTTP 429") && after == .seconds(1))
        #expect(await connector.push([voucher]) == [.accepted(reference: "460000000090001", created: true)])
        _ = id
        // Zoho's balance lowered by hand below what the hub knows: the payment is more than it; parked, in words.
        let invoices = try JSONSerialization.jsonObject(with: try await zoho.call("/fake/payments")) as? [[String: Any]]
        #expect(invoices?.count == 1)
        let bills = try await connector.pullBills()
        let balance = try #require(bills.first { $0.reference == "ZB-000000" }?.pending)
        _ = try pay(setup, "A-000002", invoice: "ZB-000000", amount: (balance + Money(paise: 0)).plainString)
        // Someone records part of it in Zoho first.
        let hand = ERPVoucher(outboxID: 0, paymentID: "hand", receiptNumber: "HAND-1", date: LocalDate(year: 2026, month: 12, day: 1)!, method: "cash",
            amount: Money(paise: 100), customerCode: "-", ledger: "-", allocations: [ERPAllocation(invoice: "ZB-000000", amount: Money(paise: 100))])
        #expect(await connector.push([hand]).first == .accepted(reference: "460000000090002", created: true))
        let round = try await worker.drain()
        #expect(round.parked == 1)
        #expect(try setup.queue(.parked).first?.failure?.contains("The amount applied to ZB-000000 is more than its balance due. (code 24016)") == true)
    }

    @Test("[erp.zoho] in hub.toml: secrets from files of mode 0600 or the environment, the India data centre by default")
    func configuration() throws {
        let folder = NSTemporaryDirectory() + "zoho-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/secrets", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "s3cret\n".write(toFile: folder + "/secrets/zoho-secret", atomically: true, encoding: .utf8)
        chmod(folder + "/secrets/zoho-secret", 0o600)
        let text = "[erp.zoho]\norganization_id = \"600123\"\nclient_id = \"1000.X\"\nclient_secret_file = \"secrets/zoho-secret\"\n"
        try text.write(toFile: folder + "/hub.toml", atomically: true, encoding: .utf8)
        let loaded = try HubConfiguration.load(path: folder + "/hub.toml", environment: ["FIELDPAY_ZOHO_REFRESH_TOKEN": "1000.r"])
        let zoho = try #require(loaded.erp.zoho)
        #expect(zoho.apiBase == "https://www.zohoapis.in/books/v3" && zoho.accountsBase == "https://accounts.zoho.in")
        #expect(zoho.clientSecret == "s3cret" && zoho.refreshToken == "1000.r" && zoho.organizationID == "600123")
        #expect(throws: HubConfigError.self) { try HubConfiguration.load(path: folder + "/hub.toml", environment: [:]) }
        chmod(folder + "/secrets/zoho-secret", 0o644)
        #expect(throws: HubConfigError.self) { try HubConfiguration.load(path: folder + "/hub.toml", environment: ["FIELDPAY_ZOHO_REFRESH_TOKEN": "1000.r"]) }
    }
}
