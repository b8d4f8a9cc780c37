import FieldPayCore

/// A point in the scanned image's pixel coordinates.
public struct Point: Sendable, Hashable, Codable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// One decoded barcode. `bytes` is exactly what the code carries (an EAN/UPC code read with its add-on:
/// the main digits followed by the add-on's); `text` is our reading of those bytes (see `CharsetEvidence`:
/// UTF-8, Shift JIS or ISO-8859-1, which every byte sequence is).
public struct Symbol: Sendable, Hashable {
    public enum TextEncoding: String, Sendable, Codable {
        case utf8 = "utf-8"
        case shiftJIS = "shift_jis"
        case latin1 = "iso-8859-1"
    }

    /// Which way the code reads in the image (zbar's orientation): `up` reads left to right.
    public enum Orientation: Sendable, Hashable {
        case up, right, down, left, unknown
    }

    public var symbology: Symbology
    public var bytes: [UInt8]
    public var text: String
    public var encoding: TextEncoding
    /// The code's outline: 4 corners for a QR code, the scan-line ends for linear codes.
    public var points: [Point]
    /// zbar's confidence: for linear codes, how many scan lines agreed on this reading.
    public var quality: Int
    /// The 2 or 5 add-on digits of an EAN/UPC code read with its add-on (they end `bytes` too); nil otherwise.
    public var addOn: String?
    public var orientation: Orientation

    public init(
        symbology: Symbology, bytes: [UInt8], points: [Point] = [], quality: Int = 1, addOn: String? = nil,
        orientation: Orientation = .unknown
    ) {
        self.symbology = symbology
        self.bytes = bytes
        (self.text, self.encoding) = Symbol.decodeText(bytes)
        self.points = points
        self.quality = quality
        self.addOn = addOn
        self.orientation = orientation
    }

    /// zbar's own charset guess is often wrong for Indian payloads (it takes UTF-8 Devanagari for
    /// Shift-JIS), so QR codes are read in binary mode and converted here (see `CharsetEvidence`).
    public static func decodeText(_ bytes: [UInt8]) -> (String, TextEncoding) {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        if let text = String(validating: body, as: UTF8.self) { return (text, .utf8) }
        if CharsetEvidence(body).choice(byteCount: body.count) == .shiftJIS,
            let text = IConv.decode(bytes, from: "SJIS")
        {
            return (text, .shiftJIS)
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return (text, .latin1)
    }

    /// Same code, same content: what de-duplication across passes compares.
    var identity: SymbolIdentity { SymbolIdentity(symbology: symbology, bytes: bytes) }
}

struct SymbolIdentity: Hashable {
    let symbology: Symbology
    let bytes: [UInt8]
}

/// Why a scan could not be done.
public struct ScanError: FieldPayError, Equatable {
    public enum Code: String, Sendable {
        case unknownSymbology = "scan.unknown-symbology"
        case decoderFailed = "scan.decoder-failed"
        case badOption = "scan.bad-option"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var codeString: String { code.rawValue }
}
