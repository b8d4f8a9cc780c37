import FieldPayCore
import Foundation
import GRDB
import HTTPTypes
import HubAPI
import Hummingbird
import HummingbirdTesting
import InvoiceImport
import NIOCore
import Testing

@testable import Hub

/// Managers: roles, regions, expiring and rotated tokens, passwords with TOTP, and the audit log.
@Suite("Managers: roles, regions, sign-in and the audit log")
struct ManagerTests {
    /// The test hub's book, with C1 in North and C2 in South.
    static func regionalHub() throws -> TestHub {
        let hub = try TestHub()
        try """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total,region
            INV/1,2026-10-01,2026-10-31,C1,Sharma Stores,1000.00,North
            INV/3,2026-10-03,2026-11-02,C2,Gupta Medicals,250.00,South
            """.write(toFile: hub.folder + "/regions.csv", atomically: true, encoding: .utf8)
        _ = try hub.store.importInvoices(from: InvoiceFileReader(path: hub.folder + "/regions.csv"))
        return hub
    }

    @Test("security: a viewer reads but changes nothing, over the API and the dashboard; a manager may act")
    func viewerReadsOnly() async throws {
        let hub = try TestHub()
        let viewer = try hub.store.addManager(name: "Vina", role: .viewer, regions: [], expiresInDays: nil).token
        let manager = try hub.store.addManager(name: "Mohan", role: .manager, regions: [], expiresInDays: nil).token
        _ = try hub.enrolledToken()
        try await hub.app.test(.router) { client in
            let assign = jsonBody(AssignRequest(invoices: ["INV/1"], rep: "Ravi", reason: "test"))
            try await client.execute(uri: "/v1/reports/aging", method: .get, headers: [.authorization: "Bearer \(viewer)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/assignments", method: .post, headers: [.authorization: "Bearer \(viewer)"], body: assign) { response in
                #expect(response.status == .forbidden && String(buffer: response.body).contains("a viewer reads only"))
            }
            try await client.execute(uri: "/v1/assignments", method: .post, headers: [.authorization: "Bearer \(manager)"], body: assign) {
                #expect($0.status == .ok)
            }
            // The dashboard: a viewer's form post is refused before it does anything.
            let cookie = try await DashboardTests.signIn(client, token: viewer, origin: "http://localhost")
            var headers = DashboardTests.formType
            headers[.origin] = "http://localhost"
            headers[.cookie] = cookie
            try await client.execute(
                uri: "/manage/customers/C1/followups", method: .post, headers: headers,
                body: DashboardTests.form([("action", "call"), ("due", "2026-12-10")])
            ) { response in
                #expect(response.status == .forbidden && String(buffer: response.body).contains("A viewer reads only"))
            }
        }
        #expect(try hub.store.customerFollowUps("C1", asOf: LocalDate.today()).isEmpty)
        #expect(try hub.store.assignmentHistory("INV/1")?.count == 1)  // the manager's, not the viewer's
    }

    @Test("security: a manager of North reads North's customers only, aging cut to North, and no other whole-book report; an admin reads all")
    func regions() async throws {
        let hub = try Self.regionalHub()
        let north = try hub.store.addManager(name: "Nita", role: .manager, regions: ["North"], expiresInDays: nil).token
        let admin = try hub.store.addManager(name: "Asha").token
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        _ = try hub.store.uploadSigned(deviceID: device, payment: upload("A-1", amount: "100.00", invoice: "INV/1"))
        _ = try hub.store.uploadSigned(deviceID: device, payment: upload("A-2", amount: "250.00", invoice: "INV/3"))
        try await hub.app.test(.router) { client async throws in
            func get(_ uri: String, _ token: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
            }
            #expect(try await get("/v1/customers/C1/history", north) == .ok)
            #expect(try await get("/v1/reports/aging/customers/C1", north) == .ok)
            #expect(try await get("/v1/customers/C2/history", north) == .notFound)  // South's: as if it did not exist
            #expect(try await get("/v1/reports/aging/customers/C2", north) == .notFound)
            #expect(try await get("/v1/reports/dso", north) == .forbidden)  // every region's sales: not cut by region yet
            // Aging is cut to North: its rows and its totals.
            try await client.execute(uri: "/v1/reports/aging?per_page=1", method: .get, headers: [.authorization: "Bearer \(north)"]) { response in
                let report = try reportBody(AgingReport.self, response)
                #expect(report.rows.map(\.customerCode) == ["C1"] && report.customers == 1 && report.page.rows == 1)
                #expect(report.totals.outstanding == "1400.00")  // INV/1 (less 100.00 paid) and INV/2, C1's; not INV/3's
            }
            // The register: North's customer's payment, not South's.
            let day = HubTime.day(ofMillis: 1_796_000_000_000).isoString
            try await client.execute(uri: "/v1/reports/register?from=\(day)&to=\(day)", method: .get, headers: [.authorization: "Bearer \(north)"]) {
                response in
                let register = try reportBody(CollectionRegister.self, response)
                #expect(register.payments == 1 && register.amount == "100.00", "\(register)")
            }
            #expect(try await get("/metrics", north) == .forbidden)
            #expect(try await get("/v1/customers/C2/history", admin) == .ok)
            #expect(try await get("/v1/reports/aging", admin) == .ok)
        }
    }

    @Test("security: on the dashboard a manager of North sees the aging of North's customers only, and no page over the whole book")
    func regionalDashboard() async throws {
        let hub = try Self.regionalHub()
        let north = try hub.store.addManager(name: "Nita", role: .manager, regions: ["North"], expiresInDays: nil).token
        try await hub.app.test(.router) { client in
            let cookie = try await DashboardTests.signIn(client, token: north, origin: "http://localhost")
            try await client.execute(uri: "/manage/aging", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("Sharma Stores") && !page.contains("Gupta Medicals"))
            }
            try await client.execute(uri: "/manage/aging.csv", method: .get, headers: [.cookie: cookie]) { response in
                let csv = String(buffer: response.body)
                #expect(csv.contains("C1") && !csv.contains("C2"))
            }
            for page in ["/manage", "/manage/allocation", "/manage/messages", "/manage/reports/register"] {
                try await client.execute(uri: page, method: .get, headers: [.cookie: cookie]) { response in
                    #expect(response.status == .forbidden && !String(buffer: response.body).contains("Gupta"), "\(page)")
                }
            }
        }
    }

