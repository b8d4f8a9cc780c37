import FieldPayCore

/// GS1 element strings: `(415)8901234000006(8020)INV0042(3902)123450` as printed, or the same with FNC1/GS
/// separators as a scanner gives it. Payment slips use AI 415 (payee GLN), 8020 (payment reference) and 390n/391n
/// (amount payable). Only the AIs in `GS1.table` are understood; others are reported, not guessed.
public enum GS1 {
    /// The group separator that stands for FNC1 between variable-length fields.
    static let groupSeparator: UInt8 = 0x1D

    struct AIDefinition {
        /// Data length when fixed; nil for variable (ended by GS or the end).
        var fixedLength: Int?
        var maxLength: Int
        var numeric: Bool
    }

    /// (AI, definition). Four-digit AIs with a decimal-point digit (310n, 390n…) are listed once per n.
    static let table: [String: AIDefinition] = {
        var table: [String: AIDefinition] = [
            "00": .init(fixedLength: 18, maxLength: 18, numeric: true),
            "01": .init(fixedLength: 14, maxLength: 14, numeric: true),
            "02": .init(fixedLength: 14, maxLength: 14, numeric: true),
            "10": .init(fixedLength: nil, maxLength: 20, numeric: false),
            "20": .init(fixedLength: 2, maxLength: 2, numeric: true),
            "21": .init(fixedLength: nil, maxLength: 20, numeric: false),
            "22": .init(fixedLength: nil, maxLength: 20, numeric: false),
            "30": .init(fixedLength: nil, maxLength: 8, numeric: true),
            "37": .init(fixedLength: nil, maxLength: 8, numeric: true),
            "400": .init(fixedLength: nil, maxLength: 30, numeric: false),
            "401": .init(fixedLength: nil, maxLength: 30, numeric: false),
            "403": .init(fixedLength: nil, maxLength: 30, numeric: false),
            "8020": .init(fixedLength: nil, maxLength: 25, numeric: false),
            "90": .init(fixedLength: nil, maxLength: 30, numeric: false),
        ]
        for ai in ["11", "12", "13", "15", "16", "17"] { table[ai] = .init(fixedLength: 6, maxLength: 6, numeric: true) }
        for ai in 410...417 { table[String(ai)] = .init(fixedLength: 13, maxLength: 13, numeric: true) }
        for n in 0...9 {
            table["390\(n)"] = .init(fixedLength: nil, maxLength: 15, numeric: true)
            table["391\(n)"] = .init(fixedLength: nil, maxLength: 18, numeric: true)
            for prefix in 310...369 { table["\(prefix)\(n)"] = .init(fixedLength: 6, maxLength: 6, numeric: true) }
        }
        for ai in 91...99 { table[String(ai)] = .init(fixedLength: nil, maxLength: 90, numeric: false) }
        return table
    }()

    /// Splits an element string into (AI, value) pairs in order. Throws `.malformedGS1` on anything it
    /// cannot account for.
    public static func elements(of payload: String) throws(PayloadError) -> [(ai: String, value: String)] {
        var text = payload
        for identifier in ["]C1", "]Q3", "]d2", "]e0", "]J1"] where text.hasPrefix(identifier) {
            text.removeFirst(identifier.count)
        }
        if text.hasPrefix("(") { return try parenthesized(text) }
        return try raw(Array(text.utf8))
    }

    private static func parenthesized(_ text: String) throws(PayloadError) -> [(ai: String, value: String)] {
        var result: [(ai: String, value: String)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard rest.first == "(", let close = rest.firstIndex(of: ")") else {
                throw PayloadError(.malformedGS1, "expected \"(AI)\" at \(excerpt(String(rest)))")
            }
            let ai = String(rest[rest.index(after: rest.startIndex)..<close])
            guard let definition = table[ai] else { throw PayloadError(.malformedGS1, "unknown or unsupported AI (\(ai))") }
            let valueEnd = rest[close...].firstIndex(of: "(") ?? rest.endIndex
            let value = String(rest[rest.index(after: close)..<valueEnd])
            try check(ai: ai, value: value, definition)
            result.append((ai, value))
            rest = rest[valueEnd...]
        }
        return result
    }

