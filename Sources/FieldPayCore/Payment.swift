import Foundation

public enum PaymentMethod: String, Sendable, Codable, CaseIterable {
    case upi, cash, cheque
}

/// Where a payment stands. Cash and cheques are received in hand; a UPI payment is awaiting confirmation until
/// the hub confirms the credit or the rep enters the payer's UTR.
public enum PaymentStatus: String, Sendable, Codable {
    case received
    case awaitingConfirmation = "awaiting-confirmation"
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

    /// What the device signs: every fact the receipt states, in a fixed order, `|`-separated. Version 1.
    /// Fields never hold `|` (receipt numbers, UUIDs, amounts in paise, invoice numbers with `|` escaped).
    public var signedText: String {
        let allocationText = allocations.map {
            "\(Payment.escape($0.invoiceNumber)):\($0.amount.paise):\($0.balanceAfter.paise)"
        }.joined(separator: ",")
        return [
            "FPR1", receiptNumber, id.uuidString.lowercased(), String(recordedAtMillis), method.rawValue,
            String(amount.paise), allocationText, String(advance.paise), utr ?? "-", chequeNumber.map(Payment.escape) ?? "-",
        ].joined(separator: "|")
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "|", with: "%7C")
            .replacingOccurrences(of: ",", with: "%2C").replacingOccurrences(of: ":", with: "%3A")
    }
}

/// A payment with the device's signature over `signedText`.
public struct Receipt: Hashable, Sendable, Codable {
    public var payment: Payment
    /// Ed25519 signature (64 bytes) by the device key.
    public var signature: Data

    public init(payment: Payment, signature: Data) {
        self.payment = payment
        self.signature = signature
    }

    /// The text of the receipt's verification QR: the signed text and the signature (base64url).
    public var verificationPayload: String { payment.signedText + "|" + Base64URL.encode(signature) }
}

/// A UPI transaction reference (UTR, the RRN): exactly 12 ASCII digits.
public func isUTR(_ text: some StringProtocol) -> Bool {
    text.utf8.count == 12 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
}
