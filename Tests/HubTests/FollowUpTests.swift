import FieldPayCore
import Foundation
import HTTPTypes
import HubAPI
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hub

/// A payment of `amount` on `invoice` by the device, recorded at `at`.
func pay(_ hub: TestHub, device: String, _ receipt: String, _ invoice: String, _ amount: String, at: Int64, method: String = "cash") throws {
    var body = upload(receipt, amount: amount, invoice: invoice, method: method)
    body.recordedAtMillis = at
    if method == "cheque" {
        body.chequeNumber = "000\(receipt)"
        body.bank = "SBI"
    }
    guard case .created = try hub.store.uploadSigned(deviceID: device, body: Data(), payment: body) else {
        throw ReportInputError("payment \(receipt) was not stored")
    }
}

func reportBody<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try ReportCoding.decoder.decode(type, from: Data(buffer: response.body))
}

func jsonBody(_ value: some Encodable) -> ByteBuffer { ByteBuffer(bytes: try! ReportCoding.encoder.encode(value)) }

@Suite("Follow-ups, promises, disputes, reminders, escalations")
struct FollowUpTests {
    @Test("a follow-up from a device is its own rep's, is recorded once per id, and shows on the due list", arguments: StoreBackend.allCases)
    func followUpsOverHTTP(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let device = try hub.enrolledToken()
        let manager = try hub.store.addManager(name: "Asha").token
        _ = try hub.store.setRep("Meena", RepSettings())
        _ = try hub.store.assign(["INV/2"], to: "Meena", actor: "mgr", reason: nil)
        let id = UUID().uuidString.lowercased()
        let today = LocalDate.today()
        let visit = FollowUpRequest(invoice: "INV/2", action: "visit", dueDate: today.isoString, note: "shop shut; back Monday")
        try await hub.app.test(.router) { client in
            let uri = "/v1/followups/\(id)"
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer \(device)"], body: jsonBody(visit)) { response in
                #expect(response.status == .created)
                let followUp = try reportBody(FollowUp.self, response)
                // INV/2 is Meena's, but the visit was this device's rep's.
                #expect(followUp.rep == "Ravi" && followUp.customerCode == "C1" && followUp.source == "device" && followUp.outstanding == "500.00")
            }
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer \(device)"], body: jsonBody(visit)) {
                #expect($0.status == .ok)
            }
            var other = visit
            other.note = "another note"
            try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer \(device)"], body: jsonBody(other)) {
                #expect($0.status == .conflict)
            }
            // A customer's follow-up with no rep named: the device's rep.
            let call = FollowUpRequest(customerCode: "C2", action: "call", dueDate: today.adding(days: 3).isoString)
            try await client.execute(
                uri: "/v1/followups/\(UUID().uuidString)", method: .put, headers: [.authorization: "Bearer \(device)"], body: jsonBody(call)
            ) { response in
                #expect(response.status == .created)
                let followUp = try reportBody(FollowUp.self, response)
                #expect(followUp.rep == "Ravi")
            }
            // The visit is due today; the call not until three days from now.
            try await client.execute(uri: "/v1/followups?list=due&rep=Ravi", method: .get, headers: [.authorization: "Bearer \(manager)"]) { response in
                let list = try reportBody(FollowUpList.self, response)
                #expect(list.followups.map(\.id) == [id])
            }
            try await client.execute(uri: "/v1/followups?list=due&rep=Meena", method: .get, headers: [.authorization: "Bearer \(manager)"]) { response in
                let list = try reportBody(FollowUpList.self, response)
                #expect(list.followups.isEmpty)
            }
            try await client.execute(
                uri: "/v1/followups/\(id)/close", method: .post, headers: [.authorization: "Bearer \(device)"],
                body: jsonBody(FollowUpClose(state: "done", outcome: "met the owner"))
            ) { response in
                let followUp = try reportBody(FollowUp.self, response)
                #expect(followUp.state == "done")
            }
            try await client.execute(uri: "/v1/followups?list=due", method: .get, headers: [.authorization: "Bearer \(manager)"]) { response in
                let list = try reportBody(FollowUpList.self, response)
                #expect(list.followups.isEmpty)
            }
            // Refusals, in words.
            for (request, words) in [
                (FollowUpRequest(invoice: "NOPE", action: "visit", dueDate: "2026-12-01"), "no invoice NOPE"),
                (FollowUpRequest(invoice: "INV/1", action: "email", dueDate: "2026-12-01"), "action must be call or visit"),
                (FollowUpRequest(invoice: "INV/1", action: "call", dueDate: "01/12/2026"), "due_date must be a date"),
                (FollowUpRequest(invoice: "INV/1", action: "call", dueDate: "2026-12-01", promisedAmount: "10.00"), "needs promised_date"),
                (FollowUpRequest(customerCode: "C2", invoice: "INV/1", action: "call", dueDate: "2026-12-01"), "is not customer C2's"),
            ] {
                try await client.execute(
                    uri: "/v1/followups/\(UUID().uuidString)", method: .put, headers: [.authorization: "Bearer \(manager)"], body: jsonBody(request)
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(String(buffer: response.body).contains(words), "\(words)")
                }
            }
            try await client.execute(uri: "/v1/followups/\(UUID().uuidString)", method: .put, body: jsonBody(visit)) { #expect($0.status == .unauthorized) }
        }
    }

    @Test(
        "security: a device acts for its own rep only, on what its scope holds, and its refusals reveal nothing of the rest of the book",
        arguments: StoreBackend.allCases)
    func deviceStaysInScope(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        // Ravi may hold only what is assigned to him: INV/1. INV/3 (Gupta Medicals) and customer C2 are outside.
        let device = try hub.enrolledToken(scope: "assigned")
        _ = try hub.store.assign(["INV/1"], to: "Ravi", actor: "mgr", reason: nil)
        let meena = try hub.store.putFollowUp(
            id: UUID().uuidString.lowercased(), FollowUpRequest(invoice: "INV/3", action: "call", dueDate: "2026-12-01", rep: "Meena"), actor: "mgr",
            deviceRep: nil)
        guard case .created(let meenas) = meena else { throw ReportInputError("\(meena)") }
        let today = LocalDate.today().isoString
        try await hub.app.test(.router) { client in
            func put(_ request: FollowUpRequest) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(
                    uri: "/v1/followups/\(UUID().uuidString)", method: .put, headers: [.authorization: "Bearer \(device)"], body: jsonBody(request)
                ) { ($0.status, String(buffer: $0.body)) }
            }
            // For another rep (creating one on the way): refused, and no rep is made.
            let forOther = try await put(FollowUpRequest(invoice: "INV/1", action: "visit", dueDate: today, rep: "Mallory"))
            #expect(forOther.0 == .unprocessableContent && forOther.1.contains("its own rep"))
            #expect(try hub.store.reps().contains { $0.name == "Mallory" } == false)
            // An invoice and a customer outside its scope answer exactly as ones that do not exist: no name, no balance.
            let outside = try await put(FollowUpRequest(invoice: "INV/3", action: "visit", dueDate: today))
            let missing = try await put(FollowUpRequest(invoice: "INV/999", action: "visit", dueDate: today))
            func detail(_ text: String) throws -> String { try JSONDecoder().decode(Problem.self, from: Data(text.utf8)).detail }
            let (outsideDetail, missingDetail) = (try detail(outside.1), try detail(missing.1))
            #expect(outside.0 == .unprocessableContent && outsideDetail == missingDetail.replacingOccurrences(of: "999", with: "3"))
            #expect(!outside.1.contains("Gupta") && !outside.1.contains("250"))
            let customer = try await put(FollowUpRequest(customerCode: "C2", action: "call", dueDate: today))
            #expect(customer.0 == .unprocessableContent && customer.1.contains("no customer C2 in this device's scope"))
            // Its own invoice is fine.
            #expect(try await put(FollowUpRequest(invoice: "INV/1", action: "visit", dueDate: today)).0 == .created)
            // Another rep's follow-up cannot be closed by it: unknown, as for any id.
            try await client.execute(
                uri: "/v1/followups/\(meenas.id)/close", method: .post, headers: [.authorization: "Bearer \(device)"],
                body: jsonBody(FollowUpClose(state: "cancelled", outcome: "closed by a stranger"))
            ) { #expect($0.status == .notFound) }
        }
        #expect(try hub.store.followUp(meenas.id, asOf: LocalDate.today())?.state == "open")
    }

    @Test("a promise is kept when what was promised is paid by its day; missed twice escalates", arguments: StoreBackend.allCases)
    func promises(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let today = LocalDate.today()
        func promise(_ invoice: String, by day: LocalDate, amount: String?) throws -> String {
            let id = UUID().uuidString.lowercased()
            _ = try hub.store.putFollowUp(
                id: id, FollowUpRequest(invoice: invoice, action: "call", dueDate: day.isoString, promisedDate: day.isoString, promisedAmount: amount),
                actor: "mgr", deviceRep: nil)
            return id
        }
        let kept = try promise("INV/1", by: today.adding(days: 2), amount: "300.00")
        let short = try promise("INV/2", by: today.adding(days: 2), amount: "400.00")
        let late = try promise("INV/3", by: today.adding(days: 2), amount: nil)  // all of it: 250.00
        try pay(hub, device: device, "P1", "INV/1", "300.00", at: HubTime.endOfDay(today.adding(days: 1)))
        try pay(hub, device: device, "P2", "INV/2", "100.00", at: HubTime.endOfDay(today.adding(days: 1)))
        try pay(hub, device: device, "P3", "INV/3", "250.00", at: HubTime.endOfDay(today.adding(days: 3)))  // a day after it was promised
        // Before the promised day nothing is judged.
        #expect(try hub.store.followUp(kept, asOf: today.adding(days: 2))?.promiseKept == nil)
        let after = today.adding(days: 4)
        #expect(try hub.store.followUp(kept, asOf: after)?.promiseKept == true)
        #expect(try hub.store.followUp(short, asOf: after)?.promiseKept == false)
        #expect(try hub.store.followUp(late, asOf: after)?.promiseKept == false)
        // Missed and still owing: INV/2 only (INV/3 was paid, late).
        #expect(try hub.store.followUps(list: "missed", rep: nil, asOf: after).followups.map(\.id) == [short])
        // A second missed promise on INV/2 escalates it; one missed promise does not.
        _ = try promise("INV/2", by: today.adding(days: 3), amount: "300.00")  // 100.00 of it came
        _ = try hub.store.runCollections(asOf: after)
        #expect(try hub.store.escalations().filter { $0.reason == "missed-promises" }.map(\.invoice) == ["INV/2"])
        // The run is once a day: again, nothing new.
        #expect(try hub.store.runCollections(asOf: after).escalations == 0)
    }

    @Test("reminders follow the group's policy, pause on a dispute, land on the customer's history; old invoices escalate", arguments: StoreBackend.allCases)
    func reminders(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        // INV/1 due 2026-10-31, INV/2 due 11-01 (C1), INV/3 due 11-02 (C2). Default policy: 30 days, then every 15.
        func run(_ month: Int, _ day: Int) throws -> CollectionsRun { try hub.store.runCollections(asOf: LocalDate(year: 2026, month: month, day: day)!) }
        #expect(try run(11, 29).remindersQueued == 0)
        #expect(try run(11, 30).remindersQueued == 1)  // INV/1, 30 days after its due date
        let reminder = try #require(try hub.store.reminders().first)
        #expect(reminder.invoice == "INV/1" && reminder.channel == "whatsapp")
        #expect(reminder.message.contains("INV/1") && reminder.message.contains("₹1,000.00") && reminder.message.contains("30 days overdue"))
        #expect(try run(11, 30).remindersQueued == 0)  // once a day
        _ = try hub.store.openDispute("INV/3", DisputeRequest(reason: "short supply: 2 cartons", amount: "100.00"), actor: "mgr")
        let december2 = try run(12, 2)
        #expect(december2.remindersQueued == 1 && december2.skippedDisputed == 1)  // INV/2 reminded; INV/3 disputed
        #expect(try run(12, 14).remindersQueued == 0)  // INV/1's next is 15 days after its first
        #expect(try run(12, 15).remindersQueued == 1)
        // The dispute resolved, INV/3 is reminded at the next run.
        #expect(try hub.store.resolveDispute("INV/3", resolution: "credit note issued", actor: "mgr") != nil)
        #expect(try run(12, 16).remindersQueued == 1)
        let history = try #require(try hub.store.customerHistory("C1"))
        #expect(history.reminders.map(\.day) == ["2026-12-15", "2026-12-02", "2026-11-30"])
        #expect(try hub.store.escalations().isEmpty)  // nothing is 90 days late yet
        // A policy for a group: SMS, 7 days, every 7, escalate at 40 days.
        try hub.store.setReminderPolicy(ReminderPolicy(group: "kirana", firstAfterDays: 7, everyDays: 7, channel: "sms", escalateAfterDays: 40))
        #expect(try hub.store.setReminderGroup("kirana", customers: ["C2"]) == 1)
        #expect(try run(12, 23).remindersQueued == 2)  // INV/3 a week after its last (SMS), INV/2 21 days after its last
        #expect(try hub.store.reminders().filter { $0.channel == "sms" }.map(\.invoice) == ["INV/3"])
        #expect(try hub.store.escalations().map(\.invoice) == ["INV/3"])  // 51 days late, past kirana's 40
        #expect(throws: ReportInputError.self) { try hub.store.setReminderGroup("nobody", customers: ["C1"]) }
        #expect(throws: ReportInputError.self) { try hub.store.setReminderPolicy(ReminderPolicy(group: "x", everyDays: 0)) }
    }

    @Test("a dispute takes an invoice out of its rep's to-collect; one open dispute per invoice", arguments: StoreBackend.allCases)
    func disputes(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        _ = try hub.enrolledToken()
        _ = try hub.store.assign(["INV/1", "INV/2"], to: "Ravi", actor: "mgr", reason: nil)
        let day = LocalDate(year: 2026, month: 11, day: 20)!
        #expect(try hub.store.daySheet(rep: "Ravi", day: day)?.toCollect == "1500.00")
        _ = try hub.store.openDispute("INV/2", DisputeRequest(reason: "rate difference"), actor: "mgr")
        #expect(try hub.store.daySheet(rep: "Ravi", day: day)?.toCollect == "1000.00")
        #expect(try hub.store.disputes().map(\.amount) == ["500.00"])
        #expect(throws: ReportInputError.self) { try hub.store.openDispute("INV/2", DisputeRequest(reason: "again"), actor: "mgr") }
        #expect(throws: ReportInputError.self) { try hub.store.openDispute("INV/9", DisputeRequest(reason: "x"), actor: "mgr") }
        let productivity = try hub.store.productivity(from: LocalDate(year: 2026, month: 11, day: 1)!, to: LocalDate(year: 2026, month: 11, day: 30)!)
        #expect(productivity.rows.first?.disputedExcluded == 1 && productivity.rows.first?.allocatedInvoices == 1)
    }
}

