import Foundation
import HTTPTypes
import Hub
import HubAPI
import Hummingbird
import HummingbirdTesting
import InvoiceImport
import NIOCore
import Testing

@Suite("Upload validation")
struct UploadValidationTests {
    /// Field edits, as `key=value` pairs separated by `;`, applied to a good upload.
    static func edited(_ edits: String) -> PaymentUpload {
        var p = upload("A-000001")
        for edit in edits.split(separator: ";") {
            let parts = edit.split(separator: "=", maxSplits: 1).map(String.init)
            let value = parts.count > 1 ? parts[1] : ""
            switch parts[0] {
            case "method": p.method = value
            case "utr": p.utr = value
            case "amount": p.amount = value
            case "allocation": p.allocations[0].amount = value
            case "allocations10": p.allocations = Array(repeating: AllocationBody(invoice: "INV/1", amount: value), count: 10)
            case "advance": p.advance = value
            case "cheque_date": p.chequeDate = value
            default: fatalError("no field \(parts[0])")
            }
        }
        return p
    }

    @Test(
        "uploads whose fields are wrong are refused with the reason, and nothing is stored",
        arguments: [
            ("method=bitcoin", "method bitcoin"),
            ("method=upi;utr=", "utr must be 12 digits"),
            ("method=upi;utr=١٢٣٤٥٦٧٨٩٠١٢", "utr must be 12 digits"),
            ("utr=412345678901", "only a UPI payment has a UTR"),
            ("amount=Rs 100;allocation=Rs 100", "amount Rs 100"),
            ("allocation=1,0", "allocation to INV/1"),
            ("advance=-5.00", "advance -5.00"),
            ("advance=5.00", "do not add up"),
            ("method=cheque", "needs cheque_number and bank"),
            ("cheque_date=nope", "cheque_date nope"),
            // Found by schemathesis' fuzzing: this used to overflow Money and crash the hub.
            ("amount=9999999999999999.99;allocations10=9999999999999999.99", "add up to more than the amount"),
            ("amount=9999999999999999.99;advance=9999999999999999.99", "do not add up"),
        ])
    func refused(edits: String, reason: String) throws {
        let hub = try TestHub()
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let body = Self.edited(edits)
        let outcome = try hub.store.uploadSigned(deviceID: device, body: Data(), payment: body)
        guard case .invalid(let detail) = outcome else {
            Issue.record("accepted: \(outcome)")
            return
        }
        #expect(detail.contains(reason), "\(detail)")
        #expect(try hub.store.paymentCount() == 0)
    }

    @Test("a second payment with a receipt number the device already used is a 409, not a server error", arguments: StoreBackend.allCases)
    func receiptReuse(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        try await hub.app.test(.router) { client in
            for (index, expected) in [HTTPResponse.Status.created, .conflict].enumerated() {
                var body = upload("A-000001")
                body.recordedAtMillis += Int64(index)
                let id = UUID().uuidString.lowercased()
                try await client.execute(
                    uri: "/v1/payments/\(id)", method: .put, headers: [.authorization: "Bearer \(token)"], body: json(testSigner.sign(body, paymentID: id))
                ) { response in
                    #expect(response.status == expected, "\(String(buffer: response.body))")
                    if expected == .conflict { #expect(response.headers[.contentType] == "application/problem+json") }
                }
            }
        }
    }

    @Test("a device reads the status of its own payments only", arguments: StoreBackend.allCases)
    func ownPaymentsOnly(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let mine = try hub.enrolledToken()
        let other = try hub.enrolledToken()
        let id = UUID().uuidString.lowercased()
        try await hub.app.test(.router) { client in
            try await client.execute(uri: "/v1/payments/\(id)", method: .put, headers: [.authorization: "Bearer \(mine)"], body: json(testSigner.sign(upload("A-1"), paymentID: id))) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/v1/payments/\(id)", method: .get, headers: [.authorization: "Bearer \(mine)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/payments/\(id)", method: .get, headers: [.authorization: "Bearer \(other)"]) { #expect($0.status == .notFound) }
        }
    }
}

@Suite("Confirmation state machine and events")
struct ConfirmationTests {
    func deliver(_ client: some TestClientProtocol, _ body: Data, eventID: String) async throws -> String {
        let headers: HTTPFields = [
            HTTPField.Name("X-Razorpay-Signature")!: Razorpay.signature(body: body, secret: TestHub.secret),
            HTTPField.Name("x-razorpay-event-id")!: eventID,
        ]
        return try await client.execute(uri: "/v1/webhooks/razorpay", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
            String(buffer: $0.body)
        }
    }

