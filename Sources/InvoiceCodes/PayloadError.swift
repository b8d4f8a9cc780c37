import FieldPayCore

/// Why a scanned payload did not give an invoice reference.
public enum PayloadErrors: ErrorDomain {
    public enum Code: String, Sendable {
        /// None of the profile's formats recognise it: a product barcode, a URL of another site, text.
        case notInvoiceCode = "payload.not-invoice-code"
        /// It looks like a GST e-invoice QR (a JWS) but is not well formed.
        case malformedEInvoice = "payload.malformed-e-invoice"
        /// The e-invoice QR's signature does not verify with any configured key: forged or altered.
        case badSignature = "payload.bad-signature"
        /// A GSTIN inside the code fails its check character.
        case badGSTIN = "payload.bad-gstin"
        /// A GS1 element string that does not parse (unknown AI, wrong length, bad check digit).
        case malformedGS1 = "payload.malformed-gs1"
        /// An amount in the code is not a valid rupee amount.
        case badAmount = "payload.bad-amount"
        /// A date in the code is not a real date.
        case badDate = "payload.bad-date"
        /// A rule in the device profile is broken (a pattern that does not compile or lacks `invoice`).
        case badRule = "payload.bad-rule"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        switch code {
        case .notInvoiceCode: return "not an invoice code: \(detail)"
        case .malformedEInvoice: return "GST e-invoice QR is malformed: \(detail)"
        case .badSignature: return "GST e-invoice QR signature is not valid: \(detail)"
        case .badGSTIN: return "invalid GSTIN in the code: \(detail)"
        case .malformedGS1: return "GS1 code is malformed: \(detail)"
        case .badAmount: return "bad amount in the code: \(detail)"
        case .badDate: return "bad date in the code: \(detail)"
        case .badRule: return "payload rule in the profile is broken: \(detail)"
        }
    }
}

public typealias PayloadError = CodedError<PayloadErrors>

/// A short, printable excerpt of a payload for error messages (never the whole of a 2 KB QR).
func excerpt(_ payload: String, limit: Int = 48) -> String {
    let printable = String(
        String.UnicodeScalarView(payload.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "·" : $0 }))
    return printable.count <= limit
        ? "\"\(printable)\"" : "\"\(printable.prefix(limit))…\" (\(payload.utf8.count) bytes)"
}