@Suite("Productivity and the day sheet")
struct PerformanceTests {
    @Test("productivity: to-collect, what was collected on it and by whom, hit rate, visits; it reconciles with the register", arguments: StoreBackend.allCases)
    func productivity(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let ravi = String(try hub.enrolledToken().split(separator: ".")[0])
        let code = try hub.store.createEnrollmentCode(rep: "Meena")
        guard case .enrolled(let meena) = try hub.store.enroll(code: code, deviceName: "m") else { throw ReportInputError("enroll") }
        _ = try hub.store.assign(["INV/1", "INV/2"], to: "Ravi", actor: "mgr", reason: nil)
        _ = try hub.store.assign(["INV/3"], to: "Meena", actor: "mgr", reason: nil)
        let nov = { (day: Int) in HubTime.endOfDay(LocalDate(year: 2026, month: 11, day: day)!) - 3_600_000 }
        try pay(hub, device: ravi, "R1", "INV/1", "400.00", at: nov(3))
        try pay(hub, device: ravi, "R2", "INV/1", "100.00", at: nov(3))  // the same customer, the same day: one visit
        try pay(hub, device: meena.deviceID, "M1", "INV/2", "500.00", at: nov(5))  // Meena collects Ravi's invoice
        try pay(hub, device: ravi, "R3", "INV/1", "50.00", at: HubTime.endOfDay(LocalDate(year: 2026, month: 10, day: 20)!))  // before the period
        let from = LocalDate(year: 2026, month: 11, day: 1)!
        let to = LocalDate(year: 2026, month: 11, day: 30)!
        let report = try hub.store.productivity(from: from, to: to)
        let r = try #require(report.rows.first { $0.rep == "Ravi" })
        // Ravi: INV/1 owed 950 at the start (1000 − 50 in October), INV/2 500: 1450 to collect; 1000 came in on them.
        #expect(r.allocatedInvoices == 2 && r.toCollect == "1450.00" && r.collectedOnAllocated == "1000.00")
        #expect(r.invoicesPaid == 2 && r.hitRate == 1.0)
        #expect(r.payments == 2 && r.collected == "500.00" && r.visits == 1)
        let m = try #require(report.rows.first { $0.rep == "Meena" })
        #expect(m.allocatedInvoices == 1 && m.toCollect == "250.00" && m.invoicesPaid == 0 && m.hitRate == 0 && m.collected == "500.00")
        // Collected by reps in the period = the register's total for it.
        let register = try hub.store.register(from: from, to: to, perPage: nil)
        #expect(report.totals.collected == register.amount)
        #expect(report.totals.payments == register.payments)
    }

