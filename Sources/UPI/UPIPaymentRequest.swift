import FieldPayCore

/// A `upi://pay` request as NPCI's UPI Linking Specification describes it: what the payer's app shows and
/// pays. Built, parsed and validated here; rendered as a QR by `QRRender`.
public struct UPIPaymentRequest: Hashable, Sendable {
    /// Payee VPA (`pa`), the distributor's merchant address.
    public var payeeVPA: String
    /// Payee name (`pn`).
    public var payeeName: String
    /// Merchant category code (`mc`, 4 digits), for merchant (P2M) payments.
    public var merchantCode: String?
    /// Transaction reference (`tr`): unique per request; the payee's reconciliation key.
    public var transactionReference: String?
    /// Transaction note (`tn`), shown to the payer.
    public var note: String?
    /// Amount (`am`), always with two decimals.
    public var amount: Money?
    /// Minimum amount (`mam`) when the payer may change it.
    public var minimumAmount: Money?
    /// Initiation mode (`mode`, 2 digits, e.g. 01 QR, 02 secure QR) and purpose code (`purpose`).
    public var mode: String?
    public var purpose: String?
    /// GST invoice fields (UPI 2.0 invoice-in-inbox): `invoiceNo`, `invoiceDate`, `gstIn`.
    public var invoiceNumber: String?
    public var invoiceDate: LocalDate?
    public var gstin: GSTIN?
    /// Parameters we do not model, kept in order when a request is parsed (`url`, `orgid`, `sign`…).
    public var extra: [(String, String)] = []

    public init(
        payeeVPA: String, payeeName: String, merchantCode: String? = nil, transactionReference: String? = nil,
        note: String? = nil, amount: Money? = nil, mode: String? = nil, purpose: String? = nil,
        invoiceNumber: String? = nil, invoiceDate: LocalDate? = nil, gstin: GSTIN? = nil
    ) {
        self.payeeVPA = payeeVPA
        self.payeeName = payeeName
        self.merchantCode = merchantCode
        self.transactionReference = transactionReference
        self.note = note
        self.amount = amount
        self.mode = mode
        self.purpose = purpose
        self.invoiceNumber = invoiceNumber
        self.invoiceDate = invoiceDate
        self.gstin = gstin
    }

    public static func == (lhs: UPIPaymentRequest, rhs: UPIPaymentRequest) -> Bool { lhs.uri == rhs.uri }
    public func hash(into hasher: inout Hasher) { hasher.combine(uri) }

    /// The longest `tr` and `tn` apps accept.
    public static let maximumReferenceLength = 35
    public static let maximumNoteLength = 80

    /// Checks the request against the spec's rules; `limit` is the per-transaction ceiling.
    public func validate(limit: Money? = nil) throws(UPIError) {
        guard VPA.isValid(payeeVPA) else { throw UPIError(.badVPA, payeeVPA) }
        guard !payeeName.trimmingSpaces.isEmpty, payeeName.count <= 99 else { throw UPIError(.badName, payeeName) }
        if let merchantCode, !(merchantCode.utf8.count == 4 && merchantCode.utf8.allSatisfy(isDigit)) {
            throw UPIError(.badMerchantCode, merchantCode)
        }
        if let reference = transactionReference {
            guard (1...UPIPaymentRequest.maximumReferenceLength).contains(reference.utf8.count),
                reference.utf8.allSatisfy({ isDigit($0) || isLetter($0) })
            else { throw UPIError(.badReference, reference) }
        }
        if let note, note.count > UPIPaymentRequest.maximumNoteLength { throw UPIError(.badNote, note) }
        if let amount {
            guard amount.isPositive else { throw UPIError(.amountNotPositive, amount.plainString) }
            if let limit, amount > limit {
                throw UPIError(.amountOverLimit, "\(amount.displayString) (limit \(limit.displayString))")
            }
        }
        for (name, value) in [("mode", mode), ("purpose", purpose)] {
            if let value, !(value.utf8.count == 2 && value.utf8.allSatisfy(isDigit)) {
                throw UPIError(.badCode, "\(name)=\(value)")
            }
        }
    }