    private static func raw(_ bytes: [UInt8]) throws(PayloadError) -> [(ai: String, value: String)] {
        var result: [(ai: String, value: String)] = []
        var index = 0
        while index < bytes.count && bytes[index] == groupSeparator { index += 1 }
        while index < bytes.count {
            // AIs are 2 to 4 digits and prefix-free in the GS1 table: take the shortest known one.
            var found: (String, AIDefinition)?
            for length in 2...4 where index + length <= bytes.count {
                guard let ai = String(validating: bytes[index..<index + length], as: UTF8.self),
                    ai.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                else { break }
                if let definition = table[ai] {
                    found = (ai, definition)
                    break
                }
            }
            guard let (ai, definition) = found else {
                throw PayloadError(.malformedGS1, "no known AI at byte \(index)")
            }
            index += ai.count
            let end: Int
            if let fixed = definition.fixedLength {
                end = index + fixed
                guard end <= bytes.count else { throw PayloadError(.malformedGS1, "AI (\(ai)) needs \(fixed) characters") }
            } else {
                end = bytes[index...].firstIndex(of: groupSeparator) ?? bytes.count
            }
            guard let value = String(validating: bytes[index..<end], as: UTF8.self) else {
                throw PayloadError(.malformedGS1, "AI (\(ai)) holds bytes that are not text")
            }
            try check(ai: ai, value: value, definition)
            result.append((ai, value))
            index = end
            while index < bytes.count && bytes[index] == groupSeparator { index += 1 }
        }
        return result
    }

    private static func check(ai: String, value: String, _ definition: AIDefinition) throws(PayloadError) {
        let count = value.utf8.count
        if let fixed = definition.fixedLength, count != fixed {
            throw PayloadError(.malformedGS1, "AI (\(ai)) must hold \(fixed) characters, not \(count)")
        }
        guard count >= 1, count <= definition.maxLength else {
            throw PayloadError(.malformedGS1, "AI (\(ai)) must hold 1 to \(definition.maxLength) characters, not \(count)")
        }
        if definition.numeric, !value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw PayloadError(.malformedGS1, "AI (\(ai)) must be digits only")
        }
        // GS1's character set 82: printable ASCII without space and a few symbols; we refuse controls and non-ASCII.
        if !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            throw PayloadError(.malformedGS1, "AI (\(ai)) holds characters outside GS1's set")
        }
    }

    /// GS1 mod-10 check digit over all but the last digit (GTIN, GLN, SSCC).
    public static func hasValidCheckDigit(_ digits: String) -> Bool {
        let values = digits.utf8.map { Int($0) - 0x30 }
        guard values.count >= 2, values.allSatisfy({ (0...9).contains($0) }) else { return false }
        var sum = 0
        for (offset, value) in values.dropLast().reversed().enumerated() { sum += value * (offset % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10 == values.last!
    }

    /// An invoice reference from a GS1 payment slip, or nil when the string is not GS1 at all. A GS1 string
    /// without a payment reference (AI 8020) is not an invoice code.
    static func invoiceRef(_ payload: String, explicit: Bool, today: LocalDate) throws(PayloadError) -> InvoiceRef? {
        let elements: [(ai: String, value: String)]
        do { elements = try GS1.elements(of: payload) } catch {
            if explicit { throw error }
            return nil
        }
        guard let reference = elements.first(where: { $0.ai == "8020" })?.value else {
            if explicit || elements.count > 1 {
                throw PayloadError(.notInvoiceCode, "a GS1 code without a payment reference (8020): AIs \(elements.map { "(\($0.ai))" }.joined())")
            }
            return nil
        }
        var ref = InvoiceRef(source: .gs1, invoiceNumber: reference)
        for (ai, value) in elements {
            switch ai {
            case "415":
                guard hasValidCheckDigit(value) else { throw PayloadError(.malformedGS1, "payee GLN (415) \(value) has a wrong check digit") }
                ref.payeeGLN = value
            case let ai where ai.hasPrefix("390") || ai.hasPrefix("391"):
                let decimals = Int(ai.suffix(1))!
                var digits = Substring(value)
                if ai.hasPrefix("391") {
                    guard digits.count > 3, digits.prefix(3) == "356" else {
                        throw PayloadError(.badAmount, "amount (\(ai)) is not in rupees (ISO 4217 code \(digits.prefix(3)), INR is 356)")
                    }
                    digits = digits.dropFirst(3)
                }
                ref.amount = try amount(digits: digits, decimals: decimals, ai: ai)
            case "11", "13", "15", "17":
                // A date on a slip is informative only; a bad one is still an error (the code is damaged).
                guard let date = LocalDate(gs1: value, reference: today) else {
                    throw PayloadError(.badDate, "(\(ai)) \(value) is not a YYMMDD date")
                }
                if ai == "11" { ref.invoiceDate = date }
            default:
                continue
            }
        }
        return ref
    }

    private static func amount(digits: Substring, decimals: Int, ai: String) throws(PayloadError) -> Money {
        guard digits.count <= 15, let value = Int64(digits) else { throw PayloadError(.badAmount, "(\(ai)) \(digits)") }
        switch decimals {
        case 0: return Money(paise: value * 100)
        case 1: return Money(paise: value * 10)
        case 2: return Money(paise: value)
        default:
            var scale: Int64 = 1
            for _ in 0..<(decimals - 2) { scale *= 10 }
            guard value % scale == 0 else {
                throw PayloadError(.badAmount, "(\(ai)) \(digits) has a fraction of a paisa")
            }
            return Money(paise: value / scale)
        }
    }
}
