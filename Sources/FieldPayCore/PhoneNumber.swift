import Foundation

/// A mobile number in E.164 form (`+919822000101`): what the messaging providers take. Invoice files carry
/// numbers as people write them; `PhoneNumber(_:)` accepts the usual Indian spellings and refuses the rest,
/// so a bad number is an import error on its line, never a message that bounces weeks later.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    /// `+` and 8 to 15 digits.
    public let e164: String

    /// Accepts `+<country><number>` (8 to 15 digits), `0091…`, an Indian mobile number of 10 digits
    /// starting 6–9, with a leading `0` or `91`. Spaces, dashes, dots and brackets are ignored.
    public init?(_ text: String) {
        var digits = ""
        var plus = false
        for (index, character) in text.trimmingCharacters(in: .whitespaces).enumerated() {
            if character == "+", index == 0 {
                plus = true
            } else if character.isASCII, character.isNumber {
                digits.append(character)
            } else if !" -.()".contains(character) {
                return nil
            }
        }
        if !plus, digits.hasPrefix("00") {
            plus = true
            digits.removeFirst(2)
        }
        if plus {
            guard (8...15).contains(digits.count), digits.first != "0" else { return nil }
            if digits.hasPrefix("91"), !PhoneNumber.isIndianMobile(String(digits.dropFirst(2))) { return nil }
            e164 = "+" + digits
            return
        }
        if digits.count == 11, digits.hasPrefix("0") { digits.removeFirst() }
        if digits.count == 12, digits.hasPrefix("91") { digits.removeFirst(2) }
        guard PhoneNumber.isIndianMobile(digits) else { return nil }
        e164 = "+91" + digits
    }

    /// Ten digits starting 6, 7, 8 or 9 (India's mobile numbering plan).
    static func isIndianMobile(_ digits: String) -> Bool {
        digits.count == 10 && digits.allSatisfy { $0.isASCII && $0.isNumber } && "6789".contains(digits.first!)
    }

    /// The digits without the `+`, as WhatsApp's `to` and most SMS gateways take it.
    public var digits: String { String(e164.dropFirst()) }

    public var description: String { e164 }
}
