import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import HummingbirdTesting
import Testing

/// The day of the test payments (`upload(…)` records them at 1_796_000_000_000 ms, 2026-11-30 in India).
private let payDay = LocalDate(year: 2026, month: 11, day: 30)!

@Suite("Payment reversals")
struct ReversalTests {
    @Test("a bounced cheque: its invoice owes again from the reversal and is sent to devices; the register shows it apart, out of the totals; twice is refused")
    func reverses() throws {
        let setup = try ERPHub()
        let before = try #require(try setup.store.invoiceOutstanding("INV/1"))
        try setup.pay("A-000001", amount: "100.00", method: "cheque")
        try setup.pay("A-000002", amount: "50.00")
        #expect(try setup.store.invoiceOutstanding("INV/1") == before - Money(paise: 15_000))
        let cursor = try setup.store.changes(after: 0, limit: 100_000, deviceID: nil).nextCursor
        let now = HubTime.nowMillis()
        guard case .reversed(let reversal) = try setup.store.reversePayment("A-000001", reason: "cheque 004512 bounced", actor: "asha", now: now) else {
            Issue.record("not reversed")
            return
        }
        #expect(reversal.invoices == [ERPAllocation(invoice: "INV/1", amount: Money(paise: 10_000))] && reversal.method == "cheque")
        #expect(try setup.store.invoiceOutstanding("INV/1") == before - Money(paise: 5_000))
        // Devices are sent the invoice again, owing the cheque's amount.
        let sent = try setup.store.changes(after: Int64(cursor) ?? 0, limit: 100, deviceID: nil).changes
        #expect(sent.map(\.number) == ["INV/1"])
        // The register keeps what the rep took that day, the reversed cheque on its own line, out of the totals.
        let register = try setup.store.register(from: payDay, to: payDay, page: 1, perPage: nil)
        #expect(register.rows.map(\.method).sorted() == ["cash", "reversed"])
        #expect(register.payments == 1 && register.amount == "50.00")
        // Productivity counts only money that stayed.
        let productivity = try setup.store.productivity(from: payDay, to: payDay, page: 1, perPage: nil)
        #expect(productivity.rows.first { $0.rep == "Ravi" }?.payments == 1)
        // The customer's history says so.
        let history = try #require(try setup.store.customerHistory("C1", limit: 10))
        #expect(history.payments.first { $0.receiptNumber == "A-000001" }?.status == "reversed")
        // Aging on the payment's day still sees it paid; today it is owed again (the ledger's rows are dated).
        #expect(try setup.store.recentPayments(limit: 10).first { $0.receiptNumber == "A-000001" }?.reversedAt == now)
        #expect(try setup.store.reversePayment("A-000001", reason: "again", actor: "asha", now: now) == .alreadyReversed(receipt: "A-000001", at: now))
        #expect(try setup.store.reversePayment("Z-999", reason: "x", actor: "asha", now: now) == .notFound)
        guard case .refused(let why) = try setup.store.reversePayment("A-000002", reason: "  ", actor: "asha", now: now) else {
            Issue.record("a reversal without a reason was taken")
            return
        }
        #expect(why.contains("say why"))
        #expect(try setup.store.invoiceOutstanding("INV/1") == before - Money(paise: 5_000))
    }

    @Test("a UPI payment awaiting its credit is not reversible: there is no money yet")
    func awaitingCredit() throws {
        let setup = try ERPHub()
        let id = try setup.pay("A-000009", amount: "250.00", invoice: "INV/3", method: "upi", reference: "DEMO01INV3TPAUOU")
        #expect(try setup.store.paymentStatus(id, deviceID: nil)?.status == PaymentStatus.awaitingConfirmation.rawValue)
        guard case .refused(let why) = try setup.store.reversePayment(id, reason: "refund", actor: "asha", now: HubTime.nowMillis()) else {
            Issue.record("a pending UPI payment was reversed")
            return
        }
        #expect(why.contains("awaiting its credit"))
    }