    /// The URI, parameters in the spec's order, each value percent-encoded (RFC 3986 unreserved characters
    /// and `@` kept, space as `%20`, never `+`).
    public var uri: String {
        var parameters: [(String, String)] = [("pa", payeeVPA), ("pn", payeeName)]
        if let merchantCode { parameters.append(("mc", merchantCode)) }
        if let transactionReference { parameters.append(("tr", transactionReference)) }
        if let note { parameters.append(("tn", note)) }
        if let amount { parameters.append(("am", amount.plainString)) }
        if let minimumAmount { parameters.append(("mam", minimumAmount.plainString)) }
        parameters.append(("cu", "INR"))
        if let mode { parameters.append(("mode", mode)) }
        if let purpose { parameters.append(("purpose", purpose)) }
        if let invoiceNumber { parameters.append(("invoiceNo", invoiceNumber)) }
        if let invoiceDate { parameters.append(("invoiceDate", invoiceDate.isoString)) }
        if let gstin { parameters.append(("gstIn", gstin.value)) }
        parameters += extra
        return "upi://pay?"
            + parameters.map { "\($0.0)=\(UPIPaymentRequest.percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Parses a `upi://pay` URI (any scheme case, parameters in any order). Unknown parameters are kept.
    public init(parsing text: String) throws(UPIError) {
        let trimmed = text.trimmingSpaces
        guard trimmed.lowercased().hasPrefix("upi://pay?") else { throw UPIError(.notUPI, String(trimmed.prefix(40))) }
        var values: [String: String] = [:]
        var extra: [(String, String)] = []
        for pair in trimmed.dropFirst("upi://pay?".count).split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard let value = UPIPaymentRequest.percentDecode(parts.count == 2 ? parts[1] : "") else {
                throw UPIError(.malformed, "parameter \(name) is not valid percent-encoded UTF-8")
            }
            guard values[name] == nil else { throw UPIError(.malformed, "parameter \(name) appears twice") }
            values[name] = value
            if !UPIPaymentRequest.known.contains(name) { extra.append((name, value)) }
        }
        guard let pa = values["pa"] else { throw UPIError(.malformed, "no payee address (pa)") }
        self.init(payeeVPA: pa, payeeName: values["pn"] ?? "")
        merchantCode = values["mc"]
        transactionReference = values["tr"]
        note = values["tn"]
        mode = values["mode"]
        purpose = values["purpose"]
        invoiceNumber = values["invoiceNo"]
        self.extra = extra
        if let currency = values["cu"], currency != "INR" {
            throw UPIError(.malformed, "currency \(currency) is not INR")
        }
        do {
            if let text = values["am"] { amount = try Money(parsing: text) }
            if let text = values["mam"] { minimumAmount = try Money(parsing: text) }
        } catch { throw UPIError(.malformed, "amount: \(error.message)") }
        if let text = values["invoiceDate"] {
            // The spec writes it as an ISO date-time; the date part is what matters here.
            guard let date = LocalDate(parsing: text.prefix(10)) else {
                throw UPIError(.malformed, "invoiceDate \(text)")
            }
            invoiceDate = date
        }
        if let text = values["gstIn"] {
            do { gstin = try GSTIN(text) } catch { throw UPIError(.malformed, error.message) }
        }
    }

    static let known: Set<String> = [
        "pa", "pn", "mc", "tr", "tn", "am", "mam", "cu", "mode", "purpose", "invoiceNo", "invoiceDate", "gstIn",
    ]

    /// RFC 3986 unreserved characters and `@` stay as they are (`pa` keeps its `@`); everything else is
    /// %XX of its UTF-8 bytes, so `&`, `=`, `+`, `%`, `#` and spaces in names cannot break the URI.
    public static func percentEncode(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isLetter(byte) || isDigit(byte) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
                || byte == 0x40
            {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append(Unicode.Scalar(0x25))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }

    /// %XX decoding; `+` is taken as a space, as many apps write it. Nil for a broken escape or non-UTF-8.
    public static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == 0x25 {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else if byte == 0x2B {
                bytes.append(0x20)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: return byte - 0x30
    case 0x41...0x46: return byte - 0x41 + 10
    case 0x61...0x66: return byte - 0x61 + 10
    default: return nil
    }
}

public enum UPIErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case notUPI = "upi.not-upi"
        case malformed = "upi.malformed"
        case badVPA = "upi.bad-vpa"
        case badName = "upi.bad-name"
        case badMerchantCode = "upi.bad-merchant-code"
        case badReference = "upi.bad-reference"
        case badNote = "upi.bad-note"
        case badCode = "upi.bad-code"
        case amountNotPositive = "upi.amount-not-positive"
        case amountOverLimit = "upi.amount-over-limit"
        case amountOverOutstanding = "upi.amount-over-outstanding"
        case invoicePaid = "upi.invoice-paid"
        case noMerchant = "upi.no-merchant"
        case payeeNotAllowed = "upi.payee-not-allowed"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        switch code {
        case .notUPI: return "not a UPI payment link: \(detail)"
        case .malformed: return "malformed UPI payment link: \(detail)"
        case .badVPA: return "\"\(detail)\" is not a UPI address (name@bank)"
        case .badName: return "the payee name must be 1 to 99 characters"
        case .badMerchantCode: return "merchant category code \"\(detail)\" must be 4 digits"
        case .badReference: return "transaction reference \"\(detail)\" must be 1 to 35 letters and digits"
        case .badNote: return "the note must be at most 80 characters"
        case .badCode: return "\(detail) must be 2 digits"
        case .amountNotPositive: return "the amount must be more than zero, not \(detail)"
        case .amountOverLimit:
            return "the amount \(detail) is above the UPI limit for one payment; split it or take a cheque"
        case .amountOverOutstanding: return "the amount \(detail)"
        case .invoicePaid: return "invoice \(detail) is already paid in full; there is nothing to collect"
        case .noMerchant: return "the device profile has no [upi] section with the merchant's vpa and name"
        case .payeeNotAllowed:
            return "\(detail) is not this merchant's UPI address nor in the profile's [upi] allowed_payees: no QR is made for it; take cash or a cheque and tell the office"
        }
    }
}

public typealias UPIError = CodedError<UPIErrors>
