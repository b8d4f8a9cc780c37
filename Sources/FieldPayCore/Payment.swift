import Foundation

public enum PaymentMethod: String, Sendable, Codable, CaseIterable {
    case upi, cash, cheque
}

/// Where a payment stands. Cash and cheques are received in hand; a UPI payment is awaiting confirmation until
/// the hub confirms the credit (or, on the device, the rep enters the payer's UTR).
public enum PaymentStatus: String, Sendable, Codable {
    case received
    case awaitingConfirmation = "awaiting-confirmation"
    /// At the hub: the device sent a UTR the payer showed the rep, but no webhook, poll or bank statement has
    /// yet shown that UTR with that amount. A claim, counted apart from confirmed money in every report.
    case utrClaimed = "utr-claimed"
    case confirmed
}

/// How much of a payment went to one invoice, and what that invoice still owed after it.
public struct Allocation: Hashable, Sendable, Codable {
    public var invoiceNumber: String
    public var amount: Money
    public var balanceAfter: Money

    public init(invoiceNumber: String, amount: Money, balanceAfter: Money) {
        self.invoiceNumber = invoiceNumber
        self.amount = amount
        self.balanceAfter = balanceAfter
    }
}

/// A payment as recorded on the device. Its UUID is made when it is captured and is its idempotency key for
/// ever; its receipt number is the device's next in a gap-free series.
public struct Payment: Hashable, Sendable, Codable {
    public var id: UUID
    public var receiptNumber: String
    public var deviceCode: String
    public var method: PaymentMethod
    public var status: PaymentStatus
    public var amount: Money
    /// The part of the amount no invoice absorbed (an advance, only when the rep allowed it).
    public var advance: Money
    public var customerCode: String
    public var customerName: String
    public var allocations: [Allocation]
    /// Milliseconds since 1970 (UTC) when it was recorded.
    public var recordedAtMillis: Int64
    public var utr: String?
    public var chequeNumber: String?
    public var bank: String?
    public var chequeDate: LocalDate?
    /// The `tr` of the UPI request the payer paid, when known.
    public var upiReference: String?

    public init(
        id: UUID, receiptNumber: String, deviceCode: String, method: PaymentMethod, status: PaymentStatus, amount: Money,
        advance: Money, customerCode: String, customerName: String, allocations: [Allocation], recordedAtMillis: Int64,
        utr: String? = nil, chequeNumber: String? = nil, bank: String? = nil, chequeDate: LocalDate? = nil,
        upiReference: String? = nil
    ) {
        self.id = id
        self.receiptNumber = receiptNumber
        self.deviceCode = deviceCode
        self.method = method
        self.status = status
        self.amount = amount
        self.advance = advance
        self.customerCode = customerCode
        self.customerName = customerName
        self.allocations = allocations
        self.recordedAtMillis = recordedAtMillis
        self.utr = utr
        self.chequeNumber = chequeNumber
        self.bank = bank
        self.chequeDate = chequeDate
        self.upiReference = upiReference
    }

    /// `DEMO01-000042`: the device's code and the receipt's place in its series.
    public static func receiptNumber(deviceCode: String, sequence: Int64) -> String {
        let digits = String(sequence)
        return deviceCode + "-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// What the device signs now: every fact the receipt states and the upload carries (`SignedReceiptText`,
    /// version 2). Receipts signed before it keep the version-1 text they were signed with (`Receipt.signedText`).
    public var signedText: String { SignedReceiptText(self).text }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "|", with: "%7C")
            .replacingOccurrences(of: ",", with: "%2C").replacingOccurrences(of: ":", with: "%3A")
    }
}

/// The text a receipt's signature covers, `|`-separated, in a fixed order. Every field is escaped (`%`, `|`,
/// `,`, `:` percent-encoded), so no field holds a separator; an absent value is `-` (a value that is `-` itself
/// is written `%2D`).
///
/// - Version 1 (`FPR1`, 10 fields): receipt number, payment id, recorded-at ms, method, amount (paise),
///   allocations (`invoice:paise:balance-after-paise`, comma-separated), advance (paise), UTR, cheque number.
/// - Version 2 (`FPR2`, 14 fields): version 1's, then customer code, UPI reference (`tr`), bank, cheque date
///   (yyyy-mm-dd): everything a payment upload carries is signed.
public struct SignedReceiptText: Sendable, Equatable {
    public struct Part: Sendable, Equatable {
        public var invoice: String
        public var amountPaise: Int64
        public var balanceAfterPaise: Int64

        public init(invoice: String, amountPaise: Int64, balanceAfterPaise: Int64) {
            self.invoice = invoice
            self.amountPaise = amountPaise
            self.balanceAfterPaise = balanceAfterPaise
        }
    }

    public var version: Int
    public var receiptNumber: String
    public var paymentID: String
    public var recordedAtMillis: Int64
    public var method: String
    public var amountPaise: Int64
    public var allocations: [Part]
    public var advancePaise: Int64
    public var utr: String?
    public var chequeNumber: String?
    /// Version 2 only (nil in version 1).
    public var customerCode: String?
    public var upiReference: String?
    public var bank: String?
    public var chequeDate: String?

