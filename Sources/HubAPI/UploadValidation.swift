import FieldPayCore

/// An amount as the wire writes it: rupees with exactly two decimals ("1500.00"), at most 20 characters; nil
/// for anything else (no exponent, no sign, no grouping).
public func wireMoney(_ text: String) -> Money? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 4, bytes.count <= 20, bytes[bytes.count - 3] == UInt8(ascii: "."),
        bytes.enumerated().allSatisfy({ $0.offset == bytes.count - 3 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) })
    else { return nil }
    return try? Money(parsing: text)
}

/// A payment upload checked once, at the edge, with its values typed: what the hub acts on and stores. Nothing
/// after this reads an amount or a method from text again.
public struct ValidUpload: Sendable, Equatable {
    public struct Allocation: Sendable, Equatable {
        public let invoice: String
        public let amount: Money
    }

    public let method: PaymentMethod
    public let amount: Money
    public let advance: Money
    public let allocations: [Allocation]
    public let chequeDate: LocalDate?
    public let upload: PaymentUpload
}

extension PaymentUpload {
    /// The upload's values typed, or what is wrong with them in words for the device's log.
    public func validated() -> Result<ValidUpload, UploadProblem> {
        func problem(_ text: String) -> Result<ValidUpload, UploadProblem> { .failure(UploadProblem(message: text)) }
        guard let method = PaymentMethod(rawValue: method) else { return problem("method \(self.method) is not upi, cash or cheque") }
        guard let amount = wireMoney(amount), amount.isPositive else { return problem("amount \(self.amount) is not a positive amount like 1500.00") }
        guard !receiptNumber.isEmpty, receiptNumber.utf8.count <= 64 else { return problem("receipt_number must be 1 to 64 bytes of UTF-8") }
        guard !customerCode.isEmpty else { return problem("customer_code is empty") }
        guard let advance = wireMoney(advance) else { return problem("advance \(self.advance) is not an amount like 0.00") }
        guard !allocations.isEmpty || advance.isPositive else { return problem("a payment needs allocations or an advance") }
        var allocated = Money.zero
        var parts: [ValidUpload.Allocation] = []
        for allocation in allocations {
            guard !allocation.invoice.isEmpty else { return problem("an allocation names no invoice") }
            guard let part = wireMoney(allocation.amount), part.isPositive else {
                return problem("allocation to \(allocation.invoice): \(allocation.amount) is not a positive amount like 1500.00")
            }
            guard let sum = allocated.adding(part), sum.paise <= amount.paise else {
                return problem("the allocations add up to more than the amount \(amount.plainString)")
            }
            allocated = sum
            parts.append(.init(invoice: allocation.invoice, amount: part))
        }
        guard let total = allocated.adding(advance), total == amount else {
            return problem("allocations (\(allocated.plainString)) and advance (\(advance.plainString)) do not add up to the amount \(amount.plainString)")
        }
        if let utr, !isUTR(utr) { return problem("utr must be 12 digits") }
        if utr != nil, method != .upi { return problem("only a UPI payment has a UTR") }
        if method == .cheque {
            guard let number = chequeNumber, !number.isEmpty, bank?.isEmpty == false else { return problem("a cheque payment needs cheque_number and bank") }
        }
        var day: LocalDate?
        if let chequeDate {
            guard let parsed = LocalDate(parsing: chequeDate) else { return problem("cheque_date \(chequeDate) is not a date like 2026-11-30") }
            day = parsed
        }
        return .success(ValidUpload(method: method, amount: amount, advance: advance, allocations: parts, chequeDate: day, upload: self))
    }
}

/// Why an upload was refused (422), in words.
public struct UploadProblem: Error, Sendable, Equatable {
    public let message: String
}
