import FieldPayCore
import Foundation
import InvoiceCodes
import Testing
import _CryptoExtras

/// Signed e-invoice QRs made here with keys made here: the same JWS compact form IRP issues.
enum Signer {
    static let irp = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let other = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static var fields: [String: Any] {
        [
        "SellerGstin": "27AAPFU0939F1ZV", "BuyerGstin": "33AAACH7409R1Z8", "DocNo": "MH/24-25/001234",
        "DocTyp": "INV", "DocDt": "15/10/2026", "TotInvVal": 118000.5, "ItemCnt": 3, "MainHsnCode": "30049099",
        "Irn": String(repeating: "a1b2c3d4", count: 8), "IrnDt": "2026-10-15 12:01:00",
        ]
    }

    static func b64(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func token(
        fields: [String: Any] = fields, header: [String: Any] = ["alg": "RS256", "kid": "irp", "typ": "JWT"],
        key: _RSA.Signing.PrivateKey = irp, dataAsString: Bool = true
    ) -> String {
        let data: Any =
            dataAsString
            ? String(decoding: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
            : fields
        let claims: [String: Any] = ["data": data, "iss": "NIC"]
        let input = b64(try! JSONSerialization.data(withJSONObject: header)) + "." + b64(try! JSONSerialization.data(withJSONObject: claims))
        let signature = try! key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + b64(signature.rawRepresentation)
    }

    static func parser(keys: [(String, _RSA.Signing.PrivateKey)] = [("irp", irp)]) throws -> InvoiceCodeParser {
        try InvoiceCodeParser(rules: PayloadRules(eInvoiceKeys: keys.map { try EInvoiceKey(name: $0.0, pem: $0.1.publicKey.pemRepresentation) }))
    }
}

enum JSONValue: Sendable {
    case text(String)
    case number(Double)
}

@Suite("GST e-invoice signed QR")
struct EInvoiceTests {
    @Test("a QR signed by the configured key gives every field, verified")
    func verified() throws {
        let ref = try Signer.parser().parse(Signer.token(), symbology: "qr")
        #expect(ref.source == .gstEInvoice)
        #expect(ref.invoiceNumber == "MH/24-25/001234")
        #expect(ref.amount == Money(paise: 11_800_050))
        #expect(ref.invoiceDate == LocalDate(year: 2026, month: 10, day: 15))
        #expect(ref.sellerGstin?.value == "27AAPFU0939F1ZV")
        #expect(ref.buyerGstin?.value == "33AAACH7409R1Z8")
        #expect(ref.documentType == "INV")
        #expect(ref.itemCount == 3)
        #expect(ref.mainHSNCode == "30049099")
        #expect(ref.irn == String(repeating: "a1b2c3d4", count: 8))
        #expect(ref.signature == .verified(keyName: "irp"))
    }

    @Test("the data claim may be an object instead of a JSON string")
    func dataObject() throws {
        let ref = try Signer.parser().parse(Signer.token(dataAsString: false))
        #expect(ref.invoiceNumber == "MH/24-25/001234")
    }

    @Test("with no key configured the fields are read and the signature is marked unchecked")
    func unchecked() throws {
        let ref = try InvoiceCodeParser().parse(Signer.token(key: Signer.other))
        #expect(ref.signature == .unchecked)
        #expect(ref.invoiceNumber == "MH/24-25/001234")
    }

    @Test("a QR signed by another key is reported, not accepted")
    func wrongKey() throws {
        let error = #expect(throws: PayloadError.self) { try Signer.parser().parse(Signer.token(key: Signer.other)) }
        #expect(error?.code == .badSignature)
    }

    @Test("an altered amount breaks the signature")
    func altered() throws {
        let parts = Signer.token().split(separator: ".").map(String.init)
        var forged = Signer.fields
        forged["TotInvVal"] = 1.0
        let otherPayload = Signer.token(fields: forged).split(separator: ".")[1]
        let tampered = [parts[0], String(otherPayload), parts[2]].joined(separator: ".")
        let error = #expect(throws: PayloadError.self) { try Signer.parser().parse(tampered) }
        #expect(error?.code == .badSignature)
    }

    @Test("alg none and HS256 are refused when keys are configured", arguments: ["none", "HS256"])
    func algorithmRefused(alg: String) throws {
        let token = Signer.token(header: ["alg": alg])
        let error = #expect(throws: PayloadError.self) { try Signer.parser().parse(token) }
        #expect(error?.code == .badSignature)
    }

    @Test("any of several configured keys may verify; kid only orders the attempts")
    func severalKeys() throws {
        let parser = try Signer.parser(keys: [("old", Signer.other), ("irp", Signer.irp)])
        #expect(try parser.parse(Signer.token(header: ["alg": "RS256"])).signature == .verified(keyName: "irp"))
    }

    @Test("broken contents get their own codes", arguments: [
        ("SellerGstin", JSONValue.text("27AAPFU0939F1ZA"), PayloadError.Code.badGSTIN), ("DocDt", .text("31/02/2026"), .badDate),
        ("DocDt", .text("2026-10-15T00:00"), .badDate), ("TotInvVal", .text("12.345"), .badAmount), ("TotInvVal", .number(-5), .badAmount),
        ("ItemCnt", .text("three"), .malformedEInvoice), ("Irn", .text("abc"), .malformedEInvoice), ("DocNo", .text(""), .malformedEInvoice),
    ])
    func brokenFields(field: String, value: JSONValue, code: PayloadError.Code) throws {
        var fields = Signer.fields
        switch value {
        case .text(let text): fields[field] = text
        case .number(let number): fields[field] = number
        }
        let error = #expect(throws: PayloadError.self) { try Signer.parser().parse(Signer.token(fields: fields)) }
        #expect(error?.code == code)
    }

    @Test("URP (unregistered buyer) is not a GSTIN error")
    func unregisteredBuyer() throws {
        var fields = Signer.fields
        fields["BuyerGstin"] = "URP"
        #expect(try Signer.parser().parse(Signer.token(fields: fields)).buyerGstin == nil)
    }

    @Test("malformed JWS shapes", arguments: ["eyJhbGciOiJSUzI1NiJ9.e30", "eyJub3QganNvbg.e30.c2ln", "eyJ.!!.x", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"])
    func malformed(token: String) {
        #expect(throws: PayloadError.self) { try InvoiceCodeParser().parse(token) }
    }

    @Test("a PEM that is not an RSA public key of 2048+ bits is a profile error, not a crash", arguments: [
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "", "not base64 at all",
        "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=",  // an Ed25519 key
        // a 1024-bit RSA key: too weak to trust
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDAOo1ARTb0Ldz8d98eGdUOBIXo1Plzjp0EUYObQXkNrbRqMDpQ8RFs0vG+A2S/GL1b5rkHbpgyyWkJZ2r5y9sX6hJ4Y9pUBKnPSKctVtn2PkZdqXIdSvIMeQvV1P8S0jGNT7tRyZEv7PcKNBEbVHi+bz6kxgwWKuXtHlyfvUdd3wIDAQAB",
    ])
    func badKey(pem: String) {
        let error = #expect(throws: PayloadError.self) { try EInvoiceKey(name: "x", pem: pem) }
        #expect(error?.code == .badRule)
    }

    @Test("both PEM forms of a real key are accepted")
    func pemForms() throws {
        _ = try EInvoiceKey(name: "spki", pem: Signer.irp.publicKey.pemRepresentation)
        _ = try EInvoiceKey(name: "pkcs1", pem: Signer.irp.publicKey.pkcs1PEMRepresentation)
    }
}
