import FieldPayCore
import Foundation
import HTTPTypes
import HubAPI
import Hummingbird
import HummingbirdTesting
import InvoiceImport
import NIOCore
import Testing

@testable import Hub

/// The managers' pages over a live server on 127.0.0.1 (the test client names the host "localhost").
@Suite("Dashboard: sign-in, same-origin forms, escaping")
struct DashboardTests {
    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Signs in and returns the session cookie (name=value).
    static func signIn(_ client: some TestClientProtocol, token: String, origin: String) async throws -> String {
        var headers = formType
        headers[.origin] = origin
        return try await client.execute(uri: "/manage/login", method: .post, headers: headers, body: form([("token", token)])) { response in
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/manage")
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/manage"))
            return String(cookie.split(separator: ";")[0])
        }
    }

    @Test("behind a TLS proxy, [hub] secure_cookies makes the session cookie __Host- and Secure, and it is read back")
    func secureCookiesBehindProxy() async throws {
        let hub = try TestHub()
        var configuration = hub.configuration
        configuration.secureCookies = true
        let manager = try hub.store.addManager(name: "Asha")
        try await buildApplication(configuration, store: hub.store).test(.router) { client in
            var headers = Self.formType
            headers[.origin] = "http://localhost"
            let cookie = try await client.execute(uri: "/manage/login", method: .post, headers: headers, body: Self.form([("token", manager.token)])) {
                response in
                let cookie = try #require(response.headers[.setCookie])
                let attributes = Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
                #expect(cookie.hasPrefix("__Host-fp_session=") && attributes.contains("Secure") && attributes.contains("Path=/"), "\(cookie)")
                return String(cookie.split(separator: ";")[0])
            }
            try await client.execute(uri: "/manage", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .ok) }
        }
    }

    @Test("pages need a session; a wrong token is refused; sign-out and a revoked token end the session", arguments: StoreBackend.allCases)
    func sessions(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let manager = try hub.store.addManager(name: "Asha")
        try await hub.app.test(.live) { client in
            let origin = "http://localhost"
            try await client.execute(uri: "/manage/aging", method: .get) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/manage/login")
            }
            var headers = Self.formType
            headers[.origin] = origin
            try await client.execute(uri: "/manage/login", method: .post, headers: headers, body: Self.form([("token", manager.token + "x")])) {
                #expect($0.status == .seeOther && $0.headers[.location]?.hasPrefix("/manage/login?error=") == true)
                #expect($0.headers[.setCookie] == nil)
            }
            let cookie = try await Self.signIn(client, token: manager.token, origin: origin)
            try await client.execute(uri: "/manage", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(String(buffer: response.body).contains("<svg class=\"chart\""))
            }
            headers[.cookie] = cookie
            try await client.execute(uri: "/manage/logout", method: .post, headers: headers, body: ByteBuffer()) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/manage", method: .get, headers: [.cookie: cookie]) { #expect($0.headers[.location] == "/manage/login") }
            // A new session, then the manager's token is revoked: the session ends with it.
            let second = try await Self.signIn(client, token: manager.token, origin: origin)
            _ = try hub.store.revokeManager(id: manager.id)
            try await client.execute(uri: "/manage", method: .get, headers: [.cookie: second]) { #expect($0.headers[.location] == "/manage/login") }
        }
    }

    @Test("a form posted from another origin, or with no origin, changes nothing", arguments: StoreBackend.allCases)
    func crossSite(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.store.addManager(name: "Asha").token
        _ = try hub.enrolledToken()
        try await hub.app.test(.live) { client in
            let origin = "http://localhost"
            let cookie = try await Self.signIn(client, token: token, origin: origin)
            let assign = Self.form([("invoice[]", "INV/1"), ("rep", "Ravi"), ("back", "/manage/allocation")])
            for evil in ["http://evil.example", nil] {
                var headers = Self.formType
                headers[.cookie] = cookie
                if let evil { headers[.origin] = evil }
                try await client.execute(uri: "/manage/allocation/assign", method: .post, headers: headers, body: assign) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/manage/login", method: .post, headers: headers, body: Self.form([("token", token)])) {
                    #expect($0.status == .forbidden)
                }
            }
            #expect(try hub.store.reps().first { $0.name == "Ravi" }?.assignedInvoices == 0)
            // From the page itself it works, and says so.
            var headers = Self.formType
            headers[.cookie] = cookie
            headers[.origin] = origin
            try await client.execute(uri: "/manage/allocation/assign", method: .post, headers: headers, body: assign) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.contains("notice=1%20invoice%20assigned%20to%20Ravi") == true)
            }
            #expect(try hub.store.reps().first { $0.name == "Ravi" }?.assignedInvoices == 1)
            // A mistake comes back as an error on the page it came from, not as a failure.
            try await client.execute(uri: "/manage/allocation/assign", method: .post, headers: headers, body: Self.form([("rep", "Ravi"), ("back", "/manage/allocation")])) {
                #expect($0.headers[.location] == "/manage/allocation?error=tick%20at%20least%20one%20invoice")
            }
            // `back` never leaves the dashboard.
            try await client.execute(uri: "/manage/allocation/assign", method: .post, headers: headers, body: Self.form([("rep", "Ravi"), ("back", "//evil.example/")])) {
                #expect($0.headers[.location]?.hasPrefix("/manage?error=") == true)
            }
        }
    }

    @Test("a sign-out posted from another site is refused and the session lives on", arguments: StoreBackend.allCases)
    func crossSiteLogout(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.store.addManager(name: "Asha").token
        try await hub.app.test(.live) { client in
            let cookie = try await Self.signIn(client, token: token, origin: "http://localhost")
            for evil in ["http://evil.example", nil] {
                var headers = Self.formType
                headers[.cookie] = cookie
                if let evil { headers[.origin] = evil }
                try await client.execute(uri: "/manage/logout", method: .post, headers: headers, body: ByteBuffer()) { #expect($0.status == .forbidden) }
            }
            try await client.execute(uri: "/manage", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .ok) }
        }
    }

    @Test("CSV cells with a comma, semicolon, tab, quote or line end are quoted; a formula start in text is neutralised")
    func csvCells() {
        var csv = CSVWriter(header: ["a", "b"])
        csv.add(text: ["x;y", "t\tab"], numbers: [])
        csv.add(text: ["=HYPERLINK(\"x\")", "@SUM(1)"], numbers: ["-1.00"])
        #expect(csv.text == "a,b\r\n\"x;y\",\"t\tab\"\r\n\"'=HYPERLINK(\"\"x\"\")\",'@SUM(1),-1.00\r\n")
    }

    @Test("what customers and reps are called is shown as text, never as markup", arguments: StoreBackend.allCases)
    func escaping(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.store.addManager(name: "Asha").token
        let path = hub.folder + "/evil.csv"
        try """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total
            EVIL/1,2026-10-01,2026-10-31,X1,<script>alert('x')</script> & Sons,100.00
            """.write(toFile: path, atomically: true, encoding: .utf8)
        _ = try hub.store.importInvoices(from: InvoiceFileReader(path: path))
        _ = try hub.store.setRep("<b>Rep</b>", RepSettings(regions: ["\"><img src=x>"]))
        try await hub.app.test(.live) { client in
            let cookie = try await Self.signIn(client, token: token, origin: "http://localhost")
            for uri in ["/manage/aging?as_of=2026-11-30", "/manage/customers/X1", "/manage/allocation", "/manage"] {
                try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { response in
                    let html = String(buffer: response.body)
                    #expect(response.status == .ok, "\(uri)")
                    #expect(!html.contains("<script>") && !html.contains("<b>Rep</b>") && !html.contains("<img"), "\(uri)")
                }
            }
            try await client.execute(uri: "/manage/customers/X1", method: .get, headers: [.cookie: cookie]) {
                #expect(String(buffer: $0.body).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons"))
            }
            try await client.execute(uri: "/manage/customers/NOPE", method: .get, headers: [.cookie: cookie]) {
                #expect($0.status == .notFound && String(buffer: $0.body).contains("no customer NOPE"))
            }
        }
    }
}