    @Test("Tally: a reversed payment it holds is cancelled by its REMOTEID and kept there; one it never had costs no request; reconcile sees a live one")
    func cancelsInTally() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let worker = setup.worker(tally)
        let booked = try setup.pay("A-000001", amount: "100.00")
        let other = try setup.pay("A-000002", amount: "40.00")
        #expect(try await worker.drain().accepted == 2)
        let never = try setup.pay("A-000003", amount: "30.00")
        let now = HubTime.nowMillis()
        guard case .reversed(let first) = try setup.store.reversePayment(booked, reason: "refund", actor: "asha", now: now),
            case .reversed(let second) = try setup.store.reversePayment(never, reason: "entered twice", actor: "asha", now: now)
        else {
            Issue.record("not reversed")
            return
        }
        #expect(first.books == [.init(connector: "tally", cancelQueued: true)])
        #expect(second.books == [.init(connector: "tally", cancelQueued: false)])
        // Before the cancellation goes: reconcile flags the live voucher of a reversed payment.
        let live = try await worker.reconcile(day: payDay)
        #expect(live.lines.map(\.problem) == ["reversed-at-hub"] && live.lines.first?.paymentID == booked)
        let requests = try await tally.stats()["requests"] ?? 0
        let round = try await worker.drain()
        #expect(round.accepted == 1 && round.cancelled == 1 && round.parked == 0)
        // One request: the cancellation. The payment Tally never had was not sent, not cancelled there.
        #expect(try await tally.stats()["requests"] == requests + 1)
        let vouchers = try await tally.vouchers()
        #expect(vouchers.count == 2)
        #expect(vouchers.first { $0.remote_id == booked }?.cancelled == true)
        #expect(vouchers.first { $0.remote_id == booked }?.narration?.contains("Reversed at the FieldPay hub: refund") == true)
        #expect(vouchers.first { $0.remote_id == other }?.cancelled == false)
        #expect(try setup.queue(.cancelled).map(\.paymentID).sorted() == [booked, never].sorted())
        #expect(try setup.store.erpCounts().first?.cancelled == 2)
        #expect(try await worker.reconcile(day: payDay).isClean)
        // A manager's resend of the reversed payment does not book it again.
        #expect(try setup.store.requeueERP(connector: "tally", paymentIDs: [booked], now: HubTime.nowMillis()) == 0)
    }

    @Test("Tally: reversed while its push was in flight: the push's answer does not undo the cancellation, which goes next; a voucher Tally lacks is nothing to cancel")
    func reversedInFlight() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally()
        let id = try setup.pay("A-000001", amount: "100.00")
        let claimed = try #require(try setup.store.claimERP(connector: "tally", now: HubTime.nowMillis(), limit: 1, leaseMillis: 0).first)
        guard case .reversed(let reversal) = try setup.store.reversePayment(id, reason: "refund", actor: "asha", now: HubTime.nowMillis()) else {
            Issue.record("not reversed")
            return
        }
        // Offered once, so the ERP may hold it: a cancellation is queued.
        #expect(reversal.books.first?.cancelQueued == true)
        // The push's answer arrives late (a refusal here: Tally never booked it) and changes nothing.
        try setup.store.recordERP(claimed.outboxID, action: .push, outcome: .rejected("late"), now: HubTime.nowMillis(), retryAt: 0)
        #expect(try setup.queue(.pending).map(\.stateLabel) == ["pending (cancel)"])
        // Tally holds no such voucher: the cancellation is done, not parked.
        #expect(try await setup.worker(tally).drain().accepted == 1)
        #expect(try setup.queue(.cancelled).count == 1 && setup.queue(.parked).isEmpty)
        #expect(try await tally.vouchers().isEmpty)
    }

    @Test("pull: a bill Tally holds paid by a payment the hub reversed is raised back, never closed, until the cancellation lands")
    func pullAfterReversal() async throws {
        let setup = try ERPHub()
        let tally = try FakeTally(ledgers: ["HDFC Bank"], bills: 20, parties: 3)
        let worker = setup.worker(tally)
        _ = try await worker.pull()
        let owed = try #require(try setup.store.invoiceOutstanding("TB/000007"))
        let code = try #require(try setup.store.changes(after: 0, limit: 1000, deviceID: nil).changes.first { $0.number == "TB/000007" }?.customerCode)
        var body = upload("A-000001", amount: owed.plainString, invoice: "TB/000007")
        body.customerCode = code
        let id = UUID().uuidString.lowercased()
        guard case .created = try setup.store.uploadSigned(deviceID: setup.device, payment: body, id: id) else { throw ERPError("refused") }
        #expect(try await worker.drain().accepted == 1)
        // Paid in full in Tally: it no longer lists the bill.
        #expect(try await worker.pull().bills == 19)
        #expect(try setup.store.invoiceOutstanding("TB/000007") == .zero)
        guard case .reversed = try setup.store.reversePayment(id, reason: "cheque bounced", actor: "asha", now: HubTime.nowMillis()) else {
            Issue.record("not reversed")
            return
        }
        #expect(try setup.store.invoiceOutstanding("TB/000007") == owed)
        // Tally still counts it paid: the pull neither closes the bill nor lowers it.
        let waiting = try await worker.pull()
        #expect(waiting.closed == 0)
        #expect(try setup.store.invoiceOutstanding("TB/000007") == owed)
        // Cancelled in Tally: the bill is listed again at its full amount, and the pull agrees with the hub.
        #expect(try await worker.drain().accepted == 1)
        let after = try await worker.pull()
        #expect(after.bills == 20 && after.raised == 0 && after.closed == 0)
        #expect(try setup.store.invoiceOutstanding("TB/000007") == owed)
    }

    @Test("Zoho Books: the reversed payment's customer payment is deleted (its invoice owes again there); reconcile is clean")
    func deletesInZoho() async throws {
        let zoho = try FakeZoho(invoices: 20, customers: 3)
        let connector = ZohoBooksConnector(settings: zoho.settings())
        let (setup, worker) = try await ZohoTests().pulled(zoho, connector)
        let id = try ZohoTests().pay(setup, "A-000001", invoice: "ZB-000003", amount: "100.50")
        let kept = try ZohoTests().pay(setup, "A-000002", invoice: "ZB-000004", amount: "10.00")
        #expect(try await worker.drain().accepted == 2)
        let owed = try #require(try setup.store.invoiceOutstanding("ZB-000003"))
        guard case .reversed = try setup.store.reversePayment("A-000001", reason: "refund", actor: "asha", now: HubTime.nowMillis()) else {
            Issue.record("not reversed")
            return
        }
        #expect(try await worker.drain().accepted == 1)
        let payments = try await zoho.payments()
        #expect(payments.count == 1 && (payments.first?["description"] as? String)?.contains(kept) == true)
        #expect(try await zoho.stats()["deleted"] == 1)
        #expect(try setup.queue(.cancelled).map(\.paymentID) == [id])
        // Zoho's invoice owes the amount again, as the hub's does: the pull agrees.
        let pulled = try await worker.pull()
        #expect(pulled.raised == 0)
        #expect(try setup.store.invoiceOutstanding("ZB-000003") == owed + Money(paise: 10_050))
        #expect(try await worker.reconcile(day: payDay).isClean)
    }

    @Test("the customer's page: a Reverse button on money the hub holds; a reason is required; reversed, the page says so and the button is gone")
    func dashboard() async throws {
        let setup = try ERPHub()
        let manager = try setup.store.addManager(name: "Asha")
        try setup.pay("A-000001", amount: "100.00", method: "cheque")
        let before = try #require(try setup.store.invoiceOutstanding("INV/1"))
        let app = buildApplication(setup.hub.configuration, store: setup.store)
        try await app.test(.live) { client in
            let origin = "http://localhost"
            let cookie = try await DashboardTests.signIn(client, token: manager.token, origin: origin)
            try await client.execute(uri: "/manage/customers/C1", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("action=\"/manage/customers/C1/reverse\"") && page.contains("value=\"A-000001\""))
            }
            var headers = DashboardTests.formType
            headers[.cookie] = cookie
            headers[.origin] = origin
            try await client.execute(
                uri: "/manage/customers/C1/reverse", method: .post, headers: headers,
                body: DashboardTests.form([("receipt", "A-000001"), ("reason", ""), ("back", "/manage/customers/C1")])
            ) { response in
                #expect(response.headers[.location]?.contains("error=") == true)
            }
            #expect(try setup.store.invoiceOutstanding("INV/1") == before)
            try await client.execute(
                uri: "/manage/customers/C1/reverse", method: .post, headers: headers,
                body: DashboardTests.form([("receipt", "A-000001"), ("reason", "cheque bounced"), ("back", "/manage/customers/C1")])
            ) { response in
                let location = response.headers[.location] ?? ""
                #expect(response.status == .seeOther && location.hasPrefix("/manage/customers/C1?notice=") && location.contains("reversed"))
            }
            #expect(try setup.store.invoiceOutstanding("INV/1") == before + Money(paise: 10_000))
            try await client.execute(uri: "/manage/customers/C1", method: .get, headers: [.cookie: cookie]) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("<td>reversed</td>") && !page.contains("value=\"A-000001\""))
            }
            // The audit log has who reversed it, and why.
            #expect(try setup.store.auditLog(limit: 10, before: nil).contains { $0.action.contains("/reverse") && ($0.detail ?? "").contains("cheque bounced") })
        }
    }
}
