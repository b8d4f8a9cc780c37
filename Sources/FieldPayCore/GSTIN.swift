/// A GST identification number: 2-digit state code, the holder's 10-character PAN, an entity number, `Z`
/// (by default) and a mod-36 check character. Only a well-formed number with the right check character
/// can be made.
public struct GSTIN: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// Validates `text` (surrounding spaces ignored, letters upper-cased).
    public init(_ text: some StringProtocol) throws(GSTINError) {
        let normalized = text.trimmingSpaces.uppercased()
        let bytes = Array(normalized.utf8)
        guard bytes.count == 15 else { throw GSTINError(.wrongLength, normalized) }
        guard let values = Optional(bytes.compactMap { GSTIN.alphabet.firstIndex(of: $0) }), values.count == 15 else {
            throw GSTINError(.badCharacter, normalized)
        }
        // State code 01–38 (97 for other territory, 99 for centre jurisdiction).
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        guard isDigit(bytes[0]), isDigit(bytes[1]) else { throw GSTINError(.badStateCode, normalized) }
        let state = Int(bytes[0] - 0x30) * 10 + Int(bytes[1] - 0x30)
        guard (1...38).contains(state) || state == 97 || state == 99 else {
            throw GSTINError(.badStateCode, normalized)
        }
        guard GSTIN.checkCharacter(for: bytes[0..<14]) == bytes[14] else {
            throw GSTINError(.badCheckCharacter, normalized)
        }
        value = normalized
    }

    /// The mod-36 check character over the first 14 characters (GSTN's published algorithm: alternate
    /// factors 1 and 2, each product folded as quotient + remainder of 36).
    public static func checkCharacter(for first14: some Collection<UInt8>) -> UInt8? {
        var sum = 0
        for (index, byte) in first14.enumerated() {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            let product = value * (index % 2 == 0 ? 1 : 2)
            sum += product / 36 + product % 36
        }
        return alphabet[(36 - sum % 36) % 36]
    }

    /// The two-digit state code (27 is Maharashtra).
    public var stateCode: Int { Int(value.prefix(2))! }
    /// The holder's PAN, characters 3 to 12.
    public var pan: String { String(value.dropFirst(2).prefix(10)) }
    public var description: String { value }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try GSTIN(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

public enum GSTINErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case wrongLength = "gstin.wrong-length"
        case badCharacter = "gstin.bad-character"
        case badStateCode = "gstin.bad-state-code"
        case badCheckCharacter = "gstin.bad-check-character"
    }

    public static func message(_ code: Code, _ input: String) -> String {
        switch code {
        case .wrongLength: return "GSTIN \"\(input)\" must be 15 characters, not \(input.count)"
        case .badCharacter: return "GSTIN \"\(input)\" may hold only letters and digits"
        case .badStateCode: return "GSTIN \"\(input)\" does not start with a state code (01–38, 97 or 99)"
        case .badCheckCharacter: return "GSTIN \"\(input)\" has a wrong check character: it is mistyped or not a GSTIN"
        }
    }
}

public typealias GSTINError = CodedError<GSTINErrors>

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    public var trimmingSpaces: Substring {
        let isSpace = { (c: Character) in c == " " || c == "\t" || c == "\n" || c == "\r" }
        let string = Substring(self)
        guard let start = string.firstIndex(where: { !isSpace($0) }) else { return string[string.endIndex...] }
        let end = string.lastIndex(where: { !isSpace($0) })!
        return string[start...end]
    }
}
