import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import Sync
import Testing

/// A real hub on 127.0.0.1 and real device databases syncing with it through `SyncService`.
final class LiveHub: Sendable {
    let folder = NSTemporaryDirectory() + "fieldpay-sync-\(UUID().uuidString)"
    let store: SQLiteHubStore
    let url: String
    let server: Task<Void, Error>

    init(invoices: String) async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try SQLiteHubStore(path: folder + "/hub/hub.sqlite")
        try invoices.write(toFile: folder + "/invoices.csv", atomically: true, encoding: .utf8)
        _ = try store.importInvoices(from: InvoiceFileReader(path: folder + "/invoices.csv"))
        let configuration = HubConfiguration(dataDirectory: folder + "/hub", providers: [.razorpay(webhookSecret: "whsec_scoped")])
        let (task, port) = await startHub(configuration, store: store)
        server = task
        url = "http://127.0.0.1:\(port)"
    }

    deinit {
        server.cancel()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A device enrolled for `rep`, with its own database. A rep new to the hub is given `scope` (the whole book
    /// unless the test says otherwise; the hub's own default for a new rep is `assigned`).
    func device(rep: String, scope: String? = "all") throws -> (database: AppDatabase, sync: SyncService, id: String) {
        let known = try store.reps().contains { $0.name == rep }
        guard
            case .enrolled(let enrolled) = try store.enroll(
                code: try store.createEnrollmentCode(rep: rep, hours: 1), deviceName: "\(rep)'s handheld", publicKey: UploadSigner().publicKeyBase64,
                deviceCode: "D" + String(format: "%07d", Int.random(in: 0..<10_000_000)))
        else {
            throw ReportInputError("enrollment failed")
        }
        if !known, let scope { _ = try store.setRep(rep, RepSettings(scope: scope)) }
        let database = try AppDatabase(path: folder + "/\(rep)-\(UUID().uuidString).sqlite")
        return (database, SyncService(database: database, client: HubClient(baseURL: url, token: "\(enrolled.deviceID).\(enrolled.secret)")), enrolled.deviceID)
    }
}

/// A hub serving `store` on 127.0.0.1 at a port the kernel picks (over TLS when the configuration has it): the
/// server's task and the port.
func startHub(_ configuration: HubConfiguration, store: SQLiteHubStore) async -> (server: Task<Void, Error>, port: Int) {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = Application(
        router: buildRouter(configuration, store: store), server: hubServer(configuration),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
    let server = Task { try await app.run() }
    var port = 0
    for await value in ports {
        port = value
        break
    }
    return (server, port)
}

func cached(_ database: AppDatabase) throws -> Set<String> {
    Set(try database.invoices(limit: 10_000).map(\.invoice.number))
}

@Suite("Sync scoped to a rep")
struct ScopedSyncTests {
    static let book = """
        invoice_number,invoice_date,due_date,customer_code,customer_name,total,region
        N-1,2026-08-01,2026-08-31,C1,North One,1000.00,North
        N-2,2026-10-01,2026-10-31,C1,North One,2000.00,North
        N-3,2026-11-20,2026-12-20,C2,North Two,3000.00,North
        N-4,2026-09-01,2026-09-15,C2,North Two,60000.00,North
        S-1,2026-08-05,2026-09-04,C3,South One,4000.00,South
        S-2,2026-11-25,2026-12-25,C3,South One,5000.00,South
        """

    @Test("a rep's device receives what is allocated to it, loses what is taken away, and starts over when its scope changes")
    func scopedFeed() async throws {
        let hub = try await LiveHub(invoices: Self.book)
        let ravi = try hub.device(rep: "Ravi")
        let meena = try hub.device(rep: "Meena")
        let all: Set = ["N-1", "N-2", "N-3", "N-4", "S-1", "S-2"]
        // Under the scope "all", every device gets every invoice.
        _ = try await ravi.sync.runOnce()
        _ = try await meena.sync.runOnce()
        #expect(try cached(ravi.database) == all)

        // Ravi's devices get only what is assigned to Ravi: nothing yet. The hub answers with a reset.
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "assigned"))
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database).isEmpty)
        #expect(try ravi.database.syncCursor() != "0")

        // Rules: North, overdue, up to 50,000.00 → Ravi; the rest of North overdue → Meena. As of 2026-11-30,
        // N-1, N-2 overdue and small (Ravi), N-4 large (Meena), N-3 not yet due, S-1 no rule.
        try hub.store.setAllocationRules([
            AllocationRule(region: "North", minDaysPastDue: 1, maxOutstanding: "50000.00", rep: "Ravi"),
            AllocationRule(region: "North", minDaysPastDue: 1, rep: "Meena"),
        ])
        let run = try hub.store.applyAllocationRules(asOf: LocalDate(year: 2026, month: 11, day: 30)!, actor: "mgr_test")
        #expect(run == RuleRun(assigned: 3, byRep: ["Ravi": 2, "Meena": 1], unmatched: 1))
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database) == ["N-1", "N-2"])
        // Running the rules again changes nothing: assigned invoices keep their rep.
        #expect(try hub.store.applyAllocationRules(asOf: LocalDate(year: 2026, month: 11, day: 30)!, actor: "mgr_test").assigned == 0)

        // N-2 handed to Meena by a manager: it leaves Ravi's device at its next sync; Meena (all) still has all.
        #expect(try hub.store.assign(["N-2", "NOPE"], to: "Meena", actor: "mgr_test", reason: "Meena visits C1 on Fridays")
            == AssignmentResult(assigned: 1, unchanged: 0, unknown: ["NOPE"]))
        _ = try await ravi.sync.runOnce()
        _ = try await meena.sync.runOnce()
        #expect(try cached(ravi.database) == ["N-1"])
        #expect(try cached(meena.database) == all)
        let history = try #require(try hub.store.assignmentHistory("N-2"))
        #expect(history.map(\.toRep) == ["Ravi", "Meena"])
        #expect(history.map(\.how) == ["rule", "hand"])
        #expect(history[1].fromRep == "Ravi" && history[1].reason == "Meena visits C1 on Fridays")

        // Ravi takes the whole South region: South's invoices arrive, what is assigned stays.
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "region", regions: ["South"]))
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database) == ["N-1", "S-1", "S-2"])
        let summary = try #require(try hub.store.reps().first { $0.name == "Ravi" })
        #expect(summary.scope == "region" && summary.regions == ["South"] && summary.devices == 1 && summary.assignedInvoices == 1)

        // The device's cache is the hub's scope exactly: nothing stale, nothing missing, amounts equal.
        for number in try cached(ravi.database) {
            let hubOutstanding = try #require(try hub.store.invoiceOutstanding(number))
            let device = try ravi.database.invoices(limit: 100).first { $0.invoice.number == number }
            #expect(device?.invoice.outstanding == hubOutstanding)
        }
    }

    @Test("a device that pulls from 0 under a narrow scope gets no tombstones for what it never had")
    func noTombstonesFromZero() async throws {
        let hub = try await LiveHub(invoices: Self.book)
        _ = try hub.store.setRep("Asha", RepSettings(scope: "assigned"))
        _ = try hub.store.setRep("Meena", RepSettings())
        _ = try hub.store.assign(["S-1"], to: "Asha", actor: "mgr_test", reason: nil)
        // Other invoices change after the assignment; the device never had them.
        _ = try hub.store.deleteInvoice("N-3")
        _ = try hub.store.assign(["N-1"], to: "Asha", actor: "mgr_test", reason: nil)
        _ = try hub.store.assign(["N-1"], to: nil, actor: "mgr_test", reason: "wrong rep")
        let asha = try hub.device(rep: "Asha")
        let report = try await asha.sync.runOnce()
        #expect(try cached(asha.database) == ["S-1"])
        #expect(report.pulled == 1)
        // From its cursor on, only what concerns it: N-1 was once Asha's, so its removal is sent; N-4's is not.
        _ = try hub.store.assign(["N-4"], to: "Meena", actor: "mgr_test", reason: nil)
        let cursorText = try #require(try asha.database.syncCursor())
        let cursor = try #require(Int64(cursorText))
        #expect(try hub.store.changes(after: cursor, limit: 100, deviceID: asha.id).changes.isEmpty)
        _ = try hub.store.assign(["S-1"], to: "Meena", actor: "mgr_test", reason: nil)
        #expect(try hub.store.changes(after: cursor, limit: 100, deviceID: asha.id).changes.map(\.deleted) == [true])
        _ = try await asha.sync.runOnce()
        #expect(try cached(asha.database).isEmpty)
    }

    @Test("security: an invoice deleted outside a device's scope sends it no tombstone (its number is not the device's to know)")
    func noForeignTombstones() async throws {
        let hub = try await LiveHub(invoices: Self.book)
        let asha = try hub.device(rep: "Asha", scope: "assigned")
        _ = try hub.store.assign(["S-1"], to: "Asha", actor: "mgr_test", reason: nil)
        _ = try await asha.sync.runOnce()
        let cursorText = try #require(try asha.database.syncCursor())
        let cursor = try #require(Int64(cursorText))
        // Another region's invoice, never Asha's, is withdrawn; then one of hers.
        _ = try hub.store.deleteInvoice("N-2")
        #expect(try hub.store.changes(after: cursor, limit: 100, deviceID: asha.id).changes.isEmpty)
        _ = try hub.store.deleteInvoice("S-1")
        #expect(try hub.store.changes(after: cursor, limit: 100, deviceID: asha.id).changes.map(\.number) == ["S-1"])
    }
}