    @Test("security: an expired token is refused; rotation gives a new one at once and ends the old")
    func tokens() async throws {
        let hub = try TestHub()
        let added = try hub.store.addManager(name: "Ravi M", role: .manager, regions: [], expiresInDays: 30)
        try await hub.app.test(.router) { client async throws in
            func status(_ token: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/v1/reports/aging", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
            }
            #expect(try await status(added.token) == .ok)
            // Thirty days later (the expiry moved back, as time would have).
            let database = try DatabaseQueue(path: hub.folder + "/hub.sqlite")
            try await database.write { try $0.execute(sql: "UPDATE manager SET tokenExpiresAt = 1 WHERE id = ?", arguments: [added.id]) }
            #expect(try await status(added.token) == .unauthorized)
            let rotated = try #require(try hub.store.rotateManagerToken(id: added.id, expiresInDays: 30))
            #expect(try await status(rotated) == .ok)
            #expect(try await status(added.token) == .unauthorized)
        }
        #expect(try hub.store.rotateManagerToken(id: "mgr_nobody", expiresInDays: nil) == nil)
    }

    @Test("security: dashboard sign-in by name and password (scrypt), a TOTP code once; then the token is for the API only")
    func passwords() throws {
        let hub = try TestHub()
        let added = try hub.store.addManager(name: "Asha", role: .admin, regions: [], expiresInDays: nil)
        #expect(try hub.store.openSession(token: added.token) != nil)  // no password yet: the token signs in
        #expect(throws: ReportInputError.self) { try hub.store.setManagerPassword(id: added.id, password: "short") }
        #expect(try hub.store.setManagerPassword(id: added.id, password: "correct horse battery"))
        #expect(try hub.store.openSession(token: added.token) == nil)  // API only from now on
        #expect(try hub.store.openSession(name: "Asha", password: "wrong horse battery", code: nil) == .refused)
        #expect(try hub.store.openSession(name: "Nobody", password: "correct horse battery", code: nil) == .refused)
        guard case .signedIn = try hub.store.openSession(name: "Asha", password: "correct horse battery", code: nil) else {
            Issue.record("refused")
            return
        }
        let stored = try DatabaseQueue(path: hub.folder + "/hub.sqlite").read { try String.fetchOne($0, sql: "SELECT passwordHash FROM manager") }
        #expect(stored?.hasPrefix("scrypt$15$8$1$") == true && stored?.contains("correct") == false)
        // TOTP: without the code, or with a wrong one, not in; with the current one, once.
        let secret = try #require(try hub.store.enableManagerTOTP(id: added.id))
        #expect(try hub.store.openSession(name: "Asha", password: "correct horse battery", code: nil) == .needsCode)
        let code = try #require(TOTP.code(secret: secret, step: Int64(Date().timeIntervalSince1970) / 30))
        guard case .signedIn = try hub.store.openSession(name: "Asha", password: "correct horse battery", code: code) else {
            Issue.record("the right code was refused")
            return
        }
        #expect(try hub.store.openSession(name: "Asha", password: "correct horse battery", code: code) == .needsCode)  // used once
    }