    @Test("a credit that reached the hub before the device's payment is taken over by it: the invoice is lowered once", arguments: StoreBackend.allCases)
    func creditBeforeUpload(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        let id = UUID().uuidString.lowercased()
        try await hub.app.test(.router) { client in
            #expect(try await deliver(client, RazorpayWebhookTests.event(amount: 25_000, tr: "DEMO01INV3TPAUOU"), eventID: "e1").contains("credited-invoice"))
            #expect(try hub.store.invoiceOutstanding("INV/3") == .zero)
            let body = testSigner.sign(upload("A-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: id)
            try await client.execute(uri: "/v1/payments/\(id)", method: .put, headers: [.authorization: "Bearer \(token)"], body: json(body)) { response in
                #expect(String(buffer: response.body).contains("\"status\":\"confirmed\""), "\(String(buffer: response.body))")
            }
        }
        #expect(try hub.store.paymentStatus(id)?.utr == "412345678901")
        #expect(try hub.store.invoiceOutstanding("INV/3") == .zero)
        #expect(try hub.store.unreconciledCredits().isEmpty)
    }

    @Test("a credit for a QR whose payment already holds another UTR never lowers the invoice again; a short credit is flagged", arguments: StoreBackend.allCases)
    func creditForConfirmedPayment(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let typed = UUID().uuidString.lowercased()
        _ = try hub.store.upload(
            paymentID: typed, deviceID: device, body: Data(), payment: testSigner.sign(upload("A-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: typed))
        // The rep typed a UTR (mistyped): a claim. The bank's credit for this very QR, with its own UTR, is the proof:
        // it confirms the payment with the bank's UTR and never lowers the invoice again.
        #expect(try hub.store.confirmUTR(paymentID: typed, deviceID: device, utr: "499999999999") == .claimed)
        let bank = RazorpayWebhookTests.event(paymentID: "pay_8", amount: 25_000, rrn: "412345678900", tr: "DEMO01INV3TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: bank, signature: Razorpay.signature(body: bank, secret: TestHub.secret), eventID: "e0", secret: TestHub.secret) == .confirmedPayment)
        #expect(try hub.store.paymentStatus(typed)?.status == "confirmed" && hub.store.paymentStatus(typed)?.utr == "412345678900")
        // A second credit for the same QR: the payment holds a proven UTR now, so it waits for a person.
        let other = RazorpayWebhookTests.event(paymentID: "pay_9", amount: 25_000, rrn: "412345678901", tr: "DEMO01INV3TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: other, signature: Razorpay.signature(body: other, secret: TestHub.secret), eventID: "e1", secret: TestHub.secret) == .duplicateUTR)
        #expect(try hub.store.invoiceOutstanding("INV/3") == .zero)
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "1000.00")))
        #expect(try hub.store.unreconciledCredits().map(\.state) == ["duplicate-utr"])

        let short = UUID().uuidString.lowercased()
        _ = try hub.store.upload(
            paymentID: short, deviceID: device, body: Data(), payment: testSigner.sign(upload("A-2", amount: "100.00", invoice: "INV/1", method: "upi", reference: "DEMO01INV1TPAUOU"), paymentID: short))
        let paidLess = RazorpayWebhookTests.event(paymentID: "pay_10", amount: 1_000, rrn: "412345678902", tr: "DEMO01INV1TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: paidLess, signature: Razorpay.signature(body: paidLess, secret: TestHub.secret), eventID: "e2", secret: TestHub.secret) == .confirmedPayment)
        #expect(try hub.store.recentPayments().first { $0.receiptNumber == "A-2" }?.flagged == true)
    }

    @Test("a bank statement confirms a payment whose webhook never came, once; a UTR of another payment goes to reconciliation", arguments: StoreBackend.allCases)
    func statement(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let id = UUID().uuidString.lowercased()
        _ = try hub.store.upload(
            paymentID: id, deviceID: device, body: Data(), payment: testSigner.sign(upload("A-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: id))
        var held = upload("A-2", amount: "10.00", invoice: "INV/1", method: "upi", reference: "DEMO01INV1TPAAAA")
        held.utr = "499999999999"
        _ = try hub.store.uploadSigned(deviceID: device, body: Data(), payment: held)
        let file = hub.folder + "/statement.csv"
        try """
            Txn Date,Narration,Chq./Ref.No.,Withdrawal Amt.,Deposit Amt.,Closing Balance
            30/11/26,UPI/412345678901/DEMO01INV3TPAUOU/payer@okaxis/HDFC,412345678901,,250.00,10250.00
            30/11/26,NEFT CHARGES,,5.90,,10244.10
            30/11/26,UPI/499999999999/SOMEONEELSE123/x@ybl,499999999999,,99.00,10343.10
            30/11/26,UPI/NOUTRHERE/x@ybl,,,12.00,10355.10
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let first = try hub.store.importStatement(path: file)
        #expect(first.outcomes == ["confirmed-payment": 1, "not-a-credit": 1, "duplicate-utr": 1], "\(first.outcomes)")
        #expect(first.rejected.map(\.line) == [5])
        #expect(try hub.store.paymentStatus(id)?.status == "confirmed" && hub.store.paymentStatus(id)?.utr == "412345678901")
        let again = try hub.store.importStatement(path: file)
        #expect(again.outcomes["duplicate-credit"] == 2 && again.outcomes["confirmed-payment"] == nil, "\(again.outcomes)")
        #expect(try hub.store.unreconciledCredits().map(\.state) == ["duplicate-utr"])
        #expect(try hub.store.invoiceOutstanding("INV/3") == .zero)
    }

    @Test("the statement line of a credit a webhook already brought is the same money, not a second credit", arguments: StoreBackend.allCases)
    func statementAfterWebhook(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        try await hub.app.test(.router) { client in
            _ = try await deliver(client, RazorpayWebhookTests.event(amount: 10_000, tr: "DEMO01INV1TPAUOU"), eventID: "e1")
        }
        let file = hub.folder + "/statement.csv"
        try "utr,credit,narration\n412345678901,100.00,UPI/412345678901/DEMO01INV1TPAUOU\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try hub.store.importStatement(path: file).outcomes == ["duplicate-credit": 1])
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "900.00")))
    }

    @Test("a statement whose money column is a plain Amount: debits (Dr) are skipped by its Dr/Cr column, and without one it is refused", arguments: StoreBackend.allCases)
    func amountColumn(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let file = hub.folder + "/statement.csv"
        try """
            Date,Narration,Amount,Dr/Cr
            30/11/26,UPI/412345678901/DEMO01INV1TPAUOU/x@ybl,100.00,CR
            30/11/26,UPI REFUND/412345678902/DEMO01INV2TPAUOU/x@ybl,50.00,DR
            """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try hub.store.importStatement(path: file).outcomes == ["credited-invoice": 1, "not-a-credit": 1])
        #expect(try hub.store.invoiceOutstanding("INV/2") == (try? .init(parsing: "500.00")))  // the refund is not money in
        try "Date,Narration,Amount\n30/11/26,UPI/412345678903/DEMO01INV3TPAUOU,50.00\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: StatementError.self) { try hub.store.importStatement(path: file) }
        #expect(try hub.store.invoiceOutstanding("INV/3") == (try? .init(parsing: "250.00")))
    }

    @Test("events: the long-poll gives what was missed since an id, waits for the next one, and shows a device only its own", arguments: StoreBackend.allCases)
    func longPoll(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let mine = try hub.enrolledToken()
        let other = try hub.enrolledToken()
        let myDevice = String(mine.split(separator: ".")[0])
        let id = UUID().uuidString.lowercased()
        _ = try hub.store.upload(
            paymentID: id, deviceID: myDevice, body: Data(), payment: testSigner.sign(upload("A-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: id))
        try await hub.app.test(.live) { client in
            func page(_ token: String, _ query: String) async throws -> EventsPage {
                try await client.execute(uri: "/v1/events?\(query)", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok)
                    return try JSONDecoder().decode(EventsPage.self, from: Data(buffer: response.body))
                }
            }
            #expect(try await page(mine, "since=0").events.isEmpty)
            // A poll waiting for up to 10 s is answered by the credit that arrives meanwhile (straight into the
            // store: the test client has one connection, busy with the poll).
            async let waited = page(mine, "since=0&wait=10")
            try await Task.sleep(for: .milliseconds(300))
            let body = RazorpayWebhookTests.event(amount: 25_000, tr: "DEMO01INV3TPAUOU")
            #expect(try hub.store.receiveRazorpay(body: body, signature: Razorpay.signature(body: body, secret: TestHub.secret), eventID: "e1", secret: TestHub.secret) == .confirmedPayment)
            let started = ContinuousClock.now
            let live = try await waited
            #expect(started.duration(to: .now) < .seconds(9), "the poll was not woken by the credit")
            #expect(live.events.map(\.paymentID) == [id] && live.events.first?.utr == "412345678901" && live.events.first?.source == "webhook")
            #expect(try await page(mine, "since=0").events.count == 1)
            #expect(try await page(mine, "since=\(live.next)").events.isEmpty)
            #expect(try await page(other, "since=0").events.isEmpty)  // another device's payment
            // A credit straight to an invoice concerns every device.
            _ = try await deliver(client, RazorpayWebhookTests.event(paymentID: "pay_2", amount: 5_000, rrn: "412345678902", tr: "DEMO01INV1TPAUOU"), eventID: "e2")
            #expect(try await page(other, "since=0").events.map(\.invoice) == ["INV/1"])
        }
    }

    @Test(
        "security: a device cannot take over the credit for another device's QR: an upload naming a QR reference that is not its own is refused",
        arguments: StoreBackend.allCases)
    func creditTakeover(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        _ = try hub.enrolledToken(deviceCode: "DEMO01")
        let thief = try hub.enrolledToken(rep: "Mallory", deviceCode: "MAL1")
        // The kiosk DEMO01's QR is paid; the credit goes on the invoice (DEMO01 has not uploaded yet).
        let credit = RazorpayWebhookTests.event(amount: 25_000, tr: "DEMO01INV3TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: credit, signature: Razorpay.signature(body: credit, secret: TestHub.secret), eventID: "e1", secret: TestHub.secret) == .creditedInvoice)
        // Another device claims it: a UPI payment with that QR's reference would take the credit (and its UTR) over.
        let id = UUID().uuidString.lowercased()
        try await hub.app.test(.router) { client in
            let body = testSigner.sign(upload("M-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: id)
            try await client.execute(uri: "/v1/payments/\(id)", method: .put, headers: [.authorization: "Bearer \(thief)"], body: json(body)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("was not made by this device"))
            }
        }
        #expect(try hub.store.paymentCount() == 0)
        // The credit still waits for its own device, which takes it over.
        let mine = UUID().uuidString.lowercased()
        let own = try hub.store.uploadSigned(
            deviceID: String(try hub.enrolledToken(deviceCode: "DEMO01").split(separator: ".")[0]),
            payment: upload("A-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), id: mine)
        #expect(own == .created(PaymentResult(paymentID: mine, status: "confirmed", flaggedForReview: false)))
    }

    @Test("events: a credit put straight on an invoice reaches the devices whose rep may hold it, not another region's", arguments: StoreBackend.allCases)
    func eventsFollowScope(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        try """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total,region
            N/1,2026-10-01,2026-10-31,CN,North Stores,1000.00,North
            S/1,2026-10-01,2026-10-31,CS,South Stores,1000.00,South
            """.write(toFile: hub.folder + "/regions.csv", atomically: true, encoding: .utf8)
        _ = try hub.store.importInvoices(from: InvoiceFileReader(path: hub.folder + "/regions.csv"))
        func device(_ rep: String, code: String) throws -> String {
            guard case .enrolled(let response) = try hub.store.enroll(code: try hub.store.createEnrollmentCode(rep: rep), deviceName: rep, deviceCode: code)
            else {
                throw ReportInputError("enrollment failed")
            }
            return response.deviceID
        }
        let north = try device("Nita", code: "NITA1")
        let south = try device("Suresh", code: "SURESH1")
        let everywhere = try device("Office", code: "OFFICE1")
        let kiosk = try device("Depot", code: "KIOSK9")
        _ = try hub.store.setRep("Nita", RepSettings(scope: "region", regions: ["North"]))
        _ = try hub.store.setRep("Suresh", RepSettings(scope: "assigned", regions: ["South"]))
        _ = try hub.store.setRep("Office", RepSettings(scope: "all"))
        // A QR made by a device none of these are (its code DEMO01).
        let body = RazorpayWebhookTests.event(paymentID: "pay_n", amount: 100_000, rrn: "412345678903", tr: "DEMO01N1TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: body, signature: Razorpay.signature(body: body, secret: TestHub.secret), eventID: "n", secret: TestHub.secret) == .creditedInvoice)
        #expect(try hub.store.events(deviceID: north, since: 0, limit: 100).map(\.invoice) == ["N/1"])
        #expect(try hub.store.events(deviceID: south, since: 0, limit: 100).isEmpty)  // South's rep may not hold N/1
        #expect(try hub.store.events(deviceID: everywhere, since: 0, limit: 100).map(\.invoice) == ["N/1"])  // a rep with scope all
        #expect(try hub.store.events(deviceID: kiosk, since: 0, limit: 100).isEmpty)  // an assigned rep with nothing assigned
        // The kiosk's own QR for S/1: the kiosk hears its credit (its screen waits for it), the assigned South rep does not.
        let own = RazorpayWebhookTests.event(paymentID: "pay_s", amount: 100_000, rrn: "412345678904", tr: "KIOSK9S1TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: own, signature: Razorpay.signature(body: own, secret: TestHub.secret), eventID: "s", secret: TestHub.secret) == .creditedInvoice)
        #expect(try hub.store.events(deviceID: kiosk, since: 0, limit: 100).map(\.invoice) == ["S/1"])
        #expect(try hub.store.events(deviceID: south, since: 0, limit: 100).isEmpty)
    }

    @Test("events: the SSE stream replays from Last-Event-ID and then delivers live credits", arguments: StoreBackend.allCases)
    func serverSentEvents(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        try await hub.app.test(.live) { client in
            _ = try await deliver(client, RazorpayWebhookTests.event(paymentID: "pay_1", amount: 5_000, rrn: "412345678901", tr: "DEMO01INV1TPAUOU"), eventID: "e1")
            let port = try #require(client.port)
            // A raw socket reader: the stream never ends, so read until the second event arrives.
            let stream = try SSEReader(port: port, path: "/v1/events", headers: ["Authorization: Bearer \(token)", "Accept: text/event-stream", "Last-Event-ID: 0"])
            let first = try await stream.readEvent(timeout: 30)
            #expect(first?.contains("\"invoice\":\"INV\\/1\"") == true, "\(first ?? "nothing")")
            _ = try await deliver(client, RazorpayWebhookTests.event(paymentID: "pay_2", amount: 5_000, rrn: "412345678902", tr: "DEMO01INV2TPAUOU"), eventID: "e2")
            let second = try await stream.readEvent(timeout: 30)
            #expect(second?.contains("\"invoice\":\"INV\\/2\"") == true, "\(second ?? "nothing")")
            #expect(second?.hasPrefix("id: 2\n") == true, "\(second ?? "")")
            // Revoked at the hub: the open stream ends at its next keep-alive.
            #expect(hub.store.broadcaster.subscriberCount == 1)
            #expect(try hub.store.revoke(deviceID: String(token.split(separator: ".")[0])))
            for _ in 0..<100 where hub.store.broadcaster.subscriberCount > 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(hub.store.broadcaster.subscriberCount == 0, "a revoked device kept its event stream")
            stream.close()
        }
    }

    @Test(
        "security: one device cannot hold event streams without end: past the cap, 429 with Retry-After", .timeLimit(.minutes(1)),
        arguments: StoreBackend.allCases)
    func streamCap(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        var configuration = hub.configuration
        configuration.maximumStreamsPerDevice = 2
        let token = try hub.enrolledToken()
        let device = String(token.split(separator: ".")[0])
        // Two streams already open for this device (a second device's do not count against it).
        let first = hub.store.broadcaster.subscribe(deviceID: device)
        _ = hub.store.broadcaster.subscribe(deviceID: device)
        _ = hub.store.broadcaster.subscribe(deviceID: "dev_someone_else")
        try await buildApplication(configuration, store: hub.store).test(.router) { client in
            for headers: HTTPFields in [[.authorization: "Bearer \(token)"], [.authorization: "Bearer \(token)", .accept: "text/event-stream"]] {
                try await client.execute(uri: "/v1/events?since=0", method: .get, headers: headers) { response in
                    #expect(response.status == .tooManyRequests && response.headers[.retryAfter] == "5")
                }
            }
            hub.store.broadcaster.unsubscribe(first.id)
            try await client.execute(uri: "/v1/events?since=0", method: .get, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .ok) }
        }
    }

    @Test(
        "security: /metrics answers only the metrics token or a manager's, speaks the Prometheus text format and counts what happened",
        arguments: StoreBackend.allCases)
    func metrics(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        var configuration = hub.configuration
        configuration.metricsToken = "prometheus-scrape-token"
        let device = try hub.enrolledToken()
        let manager = try hub.store.addManager(name: "Asha").token
        try await buildApplication(configuration, store: hub.store).test(.router) { client in
            _ = try await deliver(client, RazorpayWebhookTests.event(tr: "NOSUCH1234567890"), eventID: "e1")
            // The book's totals are not for anyone who asks, nor for a device.
            for headers: HTTPFields in [[:], [.authorization: "Bearer \(device)"], [.authorization: "Bearer prometheus-scrape-tokeN"]] {
                try await client.execute(uri: "/metrics", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized && !String(buffer: response.body).contains("fieldpay_hub"))
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(manager)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer prometheus-scrape-token"]) { response in
                let text = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(text.contains("fieldpay_hub_webhooks_total{outcome=\"unmatched\",provider=\"razorpay\"} 1"), "\(text)")
                #expect(text.contains("fieldpay_hub_invoices{state=\"live\"} 3"), "\(text)")
                #expect(text.contains("fieldpay_hub_credits{state=\"unmatched\"} 1"))
                #expect(text.contains("# TYPE fieldpay_hub_http_requests_total counter"))
            }
        }
    }
}