@Suite("Follow-ups recorded on a device")
struct DeviceFollowUpTests {
    @Test("a follow-up recorded offline reaches the hub once, for the invoice's rep; one the hub refuses is kept and marked")
    func followUpsSync() async throws {
        let hub = try await LiveHub(invoices: ScopedSyncTests.book)
        let ravi = try hub.device(rep: "Ravi")
        _ = try await ravi.sync.runOnce()
        _ = try hub.store.setRep("Meena", RepSettings())
        _ = try hub.store.assign(["N-2"], to: "Meena", actor: "mgr_test", reason: nil)
        let today = LocalDate.today()
        // Recorded on the device (no network needed), then sent by the next round.
        let visit = try ravi.database.recordFollowUp(
            FollowUpDraft(invoiceNumber: "N-1", action: "visit", dueDate: today.adding(days: 1), note: "shop shut", promisedDate: today.adding(days: 3),
                          promisedAmount: Money(paise: 50_000)))
        let call = try ravi.database.recordFollowUp(FollowUpDraft(invoiceNumber: "N-2", action: "call", dueDate: today))
        let customer = try ravi.database.recordFollowUp(FollowUpDraft(invoiceNumber: nil, customerCode: "C3", action: "call", dueDate: today))
        #expect(visit.customerCode == "C1" && customer.customerCode == "C3")
        #expect(throws: FollowUpError.self) { try ravi.database.recordFollowUp(FollowUpDraft(invoiceNumber: "NOPE", action: "visit", dueDate: today)) }
        #expect(throws: FollowUpError.self) { try ravi.database.recordFollowUp(FollowUpDraft(invoiceNumber: "N-1", action: "email", dueDate: today)) }
        #expect(throws: FollowUpError.self) {
            try ravi.database.recordFollowUp(FollowUpDraft(invoiceNumber: "N-1", action: "call", dueDate: today, promisedAmount: Money(paise: 100)))
        }
        // One the hub will refuse: its invoice is withdrawn at the hub before the device sends it.
        let gone = try ravi.database.recordFollowUp(FollowUpDraft(invoiceNumber: "S-2", action: "visit", dueDate: today))
        _ = try hub.store.deleteInvoice("S-2")

