import AsyncHTTPClient
import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import NIOCore
import Sync
import Testing

/// Certificates made with openssl for one test: a private CA and a hub certificate it issued for 127.0.0.1,
/// and a rogue self-signed certificate (another key) for the same address.
struct TestPKI {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "fieldpay-pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let script = """
            set -e
            cd '\(folder)'
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=FieldPay test CA' 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout hub.key -out hub.csr -subj '/CN=127.0.0.1' 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
            openssl x509 -req -in hub.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out hub.pem -days 2 -extfile ext.cnf 2>/dev/null
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key -out rogue.pem -days 2 -subj '/CN=127.0.0.1' \
                -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' 2>/dev/null
            chmod 600 hub.key rogue.key ca.key
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SyncError(message: "openssl could not make the test certificates", refused: true) }
    }

    func path(_ name: String) -> String { folder + "/" + name }
    func text(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
}

/// A hub serving HTTPS on 127.0.0.1 with the given certificate.
final class TLSHub: Sendable {
    let store: SQLiteHubStore
    let url: String
    let server: Task<Void, Error>
    let folder: String

    init(certificate: String, key: String) async throws {
        folder = NSTemporaryDirectory() + "fieldpay-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try SQLiteHubStore(path: folder + "/hub.sqlite")
        try "invoice_number,invoice_date,due_date,customer_code,customer_name,total\nT-1,2026-10-01,2026-10-31,C1,Sharma Stores,1000.00\n"
            .write(toFile: folder + "/invoices.csv", atomically: true, encoding: .utf8)
        _ = try store.importInvoices(from: InvoiceFileReader(path: folder + "/invoices.csv"))
        var configuration = HubConfiguration(dataDirectory: folder)
        configuration.tls = try HubTransport.serverTLS(certificate: certificate, key: key)
        let (task, port) = await startHub(configuration, store: store)
        server = task
        url = "https://127.0.0.1:\(port)"
    }

    deinit {
        server.cancel()
        try? FileManager.default.removeItem(atPath: folder)
    }

    func code() throws -> String {
        let code = try store.createEnrollmentCode(rep: "Ravi", hours: 1)
        _ = try store.setRep("Ravi", RepSettings(scope: "all"))
        return code
    }
}