    public init(
        version: Int = 2, receiptNumber: String, paymentID: String, recordedAtMillis: Int64, method: String, amountPaise: Int64,
        allocations: [Part], advancePaise: Int64, utr: String?, chequeNumber: String?, customerCode: String?, upiReference: String?,
        bank: String?, chequeDate: String?
    ) {
        self.version = version
        self.receiptNumber = receiptNumber
        self.paymentID = paymentID
        self.recordedAtMillis = recordedAtMillis
        self.method = method
        self.amountPaise = amountPaise
        self.allocations = allocations
        self.advancePaise = advancePaise
        self.utr = utr
        self.chequeNumber = chequeNumber
        self.customerCode = customerCode
        self.upiReference = upiReference
        self.bank = bank
        self.chequeDate = chequeDate
    }

    /// A payment's receipt text in `version` (2 for every new receipt).
    public init(_ payment: Payment, version: Int = 2) {
        self.init(
            version: version, receiptNumber: payment.receiptNumber, paymentID: payment.id.uuidString.lowercased(),
            recordedAtMillis: payment.recordedAtMillis, method: payment.method.rawValue, amountPaise: payment.amount.paise,
            allocations: payment.allocations.map { Part(invoice: $0.invoiceNumber, amountPaise: $0.amount.paise, balanceAfterPaise: $0.balanceAfter.paise) },
            advancePaise: payment.advance.paise, utr: payment.utr, chequeNumber: payment.chequeNumber,
            customerCode: version >= 2 ? payment.customerCode : nil, upiReference: version >= 2 ? payment.upiReference : nil,
            bank: version >= 2 ? payment.bank : nil, chequeDate: version >= 2 ? payment.chequeDate?.isoString : nil)
    }

    public var text: String {
        // Version 1 wrote receipt numbers, UTRs and the payment id as they are; they never hold a separator.
        var fields = [
            "FPR\(version)", receiptNumber, paymentID, String(recordedAtMillis), method, String(amountPaise),
            allocations.map { "\(Payment.escape($0.invoice)):\($0.amountPaise):\($0.balanceAfterPaise)" }.joined(separator: ","),
            String(advancePaise), utr ?? "-", chequeNumber.map(Payment.escape) ?? "-",
        ]
        if version >= 2 {
            fields[1] = Self.field(receiptNumber)
            fields += [Self.field(customerCode), Self.field(upiReference), Self.field(bank), Self.field(chequeDate)]
        }
        return fields.joined(separator: "|")
    }

    static func field(_ value: String?) -> String {
        guard let value else { return "-" }
        return value == "-" ? "%2D" : Payment.escape(value)
    }

    static func unescape(_ field: Substring) -> String? {
        field == "-" ? nil : String(field).removingPercentEncoding ?? String(field)
    }

    /// The fields of a version 1 or 2 text; nil for anything else (the wrong count, a number that is not one).
    public static func parse(_ text: String) -> SignedReceiptText? {
        let fields = text.split(separator: "|", omittingEmptySubsequences: false)
        let version: Int
        switch (fields.first, fields.count) {
        case ("FPR1", 10): version = 1
        case ("FPR2", 14): version = 2
        default: return nil
        }
        guard let millis = Int64(fields[3]), let amount = Int64(fields[5]), let advance = Int64(fields[7]) else { return nil }
        var parts: [Part] = []
        for part in fields[6].split(separator: ",") {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 3, let paid = Int64(pieces[1]), let balance = Int64(pieces[2]) else { return nil }
            parts.append(Part(invoice: String(pieces[0]).removingPercentEncoding ?? String(pieces[0]), amountPaise: paid, balanceAfterPaise: balance))
        }
        return SignedReceiptText(
            version: version, receiptNumber: version >= 2 ? unescape(fields[1]) ?? "" : String(fields[1]), paymentID: String(fields[2]),
            recordedAtMillis: millis, method: String(fields[4]), amountPaise: amount, allocations: parts, advancePaise: advance,
            utr: fields[8] == "-" ? nil : String(fields[8]), chequeNumber: unescape(fields[9]),
            customerCode: version >= 2 ? unescape(fields[10]) : nil, upiReference: version >= 2 ? unescape(fields[11]) : nil,
            bank: version >= 2 ? unescape(fields[12]) : nil, chequeDate: version >= 2 ? unescape(fields[13]) : nil)
    }
}

/// A payment with the device's signature over `signedText`.
public struct Receipt: Hashable, Sendable, Codable {
    public var payment: Payment
    /// Ed25519 signature (64 bytes) by the device key.
    public var signature: Data
    /// The exact text the signature covers, as it was signed (a receipt made before version 2 keeps its `FPR1`
    /// text; a UTR entered later is not in it).
    public var signedText: String

    public init(payment: Payment, signature: Data, signedText: String? = nil) {
        self.payment = payment
        self.signature = signature
        self.signedText = signedText ?? payment.signedText
    }

    /// The text of the receipt's verification QR: the signed text and the signature (base64url).
    public var verificationPayload: String { signedText + "|" + Base64URL.encode(signature) }
}

/// A UPI transaction reference (UTR, the RRN): exactly 12 ASCII digits.
public func isUTR(_ text: some StringProtocol) -> Bool {
    text.utf8.count == 12 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
}
