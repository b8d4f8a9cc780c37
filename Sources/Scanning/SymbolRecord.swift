/// One decoded code as `fieldpay scan --json` prints it: a single line of JSON, keys in a fixed order.
public struct SymbolRecord: Sendable {
    public var file: String
    public var symbol: Symbol
    public var pass: String?
    public var decodeMillis: Double
    /// Live modes: time from the frame's capture to the code being printed.
    public var latencyMillis: Double?

    public init(file: String, symbol: Symbol, result: StillScanResult) {
        self.file = file
        self.symbol = symbol
        self.pass = result.pass
        self.decodeMillis = Double(result.durationNanos) / 1e6
    }

    /// A code seen in a live frame from a camera or replay named `source`.
    public init(source: String, symbol: Symbol, decodeMillis: Double, latencyMillis: Double) {
        self.file = source
        self.symbol = symbol
        self.pass = "live"
        self.decodeMillis = decodeMillis
        self.latencyMillis = latencyMillis
    }

    public func jsonLine() -> String {
        var fields: [(String, String)] = [
            ("file", JSON.string(file)),
            ("symbology", JSON.string(symbol.symbology.rawValue)),
            ("type", JSON.string(symbol.symbology.displayName)),
            ("text", JSON.string(symbol.text)),
            ("encoding", JSON.string(symbol.encoding.rawValue)),
        ]
        if symbol.encoding != .utf8 { fields.append(("bytes", JSON.string(Base64.encode(symbol.bytes)))) }
        if let addOn = symbol.addOn { fields.append(("add_on", JSON.string(addOn))) }
        fields.append(("points", "[" + symbol.points.map { "[\($0.x),\($0.y)]" }.joined(separator: ",") + "]"))
        fields.append(("quality", "\(symbol.quality)"))
        if let pass { fields.append(("pass", JSON.string(pass))) }
        fields.append(("decode_ms", "\((decodeMillis * 1000).rounded() / 1000)"))
        if let latencyMillis { fields.append(("latency_ms", "\((latencyMillis * 1000).rounded() / 1000)")) }
        return "{" + fields.map { "\(JSON.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// Just enough JSON writing for one flat record, without Foundation's encoder reordering keys.
enum JSON {
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// RFC 4648 base64 (standard alphabet, padded).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [
                alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)],
            ]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
