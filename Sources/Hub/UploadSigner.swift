import Crypto
import FieldPayCore
import Foundation
import HubAPI

/// A device's receipt key outside a device: signs a payment upload as `fieldpay` would (a version 2 receipt text
/// stating every uploaded field). The hub's demo book, the benchmarks and the tests make their payments with it,
/// so that they go through the same signature check as a handheld's.
public struct UploadSigner: Sendable {
    /// The private key's 32 bytes (swift-crypto's key type is not `Sendable`).
    let seed: Data

    public init() { seed = Curve25519.Signing.PrivateKey().rawRepresentation }

    var key: Curve25519.Signing.PrivateKey {
        // 32 bytes made by swift-crypto itself: always a valid seed.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// The public half as enrollment sends it (32 bytes, base64).
    public var publicKeyBase64: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// The upload with `signed_text` and `signature` set for `paymentID` (its allocations' balances after are
    /// written as 0: the hub does not know them and does not check them).
    public func sign(_ upload: PaymentUpload, paymentID: String) -> PaymentUpload {
        var signed = upload
        let paise = { (text: String) in wireMoney(text)?.paise ?? 0 }
        let text = SignedReceiptText(
            receiptNumber: upload.receiptNumber, paymentID: paymentID.lowercased(), recordedAtMillis: upload.recordedAtMillis, method: upload.method,
            amountPaise: paise(upload.amount),
            allocations: upload.allocations.map { .init(invoice: $0.invoice, amountPaise: paise($0.amount), balanceAfterPaise: 0) },
            advancePaise: paise(upload.advance), utr: upload.utr, chequeNumber: upload.chequeNumber, customerCode: upload.customerCode,
            upiReference: upload.upiReference, bank: upload.bank, chequeDate: upload.chequeDate
        ).text
        signed.signedText = text
        // Signing with a well-formed key cannot fail; a failure would leave the upload refused, not forged.
        signed.signature = (try? key.signature(for: Data(text.utf8))).map(Base64URL.encode) ?? ""
        return signed
    }
}
