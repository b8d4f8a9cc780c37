/// An amount of Indian rupees held as whole paise (1 rupee = 100 paise). Never a floating-point value:
/// every amount on a screen, in a QR or in the ledger is exact.
public struct Money: Hashable, Comparable, Sendable, Codable {
    public let paise: Int64

    public init(paise: Int64) { self.paise = paise }

    public static let zero = Money(paise: 0)

    /// Whole rupees; traps only if `rupees * 100` does not fit in Int64 (more than 92 trillion crore).
    public init(rupees: Int64) { self.paise = rupees * 100 }

    /// Parses an amount as people and systems write it: `1234.50`, `1234.5`, `1234`, `1,234.50`,
    /// `₹1,23,456.00`, `Rs. 1234`, `INR 1234.50`, `-12.00`. At most two decimals; grouping commas
    /// anywhere in the whole part (Indian and Western grouping both occur); nothing else.
    public init(parsing input: String) throws(MoneyError) {
        if let paise = Money.fastPaise(input.utf8) {
            self.paise = paise
            return
        }
        var text = Substring(input.trimmingWhitespace())
        guard !text.isEmpty else { throw MoneyError(.empty, input) }
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        } else if text.first == "+" {
            text = text.dropFirst()
        }
        for prefix in ["₹", "INR", "Rs.", "Rs", "rs.", "rs"] where text.hasPrefix(prefix) {
            text = text.dropFirst(prefix.count)
            break
        }
        text = Substring(String(text).trimmingWhitespace())
        if !negative, text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw MoneyError(.malformed, input) }
        let wholeText = parts[0].filter { $0 != "," }
        let fractionText = parts.count == 2 ? parts[1] : ""
        guard !wholeText.isEmpty || !fractionText.isEmpty,
            wholeText.allSatisfy(\.isASCIIDigit), fractionText.allSatisfy(\.isASCIIDigit),
            !parts[0].hasPrefix(","), !parts[0].hasSuffix(","), !parts[0].contains(",,")
        else { throw MoneyError(.malformed, input) }
        guard fractionText.count <= 2 else { throw MoneyError(.tooManyDecimals, input) }
        guard wholeText.count <= 17, let whole = Int64(wholeText.isEmpty ? "0" : wholeText) else {
            throw MoneyError(.outOfRange, input)
        }
        var fraction = Int64(fractionText.isEmpty ? "0" : String(fractionText))!
        if fractionText.count == 1 { fraction *= 10 }
        let (scaled, overflow1) = whole.multipliedReportingOverflow(by: 100)
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        guard !overflow1, !overflow2 else { throw MoneyError(.outOfRange, input) }
        self.paise = negative ? -total : total
    }

    /// The common case without allocating: ASCII `[-]digits[.d[d]]`, up to 15 whole digits. Anything else
    /// (grouping, symbols, spaces, errors) is nil and goes the long way, which gives the error messages.
    static func fastPaise(_ bytes: String.UTF8View) -> Int64? {
        var iterator = bytes.makeIterator()
        var negative = false
        var whole: Int64 = 0
        var wholeDigits = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var inFraction = false
        var first = true
        while let byte = iterator.next() {
            defer { first = false }
            switch byte {
            case UInt8(ascii: "-") where first:
                negative = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inFraction {
                    guard fractionDigits < 2 else { return nil }
                    fraction = fraction * 10 + Int64(byte - 0x30)
                    fractionDigits += 1
                } else {
                    guard wholeDigits < 15 else { return nil }
                    whole = whole * 10 + Int64(byte - 0x30)
                    wholeDigits += 1
                }
            case UInt8(ascii: ".") where !inFraction:
                inFraction = true
            default:
                return nil
            }
        }
        guard wholeDigits + fractionDigits > 0, !(inFraction && fractionDigits == 0 && wholeDigits == 0) else { return nil }
        if fractionDigits == 1 { fraction *= 10 }
        let paise = whole * 100 + fraction
        return negative ? -paise : paise
    }

    /// `1234.50`: the form UPI's `am` parameter and CSV exports use (no grouping, two decimals, `-` sign).
    public var plainString: String {
        let magnitude = paise.magnitude
        let rupees = magnitude / 100
        let cents = magnitude % 100
        return (paise < 0 ? "-" : "") + "\(rupees)." + (cents < 10 ? "0" : "") + "\(cents)"
    }

    /// `₹1,23,456.50`: the form screens and receipts use, with Indian digit grouping (lakh, crore).
    public var displayString: String {
        let magnitude = paise.magnitude
        let digits = Array(String(magnitude / 100))
        let cents = magnitude % 100
        var grouped = ""
        let head = digits.count > 3 ? digits.count - 3 : 0
        // Leading part in groups of two, then the last three digits.
        for (index, digit) in digits[..<head].enumerated() {
            if index > 0, (head - index) % 2 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        if head > 0 { grouped.append(",") }
        grouped.append(contentsOf: digits[head...])
        return (paise < 0 ? "-" : "") + "₹" + grouped + "." + (cents < 10 ? "0" : "") + "\(cents)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.paise < rhs.paise }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(paise: lhs.paise + rhs.paise) }
    /// The sum, or nil when it does not fit in paise: for totals over stored amounts, which must never stop a report.
    public func adding(_ other: Money) -> Money? {
        let (sum, overflow) = paise.addingReportingOverflow(other.paise)
        return overflow ? nil : Money(paise: sum)
    }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(paise: lhs.paise - rhs.paise) }
    public static prefix func - (value: Money) -> Money { Money(paise: -value.paise) }
    public var isPositive: Bool { paise > 0 }
    public var isNegative: Bool { paise < 0 }
}

extension Money: CustomStringConvertible {
    public var description: String { displayString }
}

/// Why an amount could not be read.
public struct MoneyError: FieldPayError {
    public enum Code: String, Sendable {
        case empty = "money.empty"
        case malformed = "money.malformed"
        case tooManyDecimals = "money.too-many-decimals"
        case outOfRange = "money.out-of-range"
    }

    public let code: Code
    public let input: String

    init(_ code: Code, _ input: String) {
        self.code = code
        self.input = input
    }

    public var codeString: String { code.rawValue }

    public var message: String {
        switch code {
        case .empty: "no amount given"
        case .malformed: "'\(input)' is not an amount (write it like 1234.50)"
        case .tooManyDecimals: "'\(input)' has more than two decimals (amounts are in rupees and paise)"
        case .outOfRange: "'\(input)' is too large an amount"
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
