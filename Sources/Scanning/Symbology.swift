/// The barcode kinds FieldPay can read. The raw value is the name used on the command line and in
/// profiles; `displayName` is what zbarimg prints before the colon.
public enum Symbology: String, CaseIterable, Sendable, Codable, Hashable {
    case qr
    case code128
    case code39
    case code93
    case codabar
    case i25
    case ean13
    case ean8
    case upca
    case upce
    case isbn10
    case isbn13
    case databar
    case databarExpanded = "databar-exp"
    case ean2
    case ean5
    case sqcode

    /// zbar's own name for the symbology, as zbarimg prints it.
    public var displayName: String {
        switch self {
        case .qr: "QR-Code"
        case .code128: "CODE-128"
        case .code39: "CODE-39"
        case .code93: "CODE-93"
        case .codabar: "Codabar"
        case .i25: "I2/5"
        case .ean13: "EAN-13"
        case .ean8: "EAN-8"
        case .upca: "UPC-A"
        case .upce: "UPC-E"
        case .isbn10: "ISBN-10"
        case .isbn13: "ISBN-13"
        case .databar: "DataBar"
        case .databarExpanded: "DataBar-Exp"
        case .ean2: "EAN-2"
        case .ean5: "EAN-5"
        case .sqcode: "SQ-Code"
        }
    }

    /// 2D codes carry Reed–Solomon error correction; a misread is all but impossible.
    public var isTwoDimensional: Bool { self == .qr || self == .sqcode }

    /// Symbologies whose only protection against a misread is a weak or optional check: the extra
    /// still-image passes ask more evidence of them (see `StillImageScanner`).
    public var hasWeakCheck: Bool {
        switch self {
        case .i25, .codabar, .code39, .ean2, .ean5, .upce, .ean8: true
        default: false
        }
    }

    /// Symbologies a still image's rescue pass alone is not believed for (see `StillImageScanner`): those
    /// whose only protection is a mod-10 check digit (EAN/UPC: one view of a blurred label can turn two
    /// digits and still pass) or weaker. Code 128 (mod 103), Code 93 (two check characters) and DataBar
    /// (mod 89 and its finder patterns) are believed from one rescue view read on two scan lines.
    public var needsSecondView: Bool {
        switch self {
        case .ean13, .upca, .ean8, .upce, .isbn10, .isbn13: true
        default: hasWeakCheck
        }
    }

    /// What a profile or `--symbologies` gets when it names none: everything an invoice or a payment slip
    /// carries. ISBN views, EAN add-ons and SQ codes are opt-in.
    public static let defaultSet: Set<Symbology> = [
        .qr, .code128, .code39, .code93, .codabar, .i25, .ean13, .ean8, .upca, .upce, .databar, .databarExpanded,
    ]

    /// Parses `qr,code128,ean13` (case-insensitive; `all` and `default` allowed) into a set.
    public static func parseList(_ text: String) throws(ScanError) -> Set<Symbology> {
        var result = Set<Symbology>()
        for raw in text.split(separator: ",") {
            let name = raw.filter { !$0.isWhitespace }.lowercased()
            if name.isEmpty { continue }
            if name == "all" {
                result.formUnion(Symbology.allCases)
            } else if name == "default" {
                result.formUnion(defaultSet)
            } else if let symbology = Symbology(rawValue: name) ?? aliases[name] {
                result.insert(symbology)
            } else {
                throw ScanError(
                    .unknownSymbology,
                    "'\(name)' is not a symbology; choose from "
                        + Symbology.allCases.map(\.rawValue).joined(separator: ", ") + ", all, default")
            }
        }
        guard !result.isEmpty else { throw ScanError(.unknownSymbology, "no symbology named in '\(text)'") }
        return result
    }

    private static let aliases: [String: Symbology] = [
        "qrcode": .qr, "qr-code": .qr, "code-128": .code128, "code-39": .code39, "code-93": .code93,
        "interleaved2of5": .i25, "itf": .i25, "i2/5": .i25, "ean-13": .ean13, "ean-8": .ean8, "upc-a": .upca,
        "upc-e": .upce, "databar-expanded": .databarExpanded, "gs1-databar": .databar,
    ]
}

/// Code 39 Full ASCII: the 43-character set extended to all 128 ASCII codes by pairs (`+A` is `a`, `$M` is
/// carriage return, `%U` is NUL, `/A` is `!`). A reading that holds a pair the table does not define is no
/// Full ASCII text: nil, and the caller drops it rather than guess.
enum Code39FullASCII {
    static func expand(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard [UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "/"), UInt8(ascii: "+")].contains(byte) else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count, let value = pair(byte, bytes[index + 1]) else { return nil }
            out.append(value)
            index += 2
        }
        return out
    }

    private static func pair(_ shift: UInt8, _ letter: UInt8) -> UInt8? {
        guard (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(letter) else { return nil }
        let n = letter - UInt8(ascii: "A")  // 0 for A … 25 for Z
        switch shift {
        case UInt8(ascii: "$"): return n + 1  // SOH … SUB
        case UInt8(ascii: "+"): return UInt8(ascii: "a") + n
        case UInt8(ascii: "/"):
            if n <= 14 { return UInt8(ascii: "!") + n }  // ! " # $ % & ' ( ) * + , - . /
            return letter == UInt8(ascii: "Z") ? UInt8(ascii: ":") : nil
        default:  // %
            let table: [UInt8] = [
                0x1B, 0x1C, 0x1D, 0x1E, 0x1F,  // %A–%E: ESC FS GS RS US
                0x3B, 0x3C, 0x3D, 0x3E, 0x3F,  // %F–%J: ; < = > ?
                0x5B, 0x5C, 0x5D, 0x5E, 0x5F,  // %K–%O: [ \ ] ^ _
                0x7B, 0x7C, 0x7D, 0x7E, 0x7F,  // %P–%T: { | } ~ DEL
                0x00, 0x40, 0x60, 0x7F, 0x7F, 0x7F,  // %U NUL, %V @, %W `, %X–%Z DEL
            ]
            return table[Int(n)]
        }
    }
}
