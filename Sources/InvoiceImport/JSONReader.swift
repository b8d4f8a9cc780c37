/// A small strict JSON parser (RFC 8259) that keeps numbers as their text, so that `1234.55` is read as
/// exactly 1234.55 rupees and never through a Double, and that knows the line each value starts on.
struct JSONMember {
    var name: String
    var value: JSONValue
}

struct JSONElement {
    var line: Int
    var value: JSONValue
}

indirect enum JSONValue {
    case object([JSONMember])
    case array([JSONElement])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The scalar as cell text (numbers as written, booleans as true/false); nil for null, objects and arrays.
    var cellText: String? {
        switch self {
        case .string(let text), .number(let text): return text
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }
}

struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private(set) var line = 1
    private var depth = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
    }

    /// Parses the whole input as one value.
    mutating func parseDocument() throws(ImportError) -> JSONValue {
        let value = try parseValue()
        skipSpace()
        guard index == bytes.count else { throw failure("unexpected text after the end of the document") }
        return value
    }

    /// JSON Lines: one value per non-blank line.
    mutating func parseLines() throws(ImportError) -> [JSONElement] {
        var values: [JSONElement] = []
        while true {
            skipSpace()
            if index == bytes.count { return values }
            let startLine = line
            let value = try parseValue()
            values.append(JSONElement(line: startLine, value: value))
            while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D) { index += 1 }
            guard index == bytes.count || bytes[index] == 0x0A else { throw failure("one JSON value per line expected") }
        }
    }

    private func failure(_ what: String) -> ImportError { ImportError(.malformedJSON, "line \(line): \(what)") }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: line += 1
            case 0x20, 0x09, 0x0D: break
            default: return
            }
            index += 1
        }
    }

    private mutating func parseValue() throws(ImportError) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw failure("the document ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            depth += 1
            guard depth <= JSONParser.maximumDepth else { throw failure("nested more than \(JSONParser.maximumDepth) deep") }
            defer { depth -= 1 }
            index += 1
            var members: [JSONMember] = []
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("a member name in quotes expected") }
                let key = try parseString()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("':' expected after \"\(key)\"") }
                index += 1
                members.append(JSONMember(name: key, value: try parseValue()))
                skipSpace()
                guard index < bytes.count else { throw failure("the document ends inside an object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw failure("',' or '}' expected")
            }
        case UInt8(ascii: "["):
            depth += 1
            guard depth <= JSONParser.maximumDepth else { throw failure("nested more than \(JSONParser.maximumDepth) deep") }
            defer { depth -= 1 }
            index += 1
            var elements: [JSONElement] = []
            skipSpace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipSpace()
                let startLine = line
                elements.append(JSONElement(line: startLine, value: try parseValue()))
                skipSpace()
                guard index < bytes.count else { throw failure("the document ends inside an array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw failure("',' or ']' expected")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw failure("unexpected character '\(Unicode.Scalar(bytes[index]))'")
        }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(ImportError) -> JSONValue {
        let count = word.utf8.count
        guard index + count <= bytes.count, bytes[index..<index + count].elementsEqual(word.utf8) else {
            throw failure("unexpected word")
        }
        index += count
        return value
    }

    private mutating func parseNumber() throws(ImportError) -> String {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == 0x30
        let intDigits = digits()
        guard intDigits > 0, !(leadingZero && intDigits > 1) else { throw failure("malformed number") }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("malformed number") }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard digits() > 0 else { throw failure("malformed number") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString() throws(ImportError) -> String {
        index += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flush(_ end: Int) throws(ImportError) {
            guard let text = String(validating: bytes[runStart..<end], as: UTF8.self) else { throw failure("a string is not UTF-8") }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard index < bytes.count else { throw failure("a string is never closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try flush(index)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw failure("a control character inside a string") }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            try flush(index)
            index += 1
            guard index < bytes.count else { throw failure("a string is never closed") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("a lone surrogate in a string")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone surrogate in a string") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("a lone surrogate in a string") }
                scalars.append(scalar)
            default:
                throw failure("unknown escape \\\(Unicode.Scalar(escape))")
            }
            runStart = index
        }
    }

    private mutating func hex4() throws(ImportError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("a \\u escape is cut short") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("a \\u escape is not hexadecimal")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
