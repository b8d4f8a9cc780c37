import FieldPayCore
import Foundation
import NIOSSL

// How the hub is reached: TLS from a certificate and key in PEM files, and the rule that tokens never cross a
// network in clear (plain HTTP only on a loopback address, or when the operator says so out loud).

/// Why a hub's TLS files cannot be used, in words that name the file.
public struct HubTLSError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

public enum HubTransport {
    /// True for an address that never leaves this machine: 127.0.0.0/8, ::1, localhost.
    public static func isLoopback(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The server side of TLS from a PEM certificate chain (the hub's certificate first) and its PEM private key,
    /// which others must not be able to read. TLS 1.2 at least.
    public static func serverTLS(certificate: String, key: String) throws(HubTLSError) -> TLSConfiguration {
        if let exposure = PrivateFile.exposure(of: key) { throw HubTLSError(description: "tls_key: \(exposure)") }
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw HubTLSError(description: "tls_cert: \(certificate) is not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw HubTLSError(description: "tls_cert: \(certificate) holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw HubTLSError(description: "tls_key: \(key) is not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// Why an outside service's base URL (a provider's `api_base`) may not be used: it must be https, except on
    /// this machine (a local fake or a tunnel).
    public static func apiBaseProblem(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme, let host = url.host else { return "an https:// URL" }
        if scheme == "https" || (scheme == "http" && isLoopback(host: host)) { return nil }
        return "an https:// URL (plain http only to this machine: 127.0.0.1, localhost, ::1)"
    }
}

extension HubConfiguration {
    /// Why this hub must not start as configured, or nil: tokens in clear on a network address. Plain HTTP binds
    /// a loopback address only, unless `allow_plaintext` (a TLS proxy in front on the same host).
    public var servingProblem: String? {
        guard tls == nil, !allowPlaintext, !HubTransport.isLoopback(host: host) else { return nil }
        return "refusing to serve plain HTTP on \(host): device and manager tokens would cross the network in clear. Set [hub] tls_cert and "
            + "tls_key (or --tls-cert/--tls-key), or allow_plaintext = true when a TLS proxy on this host is in front"
    }
}
