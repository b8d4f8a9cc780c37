import FieldPayCore
import Foundation
import HTTPTypes
import Hub
import HubAPI
import Hummingbird
import HummingbirdTesting
import InvoiceImport
import NIOCore
import Testing

/// A hub on a fresh data folder with the sample invoices, tested through its router (no sockets).
final class TestHub: Sendable {
    let folder = NSTemporaryDirectory() + "fieldpay-hub-\(UUID().uuidString)"
    let store: any HubStorage
    let configuration: HubConfiguration
    static let secret = "whsec_test"

    init(backend: StoreBackend = .sqlite) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var configuration = HubConfiguration(dataDirectory: folder, providers: [.razorpay(webhookSecret: TestHub.secret)])
        configuration.eventKeepAlive = .milliseconds(500)  // a closed event stream is noticed quickly
        // The tests' payments are dated in 2026 and must stay valid as the calendar moves on; the window itself
        // is tested with the default limits (UploadLimitTests).
        configuration.uploadLimits.pastDays = 3650
        configuration.metricsSnapshotMaxAge = .zero  // the tests read the book's gauges right after changing it
        self.configuration = configuration
        store = try backend.makeStore(folder: folder)
        let csv = folder + "/invoices.csv"
        try """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total
            INV/1,2026-10-01,2026-10-31,C1,Sharma Stores,1000.00
            INV/2,2026-10-02,2026-11-01,C1,Sharma Stores,500.00
            INV/3,2026-10-03,2026-11-02,C2,Gupta Medicals,250.00
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        _ = try store.importInvoices(from: InvoiceFileReader(path: csv))
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    var app: any ApplicationProtocol { buildApplication(configuration, store: store) }

    /// A device of `rep` enrolled with the test key and `deviceCode`; the rep sees the whole book (`scope`) unless
    /// the test says otherwise (a rep new to the hub gets `assigned`).
    func enrolledToken(rep: String = "Ravi", deviceCode: String = "DEMO01", scope: String? = "all") throws -> String {
        let code = try store.createEnrollmentCode(rep: rep)
        guard case .enrolled(let response) = try store.enroll(code: code, deviceName: "handheld-1", deviceCode: deviceCode) else { fatalError() }
        if let scope { _ = try store.setRep(rep, RepSettings(scope: scope)) }
        return "\(response.deviceID).\(response.secret)"
    }
}

func json(_ value: some Encodable) -> ByteBuffer { ByteBuffer(bytes: try! JSONEncoder().encode(value)) }

func upload(_ receipt: String, amount: String = "100.00", invoice: String = "INV/1", method: String = "cash", reference: String? = nil) -> PaymentUpload {
    var body = PaymentUpload(
        receiptNumber: receipt, method: method, amount: amount, allocations: [AllocationBody(invoice: invoice, amount: amount)],
        advance: "0.00", customerCode: invoice == "INV/3" ? "C2" : "C1", recordedAtMillis: 1_796_000_000_000, signature: "sig")
    body.upiReference = reference
    return body
}

@Suite("Hub protocol")
struct HubProtocolTests {
    @Test("enrollment: a code works once, and the secret it gives authenticates the device", arguments: StoreBackend.allCases)
    func enrollment(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let code = try hub.store.createEnrollmentCode(rep: "Ravi")
        try await hub.app.test(.router) { client in
            var token = ""
            // Without its receipt key, or without its code, a device cannot enroll (and the code is not spent).
            for (request, words) in [
                (EnrollRequest(code: code, deviceName: "h1", deviceCode: "DEMO01"), "public_key is missing"),
                (EnrollRequest(code: code, deviceName: "h1", publicKey: testSigner.publicKeyBase64), "device_code is missing"),
                (EnrollRequest(code: code, deviceName: "h1", publicKey: testSigner.publicKeyBase64, deviceCode: "demo-1"), "2 to 16 capital letters"),
            ] {
                try await client.execute(uri: "/v1/devices/enroll", method: .post, body: json(request)) { response in
                    #expect(response.status == .badRequest && String(buffer: response.body).contains(words), "\(words)")
                }
            }
            let enroll = EnrollRequest(code: code.lowercased(), deviceName: "h1", publicKey: testSigner.publicKeyBase64, deviceCode: "DEMO01")
            try await client.execute(uri: "/v1/devices/enroll", method: .post, body: json(enroll)) { response in
                #expect(response.status == .created)
                let body = try JSONDecoder().decode(EnrollResponse.self, from: Data(buffer: response.body))
                #expect(body.rep == "Ravi")
                token = "\(body.deviceID).\(body.secret)"
            }
            try await client.execute(
                uri: "/v1/devices/enroll", method: .post,
                body: json(EnrollRequest(code: code, deviceName: "h2", publicKey: testSigner.publicKeyBase64, deviceCode: "DEMO02"))
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(String(buffer: response.body).contains("already used"))
            }
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(token)x"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/invoices/changes", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            _ = try hub.store.revoke(deviceID: String(token.split(separator: ".")[0]))
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("revoked"))
            }
        }
    }

    @Test("the change feed pages by cursor and carries tombstones", arguments: StoreBackend.allCases)
    func changes(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        _ = try hub.store.deleteInvoice("INV/2")
        try await hub.app.test(.router) { client in
            var cursor = "0"
            var seen: [InvoiceChange] = []
            for _ in 0..<10 {
                var more = false
                try await client.execute(uri: "/v1/invoices/changes?cursor=\(cursor)&limit=2", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    let page = try JSONDecoder().decode(ChangesPage.self, from: Data(buffer: response.body))
                    seen += page.changes
                    cursor = page.nextCursor
                    more = page.more
                }
                if !more { break }
            }
            #expect(seen.map(\.number) == ["INV/1", "INV/3", "INV/2"])
            #expect(seen.last?.deleted == true && seen.first?.outstanding == "1000.00")
            try await client.execute(uri: "/v1/invoices/changes?cursor=abc", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("PUT /v1/payments/{uuid}: 201 first, 200 with the same result on a repeat, 409 for another body", arguments: StoreBackend.allCases)
    func idempotentPayments(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        let id = UUID().uuidString
        try await hub.app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            var first = ""
            try await client.execute(uri: "/v1/payments/\(id)", method: .put, headers: headers, body: json(testSigner.sign(upload("D1-000001"), paymentID: id))) { response in
                #expect(response.status == .created)
                first = String(buffer: response.body)
            }
            try await client.execute(uri: "/v1/payments/\(id)", method: .put, headers: headers, body: json(testSigner.sign(upload("D1-000001"), paymentID: id))) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == first)
            }
            try await client.execute(uri: "/v1/payments/\(id)", method: .put, headers: headers, body: json(testSigner.sign(upload("D1-000001", amount: "101.00"), paymentID: id))) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/v1/payments/not-a-uuid", method: .put, headers: headers, body: json(upload("D1-000002"))) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/payments/\(UUID().uuidString)", method: .put, headers: headers, body: ByteBuffer(string: "{")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/payments/\(UUID().uuidString)", method: .put, headers: headers, body: ByteBuffer(repeating: 0x20, count: 300_000)) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
        #expect(try hub.store.paymentCount() == 1)
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "900.00")))
    }

    @Test("two devices paying the same invoice: both payments kept, the second flagged for review", arguments: StoreBackend.allCases)
    func doublePayment(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let deviceA = String(try hub.enrolledToken().split(separator: ".")[0])
        let deviceB = String(try hub.enrolledToken().split(separator: ".")[0])
        let a = try hub.store.uploadSigned(deviceID: deviceA, body: Data("a".utf8), payment: upload("A-000001", amount: "250.00", invoice: "INV/3"))
        let b = try hub.store.uploadSigned(deviceID: deviceB, body: Data("b".utf8), payment: upload("B-000001", amount: "250.00", invoice: "INV/3"))
        guard case .created(let first) = a, case .created(let second) = b else {
            Issue.record("\(a) \(b)")
            return
        }
        #expect(!first.flaggedForReview && second.flaggedForReview)
        #expect(try hub.store.paymentCount() == 2)
    }
}

@Suite("Razorpay webhooks")
struct RazorpayWebhookTests {
    static func event(_ kind: String = "qr_code.credited", paymentID: String = "pay_1", amount: Int = 25_000, rrn: String = "412345678901", tr: String?) -> Data {
        Razorpay.creditEvent(kind, paymentID: paymentID, amountPaise: Int64(amount), utr: rrn, reference: tr)
    }

    func deliver(_ hub: TestHub, _ body: Data, eventID: String, signature: String? = nil) async throws -> (HTTPResponse.Status, String) {
        try await hub.app.test(.router) { client in
            let headers: HTTPFields = [
                HTTPField.Name("X-Razorpay-Signature")!: signature ?? Razorpay.signature(body: body, secret: TestHub.secret),
                HTTPField.Name("x-razorpay-event-id")!: eventID,
            ]
            return try await client.execute(uri: "/v1/webhooks/razorpay", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                (response.status, String(buffer: response.body))
            }
        }
    }

    @Test("a signed credit for a QR whose tr names an invoice pays it; repeats and payment.captured do not pay twice", arguments: StoreBackend.allCases)
    func credit(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let body = Self.event(tr: "DEMO01INV3" + "TPAUOU")
        #expect(try await deliver(hub, body, eventID: "evt_1") == (.ok, "{\"outcome\":\"credited-invoice\"}"))
        #expect(try await deliver(hub, body, eventID: "evt_1").1.contains("duplicate-event"))
        #expect(try await deliver(hub, Self.event("payment.captured", tr: "DEMO01INV3TPAUOU"), eventID: "evt_2").1.contains("duplicate-credit"))
        #expect(try hub.store.invoiceOutstanding("INV/3") == .zero)
    }

    @Test("a credit for a QR a device already recorded confirms that payment with the UTR", arguments: StoreBackend.allCases)
    func confirmsDevicePayment(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let id = UUID().uuidString.lowercased()
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        _ = try hub.store.upload(paymentID: id, deviceID: device, body: Data("x".utf8), payment: testSigner.sign(upload("A-000001", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: id))
        #expect(try hub.store.paymentStatus(id)?.status == "awaiting-confirmation")
        #expect(try await deliver(hub, Self.event(tr: "DEMO01INV3TPAUOU"), eventID: "evt_9").1.contains("confirmed-payment"))
        #expect(try hub.store.paymentStatus(id)?.status == "confirmed" && hub.store.paymentStatus(id)?.utr == "412345678901")
        #expect(try hub.store.invoiceOutstanding("INV/3") == .zero)  // lowered once, by the device's payment
    }

    @Test("bad signatures are refused and recorded; unknown QRs go to reconciliation; nothing is marked paid wrongly", arguments: StoreBackend.allCases)
    func refusals(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let body = Self.event(tr: "DEMO01INV1TPAUOU")
        #expect(try await deliver(hub, body, eventID: "evt_a", signature: "00" + String(repeating: "a", count: 62)).0 == .unauthorized)
        #expect(try await deliver(hub, body, eventID: "evt_b", signature: Razorpay.signature(body: body, secret: "wrong")).0 == .unauthorized)
        var tampered = body
        tampered.append(0x20)
        #expect(try await deliver(hub, tampered, eventID: "evt_c", signature: Razorpay.signature(body: body, secret: TestHub.secret)).0 == .unauthorized)
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "1000.00")))
        #expect(try await deliver(hub, Self.event(paymentID: "pay_x", tr: "NOSUCHINVOICE123456"), eventID: "evt_d").1.contains("unmatched"))
        #expect(try await deliver(hub, Self.event(paymentID: "pay_y", tr: nil), eventID: "evt_e").1.contains("unmatched"))
        #expect(try hub.store.unreconciledCredits().map(\.providerPaymentID) == ["pay_x", "pay_y"])
        #expect(try hub.store.webhookOutcomes() == ["bad-signature", "bad-signature", "bad-signature", "unmatched", "unmatched"])
    }
}

@Suite("Replayed webhooks")
struct WebhookReplayTests {
    @Test("a signed event made before the replay window is answered but not applied; a fresh one is", arguments: StoreBackend.allCases)
    func stale(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let old = Razorpay.creditEvent(paymentID: "pay_old", amountPaise: 100_000, utr: "412345678911", reference: "DEMO01INV1TPAUOU",
            createdAt: Date().addingTimeInterval(-8 * 86_400))
        let (status, text) = try await RazorpayWebhookTests().deliver(hub, old, eventID: "evt_old")
        #expect(status == .ok && text.contains("stale-event"))
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "1000.00")))
        let fresh = Razorpay.creditEvent(paymentID: "pay_new", amountPaise: 100_000, utr: "412345678912", reference: "DEMO01INV1TPAUOU")
        #expect(try await RazorpayWebhookTests().deliver(hub, fresh, eventID: "evt_new").1.contains("credited-invoice"))
        #expect(try hub.store.invoiceOutstanding("INV/1") == .zero)
    }
}

@Suite("A flood of forged webhooks")
struct WebhookFloodTests {
    @Test("150 badly signed webhooks of 200 KiB are all refused, and the data folder grows by a capped sample, not by their bodies", arguments: StoreBackend.allCases)
    func flood(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        func folderBytes() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: hub.folder).reduce(0) { sum, name in
                sum + ((try? FileManager.default.attributesOfItem(atPath: hub.folder + "/" + name)[.size] as? Int) ?? 0)
            }
        }
        let before = try folderBytes()
        let junk = Data(repeating: UInt8(ascii: "x"), count: 200 * 1024)
        try await hub.app.test(.router) { client in
            for n in 0..<150 {
                let headers: HTTPFields = [HTTPField.Name("X-Razorpay-Signature")!: "00" + String(repeating: "b", count: 62), HTTPField.Name("x-razorpay-event-id")!: "evt_\(n)"]
                try await client.execute(uri: "/v1/webhooks/razorpay", method: .post, headers: headers, body: ByteBuffer(bytes: junk)) {
                    #expect($0.status == .unauthorized)
                }
            }
        }
        let grown = try folderBytes() - before
        #expect(grown < 4 * 1024 * 1024, "the data folder grew by \(grown) bytes for 30 MiB of forged webhooks")
        #expect(try hub.store.webhookOutcomes().count == 100)  // the sample
    }
}

@Suite("UTR entered on the device")
struct UTRTests {
    @Test("a typed UTR is a claim held by one payment; the same UTR for another payment is refused", arguments: StoreBackend.allCases)
    func utr(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let a = UUID().uuidString.lowercased()
        let b = UUID().uuidString.lowercased()
        _ = try hub.store.upload(paymentID: a, deviceID: device, body: Data(), payment: testSigner.sign(upload("A-1", amount: "10.00", invoice: "INV/1", method: "upi"), paymentID: a))
        _ = try hub.store.upload(paymentID: b, deviceID: device, body: Data(), payment: testSigner.sign(upload("A-2", amount: "10.00", invoice: "INV/1", method: "upi"), paymentID: b))
        #expect(try hub.store.confirmUTR(paymentID: a, deviceID: device, utr: "412345678901") == .claimed)
        #expect(try hub.store.confirmUTR(paymentID: a, deviceID: device, utr: "412345678901") == .claimed)
        #expect(try hub.store.confirmUTR(paymentID: b, deviceID: device, utr: "412345678901") == .conflict("UTR 412345678901 belongs to another payment"))
        #expect(try hub.store.confirmUTR(paymentID: a, deviceID: device, utr: "999999999999") == .conflict("payment \(a) already has UTR 412345678901"))
        #expect(try hub.store.confirmUTR(paymentID: b, deviceID: "dev_other", utr: "111111111111") == .notFound)
        #expect(try hub.store.paymentStatus(a)?.status == "utr-claimed")
        #expect(try hub.store.paymentStatus(b)?.status == "awaiting-confirmation")
    }

    @Test("a payment a credit already confirmed stays confirmed when its rep types a UTR afterwards", arguments: StoreBackend.allCases)
    func typedAfterConfirmation(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let id = UUID().uuidString.lowercased()
        _ = try hub.store.uploadSigned(deviceID: device, payment: upload("A-1", amount: "100.00", invoice: "INV/1", method: "upi", reference: "DEMO01INV1TPAUOU"), id: id)
        let credit = CreditNotice(provider: "razorpay", providerPaymentID: "pay_x", amount: Money(paise: 10_000), utr: nil, reference: "DEMO01INV1TPAUOU", source: "webhook")
        #expect(try hub.store.applyCredit(credit) == .confirmedPayment)
        #expect(try hub.store.confirmUTR(paymentID: id, deviceID: device, utr: "412345678909") == .confirmed)
        #expect(try hub.store.paymentStatus(id)?.status == "confirmed" && hub.store.paymentStatus(id)?.utr == "412345678909")
    }

    @Test(
        "security: a UTR typed on a device never confirms by itself; a credit with that UTR and amount does, another amount goes to reconciliation",
        arguments: StoreBackend.allCases)
    func claimNeedsProof(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        let device = String(token.split(separator: ".")[0])
        let a = UUID().uuidString.lowercased()
        let b = UUID().uuidString.lowercased()
        _ = try hub.store.uploadSigned(deviceID: device, payment: upload("A-1", amount: "100.00", invoice: "INV/1", method: "upi"), id: a)
        _ = try hub.store.uploadSigned(deviceID: device, payment: upload("A-2", amount: "50.00", invoice: "INV/2", method: "upi"), id: b)
        // The attack: twelve digits typed on the device, over HTTP as a device sends them.
        try await hub.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/payments/\(a)/utr", method: .put, headers: [.authorization: "Bearer \(token)"], body: json(UTRBody(utr: "412345678901"))
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"status\":\"utr-claimed\""))
            }
        }
        _ = try hub.store.confirmUTR(paymentID: b, deviceID: device, utr: "412345678902")
        #expect(try hub.store.paymentStatus(a)?.status == "utr-claimed")
        // Counted apart from confirmed money in the register and the day sheet.
        let day = HubTime.day(ofMillis: 1_796_000_000_000)
        let register = try hub.store.register(from: day, to: day)
        #expect(register.rows.map(\.method) == ["upi-claimed"] && register.rows.first?.amount == "150.00")
        let sheet = try #require(try hub.store.daySheet(rep: "Ravi", day: day))
        #expect(sheet.collected.first { $0.method == "upi-claimed" }?.amount == "150.00")
        #expect(sheet.collected.first { $0.method == "upi" }?.amount == "0.00")
        // No receipt goes to the customer on a claim.
        #expect(try hub.store.messages(state: nil, customer: nil, limit: 10).isEmpty)
        // A bank statement line with that UTR and the payment's amount is the proof.
        let statement = hub.folder + "/statement.csv"
        try "date,narration,utr,credit\n2026-12-01,UPI/412345678901,412345678901,100.00\n2026-12-01,UPI/412345678902,412345678902,5.00\n"
            .write(toFile: statement, atomically: true, encoding: .utf8)
        _ = try hub.store.importStatement(path: statement)
        #expect(try hub.store.paymentStatus(a)?.status == "confirmed")
        // Five rupees for a claimed fifty: it proves nothing; the credit waits on the reconciliation list.
        #expect(try hub.store.paymentStatus(b)?.status == "utr-claimed")
        #expect(try hub.store.unreconciledCredits().map(\.state) == ["amount-mismatch"])
    }

    @Test("an upload whose UTR another payment holds is kept without it, awaiting confirmation and flagged", arguments: StoreBackend.allCases)
    func claimedUTRUpload(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        var first = upload("A-1", amount: "10.00", invoice: "INV/1", method: "upi")
        first.utr = "412345678901"
        let second = first
        let a = try hub.store.uploadSigned(deviceID: device, body: Data(), payment: first)
        let b = try hub.store.uploadSigned(deviceID: device, body: Data(), payment: { var p = second; p.receiptNumber = "A-2"; return p }())
        #expect(a == .created(PaymentResult(paymentID: aID(a), status: "utr-claimed", flaggedForReview: false)))
        guard case .created(let result) = b else {
            Issue.record("\(b)")
            return
        }
        #expect(result.status == "awaiting-confirmation" && result.flaggedForReview)
        #expect(try hub.store.paymentStatus(result.paymentID)?.utr == nil)
    }
}

func aID(_ outcome: UploadOutcome) -> String {
    if case .created(let result) = outcome { return result.paymentID }
    return ""
}