        let report = try await ravi.sync.runOnce()
        #expect(report.followUps == 3 && report.rejected == 1)
        let atHub = try #require(try hub.store.followUp(visit.id.uuidString.lowercased(), asOf: today))
        #expect(atHub.source == "device" && atHub.rep == "Ravi" && atHub.promisedAmount == "500.00" && atHub.note == "shop shut")
        // N-2 is Meena's, but the call was Ravi's: a device records follow-ups for its own rep only.
        #expect(try hub.store.followUp(call.id.uuidString.lowercased(), asOf: today)?.rep == "Ravi")
        #expect(try hub.store.followUps(list: "due", rep: "Meena", asOf: today).followups.isEmpty)
        let rejected = try #require(try ravi.database.followUps(state: "rejected").first)
        #expect(rejected.id == gone.id && rejected.lastError?.contains("no invoice S-2 in this device's scope") == true)
        // The next round sends nothing again, and the hub holds each once.
        #expect(try await ravi.sync.runOnce().followUps == 0)
        #expect(try hub.store.followUps(list: "open", rep: nil, asOf: today).followups.count == 3)
    }
}

@Suite("A device's profile asks for its rep's region")
struct ProfileScopeTests {
    @Test("a device never widens its own feed: [hub] scope = region under a manager's assigned still gets only what is assigned")
    func regionFromProfile() async throws {
        let hub = try await LiveHub(invoices: ScopedSyncTests.book)
        var ravi = try hub.device(rep: "Ravi", scope: nil)
        #expect(try hub.store.reps().first { $0.name == "Ravi" }?.scope == "assigned")  // a rep new to the hub
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "assigned", regions: ["South"]))
        _ = try hub.store.assign(["N-1"], to: "Ravi", actor: "mgr_test", reason: nil)
        ravi.sync.scope = "region"
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database) == ["N-1"])
        // The manager widens it: the region arrives, whatever the profile asks.
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "region", regions: ["South"]))
        ravi.sync.scope = nil
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database) == ["N-1", "S-1", "S-2"])
        // A rep whose devices get everything still gets everything, whatever the profile asks.
        let meena = try hub.device(rep: "Meena")
        var wide = meena.sync
        wide.scope = "region"
        _ = try await wide.runOnce()
        #expect(try cached(meena.database).count == 6)
    }
}

