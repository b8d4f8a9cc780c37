import Crypto
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Testing

@Suite("Receipt signatures at the hub")
struct ReceiptSignatureTests {
    let key = Curve25519.Signing.PrivateKey()

    /// Enrolls a device that sent its receipt key; returns its id.
    func enroll(_ hub: TestHub, publicKey: Data? = nil) throws -> String {
        let code = try hub.store.createEnrollmentCode(rep: "Ravi")
        guard case .enrolled(let response) = try hub.store.enroll(
            code: code, deviceName: "h1", publicKey: (publicKey ?? key.publicKey.rawRepresentation).base64EncodedString())
        else { throw CancellationError() }
        return response.deviceID
    }

    /// A cash upload of `amount` on INV/1 with the signed text a device makes for it, signed by `signer`.
    func signed(_ id: String, amount: String = "100.00", signedPaise: Int = 10_000, by signer: Curve25519.Signing.PrivateKey? = nil) throws -> PaymentUpload {
        var body = upload("A-000001", amount: amount)
        body.signedText = "FPR1|A-000001|\(id)|1796000000000|cash|\(signedPaise)|INV/1:\(signedPaise):\(100_000 - signedPaise)|0|-|-"
        body.signature = Base64URL.encode(try (signer ?? key).signature(for: Data(body.signedText!.utf8)))
        return body
    }

    @Test("a receipt signed by the device's key and stating what the upload says is stored", arguments: StoreBackend.allCases)
    func accepted(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = try enroll(hub)
        let id = UUID().uuidString.lowercased()
        guard case .created = try hub.store.upload(paymentID: id, deviceID: device, body: Data(), payment: try signed(id)) else {
            Issue.record("refused")
            return
        }
    }

    @Test(
        "a forged, altered or unsigned receipt is refused and nothing is stored",
        arguments: ["altered", "other key", "unsigned", "other payment id"])
    func refused(kind: String) throws {
        let hub = try TestHub()
        let device = try enroll(hub)
        let id = UUID().uuidString.lowercased()
        var body: PaymentUpload
        switch kind {
        case "altered": body = try signed(id, amount: "200.00", signedPaise: 10_000)  // says ₹200, signed ₹100
            body.allocations = [AllocationBody(invoice: "INV/1", amount: "200.00")]
        case "other key": body = try signed(id, by: Curve25519.Signing.PrivateKey())
        case "unsigned":
            body = try signed(id)
            body.signedText = nil
        default: body = try signed(UUID().uuidString.lowercased())  // a receipt replayed under another payment id
        }
        let outcome = try hub.store.upload(paymentID: id, deviceID: device, body: Data(), payment: body)
        guard case .invalid(let reason) = outcome else {
            Issue.record("\(kind): \(outcome)")
            return
        }
        #expect(reason.contains("signature") || reason.contains("signed"), "\(reason)")
        #expect(try hub.store.paymentCount() == 0)
        #expect(try hub.store.invoiceOutstanding("INV/1") == (try? .init(parsing: "1000.00")))
    }

    @Test("a public key that is not an Ed25519 key is refused at enrollment", arguments: StoreBackend.allCases)
    func badKey(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let code = try hub.store.createEnrollmentCode(rep: "Ravi")
        #expect(try hub.store.enroll(code: code, deviceName: "h1", publicKey: "bm90IGEga2V5") == .invalidKey)
        #expect(try hub.store.enroll(code: code, deviceName: "h1", publicKey: key.publicKey.rawRepresentation.base64EncodedString()) != .invalidKey)
    }
}
