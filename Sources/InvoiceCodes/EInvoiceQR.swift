import Crypto
import FieldPayCore
import Foundation
import _CryptoExtras

/// A public key the device trusts for GST e-invoice QR signatures (NIC's IRP key, or a GSP's).
public struct EInvoiceKey: Sendable {
    public let name: String
    let key: _RSA.Signing.PublicKey

    /// `pem` is a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) of an RSA key of 2048 bits or more.
    public init(name: String, pem: String) throws(PayloadError) {
        self.name = name
        let refusal = PayloadError(.badRule, "e-invoice key \"\(name)\" is not an RSA public key of 2048 bits or more in PEM form")
        guard let (n, e) = RSAPublicKeyDER.components(pem: pem),
            let key = try? _RSA.Signing.PublicKey(n: n, e: e), key.keySizeInBits >= 2048
        else { throw refusal }
        self.key = key
    }

    func verifies(signature: Data, over signingInput: Data) -> Bool {
        key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signingInput, padding: .insecurePKCS1v1_5)
    }
}

/// The GST e-invoice signed QR: a JWS (compact form, RS256) issued by the Invoice Registration Portal whose
/// payload's `data` claim is a JSON object with SellerGstin, BuyerGstin, DocNo, DocTyp, DocDt, TotInvVal,
/// ItemCnt, MainHsnCode, Irn and IrnDt.
enum EInvoiceQR {
    /// True when the payload has the shape of a compact JWS with a JSON header: three base64url segments,
    /// the first decoding to `{`.
    /// Anything from `eyJ` with a dot is taken as a JWS, so that a broken one is reported as broken, not as
    /// a plain number.
    static func looksLikeJWS(_ payload: String) -> Bool {
        guard payload.hasPrefix("eyJ"), payload.utf8.count < 16_384 else { return false }
        var dots = 0
        for byte in payload.utf8 {
            if byte == 0x2E { dots += 1; continue }
            guard isBase64URL(byte) else { return false }
        }
        return dots >= 1
    }

    static func parse(_ payload: String, keys: [EInvoiceKey]) throws(PayloadError) -> InvoiceRef {
        let parts = payload.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]), let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw PayloadError(.malformedEInvoice, "not three base64url parts") }
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw PayloadError(.malformedEInvoice, "the JWS header is not a JSON object")
        }
        let algorithm = header["alg"] as? String ?? "(none)"

        let signatureStatus: InvoiceRef.Signature
        if keys.isEmpty {
            signatureStatus = .unchecked
        } else {
            // Only RS256 is accepted: "none" or HS256 would let anyone forge a code that checks out.
            guard algorithm == "RS256" else {
                throw PayloadError(.badSignature, "algorithm \(algorithm) is refused; e-invoice QRs are signed RS256")
            }
            let signingInput = Data(payload.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
            let kid = header["kid"] as? String
            let ordered = keys.filter { $0.name == kid } + keys.filter { $0.name != kid }
            guard let key = ordered.first(where: { $0.verifies(signature: signature, over: signingInput) }) else {
                throw PayloadError(.badSignature, "it does not verify with the configured key(s) \(keys.map(\.name).joined(separator: ", ")): the code is forged or altered")
            }
            signatureStatus = .verified(keyName: key.name)
        }

        guard let claims = (try? JSONSerialization.jsonObject(with: payloadData)) as? [String: Any] else {
            throw PayloadError(.malformedEInvoice, "the JWS payload is not a JSON object")
        }
        // IRP puts the invoice fields in `data`, itself a JSON string; accept an object or top-level fields too.
        let fields: [String: Any]
        if let text = claims["data"] as? String {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                throw PayloadError(.malformedEInvoice, "the data claim is not a JSON object")
            }
            fields = object
        } else if let object = claims["data"] as? [String: Any] {
            fields = object
        } else {
            fields = claims
        }

        func string(_ name: String) -> String? {
            if let text = fields[name] as? String { return String(text.trimmingSpaces) }
            if let number = fields[name] as? NSNumber { return number.stringValue }
            return nil
        }
        guard let number = string("DocNo"), !number.isEmpty else {
            throw PayloadError(.malformedEInvoice, "no DocNo (document number)")
        }
        var ref = InvoiceRef(source: .gstEInvoice, invoiceNumber: number, signature: signatureStatus)
        ref.documentType = string("DocTyp")
        for (name, path) in [("SellerGstin", \InvoiceRef.sellerGstin), ("BuyerGstin", \InvoiceRef.buyerGstin)] {
            guard let text = string(name), !text.isEmpty, text != "URP" else { continue }  // URP: unregistered person
            do { ref[keyPath: path] = try GSTIN(text) } catch { throw PayloadError(.badGSTIN, "\(name): \(error.message)") }
        }
        if let text = string("DocDt") {
            guard let date = LocalDate(parsing: text) else { throw PayloadError(.badDate, "DocDt \"\(text)\" is not dd/mm/yyyy") }
            ref.invoiceDate = date
        }
        if let text = string("TotInvVal") {
            do { ref.amount = try Money(parsing: text) } catch {
                throw PayloadError(.badAmount, "TotInvVal \"\(text)\": \(error.message)")
            }
            if ref.amount!.isNegative { throw PayloadError(.badAmount, "TotInvVal \(text) is negative") }
        }
        if let text = string("ItemCnt") {
            guard let count = Int(text), count >= 0 else { throw PayloadError(.malformedEInvoice, "ItemCnt \"\(text)\" is not a count") }
            ref.itemCount = count
        }
        ref.mainHSNCode = string("MainHsnCode")
        if let irn = string("Irn") {
            guard irn.utf8.count == 64, irn.utf8.allSatisfy(isHex) else {
                throw PayloadError(.malformedEInvoice, "Irn is not 64 hexadecimal characters")
            }
            ref.irn = irn.lowercased()
        }
        return ref
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D
            || byte == 0x5F || byte == 0x3D
    }

    static func isHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