    @Test("day sheet: collected by method, in hand, handed over, deposited, variance, and what is carried to the next day", arguments: StoreBackend.allCases)
    func daySheet(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let device = String(try hub.enrolledToken().split(separator: ".")[0])
        let day = LocalDate(year: 2026, month: 11, day: 10)!
        let at = HubTime.endOfDay(day) - 7_200_000
        try pay(hub, device: device, "D1", "INV/1", "500.00", at: at)
        try pay(hub, device: device, "D2", "INV/2", "200.00", at: at, method: "cheque")
        try pay(hub, device: device, "D3", "INV/3", "100.00", at: at, method: "upi")
        let handover = try hub.store.recordHandover(
            HandoverRequest(rep: "Ravi", day: day.isoString, cash: "450.00", cheques: 1, chequeAmount: "200.00"), receivedBy: "mgr_cashier")
        _ = try hub.store.recordDeposit(handover: handover.id, reference: "SBI slip 0042")
        let sheet = try #require(try hub.store.daySheet(rep: "Ravi", day: day))
        #expect(sheet.collected.map(\.amount) == ["500.00", "200.00", "100.00", "0.00"])  // no UPI claim
        #expect(sheet.collectedTotal == "800.00" && sheet.chequeCount == 1)
        #expect(sheet.cashInHand == "500.00" && sheet.cashHandedOver == "450.00" && sheet.cashVariance == "50.00")
        #expect(sheet.chequesInHand == "200.00" && sheet.chequeVariance == "0.00" && sheet.deposited == "650.00")
        // The next day the 50.00 short is carried in.
        let next = try #require(try hub.store.daySheet(rep: "Ravi", day: day.adding(days: 1)))
        #expect(next.cashCarriedIn == "50.00" && next.cashInHand == "50.00" && next.collectedTotal == "0.00")
        #expect(try hub.store.daySheet(rep: "Nobody", day: day) == nil)
        #expect(throws: ReportInputError.self) {
            try hub.store.recordHandover(HandoverRequest(rep: "Ravi", day: day.isoString, cash: "1.00", cheques: 1, chequeAmount: "0.00"), receivedBy: "m")
        }
    }

    @Test("a handover too large to be a day's cash is refused, and sums over stored amounts are checked, never trapping", arguments: StoreBackend.allCases)
    func handoverBounds(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        _ = try hub.enrolledToken()
        let day = LocalDate(year: 2026, month: 11, day: 10)!
        let refused = #expect(throws: ReportInputError.self) {
            try hub.store.recordHandover(
                HandoverRequest(rep: "Ravi", day: day.isoString, cash: "90000000000000000.00", cheques: 0, chequeAmount: "0.00"), receivedBy: "m")
        }
        #expect(refused?.message.contains("at most") == true)
        #expect(try hub.store.daySheet(rep: "Ravi", day: day)?.cashHandedOver == "0.00")
        // What older data could still hold: the day sheet's sums say so instead of stopping the hub.
        #expect(throws: ReportInputError.self) { try StoredPaise.sum([Int64.max, 1]) }
        #expect(throws: ReportInputError.self) { try StoredPaise.subtract(Int64.min, 1) }
        #expect(StoredPaise.from(1e30) == Int64.max && StoredPaise.from(.nan) == 0)
        #expect(try StoredPaise.sum([1, 2, 3]) == 6)
    }
}
