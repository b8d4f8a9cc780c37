import Foundation
import HTTPTypes
import Hub
import HubAPI
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A stand-in for Razorpay's REST API: `GET /v1/payments` behind basic auth, listing `items`.
func fakeRazorpayAPI(items: [[String: Any]]) -> some ApplicationProtocol {
    let router = Router()
    let body = try! JSONSerialization.data(withJSONObject: ["entity": "collection", "count": items.count, "items": items])
    router.get("/v1/payments") { request, _ -> Response in
        guard request.headers[.authorization] == "Basic " + Data("rzp_test_key:key_secret".utf8).base64EncodedString() else {
            return Response(status: .unauthorized)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
}

@Suite("PSP status polling and hub.toml")
struct PollingAndConfigTests {
    static func payment(_ id: String, paise: Int, rrn: String, tr: String?) -> [String: Any] {
        var item: [String: Any] = [
            "id": id, "entity": "payment", "amount": paise, "currency": "INR", "status": "captured", "method": "upi",
            "acquirer_data": ["rrn": rrn], "created_at": 1_796_000_000,
        ]
        if let tr { item["notes"] = ["tr": tr] }
        return item
    }

    @Test("a credit whose webhook never came is found by polling and confirms the payment; the late webhook changes nothing", arguments: StoreBackend.allCases)
    func pollingConfirms(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let id = UUID().uuidString.lowercased()
        _ = try hub.store.upload(
            paymentID: id, deviceID: device, body: Data(), payment: testSigner.sign(upload("A-1", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU"), paymentID: id))
        let items = [
            Self.payment("pay_polled", paise: 25_000, rrn: "412345678901", tr: "DEMO01INV3TPAUOU"),
            Self.payment("pay_other", paise: 700, rrn: "412345678999", tr: nil),  // no tr: to reconcile
        ]
        try await fakeRazorpayAPI(items: items).test(.live) { client in
            var api = RazorpayAPI(keyID: "rzp_test_key", keySecret: "key_secret")
            api.baseURL = "http://127.0.0.1:\(try #require(client.port))"
            let poller = CreditPoller(api: api, store: hub.store)
            #expect(try await poller.pollOnce() == (2, 2))
            #expect(try hub.store.paymentStatus(id)?.status == "confirmed" && hub.store.paymentStatus(id)?.utr == "412345678901")
            #expect(try await poller.pollOnce() == (2, 0))  // nothing new the second time

            var wrong = api
            wrong.keySecret = "nope"
            await #expect(throws: RazorpayAPI.Failure.self) { try await CreditPoller(api: wrong, store: hub.store).pollOnce() }
        }
        let late = RazorpayWebhookTests.event(paymentID: "pay_polled", amount: 25_000, tr: "DEMO01INV3TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: late, signature: Razorpay.signature(body: late, secret: TestHub.secret), eventID: "e1", secret: TestHub.secret) == .duplicateCredit)
        #expect(try hub.store.unreconciledCredits().map(\.providerPaymentID) == ["pay_other"])
        // The webhook for the credit polling could not place brings its tr: matched now, off the list.
        let other = RazorpayWebhookTests.event(paymentID: "pay_other", amount: 700, rrn: "412345678999", tr: "DEMO01INV1TPAUOU")
        #expect(try hub.store.receiveRazorpay(body: other, signature: Razorpay.signature(body: other, secret: TestHub.secret), eventID: "e2", secret: TestHub.secret) == .creditedInvoice)
        #expect(try hub.store.unreconciledCredits().isEmpty)
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "993.00")))
    }

    @Test("hub.toml: settings and secrets from files, paths relative to the file", arguments: ["[psp.razorpay]", "[razorpay]"])
    func config(section: String) throws {
        let folder = NSTemporaryDirectory() + "fieldpay-hubconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/secrets", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "whsec_file\n".write(toFile: folder + "/secrets/webhook", atomically: true, encoding: .utf8)
        try "key_secret\n".write(toFile: folder + "/secrets/key", atomically: true, encoding: .utf8)
        for file in ["webhook", "key"] { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder + "/secrets/" + file) }
        try """
            [hub]
            data = "data"
            port = 9090
            max_body_kib = 64
            \(section)
            webhook_secret_file = "secrets/webhook"
            key_id = "rzp_test_key"
            key_secret_file = "secrets/key"
            api_base = "http://127.0.0.1:1/"
            poll_seconds = 60
            """.write(toFile: folder + "/hub.toml", atomically: true, encoding: .utf8)
        let configuration = try HubConfiguration.load(path: folder + "/hub.toml", environment: [:])
        #expect(configuration.dataDirectory == folder + "/data" && configuration.port == 9090 && configuration.host == "127.0.0.1")
        let razorpay = try #require(configuration.providers["razorpay"])
        let api = razorpay.poller as? RazorpayAPI
        #expect(configuration.maximumBodyBytes == 64 * 1024 && (razorpay.webhook as? RazorpayProvider)?.secret == "whsec_file")
        #expect(api?.keySecret == "key_secret" && api?.baseURL == "http://127.0.0.1:1")
        #expect(razorpay.pollInterval == .seconds(60))
    }

    @Test("a secret file others can read is refused, naming the file and the fix")
    func exposedSecret() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-hubsecret-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "whsec_file\n".write(toFile: folder + "/webhook", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder + "/webhook")
        try "[psp.razorpay]\nwebhook_secret_file = \"webhook\"\n".write(toFile: folder + "/hub.toml", atomically: true, encoding: .utf8)
        #expect {
            _ = try HubConfiguration.load(path: folder + "/hub.toml", environment: [:])
        } throws: { error in
            let text = (error as? HubConfigError)?.description ?? ""
            return text.contains("can be read by others (mode 644)") && text.contains("chmod 600")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder + "/webhook")
        #expect((try HubConfiguration.load(path: folder + "/hub.toml", environment: [:]).providers["razorpay"]?.webhook as? RazorpayProvider)?.secret == "whsec_file")
    }

    @Test(
        "hub.toml mistakes are refused naming the section and key",
        arguments: [
            ("[hub]\nprot = 1\n", "[hub] has no setting \"prot\""),
            ("[hub]\nport = 70000\n", "[hub] port must be a whole number from 1 to 65535"),
            ("[razorpay]\nkey_id = \"x\"\n", "key_id and key_secret_file go together"),
            ("[razorpay]\nwebhook_secret_file = \"missing\"\n", "webhook_secret_file: cannot read"),
            ("[hubs]\n", "unknown section [hubs]"),
            ("[psp.razorpay]\nkey_id = \"x\"\n", "[psp.razorpay] key_id and key_secret_file go together"),
            ("[psp.phonepe]\nwebhook_secret_file = \"x\"\n", "knows no payment provider \"phonepe\""),
            ("[psp.razorpay]\n[razorpay]\n", "keep [psp.razorpay] only"),
            ("[hub\n", "line 1"),
        ])
    func configErrors(text: String, message: String) throws {
        let path = NSTemporaryDirectory() + "fieldpay-hub-\(UUID().uuidString).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try HubConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? HubConfigError)?.description.contains(message) == true
        }
    }
}
