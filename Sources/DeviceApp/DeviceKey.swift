import Crypto
import FieldPayCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The device's Ed25519 signing key: made on first use, kept as 32 raw bytes in a file only its owner can
/// read (0600), next to `KEYFILE.pub` holding the public half in base64 for the hub and for `verify`.
public struct DeviceKey: Sendable {
    // Kept as raw bytes (Data is Sendable; swift-crypto's key type is not marked so) and rebuilt to sign.
    let rawKey: Data
    public let path: String

    init(privateKey: Curve25519.Signing.PrivateKey, path: String) {
        rawKey = privateKey.rawRepresentation
        self.path = path
    }

    var privateKey: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: rawKey) }

    public var publicKey: Data { privateKey.publicKey.rawRepresentation }
    public var publicKeyBase64: String { publicKey.base64EncodedString() }

    /// Loads the key at `path`, or makes it when there is none. A key file others can read is refused, as ssh does.
    public static func loadOrCreate(path: String) throws(KeyError) -> DeviceKey {
        if let key = try load(path: path) { return key }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let key = Curve25519.Signing.PrivateKey()
        // Written to a private temporary file, flushed, then linked into place: two processes starting at once
        // cannot both make a key, and a crash never leaves half a key behind.
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeyError(.cannotWrite, "\(temporary): \(String(cString: strerror(errno)))") }
        let bytes = [UInt8](key.rawRepresentation)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        defer { unlink(temporary) }
        guard written == 32, synced == 0 else {
            throw KeyError(.cannotWrite, "\(temporary): \(String(cString: strerror(errno)))")
        }
        if link(temporary, path) != 0 {
            if errno == EEXIST, let other = try load(path: path) { return other }
            throw KeyError(.cannotWrite, "\(path): \(String(cString: strerror(errno)))")
        }
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
        try? (key.publicKey.rawRepresentation.base64EncodedString() + "\n").write(
            toFile: path + ".pub", atomically: true, encoding: .utf8)
        return DeviceKey(privateKey: key, path: path)
    }

    /// The key at `path`, nil when there is no file.
    public static func load(path: String) throws(KeyError) -> DeviceKey? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw KeyError(.unreadable, "\(path): \(String(cString: strerror(errno)))")
        }
        if let exposure = PrivateFile.exposure(of: path) { throw KeyError(.tooOpen, exposure) }
        guard let data = FileManager.default.contents(atPath: path) else { throw KeyError(.unreadable, path) }
        guard data.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: data) else {
            throw KeyError(.corrupt, "\(path) is not a 32-byte Ed25519 key")
        }
        return DeviceKey(privateKey: key, path: path)
    }

    public func sign(_ text: String) throws -> Data {
        try privateKey.signature(for: Data(text.utf8))
    }
}

public enum KeyErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case cannotWrite = "key.cannot-write"
        case unreadable = "key.unreadable"
        case tooOpen = "key.too-open"
        case corrupt = "key.corrupt"
        case badPublicKey = "key.bad-public-key"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        switch code {
        case .cannotWrite: return "cannot create the device key: \(detail)"
        case .unreadable: return "cannot read the device key: \(detail)"
        case .tooOpen: return "the device key is not private: \(detail)"
        case .corrupt: return "the device key is damaged: \(detail)"
        case .badPublicKey: return "not an Ed25519 public key: \(detail)"
        }
    }
}

public typealias KeyError = CodedError<KeyErrors>

/// Checks a receipt's verification payload (`FPR2|…|signature`, or an older `FPR1|…`) against a device's public key.
public enum ReceiptVerifier {
    public struct Verified: Sendable, Equatable {
        public let receiptNumber: String
        public let paymentID: String
        public let recordedAtMillis: Int64
        public let method: String
        public let amount: Money
        /// (invoice, amount, balance after)
        public let allocations: [(String, Money, Money)]
        public let advance: Money
        /// Signed from version 2 on.
        public let customerCode: String?

        public static func == (lhs: Verified, rhs: Verified) -> Bool {
            lhs.receiptNumber == rhs.receiptNumber && lhs.paymentID == rhs.paymentID && lhs.amount == rhs.amount
        }
    }

    public enum Outcome: Sendable, Equatable {
        case valid(Verified)
        /// Well formed, but the signature does not match: altered, or made by another device.
        case invalidSignature
        case malformed(String)
    }

    public static func verify(_ payload: String, publicKey: Data) throws(KeyError) -> Outcome {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            throw KeyError(.badPublicKey, "\(publicKey.count) bytes (an Ed25519 public key is 32)")
        }
        let text = String(payload.trimmingSpaces)
        guard text.hasPrefix("FPR1|") || text.hasPrefix("FPR2|"), let bar = text.lastIndex(of: "|") else {
            return .malformed("not a FieldPay receipt (FPR1 or FPR2)")
        }
        let signedText = String(text[..<bar])
        guard let signature = Base64URL.decode(text[text.index(after: bar)...]), signature.count == 64 else {
            return .malformed("the signature is not 64 bytes of base64url")
        }
        guard let fields = SignedReceiptText.parse(signedText) else {
            let count = signedText.split(separator: "|", omittingEmptySubsequences: false).count
            return .malformed("the receipt's \(count) fields are not a version 1 (10 fields) or version 2 (14 fields) receipt")
        }
        guard key.isValidSignature(signature, for: Data(signedText.utf8)) else { return .invalidSignature }
        return .valid(
            Verified(
                receiptNumber: fields.receiptNumber, paymentID: fields.paymentID, recordedAtMillis: fields.recordedAtMillis,
                method: fields.method, amount: Money(paise: fields.amountPaise),
                allocations: fields.allocations.map { ($0.invoice, Money(paise: $0.amountPaise), Money(paise: $0.balanceAfterPaise)) },
                advance: Money(paise: fields.advancePaise), customerCode: fields.customerCode))
    }
}
