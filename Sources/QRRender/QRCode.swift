import CQREncode
import FieldPayCore
import Foundation

/// A QR code's modules, made by libqrencode. libqrencode keeps global state (its mask and RS tables are built
/// lazily) and is not thread-safe, so every call goes through one lock.
public struct QRCode: Sendable, Equatable {
    /// Error correction: M survives about 15% damage; screens are clean, and M keeps modules large.
    public enum Correction: Sendable {
        case low, medium, quartile, high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// Modules per side, without the quiet zone.
    public let size: Int
    public let version: Int
    /// Row-major, `true` for a dark module.
    public let modules: [Bool]

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    private static let lock = NSLock()

    /// Encodes `text` (UTF-8, case kept) at the smallest version that holds it.
    public init(_ text: String, correction: Correction = .medium) throws(QRError) {
        guard !text.isEmpty else { throw QRError(.empty, "nothing to encode") }
        guard !text.utf8.contains(0) else { throw QRError(.tooLong, "text with a NUL byte cannot be encoded") }
        let result: (Int, Int, [Bool])? = QRCode.lock.withLock {
            guard let code = QRcode_encodeString(text, 0, correction.level, QR_MODE_8, 1) else { return nil }
            defer { QRcode_free(code) }
            let width = Int(code.pointee.width)
            let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
            return (width, Int(code.pointee.version), data.map { $0 & 1 == 1 })
        }
        guard let (size, version, modules) = result else {
            throw QRError(.tooLong, "\(text.utf8.count) bytes do not fit in a QR code at this error correction")
        }
        self.size = size
        self.version = version
        self.modules = modules
    }
}

public enum QRErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case empty = "qr.empty"
        case tooLong = "qr.too-long"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        return detail
    }
}

public typealias QRError = CodedError<QRErrors>
