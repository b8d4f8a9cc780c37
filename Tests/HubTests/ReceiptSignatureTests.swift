import Crypto
import FieldPayCore
import Foundation
import GRDB
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

    @Test(
        "security: every field a version 2 receipt carries is signed: another customer, QR reference, bank or cheque date in the upload is refused",
        arguments: ["customer", "reference", "bank", "cheque date"])
    func everyFieldSigned(field: String) throws {
        let hub = try TestHub()
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let id = UUID().uuidString.lowercased()
        var body = upload("A-000001", amount: "100.00", invoice: "INV/1", method: field == "reference" ? "upi" : "cheque")
        if field != "reference" {
            body.chequeNumber = "000123"
            body.bank = "SBI"
            body.chequeDate = "2026-11-30"
        } else {
            body.upiReference = "DEMO01INV1TPAUOU"
        }
        var altered = testSigner.sign(body, paymentID: id)
        switch field {
        case "customer": altered.customerCode = "C2"  // a receipt moved to another customer's account
        case "reference": altered.upiReference = "DEMO01INV1TQQQQQ"  // pointed at another QR's credit
        case "bank": altered.bank = "HDFC Bank"
        default: altered.chequeDate = "2027-03-31"  // a cheque post-dated after the fact
        }
        let outcome = try hub.store.upload(paymentID: id, deviceID: device, body: Data(), payment: altered)
        #expect(outcome == .invalid("the upload does not say what its signed receipt says"), "\(outcome)")
        #expect(try hub.store.paymentCount() == 0)
        // Signed as sent, the same upload is taken.
        guard case .created = try hub.store.uploadSigned(deviceID: device, payment: body, id: id) else {
            Issue.record("refused when signed")
            return
        }
    }

    @Test("security: a payment allocated to another customer's invoice is refused", arguments: StoreBackend.allCases)
    func allocationsAreTheCustomers(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        var body = upload("A-000001", amount: "100.00", invoice: "INV/3")  // Gupta Medicals' invoice…
        body.customerCode = "C1"  // …on Sharma Stores' receipt
        let outcome = try hub.store.uploadSigned(deviceID: device, payment: body)
        #expect(outcome == .invalid("invoice INV/3 is not customer C1's"))
        #expect(try hub.store.invoiceOutstanding("INV/3") == (try? .init(parsing: "250.00")))
    }

    @Test("security: a device enrolled without a receipt key has its uploads refused until it enrolls again", arguments: StoreBackend.allCases)
    func keylessDeviceRefused(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        // As a device enrolled before keys were sent is stored.
        let database = try DatabaseQueue(path: hub.folder + "/hub.sqlite")
        try database.write { try $0.execute(sql: "UPDATE device SET publicKey = NULL WHERE id = ?", arguments: [device]) }
        let outcome = try hub.store.uploadSigned(deviceID: device, payment: upload("A-000001"))
        guard case .invalid(let reason) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(reason.contains("enrolled without a receipt key"))
        #expect(try hub.store.paymentCount() == 0)
    }

    @Test("security: a device code is one device's: another key cannot enroll it, nor a code sharing its QR reference prefix", arguments: StoreBackend.allCases)
    func deviceCodesAreUnique(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        _ = try hub.enrolledToken(deviceCode: "DEMO01")
        let other = UploadSigner().publicKeyBase64
        for code in ["DEMO01", "DEMO0", "DEMO012"] {
            let outcome = try hub.store.enroll(code: try hub.store.createEnrollmentCode(rep: "Mallory"), deviceName: "m", publicKey: other, deviceCode: code)
            guard case .deviceCodeTaken(let reason) = outcome else {
                Issue.record("\(code): \(outcome)")
                continue
            }
            #expect(reason.contains("clashes with device"))
        }
        // The same device enrolling again (its own key) keeps its code; another code is free for another key.
        guard case .enrolled = try hub.store.enroll(code: try hub.store.createEnrollmentCode(rep: "Ravi"), deviceName: "again", deviceCode: "DEMO01"),
            case .enrolled = try hub.store.enroll(code: try hub.store.createEnrollmentCode(rep: "Asha"), deviceName: "a", publicKey: other, deviceCode: "ASHA1")
        else {
            Issue.record("refused")
            return
        }
    }
}
