import Foundation

/// Reads an RSA public key's modulus and exponent out of PEM/DER ourselves. swift-crypto 3.12's
/// `_RSA.Signing.PublicKey(pemRepresentation:)` frees its key twice when the DER is not a key (a crash, not
/// an error), so untrusted profile text never reaches that initializer; `init(n:e:)` is safe.
enum RSAPublicKeyDER {
    /// (n, e) from a "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1) PEM, or nil.
    static func components(pem: String) -> (n: [UInt8], e: [UInt8])? {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body, options: .ignoreUnknownCharacters), !der.isEmpty else { return nil }
        let bytes = [UInt8](der)
        var reader = Reader(bytes: bytes[...])
        guard let outer = reader.read(tag: 0x30), reader.atEnd else { return nil }
        var inner = Reader(bytes: outer)
        if inner.peekTag == 0x30 {
            // SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }
            guard let algorithm = inner.read(tag: 0x30), let bitString = inner.read(tag: 0x03), inner.atEnd else { return nil }
            var algorithmReader = Reader(bytes: algorithm)
            let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
            guard let oid = algorithmReader.read(tag: 0x06), Array(oid) == rsaEncryption else { return nil }
            guard bitString.first == 0 else { return nil }  // no unused bits
            var keyReader = Reader(bytes: bitString.dropFirst())
            guard let key = keyReader.read(tag: 0x30), keyReader.atEnd else { return nil }
            return pkcs1(key)
        }
        return pkcs1(outer)
    }

    /// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    private static func pkcs1(_ sequence: ArraySlice<UInt8>) -> (n: [UInt8], e: [UInt8])? {
        var reader = Reader(bytes: sequence)
        guard let n = reader.read(tag: 0x02), let e = reader.read(tag: 0x02), reader.atEnd else { return nil }
        let modulus = Array(n.drop(while: { $0 == 0 }))
        let exponent = Array(e.drop(while: { $0 == 0 }))
        guard !modulus.isEmpty, !exponent.isEmpty, n.first.map({ $0 & 0x80 == 0 }) == true else { return nil }
        return (modulus, exponent)
    }

    /// Definite-length DER TLVs, lengths up to 4 bytes.
    struct Reader {
        var bytes: ArraySlice<UInt8>
        var atEnd: Bool { bytes.isEmpty }
        var peekTag: UInt8? { bytes.first }

        mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
            guard bytes.count >= 2, bytes.first == tag else { return nil }
            var index = bytes.startIndex + 1
            var length = Int(bytes[index])
            index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[index])
                    index += 1
                }
            }
            guard length >= 0, bytes.endIndex - index >= length else { return nil }
            let value = bytes[index..<index + length]
            bytes = bytes[(index + length)...]
            return value
        }
    }
}
