import Crypto
import GRDB
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

/// A hub whose customer C1 has a mobile number (C2 has none), with a device that signs its receipts.
struct MessagingHub: Sendable {
    let hub: TestHub
    let keyData: Data
    let device: String

    var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: keyData) }

    init(backend: StoreBackend = .sqlite) throws {
        hub = try TestHub(backend: backend)
        let signing = Curve25519.Signing.PrivateKey()
        keyData = signing.rawRepresentation
        let csv = hub.folder + "/phones.csv"
        try """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total,phone
            INV/1,2026-10-01,2026-10-31,C1,Sharma Stores,1000.00,+91 98220 00101
            INV/2,2026-10-02,2026-11-01,C1,Sharma Stores,500.00,+91 98220 00101
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        _ = try hub.store.importInvoices(from: InvoiceFileReader(path: csv))
        let code = try hub.store.createEnrollmentCode(rep: "Ravi")
        guard case .enrolled(let response) = try hub.store.enroll(code: code, deviceName: "h1", publicKey: signing.publicKey.rawRepresentation.base64EncodedString(), deviceCode: "DEMO01")
        else { throw CancellationError() }
        device = response.deviceID
    }

    var store: any HubStorage { hub.store }

    /// Uploads a payment of `paise` on INV/1 as the device signs it; returns its id.
    @discardableResult
    func pay(_ receipt: String, paise: Int = 10_000, method: String = "cash", reference: String? = nil, id: String = UUID().uuidString.lowercased()) throws -> String {
        let amount = Money(paise: Int64(paise)).plainString
        var body = upload(receipt, amount: amount, method: method, reference: reference)
        body.signedText = "FPR1|\(receipt)|\(id)|1796000000000|\(method)|\(paise)|INV/1:\(paise):\(100_000 - paise)|0|-|-"
        body.signature = Base64URL.encode(try key.signature(for: Data(body.signedText!.utf8)))
        let outcome = try store.upload(paymentID: id, deviceID: device, body: try JSONEncoder().encode(body), payment: body)
        switch outcome {
        case .created, .repeated: return id
        default: throw ReportInputError("upload refused: \(outcome)")
        }
    }

    func messages(_ state: String? = nil) throws -> [MessageEntry] { try store.messages(state: state, customer: nil, limit: 100) }

    func configuration(_ messaging: MessagingConfiguration) -> HubConfiguration {
        var configuration = hub.configuration
        configuration.messaging = messaging
        return configuration
    }
}

func now() -> Int64 { Date().millisecondsSince1970 }

/// A day of December 2026.
func day(_ day: Int) -> LocalDate { LocalDate(year: 2026, month: 12, day: day)! }

@Suite("Messaging: the outbox's rules")
struct MessageOutboxTests {
    @Test("a payment stored queues its receipt once, in its transaction; a repeated upload queues nothing more", arguments: StoreBackend.allCases)
    func receiptOnce(backend: StoreBackend) throws {
        let setup = try MessagingHub(backend: backend)
        let id = try setup.pay("A-000001")
        var messages = try setup.messages()
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.key == "receipt:\(id)" && message.kind == "receipt" && message.state == "queued" && message.channel == "whatsapp")
        #expect(message.phone == "+919822000101")
        #expect(message.text.contains("₹100.00") && message.text.contains("INV/1") && message.text.contains("A-000001"))
        // The same upload again (a device retrying after a lost reply): 200, and still one message.
        #expect(try setup.pay("A-000001", id: id) == id)
        messages = try setup.messages()
        #expect(messages.count == 1)
        // A customer without a mobile number (C2) gets no message.
        let other = UUID().uuidString.lowercased()
        var body = upload("A-000099", amount: "50.00", invoice: "INV/3")
        body.customerCode = "C2"
        body.signedText = "FPR1|A-000099|\(other)|1796000000000|cash|5000|INV/3:5000:20000|0|-|-"
        body.signature = Base64URL.encode(try setup.key.signature(for: Data(body.signedText!.utf8)))
        _ = try setup.store.upload(paymentID: other, deviceID: setup.device, body: Data(), payment: body)
        #expect(try setup.messages().count == 1)
    }

    @Test("a UPI payment waiting for its credit gets its receipt when the credit confirms it")
    func upiWaits() throws {
        let setup = try MessagingHub()
        let id = try setup.pay("A-000002", paise: 25_000, method: "upi", reference: "DEMO01INV1TPAUOU")
        #expect(try setup.messages().isEmpty)
        let credit = CreditNotice(provider: "razorpay", providerPaymentID: "pay_1", amount: Money(paise: 25_000), utr: "412345678901", reference: "DEMO01INV1TPAUOU", source: "webhook")
        #expect(try setup.store.applyCredit(credit) == .confirmedPayment)
        #expect(try setup.messages().map(\.key) == ["receipt:\(id)"])
        _ = try setup.store.applyCredit(credit)  // the same credit again
        #expect(try setup.messages().count == 1)
    }

    @Test("a customer who opted out gets nothing by themselves: the receipt is held until a manager sends it")
    func optedOutHeld() throws {
        let setup = try MessagingHub()
        _ = try setup.store.setCustomerMessaging("C1", CustomerMessagingRequest(optedOut: true), actor: "manager m1", now: now())
        try setup.pay("A-000003")
        let held = try #require(try setup.messages().first)
        #expect(held.state == "held")
        #expect(try setup.store.claimMessages(now: now(), promotional: true, limit: 10).isEmpty)
        #expect(try setup.store.retryMessage(held.id, now: now()) == .queued)
        #expect(try setup.store.claimMessages(now: now(), promotional: true, limit: 10).map(\.id) == [held.id])
        #expect(try setup.store.retryMessage(held.id, now: now()) == .refused(.sending))
        #expect(try setup.store.retryMessage(999, now: now()) == .notFound)
    }

    @Test("the collections run sends each customer one reminder listing all their overdue invoices, once a day")
    func remindersConsolidated() throws {
        let setup = try MessagingHub()
        let first = try setup.store.runCollections(asOf: day(15))
        #expect(first.remindersQueued == 3)  // INV/1, INV/2 (C1) and INV/3 (C2): one reminder row an invoice
        #expect(first.messagesQueued == 1 && first.skippedNoPhone == 1)  // C2 has no mobile number
        let message = try #require(try setup.messages().first)
        #expect(message.key == "reminder:C1:2026-12-15" && message.kind == "reminder")
        #expect(message.text.contains("₹1,500.00") && message.text.contains("INV/1, INV/2"))
        #expect(try setup.store.runCollections(asOf: day(15)).messagesQueued == 0)
        #expect(try setup.store.runCollections(asOf: day(16)).messagesQueued == 0)  // every 15 days
        _ = try setup.store.setCustomerMessaging("C1", CustomerMessagingRequest(optedOut: true), actor: "manager m1", now: now())
        let later = try setup.store.runCollections(asOf: day(30))
        #expect(later.messagesQueued == 0 && later.skippedOptedOut == 1)
        #expect(try setup.messages().count == 1)
    }

    @Test("a message being sent when the hub stops is unconfirmed on restart and never sent again by itself")
    func interrupted() throws {
        let setup = try MessagingHub()
        try setup.pay("A-000004")
        #expect(try setup.store.claimMessages(now: now(), promotional: true, limit: 10).count == 1)
        #expect(try setup.store.recoverInterruptedSends(now: now()) == 1)
        #expect(try setup.messages().first?.state == "unconfirmed")
        #expect(try setup.store.claimMessages(now: now() + 86_400_000, promotional: true, limit: 10).isEmpty)
    }

    @Test("status reports only move a message forward: a late 'delivered' after 'read' changes nothing")
    func statusOrder() throws {
        let setup = try MessagingHub()
        try setup.pay("A-000005")
        let claimed = try #require(try setup.store.claimMessages(now: now(), promotional: true, limit: 10).first)
        try setup.store.recordSend(claimed.id, channel: .whatsapp, outcome: .accepted(providerID: "wamid.1"), now: now(), retryAt: now(), fallback: nil, maxAttempts: 8)
        #expect(try setup.store.applyStatus(StatusReport(channel: .whatsapp, providerID: "wamid.1", status: .read), fallback: nil, now: now()))
        #expect(try !setup.store.applyStatus(StatusReport(channel: .whatsapp, providerID: "wamid.1", status: .delivered), fallback: nil, now: now()))
        #expect(try !setup.store.applyStatus(StatusReport(channel: .whatsapp, providerID: "wamid.unknown", status: .failed), fallback: nil, now: now()))
        #expect(try setup.messages().first?.state == "read")
    }

    @Test("retries give up after the configured attempts, with the last reason")
    func givesUp() throws {
        let setup = try MessagingHub()
        try setup.pay("A-000006")
        for attempt in 1...3 {
            let claimed = try #require(try setup.store.claimMessages(now: now(), promotional: true, limit: 10).first)
            #expect(claimed.attempt == attempt)
            try setup.store.recordSend(claimed.id, channel: .whatsapp, outcome: .retry("WhatsApp answered 503", after: nil), now: now(), retryAt: now(), fallback: nil, maxAttempts: 3)
        }
        let failed = try #require(try setup.messages().first)
        #expect(failed.state == "failed" && failed.failure?.contains("gave up after 3 attempts: WhatsApp answered 503") == true)
    }

    @Test("quiet hours are 21:00 to 09:00 India time; reminders wait them out, receipts do not")
    func quietHours() throws {
        let quiet = QuietHours()
        let midnightIST: Int64 = 1_796_000_000_000 - (1_796_000_000_000 + 19_800_000) % 86_400_000
        #expect(quiet.contains(midnightIST + 22 * 3_600_000))
        #expect(!quiet.contains(midnightIST + 10 * 3_600_000))
        #expect(quiet.contains(midnightIST + 8 * 3_600_000 + 59 * 60_000))
        #expect(quiet.end(after: midnightIST + 22 * 3_600_000) == midnightIST + 33 * 3_600_000)
        #expect(quiet.end(after: midnightIST + 2 * 3_600_000) == midnightIST + 9 * 3_600_000)

        let setup = try MessagingHub()
        _ = try setup.store.runCollections(asOf: day(15))
        try setup.pay("A-000007")
        let claimed = try setup.store.claimMessages(now: now(), promotional: false, limit: 10)
        #expect(claimed.map(\.kind) == [.receipt])
    }

    @Test("phone numbers: Indian spellings become E.164, the rest is refused")
    func phones() {
        #expect(PhoneNumber("+91 98220 00101")?.e164 == "+919822000101")
        #expect(PhoneNumber("09822000101")?.e164 == "+919822000101")
        #expect(PhoneNumber("9822000101")?.e164 == "+919822000101")
        #expect(PhoneNumber("919822000101")?.e164 == "+919822000101")
        #expect(PhoneNumber("0091-98220-00101")?.e164 == "+919822000101")
        #expect(PhoneNumber("+44 20 7946 0958")?.e164 == "+442079460958")
        for bad in ["12345", "020 2612 3456", "+91 12345 67890", "98220x00101", "+0123456789", "", "+1234567890123456"] {
            #expect(PhoneNumber(bad) == nil, "\(bad)")
        }
    }

    @Test("an invoice file with a phone that is not a mobile number is refused on that line")
    func importRefusesBadPhone() throws {
        let hub = try TestHub()
        let csv = hub.folder + "/bad.csv"
        try "invoice_number,invoice_date,due_date,customer_code,customer_name,total,phone\nINV/9,2026-10-01,2026-10-31,C9,Shop,10.00,12345\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let result = try hub.store.importInvoices(from: InvoiceFileReader(path: csv))
        #expect(result.written == 0)
        #expect(result.rejected.first?.reason.contains("phone \"12345\" is not a mobile number") == true)
    }

    @Test("SMS text is the registered DLT template with only its variables filled, each at most 30 characters")
    func dltTemplate() {
        let template = SMSTemplate(id: "1107160000000000001", text: FakeMessaging.smsTemplates["1107160000000000001"]!)
        #expect(template.variableCount == 4)
        let text = template.fill(["A very long shop name that goes past thirty", "₹100.00", "A-1", "tok"])!
        #expect(FakeMessaging.matches(text, template.text))
        #expect(text.contains("A very long shop name that go…"))
        #expect(template.fill(["only one"]) == nil)
    }

    @Test("provider answers are sorted into retry, fall back, fail and channel down")
    func outcomes() {
        func graph(_ code: Int) -> Data { Data("{\"error\":{\"message\":\"m\",\"code\":\(code),\"error_data\":{\"details\":\"d\"}}}".utf8) }
        #expect(WhatsAppCloud.outcome(status: 200, body: Data("{\"messages\":[{\"id\":\"wamid.X\"}]}".utf8)) == .accepted(providerID: "wamid.X"))
        #expect(WhatsAppCloud.outcome(status: 200, body: Data("{}".utf8)) == .unknown("WhatsApp answered 200 without a message id"))
        #expect(WhatsAppCloud.outcome(status: 400, body: graph(130429)) == .retry("WhatsApp error 130429: d", after: .seconds(60)))
        #expect(WhatsAppCloud.outcome(status: 401, body: graph(190)) == .channelDown("WhatsApp error 190: d"))
        #expect(WhatsAppCloud.outcome(status: 400, body: graph(131026)) == .rejected("WhatsApp error 131026: d", fallBack: true))
        #expect(WhatsAppCloud.outcome(status: 400, body: graph(131009)) == .rejected("WhatsApp error 131009: d", fallBack: false))
        #expect(WhatsAppCloud.outcome(status: 503, body: Data()) == .retry("WhatsApp answered 503", after: nil))
        #expect(GupshupSMS.outcome(status: 200, body: "success | 919822000101 | 3193-1\n") == .accepted(providerID: "3193-1"))
        #expect(GupshupSMS.outcome(status: 200, body: "error | 102 | Authentication failed") == .channelDown("SMS gateway error 102: Authentication failed"))
        #expect(GupshupSMS.outcome(status: 200, body: "error | 105 | Invalid destination") == .rejected("SMS gateway error 105: Invalid destination", fallBack: false))
        #expect(GupshupSMS.outcome(status: 502, body: "") == .retry("the SMS gateway answered 502", after: nil))
    }

    @Test("hub.toml: [messaging] with WhatsApp and SMS; secrets from files or the environment; clear errors")
    func configuration() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-messaging-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let secret = folder + "/token"
        try "EAAG-token\n".write(toFile: secret, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret)
        let good = """
            [messaging]
            public_url = "https://pay.example.in"
            upi_vpa = "sharma@okaxis"
            quiet_start = 22
            [messaging.whatsapp]
            phone_number_id = "106540352242922"
            access_token_file = "token"
            [messaging.sms]
            userid = "2000190000"
            entity_id = "1101234567890123456"
            sender = "SHRMAD"
            receipt_template_id = "1107160000000000001"
            receipt_text = "Dear {#var#}, we received {#var#}. Receipt {#var#}: https://pay.example.in/r/{#var#}"
            """
        let path = folder + "/hub.toml"
        try good.write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try HubConfiguration.load(path: path, environment: ["FIELDPAY_SMS_PASSWORD": "pw"]).messaging
        #expect(loaded.whatsapp?.accessToken == "EAAG-token" && loaded.sms?.password == "pw" && loaded.quietHours.startHour == 22)
        #expect(loaded.link("abc") == "https://pay.example.in/r/abc")
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "SHRMAD", with: "SHRMA"), "sender must be the DLT sender header: 6 letters"),
            (good.replacingOccurrences(of: "{#var#}\"", with: "\""), "with 4 {#var#} slots (it has 3)"),
            (good + "\ncolour = \"red\"\n", "[messaging.sms] has no setting \"colour\""),
            (good.replacingOccurrences(of: "access_token_file = \"token\"", with: ""), "access_token_file is missing (or set $FIELDPAY_WHATSAPP_TOKEN)"),
            (good.replacingOccurrences(of: "https://pay.example.in\"\nupi", with: "pay.example.in\"\nupi"), "public_url must be"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: HubConfigError.self) { try HubConfiguration.load(path: path, environment: ["FIELDPAY_SMS_PASSWORD": "pw"]) }
            do { _ = try HubConfiguration.load(path: path, environment: ["FIELDPAY_SMS_PASSWORD": "pw"]) } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }
}

@Suite("Messaging: delivery through the providers' fakes")
struct MessageDeliveryTests {
    @Test("a receipt goes out as the approved WhatsApp template with its link; the signed status webhook marks it delivered; the link shows the verified receipt")
    func receiptEndToEnd() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            let messaging = FakeMessaging.configuration(port: try #require(client.port))
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            try setup.pay("A-000010")
            var paused: Set<ChannelName> = []
            #expect(try await sender.sendDue(pausedChannels: &paused) == 1)
            let sent = try #require(fake.whatsapp.first)
            #expect(fake.whatsapp.count == 1 && sent.template == "fieldpay_receipt" && sent.language == "en" && sent.to == "919822000101")
            #expect(sent.parameters[0] == "Sharma Stores" && sent.parameters[1] == "₹100.00" && sent.parameters[3] == "A-000010")
            let link = sent.parameters[4]
            #expect(link.hasPrefix("https://pay.example.in/r/") && link.count == "https://pay.example.in/r/".count + 22)
            #expect(try setup.messages().first?.state == "sent")

            let app = buildApplication(setup.configuration(messaging), store: setup.store)
            try await app.test(.router) { hub in
                let forged = FakeMessaging.statusWebhook(sent.id, "read", to: sent.to, secret: "not-the-secret")
                try await hub.execute(
                    uri: "/v1/messaging/whatsapp", method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: forged.1], body: ByteBuffer(data: forged.0)
                ) { #expect($0.status == .unauthorized) }
                #expect(try setup.messages().first?.state == "sent")
                let (body, signature) = FakeMessaging.statusWebhook(sent.id, "delivered", to: sent.to)
                try await hub.execute(uri: "/v1/messaging/whatsapp", method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: signature], body: ByteBuffer(data: body)) {
                    #expect($0.status == .ok)
                }
                #expect(try setup.messages().first?.state == "delivered")

                let path = String(link.dropFirst("https://pay.example.in".count))
                try await hub.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    let page = String(buffer: response.body)
                    #expect(page.contains("A-000010") && page.contains("Sharma Stores") && page.contains("Signature verified") && page.contains("<svg"))
                    #expect(!page.contains("+919822000101"))  // nothing else about the customer
                    #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                    #expect(response.headers[.cacheControl] == "no-store")
                }
                try await hub.execute(uri: path + "/receipt.pdf", method: .get) { response in
                    #expect(response.status == .ok && response.headers[.contentType] == "application/pdf")
                    #expect(String(buffer: response.body).hasPrefix("%PDF-1.4") && String(buffer: response.body).contains("A-000010"))
                }
                try await hub.execute(uri: "/r/AAAAAAAAAAAAAAAAAAAAAA", method: .get) { #expect($0.status == .notFound) }
                try await hub.execute(uri: "/r/nonsense", method: .get) { #expect($0.status == .notFound) }
                try await hub.execute(uri: "/v1/messaging/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", method: .get) {
                    #expect($0.status == .ok && String(buffer: $0.body) == "1158201444")
                }
                try await hub.execute(uri: "/v1/messaging/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1", method: .get) {
                    #expect($0.status == .forbidden)
                }
            }
        }
    }

    @Test("429 from WhatsApp: the message waits and goes on the next pass, once")
    func rateLimited() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            let messaging = FakeMessaging.configuration(port: try #require(client.port))
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            fake.script(.graphError(status: 429, code: 130429, message: "Rate limit hit"))
            try setup.pay("A-000011")
            var paused: Set<ChannelName> = []
            try await sender.sendDue(pausedChannels: &paused)
            #expect(fake.whatsapp.isEmpty)
            let waiting = try #require(try setup.messages().first)
            #expect(waiting.state == "queued" && waiting.failure?.contains("130429") == true)
            // The hint says a minute: due only after it.
            #expect(try await sender.sendDue(pausedChannels: &paused) == 0)
            var later = sender
            later.now = { Date().millisecondsSince1970 + 120_000 }
            #expect(try await later.sendDue(pausedChannels: &paused) == 1)
            #expect(fake.whatsapp.count == 1)
            #expect(try setup.messages().first?.state == "sent")
        }
    }

    @Test("the reply is lost after WhatsApp took the message: it is not sent again, and the status report settles it")
    func lostReply() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            let messaging = FakeMessaging.configuration(port: try #require(client.port))
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            fake.script(.slowAccept(seconds: 2))  // the client gives up after 1 s
            try setup.pay("A-000012")
            var paused: Set<ChannelName> = []
            try await sender.sendDue(pausedChannels: &paused)
            #expect(try setup.messages().first?.state == "unconfirmed")
            try await Task.sleep(for: .seconds(2))
            #expect(try await sender.sendDue(pausedChannels: &paused) == 0)
            #expect(fake.whatsapp.count == 1)
            let sent = try #require(fake.whatsapp.first)
            #expect(sent.key?.hasPrefix("receipt:") == true)
            let app = buildApplication(setup.configuration(messaging), store: setup.store)
            try await app.test(.router) { hub in
                let (body, signature) = FakeMessaging.statusWebhook(sent.id, "delivered", to: sent.to, key: sent.key)
                try await hub.execute(uri: "/v1/messaging/whatsapp", method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: signature], body: ByteBuffer(data: body)) {
                    #expect($0.status == .ok)
                }
            }
            let settled = try #require(try setup.messages().first)
            #expect(settled.state == "delivered" && settled.providerId == sent.id)
        }
    }

    @Test("a number not on WhatsApp: the failed status moves the receipt to SMS, sent as the DLT template; the delivery report marks it delivered")
    func fallsBackToSMS() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            let messaging = FakeMessaging.configuration(port: try #require(client.port))
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            try setup.pay("A-000013")
            var paused: Set<ChannelName> = []
            try await sender.sendDue(pausedChannels: &paused)
            let sent = try #require(fake.whatsapp.first)
            let app = buildApplication(setup.configuration(messaging), store: setup.store)
            try await app.test(.router) { hub in
                let (body, signature) = FakeMessaging.statusWebhook(sent.id, "failed", to: sent.to, errorCode: 131026)
                try await hub.execute(uri: "/v1/messaging/whatsapp", method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: signature], body: ByteBuffer(data: body)) {
                    #expect($0.status == .ok)
                }
                let moved = try #require(try setup.messages().first)
                #expect(moved.channel == "sms" && moved.state == "queued" && moved.failure?.contains("131026") == true)
                var none: Set<ChannelName> = []
                try await sender.sendDue(pausedChannels: &none)
                let sms = try #require(fake.sms.first)
                #expect(fake.sms.count == 1 && sms.to == "919822000101" && sms.templateID == "1107160000000000001")
                #expect(sms.text.hasPrefix("Dear Sharma Stores, we received ₹100.00. Receipt A-000013: https://pay.example.in/r/"))
                #expect(try setup.messages().first?.state == "sent")
                try await hub.execute(uri: "/v1/messaging/sms/dlr?token=wrong&externalId=\(sms.id)&status=SUCCESS", method: .get) { #expect($0.status == .forbidden) }
                try await hub.execute(uri: "/v1/messaging/sms/dlr?token=dlr-token&externalId=\(sms.id)&status=SUCCESS&deliveredTS=1796000000000", method: .get) {
                    #expect($0.status == .ok)
                }
                #expect(try setup.messages().first?.state == "delivered")
                // The WhatsApp failure again (Meta repeats webhooks): the message stays with SMS.
                try await hub.execute(uri: "/v1/messaging/whatsapp", method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: signature], body: ByteBuffer(data: body)) {
                    #expect($0.status == .ok)
                }
                #expect(try setup.messages().first?.state == "delivered" && fake.sms.count == 1)
            }
        }
    }

    @Test("the reminder goes as one WhatsApp template message with the total and a UPI link; a STOP reply opts the customer out of the next")
    func reminderAndStop() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            let messaging = FakeMessaging.configuration(port: try #require(client.port))
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            _ = try setup.store.runCollections(asOf: day(15))
            var paused: Set<ChannelName> = []
            #expect(try await sender.sendDue(pausedChannels: &paused) == 1)
            let sent = try #require(fake.whatsapp.first)
            #expect(sent.template == "fieldpay_reminder" && sent.parameters[1] == "₹1,500.00" && sent.parameters[2] == "INV/1, INV/2")
            #expect(sent.parameters[4].hasPrefix("upi://pay?pa=sharma@okaxis") && sent.parameters[4].contains("am=1500.00"))
            #expect(try setup.store.reminders(state: "sent", customer: "C1", limit: 10).count == 2)

            let app = buildApplication(setup.configuration(messaging), store: setup.store)
            try await app.test(.router) { hub in
                let (body, signature) = FakeMessaging.inboundText("STOP", from: "919822000101")
                try await hub.execute(uri: "/v1/messaging/whatsapp", method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: signature], body: ByteBuffer(data: body)) {
                    #expect($0.status == .ok)
                }
            }
            #expect(try setup.store.customerMessaging("C1")?.optedOutBy == "customer (WhatsApp STOP)")
            let next = try setup.store.runCollections(asOf: day(30))
            #expect(next.messagesQueued == 0 && next.skippedOptedOut == 1)
        }
    }

    @Test("an expired access token stops the WhatsApp channel: the message waits, in words, and nothing else is tried on it")
    func channelDown() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            var messaging = FakeMessaging.configuration(port: try #require(client.port))
            messaging.whatsapp?.accessToken = "expired"
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            try setup.pay("A-000014")
            try setup.pay("A-000015")
            var paused: Set<ChannelName> = []
            try await sender.sendDue(pausedChannels: &paused)
            #expect(paused == [.whatsapp])
            let messages = try setup.messages()
            #expect(messages.count == 2 && messages.allSatisfy { $0.state == "queued" })
            #expect(messages.contains { $0.failure?.contains("WhatsApp error 190") == true })
            #expect(messages.contains { $0.failure == "the whatsapp channel is down" })
            #expect(fake.whatsapp.isEmpty && fake.state.withLock { $0.requests } == 1)
        }
    }

    @Test("the running sender wakes when an upload queues a receipt")
    func wakes() async throws {
        let setup = try MessagingHub()
        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            var messaging = FakeMessaging.configuration(port: try #require(client.port))
            messaging.idlePoll = .seconds(600)  // only the signal can wake it within the bound below
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            let running = Task { try await sender.run() }
            defer { running.cancel() }
            try await Task.sleep(for: .milliseconds(200))
            try setup.pay("A-000016")
            // At most two minutes (a busy test machine stalls tasks for seconds; the idle poll is ten minutes).
            for _ in 0..<2400 where fake.whatsapp.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            #expect(fake.whatsapp.count == 1)
            running.cancel()
            _ = await running.result
        }
    }
}

@Suite("Messaging: the dashboard's Messages page and the customer's messages")
struct MessagingDashboardTests {
    @Test("a failed message shows with its reason and a Send again button that queues it; the customer page shows their messages and settings")
    func messagesPage() async throws {
        let setup = try MessagingHub()
        let manager = try setup.store.addManager(name: "Asha")
        try setup.pay("A-000020")
        let claimed = try #require(try setup.store.claimMessages(now: now(), promotional: true, limit: 10).first)
        try setup.store.recordSend(
            claimed.id, channel: .whatsapp, outcome: .rejected("WhatsApp error 131009: Parameter value is not valid", fallBack: false), now: now(), retryAt: now(),
            fallback: nil, maxAttempts: 8)
        let app = buildApplication(setup.hub.configuration, store: setup.store)
        try await app.test(.live) { client in
            let origin = "http://localhost"
            let cookie = try await DashboardTests.signIn(client, token: manager.token, origin: origin)
            try await client.execute(uri: "/manage/messages?state=failed", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("WhatsApp error 131009: Parameter value is not valid") && page.contains("Send again"))
            }
            var headers = DashboardTests.formType
            headers[.cookie] = cookie
            headers[.origin] = origin
            try await client.execute(
                uri: "/manage/messages/retry", method: .post, headers: headers, body: DashboardTests.form([("id", String(claimed.id)), ("back", "/manage/messages")])
            ) { response in
                #expect(response.status == .seeOther && response.headers[.location]?.hasPrefix("/manage/messages?notice=") == true)
            }
            #expect(try setup.messages().first?.state == "queued")
            try await client.execute(
                uri: "/manage/customers/C1/messaging", method: .post, headers: headers,
                body: DashboardTests.form([("language", "hi"), ("channel", "sms"), ("opted_out", "yes"), ("back", "/manage/customers/C1")])
            ) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/manage/customers/C1", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("language Hindi") && page.contains("opted out") && page.contains("receipt"))
            }
            // From another site: nothing changes.
            headers[.origin] = "http://evil.example"
            try await client.execute(uri: "/manage/customers/C1/messaging", method: .post, headers: headers, body: DashboardTests.form([("opted_out", "no")])) {
                #expect($0.status == .forbidden)
            }
            #expect(try setup.store.customerMessaging("C1")?.optedOutAt != nil)
        }
    }
}

@Suite("Messaging: the customer's statement of account")
struct StatementTests {
    @Test("opening balance, the period's invoices and payments, closing balance and aging; sent with its own link, under the daily cap")
    func statement() async throws {
        let setup = try MessagingHub()
        try setup.pay("A-000030")  // ₹100 on INV/1, recorded 30 November
        let statement = try #require(try setup.store.statement("C1", from: LocalDate(year: 2026, month: 10, day: 2)!, to: day(15)))
        #expect(statement.opening == Money(paise: 100_000))  // INV/1, dated before the period
        #expect(statement.lines.map(\.kind) == ["invoice", "payment"])
        #expect(statement.lines.map(\.amount) == [Money(paise: 50_000), Money(paise: -10_000)])
        #expect(statement.lines.last?.reference == "A-000030 on INV/1")
        #expect(statement.closing == Money(paise: 140_000))
        #expect(statement.aging.first { $0.bucket == "31–60" }?.amount == Money(paise: 140_000))
        #expect(try setup.store.statement("nobody", from: day(1), to: day(2)) == nil)

        let fake = FakeMessaging()
        try await fake.application().test(.live) { client in
            let messaging = FakeMessaging.configuration(port: try #require(client.port))
            guard case .queued(let token) = try setup.store.queueStatement("C1", from: LocalDate(year: 2026, month: 10, day: 2)!, to: day(15), now: now()) else {
                Issue.record("not queued")
                return
            }
            #expect(try setup.store.queueStatement("C1", from: LocalDate(year: 2026, month: 10, day: 2)!, to: day(15), now: now()) == .alreadyQueued(token: token))
            #expect(try setup.store.queueStatement("C2", from: day(1), to: day(15), now: now()) == .noPhone)
            let sender = MessageSender(store: setup.store, configuration: messaging, channels: MessageSender.channels(messaging))
            var paused: Set<ChannelName> = []
            try await sender.sendDue(pausedChannels: &paused)
            let sent = try #require(fake.whatsapp.first { $0.template == "fieldpay_statement" })
            #expect(sent.parameters[2] == "₹1,400.00" && sent.parameters[3] == "https://pay.example.in/s/\(token)")
            let app = buildApplication(setup.configuration(messaging), store: setup.store)
            try await app.test(.router) { hub in
                try await hub.execute(uri: "/s/\(token)", method: .get) { response in
                    let page = String(buffer: response.body)
                    #expect(response.status == .ok && page.contains("Closing balance") && page.contains("₹1,400.00") && page.contains("Opening balance"))
                }
                try await hub.execute(uri: "/s/\(token)/statement.pdf", method: .get) { #expect(String(buffer: $0.body).hasPrefix("%PDF-1.4")) }
                try await hub.execute(uri: "/s/AAAAAAAAAAAAAAAAAAAAAA", method: .get) { #expect($0.status == .notFound) }
            }
            // A second statement today is allowed, a third is over the cap.
            #expect(try { if case .queued = try setup.store.queueStatement("C1", from: day(1), to: day(15), now: now()) { true } else { false } }())
            #expect(try setup.store.queueStatement("C1", from: day(2), to: day(15), now: now()) == .capped)
        }
    }
}

@Suite("Messaging: the receipt link")
struct ReceiptLinkTests {
    /// The receipt page for a payment, after `tamper` ran on the hub's database.
    func page(tamper: String?) async throws -> String {
        let setup = try MessagingHub()
        let id = try setup.pay("A-000040")
        let database = try DatabaseQueue(path: setup.hub.folder + "/hub.sqlite")
        if let tamper { try await database.write { try $0.execute(sql: tamper, arguments: [id]) } }
        let token = try #require(try await database.read { try String.fetchOne($0, sql: "SELECT receiptToken FROM payment WHERE id = ?", arguments: [id]) })
        return try await setup.hub.app.test(.router) { hub in
            try await hub.execute(uri: "/r/\(token)", method: .get) { String(buffer: $0.body) }
        }
    }

    @Test("the receipt page checks the signature on the hub: a receipt changed after it was stored is shown as not verified")
    func tampered() async throws {
        #expect(try await page(tamper: nil).contains("Signature verified"))
        // The stored amount changed (the page would show ₹900): the signed text says ₹100.
        let amount = try await page(tamper: "UPDATE payment SET amountPaise = 90000 WHERE id = ?")
        #expect(amount.contains("could not be verified") && amount.contains("₹900.00"))
        // The signed text itself changed: the signature no longer holds.
        let text = try await page(tamper: "UPDATE payment SET body = replace(body, '|cash|10000|', '|cash|90000|'), amountPaise = 90000 WHERE id = ?")
        #expect(text.contains("could not be verified"))
    }
}

@Suite("Messaging: the sender's wake-up signal")
struct MessageSignalTests {
    /// Waits of 10 minutes that must end long before: a stalled test machine (2 cores, every suite at once)
    /// may delay a task by many seconds, never by minutes.
    static let long: Duration = .seconds(600)
    static let bound: Duration = .seconds(120)

    @Test("a poke wakes a waiter; a poke with nobody waiting is kept for the next wait; cancellation ends a wait")
    func signal() async throws {
        let signal = MessageSignal()
        let clock = ContinuousClock()
        // Kept: poked first, the wait returns at once.
        signal.poke()
        var start = clock.now
        await signal.wait(timeout: Self.long)
        #expect(clock.now - start < Self.bound)
        // A waiter woken by a poke.
        start = clock.now
        let waiting = Task { await signal.wait(timeout: Self.long) }
        try await Task.sleep(for: .milliseconds(100))
        signal.poke()
        await waiting.value
        #expect(clock.now - start < Self.bound)
        // Cancelled while waiting (or before it began).
        start = clock.now
        let cancelled = Task { await signal.wait(timeout: Self.long) }
        try await Task.sleep(for: .milliseconds(100))
        cancelled.cancel()
        await cancelled.value
        #expect(clock.now - start < Self.bound)
        // Timed out.
        start = clock.now
        await signal.wait(timeout: .milliseconds(200))
        #expect(clock.now - start >= .milliseconds(200))
    }
}
