import FieldPayCore
import Foundation
import HTTPTypes
import Hub
import HubAPI
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A device cannot put a payment into the hub that would stop its reports: times far off and huge amounts are
/// refused at the edge, before anything is stored.
@Suite("Upload limits")
struct UploadLimitTests {
    static let day: Int64 = 86_400_000

    func put(_ hub: TestHub, _ app: some ApplicationProtocol, token: String, _ body: PaymentUpload) async throws -> (HTTPResponse.Status, String) {
        let id = UUID().uuidString.lowercased()
        return try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/payments/\(id)", method: .put, headers: [.authorization: "Bearer \(token)"], body: json(testSigner.sign(body, paymentID: id))
            ) { ($0.status, String(buffer: $0.body)) }
        }
    }

    @Test(
        "a payment recorded far in the past or the future, or larger than the hub takes, is refused with the reason; one now is taken",
        arguments: StoreBackend.allCases)
    func limits(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        var configuration = hub.configuration
        configuration.uploadLimits = UploadLimits()  // the defaults: 400 days back, 1 day ahead, ₹1,00,00,000
        let app = buildApplication(configuration, store: hub.store)
        let token = try hub.enrolledToken()
        let now = Date().millisecondsSince1970
        func at(_ millis: Int64, amount: String = "100.00", receipt: String) -> PaymentUpload {
            var body = upload(receipt, amount: amount)
            body.recordedAtMillis = millis
            return body
        }
        // ₹100 on INV/1 and ₹1,99,900 unallocated: more advance than the hub takes.
        func advance(_ millis: Int64, receipt: String) -> PaymentUpload {
            var body = at(millis, receipt: receipt)
            body.amount = "200000.00"
            body.advance = "199900.00"
            return body
        }
        for (body, reason) in [
            (at(1_000_000_000_000_000_000, receipt: "R1"), "ahead of the hub's clock"),
            (at(now + 3 * Self.day, receipt: "R2"), "ahead of the hub's clock"),
            (at(now - 401 * Self.day, receipt: "R3"), "more than 400 days ago"),
            (at(-9_000_000_000_000_000_000, receipt: "R4"), "more than 400 days ago"),
            (at(now, amount: "20000000.00", receipt: "R5"), "more than this hub takes in one payment"),
            (advance(now, receipt: "R7"), "more than this hub takes unallocated"),
            (at(now, amount: "150000.00", receipt: "R8"), "more than the invoice's total 1000.00 and [hub] max_advance"),
        ] {
            let (status, text) = try await put(hub, app, token: token, body)
            #expect(status == .unprocessableContent && text.contains(reason), "\(body.receiptNumber): \(status) \(text)")
        }
        #expect(try hub.store.paymentCount() == 0)
        let (status, _) = try await put(hub, app, token: token, at(now - Self.day, receipt: "R6"))
        #expect(status == .created)
        // The reports over the customer open as before.
        #expect(try hub.store.customerHistory("C1")?.payments.count == 1)
    }

    @Test("hub.toml sets the limits; a bad one is refused naming the key")
    func configured() throws {
        let path = NSTemporaryDirectory() + "fieldpay-limits-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[hub]\nupload_past_days = 30\nupload_future_days = 0\nmax_payment = \"500000.00\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let limits = try HubConfiguration.load(path: path, environment: [:]).uploadLimits
        #expect(limits.pastDays == 30 && limits.futureDays == 0 && limits.maximumPayment == Money(rupees: 500_000))
        try "[hub]\nmax_payment = \"lots\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try HubConfiguration.load(path: path, environment: [:])
        } throws: { ($0 as? HubConfigError)?.description.contains("[hub] max_payment must be an amount") == true }
    }

    @Test("hub.example.toml, as shipped, is a configuration the hub takes")
    func example() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let configuration = try HubConfiguration.load(path: repository + "/hub.example.toml", environment: [:])
        #expect(configuration.port == 8080 && configuration.providers["razorpay"] != nil)
        #expect(configuration.uploadLimits == UploadLimits())
    }
}
