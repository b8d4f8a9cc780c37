import Crypto
import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import Sync
import Testing

/// The device's own payment path into the hub's message outbox: a payment recorded and signed in a device
/// database, uploaded by `SyncService` to a real hub on 127.0.0.1, queues the customer's receipt message once,
/// and its link shows the receipt as verified against the key the device enrolled with.
@Suite("A device's payment becomes the customer's receipt message")
struct ReceiptMessageSyncTests {
    @Test("recorded and signed on the device, uploaded by sync (twice): one receipt message, its link verified on the hub")
    func receiptFromDevice() async throws {
        let hub = try await LiveHub(
            invoices: """
                invoice_number,invoice_date,due_date,customer_code,customer_name,total,phone
                R-1,2026-10-01,2026-10-31,C1,Sharma Stores,1000.00,09822000101
                """)
        let key = Curve25519.Signing.PrivateKey()
        guard case .enrolled(let enrolled) = try hub.store.enroll(
            code: try hub.store.createEnrollmentCode(rep: "Ravi", hours: 1), deviceName: "handheld", publicKey: key.publicKey.rawRepresentation.base64EncodedString(),
            deviceCode: "DEV1")
        else { throw ReportInputError("enrollment failed") }
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "all"))
        let database = try AppDatabase(path: hub.folder + "/device-\(UUID().uuidString).sqlite")
        let sync = SyncService(database: database, client: HubClient(baseURL: hub.url, token: "\(enrolled.deviceID).\(enrolled.secret)"))
        _ = try await sync.runOnce()
        let signing = key.rawRepresentation
        let receipt = try database.recordPayment(
            PaymentDraft(method: .cash, amount: Money(rupees: 250), invoiceNumbers: ["R-1"]), deviceCode: "DEV1",
            sign: { text in try Curve25519.Signing.PrivateKey(rawRepresentation: signing).signature(for: Data(text.utf8)) })
        _ = try await sync.runOnce()
        _ = try await sync.runOnce()  // nothing left to upload: still one message

        let messages = try hub.store.messages(state: nil, customer: "C1", limit: 10)
        #expect(messages.map(\.key) == ["receipt:\(receipt.payment.id.uuidString.lowercased())"])
        let message = try #require(messages.first)
        #expect(message.phone == "+919822000101" && message.text.contains("₹250.00") && message.text.contains(receipt.payment.receiptNumber))
        let token = try #require(message.text.split(separator: "/r/").last.map(String.init))
        let view = try #require(try hub.store.receipt(token: token))
        #expect(view.signatureVerified && view.receiptNumber == receipt.payment.receiptNumber && view.amount == Money(rupees: 250))
        #expect(view.verificationPayload == receipt.verificationPayload)
    }
}