@Suite("Scoped passes over many pages")
struct ScopedPagingTests {
    @Test("after a scope change, a pull of one invoice a page starts over once and finishes with exactly the scope", .timeLimit(.minutes(1)))
    func manyPages() async throws {
        let hub = try await LiveHub(invoices: ScopedSyncTests.book)
        var ravi = try hub.device(rep: "Ravi")
        ravi.sync.pageSize = 1
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database).count == 6)
        // Everything of the South region, a page at a time: the pass's own cursors are never answered with reset.
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "region", regions: ["South"]))
        _ = try hub.store.assign(["N-1", "N-2"], to: "Ravi", actor: "mgr_test", reason: nil)
        let report = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database) == ["N-1", "N-2", "S-1", "S-2"])
        #expect(report.pages < 10, "\(report.pages) pages for 4 invoices")
        // Back to everything (the rep's scope widens): again one pass, all six.
        _ = try hub.store.setRep("Ravi", RepSettings(scope: "all"))
        _ = try await ravi.sync.runOnce()
        #expect(try cached(ravi.database).count == 6)
        // A brand-new device of the rep, one invoice a page, from 0 after those scope changes.
        var fresh = try hub.device(rep: "Ravi")
        fresh.sync.pageSize = 1
        _ = try await fresh.sync.runOnce()
        #expect(try cached(fresh.database).count == 6)
    }

    @Test("an invoice from the hub that names a payee the profile does not allow is refused and said, and a cached copy is dropped")
    func foreignPayee() async throws {
        let hub = try await LiveHub(
            invoices: """
                invoice_number,invoice_date,due_date,customer_code,customer_name,total,payee_vpa
                P-1,2026-10-01,2026-10-31,C1,Rao,700.00,
                P-2,2026-10-01,2026-10-31,C1,Rao,800.00,branch2@oksbi
                P-3,2026-10-01,2026-10-31,C1,Rao,900.00,thief@ybl
                """)
        var device = try hub.device(rep: "Ravi")
        device.sync.payees = PayeePolicy(merchant: "shop@okhdfcbank", allowed: ["branch2@oksbi"])
        let first = try await device.sync.runOnce()
        #expect(try cached(device.database) == ["P-1", "P-2"])
        #expect(first.refusedPayees.count == 1 && first.refusedPayees[0].contains("P-3") && first.refusedPayees[0].contains("thief@ybl"))

        // The hub's book is altered: P-1 now pays someone else. The device drops what it held.
        try """
            invoice_number,invoice_date,due_date,customer_code,customer_name,total,payee_vpa
            P-1,2026-10-01,2026-10-31,C1,Rao,700.00,other@ybl
            """.write(toFile: hub.folder + "/altered.csv", atomically: true, encoding: .utf8)
        _ = try hub.store.importInvoices(from: InvoiceFileReader(path: hub.folder + "/altered.csv"))
        let second = try await device.sync.runOnce()
        #expect(try cached(device.database) == ["P-2"])
        #expect(second.refusedPayees.count == 1 && second.refusedPayees[0].contains("other@ybl"))
    }
}