@Suite("TLS between a device and its hub")
struct TLSTests {
    @Test("a device enrolls and syncs over TLS with a private CA it trusts, and refuses a hub whose certificate that CA did not issue")
    func privateCA() async throws {
        let pki = try TestPKI()
        defer { try? FileManager.default.removeItem(atPath: pki.folder) }
        let hub = try await TLSHub(certificate: pki.path("hub.pem"), key: pki.path("hub.key"))
        let signer = UploadSigner()
        let trusted = try pki.text("ca.pem")
        let enrolled = try await HubClient(baseURL: hub.url, trusting: trusted).enroll(
            code: try hub.code(), deviceName: "handheld", publicKey: signer.publicKeyBase64, deviceCode: "TLS1")
        let credentials = HubCredentials(hubURL: hub.url, deviceID: enrolled.deviceID, secret: enrolled.secret, trustedCertificates: trusted)
        let database = try AppDatabase(path: hub.folder + "/device.sqlite")
        let report = try await SyncService(database: database, client: try credentials.client()).runOnce()
        #expect(report.pulled == 1)

        // The system's roots do not know the private CA: without the enrolled trust the same hub is refused.
        await #expect(throws: SyncError.self) {
            _ = try await SyncService(database: database, client: HubClient(baseURL: hub.url, token: "\(enrolled.deviceID).\(enrolled.secret)")).runOnce()
        }
        // A hub on the same address with another key (a self-signed certificate): refused before any token is sent.
        let rogue = try await TLSHub(certificate: pki.path("rogue.pem"), key: pki.path("rogue.key"))
        let rogueCredentials = HubCredentials(hubURL: rogue.url, deviceID: enrolled.deviceID, secret: enrolled.secret, trustedCertificates: trusted)
        do {
            _ = try await SyncService(database: database, client: try rogueCredentials.client()).runOnce()
            Issue.record("the rogue hub was trusted")
        } catch let error as SyncError {
            #expect(!error.refused && error.message.contains("cannot reach the hub"), "\(error.message)")
        }
    }

    @Test("a device never sends its token over plain HTTP to another machine; loopback is allowed")
    func noPlaintext() async throws {
        #expect(HubClient.addressProblem("http://192.0.2.10:8080")?.contains("https://") == true)
        #expect(HubClient.addressProblem("http://hub.example.in") != nil)
        #expect(HubClient.addressProblem("https://hub.example.in") == nil)
        #expect(HubClient.addressProblem("http://127.0.0.1:8080") == nil && HubClient.addressProblem("http://localhost:1") == nil)
        #expect(HubClient.addressProblem("http://[::1]:8080") == nil)
        // Refused before any connection is tried. Should that ever break, the request still goes nowhere: the client
        // is sent through a proxy on a closed loopback port.
        var settings = HTTPClient.Configuration()
        settings.proxy = .server(host: "127.0.0.1", port: 1)
        let local = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        do {
            _ = try await HubClient(baseURL: "http://192.0.2.10:8080", token: "dev_x.secret", client: local).changes(after: "0", limit: 1)
            Issue.record("a plain HTTP hub on another machine was used")
        } catch let error as SyncError {
            #expect(error.refused && error.message.contains("must be reached over https://"), "\(error.message)")
        }
        try await local.shutdown()
    }

    @Test("the hub refuses plain HTTP on a network address unless told it is behind a TLS proxy, and a key file others can read")
    func hubServing() throws {
        var configuration = HubConfiguration(dataDirectory: "/nonexistent")
        #expect(configuration.servingProblem == nil)  // 127.0.0.1
        configuration.host = "0.0.0.0"
        #expect(configuration.servingProblem?.contains("refusing to serve plain HTTP on 0.0.0.0") == true)
        configuration.allowPlaintext = true
        #expect(configuration.servingProblem == nil)
        let pki = try TestPKI()
        defer { try? FileManager.default.removeItem(atPath: pki.folder) }
        configuration.allowPlaintext = false
        configuration.tls = try HubTransport.serverTLS(certificate: pki.path("hub.pem"), key: pki.path("hub.key"))
        #expect(configuration.servingProblem == nil)
        chmod(pki.path("hub.key"), 0o644)
        #expect(throws: HubTLSError.self) { try HubTransport.serverTLS(certificate: pki.path("hub.pem"), key: pki.path("hub.key")) }
        #expect(HubTransport.apiBaseProblem("http://graph.facebook.com") != nil && HubTransport.apiBaseProblem("http://127.0.0.1:9000") == nil)
    }

    @Test("under TLS the dashboard's session cookie is __Host-, Secure, HttpOnly, SameSite=Strict, for the whole host")
    func secureCookie() async throws {
        let pki = try TestPKI()
        defer { try? FileManager.default.removeItem(atPath: pki.folder) }
        let hub = try await TLSHub(certificate: pki.path("hub.pem"), key: pki.path("hub.key"))
        let manager = try hub.store.addManager(name: "Asha").token
        var request = HTTPClientRequest(url: hub.url + "/manage/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Origin", value: hub.url)
        request.body = .bytes(ByteBuffer(string: "token=" + manager))
        request.tlsConfiguration = try HubClient.trustConfiguration(try pki.text("ca.pem"))
        var settings = HTTPClient.Configuration()
        settings.redirectConfiguration = .disallow  // the sign-in answers 303 with the cookie: read it, do not follow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        let response: HTTPClientResponse
        do { response = try await client.execute(request, timeout: .seconds(10)) } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let cookie = response.headers["Set-Cookie"].first ?? ""
        #expect(response.status == .seeOther)
        #expect(cookie.hasPrefix("__Host-fp_session="), "\(cookie)")
        let attributes = Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
        for attribute in ["Secure", "HttpOnly", "Path=/", "SameSite=Strict"] {
            #expect(attributes.contains(attribute), "\(attribute) in \(cookie)")
        }
        #expect(!cookie.contains("Path=/manage"))
    }
}