    @Test("TOTP codes match RFC 6238's SHA-1 test vectors")
    func totpVectors() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890", 8-digit codes; ours are their last 6 digits.
        let secret = TOTP.base32(Data("12345678901234567890".utf8))
        #expect(secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        for (time, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (20_000_000_000, "353130")] {
            #expect(TOTP.code(secret: secret, step: Int64(time) / 30) == code, "\(time)")
        }
    }

    @Test("security: the audit log records who changed what and every sign-in, never a secret, and cannot be changed")
    func audit() async throws {
        let hub = try TestHub()
        let admin = try hub.store.addManager(name: "Asha")
        let viewer = try hub.store.addManager(name: "Vina", role: .viewer, regions: [], expiresInDays: nil)
        _ = try hub.enrolledToken()
        try await hub.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/assignments", method: .post, headers: [.authorization: "Bearer \(admin.token)"],
                body: jsonBody(AssignRequest(invoices: ["INV/1"], rep: "Ravi", reason: "nearest rep"))
            ) { #expect($0.status == .ok) }
            var headers = DashboardTests.formType
            headers[.origin] = "http://localhost"
            try await client.execute(uri: "/manage/login", method: .post, headers: headers, body: DashboardTests.form([("name", "Asha"), ("password", "not it")])) {
                #expect($0.status == .seeOther)
            }
            try await client.execute(uri: "/v1/audit", method: .get, headers: [.authorization: "Bearer \(viewer.token)"]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/audit?format=csv", method: .get, headers: [.authorization: "Bearer \(admin.token)"]) { response in
                let csv = String(buffer: response.body)
                #expect(response.status == .ok && csv.hasPrefix("id,at,actor,action,target,detail,source,outcome"))
                #expect(csv.contains("POST /v1/assignments") && csv.contains("nearest rep") && csv.contains("\(admin.id) (Asha, admin)"))
                #expect(csv.contains("sign-in: Asha") && csv.contains(",401"))
                #expect(!csv.contains("not it") && !csv.contains(admin.token))
            }
        }
        // Append-only: no line can be changed or removed, even by hand in the database.
        let database = try DatabaseQueue(path: hub.folder + "/hub.sqlite")
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "UPDATE audit SET actor = 'nobody'") } }
        #expect(throws: DatabaseError.self) { try database.write { try $0.execute(sql: "DELETE FROM audit") } }
        #expect(try hub.store.auditLog(limit: 10, before: nil).count == 2)
    }
}
