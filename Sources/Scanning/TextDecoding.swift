#if canImport(Glibc)
    import Glibc
#endif

/// Which character set a code's bytes are in, decided on the bytes alone.
///
/// zbar hands QR byte segments over raw (binary mode) when the code declares no ECI, and converted to UTF-8
/// when it declares one zbar knows (ISO-8859-x, Shift JIS, UTF-8): so what is left to decide here is the
/// undeclared case. The QR standard's default is ISO-8859-1, but in the field two others are common: UTF-8
/// (Indian payloads, most phones) and Shift JIS (Japanese labels, and every Kanji-mode segment). The rule,
/// as the leading decoders apply it:
/// 1. valid UTF-8 (ASCII included, a byte-order mark dropped): UTF-8 — decided by the caller, before this;
/// 2. valid Shift JIS with a run of three or more double-byte or half-width katakana characters: Shift JIS;
/// 3. both valid ISO-8859-1 (no C1 control bytes 0x80–0x9F) and valid Shift JIS: Shift JIS only when the
///    ISO-8859-1 reading would be mostly symbols (a tenth or more of the bytes in 0xA0–0xBF, × or ÷) or is
///    exactly one two-character katakana word; otherwise ISO-8859-1;
/// 4. then whichever of ISO-8859-1 and Shift JIS is valid, in that order; ISO-8859-1 for anything else
///    (every byte sequence is valid ISO-8859-1, so the text always keeps every byte).
struct CharsetEvidence {
    var canBeLatin1 = true
    var canBeShiftJIS = true
    var latin1Symbols = 0
    var katakana = 0
    var longestKatakanaRun = 0
    var longestDoubleByteRun = 0

    init(_ bytes: some Collection<UInt8>) {
        var katakanaRun = 0
        var doubleRun = 0
        var pendingLead = false
        for byte in bytes {
            if (0x80...0x9F).contains(byte) {
                canBeLatin1 = false
            } else if (0xA0...0xBF).contains(byte) || byte == 0xD7 || byte == 0xF7 {
                latin1Symbols += 1
            }
            guard canBeShiftJIS else { continue }
            if pendingLead {
                // A trail byte: 0x40–0x7E or 0x80–0xFC.
                pendingLead = false
                if !((0x40...0x7E).contains(byte) || (0x80...0xFC).contains(byte)) { canBeShiftJIS = false }
                continue
            }
            switch byte {
            case 0x00..<0x80:
                katakanaRun = 0
                doubleRun = 0
            case 0xA1...0xDF:  // half-width katakana
                katakana += 1
                katakanaRun += 1
                doubleRun = 0
                longestKatakanaRun = max(longestKatakanaRun, katakanaRun)
            case 0x81...0x9F, 0xE0...0xEF:  // the lead byte of a double-byte character
                pendingLead = true
                katakanaRun = 0
                doubleRun += 1
                longestDoubleByteRun = max(longestDoubleByteRun, doubleRun)
            default:  // 0x80, 0xA0, 0xF0–0xFF
                canBeShiftJIS = false
            }
        }
        if pendingLead { canBeShiftJIS = false }
    }

    enum Choice { case shiftJIS, latin1 }

    /// Rules 2–4, for bytes that are not valid UTF-8.
    func choice(byteCount: Int) -> Choice {
        if canBeShiftJIS && (longestKatakanaRun >= 3 || longestDoubleByteRun >= 3) { return .shiftJIS }
        if canBeLatin1 && canBeShiftJIS {
            let katakanaWord = longestKatakanaRun == 2 && katakana == 2
            return katakanaWord || latin1Symbols * 10 >= byteCount ? .shiftJIS : .latin1
        }
        return !canBeLatin1 && canBeShiftJIS ? .shiftJIS : .latin1
    }
}

/// Byte-to-text conversion through glibc's iconv, for the character sets Swift's standard library lacks.
enum IConv {
    /// The bytes read as `charset` (an iconv name such as "SJIS"), or nil when they are not valid in it.
    static func decode(_ bytes: [UInt8], from charset: String) -> String? {
        let handle = iconv_open("UTF-8", charset)
        guard let handle, handle != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(handle) }
        var input = bytes.map { CChar(bitPattern: $0) }
        // Every Shift JIS or single-byte character becomes at most 4 bytes of UTF-8.
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 4)
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                var outLeft = outBuffer.count
                if inLeft > 0 && iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft) == Int(bitPattern: UInt(bitPattern: -1)) {
                    return nil
                }
                guard inLeft == 0 else { return nil }
                return outBuffer.count - outLeft
            }
        }
        guard let written else { return nil }
        return String(validating: output[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
