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

func money(_ paise: Int64) -> String { Money(paise: paise).plainString }

/// A generated book at a hub, and the test's own account of it: every invoice's outstanding when it was
/// imported and every change after, with its time. The oracle replays that account forward to a date;
/// the hub rolls today's outstanding back through its ledger. They must agree.
final class GeneratedBook {
    struct Invoice { var number, customer: String; var date, due: LocalDate; var total, opening: Int64 }
    struct Change { var invoice: String; var paise: Int64; var at: Int64; var kind = "payment" }
    struct Paid { var rep: String; var method: String; var paise: Int64; var at: Int64; var customer: String }

    let hub: TestHub
    var invoices: [String: Invoice] = [:]
    var outstanding: [String: Int64] = [:]
    var changes: [Change] = []
    var payments: [Paid] = []
    var random: SeededRandom
    let customers: [String]

    init(seed: UInt64, invoiceCount: Int = 160, customerCount: Int = 14, paymentCount: Int = 220) throws {
        hub = try TestHub()
        random = SeededRandom(seed: seed)
        customers = (0..<customerCount).map { String(format: "G%03d", $0) } + ["C1", "C2"]
        // TestHub's three invoices (C1, C2) are in the book too.
        for (number, customer, day, paise) in [("INV/1", "C1", 1, Int64(100_000)), ("INV/2", "C1", 2, 50_000), ("INV/3", "C2", 3, 25_000)] {
            let date = LocalDate(year: 2026, month: 10, day: day)!
            invoices[number] = Invoice(number: number, customer: customer, date: date, due: date.adding(days: 30), total: paise, opening: paise)
            outstanding[number] = paise
        }
        // Invoices from 2026-07-01 to 2026-11-25, due 15 to 45 days later; some partly paid at import.
        var lines = ["invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid,region"]
        for index in 0..<invoiceCount {
            let date = LocalDate(year: 2026, month: 7, day: 1)!.adding(days: Int.random(in: 0...147, using: &random))
            let due = date.adding(days: [15, 30, 45].randomElement(using: &random)!)
            let total = Int64.random(in: 10_000...5_000_000, using: &random)
            let paid = Bool.random(using: &random) && index % 3 == 0 ? Int64.random(in: 0..<total, using: &random) : 0
            let customer = customers.randomElement(using: &random)!
            let number = "GEN/\(index)"
            invoices[number] = Invoice(number: number, customer: customer, date: date, due: due, total: total, opening: total - paid)
            outstanding[number] = total - paid
            lines.append("\(number),\(date),\(due),\(customer),Customer \(customer),\(money(total)),\(money(paid)),Region \(customer.suffix(1))")
        }
        try importLines(lines)
        // Reps' payments: partial, several invoices at once, more than is owed, advances; at times spread
        // over the days after the invoice, some exactly on an Indian midnight.
        let token = try hub.enrolledToken()
        let deviceID = String(token.split(separator: ".")[0])
        let methods = ["cash", "cheque", "upi"]
        for index in 0..<paymentCount {
            let customer = customers.randomElement(using: &random)!
            let own = invoices.values.filter { $0.customer == customer }.sorted { $0.number < $1.number }
            guard !own.isEmpty else { continue }
            let chosen = Array(own.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))
            let latest = chosen.map(\.date).max()!
            let day = latest.adding(days: Int.random(in: 0...max(0, latest.days(until: LocalDate(year: 2026, month: 11, day: 29)!)), using: &random))
            let at = index % 17 == 0 ? HubTime.endOfDay(day.adding(days: -1)) : HubTime.endOfDay(day) - Int64.random(in: 1...86_399_999, using: &random)
            var allocations: [AllocationBody] = []
            var sum: Int64 = 0
            for invoice in chosen {
                let open = outstanding[invoice.number]!
                // Mostly within what is owed; sometimes more than is left (the hub lowers to zero, flags it).
                let part = open > 0 && index % 11 != 0 ? Int64.random(in: 1...open, using: &random) : Int64.random(in: 100...50_000, using: &random)
                allocations.append(AllocationBody(invoice: invoice.number, amount: money(part)))
                sum += part
                let applied = min(open, part)
                outstanding[invoice.number] = open - applied
                if applied > 0 { changes.append(Change(invoice: invoice.number, paise: applied, at: at)) }
            }
            let advance: Int64 = index % 13 == 0 ? 5_000 : 0
            let method = methods[index % 3]
            var body = PaymentUpload(
                receiptNumber: "R\(index)", method: method, amount: money(sum + advance), allocations: allocations, advance: money(advance),
                customerCode: customer, recordedAtMillis: at, signature: "sig")
            if method == "cheque" {
                body.chequeNumber = "00\(index)"
                body.bank = "SBI"
            }
            if method == "upi" { body.utr = String(format: "5%011d", index) }
            guard case .created = try hub.store.uploadSigned(deviceID: deviceID, body: Data(), payment: body) else {
                throw ReportInputError("payment \(index) was not stored")
            }
            payments.append(Paid(rep: "Ravi", method: method, paise: sum + advance, at: at, customer: customer))
        }
        // PSP credits for QRs no device has uploaded yet: they lower their invoices when they arrive.
        for (index, invoice) in invoices.values.sorted(by: { $0.number < $1.number }).enumerated() where index % 9 == 0 {
            let open = outstanding[invoice.number]!
            guard open > 0 else { continue }
            let paise = min(open, 20_000)
            let before = Date().millisecondsSince1970
            let outcome = try hub.store.applyCredit(
                CreditNotice(
                    provider: "razorpay", providerPaymentID: "pay_\(index)", amount: Money(paise: paise), utr: String(format: "7%011d", index),
                    reference: "DEV1" + normalizedInvoiceKey(invoice.number) + "T00001", source: "webhook"))
            guard outcome == .creditedInvoice else { throw ReportInputError("credit \(index): \(outcome)") }
            outstanding[invoice.number] = open - paise
            changes.append(Change(invoice: invoice.number, paise: paise, at: before, kind: "credit"))
        }
        // The ERP's re-import changes a few outstanding amounts (paid elsewhere; a credit note reversed).
        var again = ["invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid,region"]
        for (index, invoice) in invoices.values.sorted(by: { $0.number < $1.number }).enumerated() where index % 10 == 5 {
            let now = Date().millisecondsSince1970
            let newOutstanding = index % 20 == 5 ? invoice.total : outstanding[invoice.number]! / 2
            again.append(
                "\(invoice.number),\(invoice.date),\(invoice.due),\(invoice.customer),Customer \(invoice.customer),\(money(invoice.total)),\(money(invoice.total - newOutstanding)),")
            let delta = outstanding[invoice.number]! - newOutstanding
            if delta != 0 { changes.append(Change(invoice: invoice.number, paise: delta, at: now, kind: "import")) }
            outstanding[invoice.number] = newOutstanding
        }
        try importLines(again)
    }

    func importLines(_ lines: [String]) throws {
        let path = hub.folder + "/book-\(UUID().uuidString).csv"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try hub.store.importInvoices(from: InvoiceFileReader(path: path))
        guard result.rejected.isEmpty else { throw ReportInputError("rejected: \(result.rejected)") }
    }

    /// What each invoice owed at the end of `day` (India time), replayed forward from import.
    func owed(asOf day: LocalDate) -> [String: Int64] {
        let cutoff = HubTime.endOfDay(day)
        var owed: [String: Int64] = [:]
        for invoice in invoices.values where invoice.date <= day { owed[invoice.number] = invoice.opening }
        for change in changes where change.at < cutoff && owed[change.invoice] != nil { owed[change.invoice]! -= change.paise }
        return owed
    }

    /// Per customer, per bucket: the oracle's aging.
    func aging(asOf day: LocalDate, edges: AgingEdges) -> [String: [Int64]] {
        var result: [String: [Int64]] = [:]
        for (number, paise) in owed(asOf: day) where paise > 0 {
            let invoice = invoices[number]!
            let bucket = edges.bucket(daysPastDue: invoice.due.days(until: day))
            result[invoice.customer, default: Array(repeating: 0, count: edges.labels.count)][bucket] += paise
        }
        return result
    }
}

func paise(_ wire: String) -> Int64 { try! Money(parsing: wire).paise }

@Suite("Collections: aging, register and history reconcile")
struct CollectionsIdentityTests {
    @Test("aging as of any date equals the book replayed to that date; as of today it equals the outstanding", arguments: [UInt64(1), 2, 3])
    func agingIdentity(seed: UInt64) throws {
        let book = try GeneratedBook(seed: seed)
        let store = book.hub.store
        // The hub's outstanding is the test's account of it.
        for (number, paise) in book.outstanding {
            #expect(try store.invoiceOutstanding(number)?.paise == paise, "outstanding of \(number)")
        }
        let today = LocalDate.today()
        let dates = [LocalDate(year: 2026, month: 6, day: 30)!, LocalDate(year: 2026, month: 8, day: 15)!, LocalDate(year: 2026, month: 9, day: 30)!,
                     LocalDate(year: 2026, month: 10, day: 31)!, LocalDate(year: 2026, month: 11, day: 20)!, today]
        for edges in [AgingEdges.standard, try AgingEdges.parse("7,15,45,120").get()] {
            for day in dates {
                let expected = book.aging(asOf: day, edges: edges)
                let report = try store.aging(asOf: day, edges: edges, perPage: nil)
                #expect(report.customers == expected.count, "customers owing as of \(day)")
                var sums = Array(repeating: Int64(0), count: edges.labels.count)
                for row in report.rows {
                    #expect(row.amounts.buckets.map(paise) == expected[row.customerCode], "\(row.customerCode) as of \(day), edges \(edges.days)")
                    for (index, amount) in row.amounts.buckets.enumerated() { sums[index] += paise(amount) }
                    #expect(row.amounts.buckets.map(paise).reduce(0, +) == paise(row.amounts.outstanding))
                }
                // The totals are the sum of the customers, bucket by bucket.
                #expect(report.totals.buckets.map(paise) == sums, "totals as of \(day)")
                // Each customer's drill-down adds up to its row.
                for row in report.rows.prefix(4) {
                    let detail = try #require(try store.customerAging(row.customerCode, asOf: day, edges: edges, perPage: nil))
                    #expect(detail.totals == row.amounts)
                    #expect(detail.invoices.map { paise($0.outstanding) }.reduce(0, +) == paise(row.amounts.outstanding))
                }
            }
        }
        // As of today the aging totals are the hub's outstanding over live invoices.
        let now = try store.aging(asOf: today, perPage: nil)
        let open = try store.invoices(openOnly: true, limit: 10_000)
        #expect(paise(now.totals.outstanding) == open.map(\.outstanding.paise).reduce(0, +))
        #expect(paise(now.totals.outstanding) == book.outstanding.values.filter { $0 > 0 }.reduce(0, +))
        #expect(now.totals.invoices == open.count)
        // Paging: pages are the whole report cut in order.
        let pages = try (1...3).map { try store.aging(asOf: today, page: $0, perPage: 5).rows }
        #expect(pages.flatMap { $0 } == Array(now.rows.prefix(15)))
        #expect(try store.aging(asOf: today, page: 2, perPage: 5).page == PageInfo(page: 2, perPage: 5, rows: now.customers))
    }

    @Test("the register's total for each day equals the payments recorded that day, India time", arguments: [UInt64(4), 5])
    func registerIdentity(seed: UInt64) throws {
        let book = try GeneratedBook(seed: seed)
        let register = try book.hub.store.register(from: LocalDate(year: 2026, month: 7, day: 1)!, to: LocalDate.today(), perPage: nil)
        var expected: [String: (Int, Int64)] = [:]
        for payment in book.payments {
            let day = HubTime.day(ofMillis: payment.at).isoString
            expected[day, default: (0, 0)].0 += 1
            expected[day, default: (0, 0)].1 += payment.paise
        }
        #expect(register.days.count == expected.count)
        for day in register.days {
            #expect(day.payments == expected[day.day]?.0, "payments on \(day.day)")
            #expect(paise(day.amount) == expected[day.day]?.1, "amount on \(day.day)")
        }
        #expect(register.payments == book.payments.count)
        #expect(paise(register.amount) == book.payments.map(\.paise).reduce(0, +))
        #expect(register.rows.map { paise($0.amount) }.reduce(0, +) == paise(register.amount))
        // One day alone holds that day's payments and no other's.
        let busiest = expected.max { $0.value.1 < $1.value.1 }!
        let one = try book.hub.store.register(from: LocalDate(parsing: busiest.key)!, to: LocalDate(parsing: busiest.key)!, perPage: nil)
        #expect(one.payments == busiest.value.0 && paise(one.amount) == busiest.value.1)
        // By method, the rows add up to what was recorded by that method. The book's UPI payments carry a UTR their
        // rep typed and no credit proves it: every one is counted as `upi-claimed`, none as confirmed `upi`.
        #expect(!register.rows.contains { $0.method == "upi" })
        for method in ["cash", "cheque", "upi"] {
            let label = method == "upi" ? "upi-claimed" : method
            let reported: Int64 = register.rows.filter { $0.method == label }.map { paise($0.amount) }.reduce(0, +)
            let recorded: Int64 = book.payments.filter { $0.method == method }.map(\.paise).reduce(0, +)
            #expect(reported == recorded, "\(method)")
        }
    }

    @Test("a customer's history: invoiced = paid + outstanding, every payment listed, days to pay from the ledger")
    func history() throws {
        let book = try GeneratedBook(seed: 6)
        for customer in book.customers {
            let history = try #require(try book.hub.store.customerHistory(customer, limit: 5000))
            #expect(paise(history.invoiced) == paise(history.paid) + paise(history.outstanding))
            let own = book.invoices.values.filter { $0.customer == customer }
            #expect(history.invoices.count == own.count)
            #expect(paise(history.outstanding) == own.map { book.outstanding[$0.number]! }.reduce(0, +))
            let recorded = book.payments.filter { $0.customer == customer }
            #expect(history.payments.filter { $0.receiptNumber != nil }.count == recorded.count)
            #expect(history.payments.map(\.atMillis) == history.payments.map(\.atMillis).sorted(by: >), "newest first")
            // A fully paid invoice says when; an open one does not.
            for invoice in history.invoices { #expect((invoice.paidOn == nil) == (paise(invoice.outstanding) > 0)) }
            let paidThrough = book.changes.contains { $0.kind != "import" && $0.paise > 0 && book.invoices[$0.invoice]!.customer == customer }
            #expect((history.averageDaysToPay == nil) == !paidThrough, "\(customer)")
        }
        #expect(try book.hub.store.customerHistory("NOPE") == nil)
    }

    @Test("average days to pay is weighted by amount: 1,000 paid in 10 days and 3,000 in 30 days average 25", arguments: StoreBackend.allCases)
    func daysToPay(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        let token = try hub.enrolledToken()
        let device = String(token.split(separator: ".")[0])
        // INV/1 dated 2026-10-01 (1000.00); INV/2 dated 2026-10-02 (500.00): see TestHub.
        func pay(_ receipt: String, _ invoice: String, _ amount: String, on day: LocalDate) throws {
            var body = upload(receipt, amount: amount, invoice: invoice)
            body.recordedAtMillis = HubTime.endOfDay(day) - 3_600_000
            _ = try hub.store.uploadSigned(deviceID: device, body: Data(), payment: body)
        }
        try pay("A", "INV/1", "100.00", on: LocalDate(year: 2026, month: 10, day: 11)!)
        try pay("B", "INV/2", "300.00", on: LocalDate(year: 2026, month: 11, day: 1)!)
        let history = try #require(try hub.store.customerHistory("C1"))
        #expect(history.averageDaysToPay == 25.0)
        // INV/1 due 2026-10-31 paid 20 days early; INV/2 due 2026-11-01 paid on the day: (−20·100 + 0·300)/400.
        #expect(history.averageDaysLate == -5.0)
        #expect(history.payments.map(\.receiptNumber) == ["B", "A"])
        #expect(history.payments[0].allocations == [HistoryAllocation(invoice: "INV/2", amount: "300.00")])
    }

    @Test("edges: parsed and checked, labelled, and bucketed on their boundaries")
    func edges() throws {
        let standard = AgingEdges.standard
        #expect(standard.labels == ["current", "1-30", "31-60", "61-90", "90+"])
        #expect([-5, 0, 1, 30, 31, 60, 61, 90, 91, 400].map(standard.bucket) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
        #expect(try AgingEdges.parse("15, 45").get().labels == ["current", "1-15", "16-45", "45+"])
        for bad in ["", "30,,60", "60,30", "30,30", "0,30", "abc", "1,2,3,4,5,6,7,8,9", "4000"] {
            #expect(throws: ReportInputError.self, "\(bad)") { try AgingEdges.parse(bad).get() }
        }
    }

    @Test("DSO: receivables at the end of the period over its credit sales, times its days", arguments: StoreBackend.allCases)
    func dso(backend: StoreBackend) throws {
        let hub = try TestHub(backend: backend)
        // Sales 2026-10-01..10-31: 1000 + 500 + 250 = 1750.00, nothing paid: DSO = 1750/1750 × 31.
        let report = try hub.store.dso(from: LocalDate(year: 2026, month: 10, day: 1)!, to: LocalDate(year: 2026, month: 10, day: 31)!)
        #expect(report.days == 31 && report.dso == 31.0 && report.creditSales == "1750.00" && report.receivables == "1750.00")
        let none = try hub.store.dso(from: LocalDate(year: 2026, month: 1, day: 1)!, to: LocalDate(year: 2026, month: 1, day: 31)!)
        #expect(none.dso == nil && none.creditSales == "0.00")
    }

    @Test("India days: a payment at 23:59 IST is that day's, at 00:00 IST the next day's")
    func indianDays() {
        let day = LocalDate(year: 2026, month: 11, day: 30)!
        #expect(HubTime.day(ofMillis: HubTime.endOfDay(day) - 1) == day)
        #expect(HubTime.day(ofMillis: HubTime.endOfDay(day)) == day.adding(days: 1))
        // 2026-11-30 18:29:59.999 UTC is 23:59:59.999 IST.
        #expect(HubTime.endOfDay(day) - 1 == 1_796_063_399_999)
        #expect(HubTime.day(ofMillis: -1) == LocalDate(year: 1970, month: 1, day: 1)!)
    }

    @Test("migration: a hub from before the ledger gets its allocations back from payments and credits")
    func backfill() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-backfill-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/hub.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteHubStore.migrator.migrate(queue, upTo: "v4-device-key")
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO invoice (number, numberKey, customerCode, customerName, invoiceDate, dueDate, totalPaise, outstandingPaise, version)
                        VALUES ('INV/1', 'INV1', 'C1', 'Sharma', 20727, 20757, 100000, 40000, 1), ('INV/2', 'INV2', 'C1', 'Sharma', 20727, 20757, 50000, 25000, 2);
                        INSERT INTO device (id, name, rep, secretHash, enrolledAt) VALUES ('dev_1', 'h', 'Ravi', 'x', 0);
                        INSERT INTO payment (id, deviceId, bodyHash, receiptNumber, method, amountPaise, status, flagged, body, receivedAt)
                        VALUES ('p1', 'dev_1', 'h', 'R1', 'cash', 60000, 'received', 0,
                            '{"recorded_at_ms":1790000000000,"customer_code":"C1","allocations":[{"invoice":"INV/1","amount":"600.00"},{"invoice":"INV/9","amount":"1.00"}]}', 1790000100000),
                            ('p2', 'dev_1', 'h', 'R2', 'upi', 25000, 'confirmed', 0,
                            '{"recorded_at_ms":1790000200000,"customer_code":"C1","allocations":[{"invoice":"INV/2","amount":"250.00"}]}', 1790000300000);
                        INSERT INTO credit (provider, providerPaymentId, amountPaise, invoiceNumber, paymentId, state, receivedAt)
                        VALUES ('razorpay', 'pay_1', 25000, 'INV/2', 'p2', 'matched', 1790000150000);
                        """)
            }
        }
        let store = try SQLiteHubStore(path: path)
        let rows = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT invoiceNumber, paise, at, kind, paymentId FROM allocation ORDER BY invoiceNumber, kind")
        }
        // p1's part for INV/1 on the day it was recorded (its unknown INV/9 lowered nothing); INV/2 by the
        // credit that reached it first, now p2's, and not by p2's own allocation a second time.
        #expect(rows.count == 2)
        #expect(rows.map { $0[0] as String } == ["INV/1", "INV/2"])
        #expect(rows.map { $0[1] as Int64 } == [60_000, 25_000])
        #expect(rows.map { $0[2] as Int64 } == [1_790_000_000_000, 1_790_000_150_000])
        #expect(rows.map { $0[3] as String } == ["payment", "credit"])
        #expect(rows.map { $0[4] as String } == ["p1", "p2"])
        let customer = try #require(try store.customerHistory("C1"))
        #expect(customer.customerName == "Sharma")
        #expect(customer.payments.map(\.receiptNumber) == ["R2", "R1"])
    }
}

@Suite("Collections: the report endpoints")
struct ReportRouteTests {
    func manager(_ hub: TestHub) throws -> String { try hub.store.addManager(name: "Asha").token }

    @Test("reports need a manager's token: none 401, a device's 403, a revoked one 403; a manager's token is no device's", arguments: StoreBackend.allCases)
    func authentication(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let device = try hub.enrolledToken()
        let token = try manager(hub)
        let other = try hub.store.addManager(name: "Old")
        _ = try hub.store.revokeManager(id: other.id)
        try await hub.app.test(.router) { client in
            for uri in ["/v1/reports/aging", "/v1/reports/aging/customers/C1", "/v1/reports/dso", "/v1/reports/register", "/v1/customers/C1/history"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .unauthorized, "\(uri)") }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(device)"]) {
                    #expect($0.status == .forbidden, "\(uri)")
                    #expect($0.headers[.contentType] == "application/problem+json")
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(other.token)"]) { #expect($0.status == .forbidden) }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)x"]) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .ok, "\(uri)") }
            }
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test(
        "bad parameters are refused in problem JSON that says what was expected",
        arguments: [
            ("/v1/reports/aging?as_of=2026-13-01", "as_of must be a date like 2026-11-30"),
            ("/v1/reports/aging?as_of=30/11/2026", "as_of must be a date"),
            ("/v1/reports/aging?edges=60,30", "edges must increase"),
            ("/v1/reports/aging?page=0", "page must be a whole number from 1"),
            ("/v1/reports/aging?per_page=5000", "per_page must be a whole number from 1 to 1000"),
            ("/v1/reports/aging?format=xml", "format must be json or csv"),
            ("/v1/reports/register?from=2026-11-30&to=2026-11-01", "is after to"),
            ("/v1/reports/dso?from=2000-01-01&to=2026-11-01", "at most 10 years"),
            ("/v1/customers/C1/history?limit=-1", "limit must be a whole number"),
        ])
    func badInput(uri: String, message: String) async throws {
        let hub = try TestHub()
        let token = try manager(hub)
        try await hub.app.test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = try JSONDecoder().decode(Problem.self, from: Data(buffer: response.body))
                #expect(problem.detail.contains(message), "\(problem.detail)")
            }
        }
    }

    @Test("an unknown customer is 404", arguments: StoreBackend.allCases)
    func unknownCustomer(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try manager(hub)
        try await hub.app.test(.router) { client in
            for uri in ["/v1/reports/aging/customers/NOPE", "/v1/customers/NOPE/history"] {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("no customer NOPE"))
                }
            }
        }
    }

    @Test("JSON: the aging report as the store computes it, paged", arguments: StoreBackend.allCases)
    func agingJSON(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try manager(hub)
        try await hub.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/reports/aging?as_of=2026-11-15&per_page=1&page=2", method: .get, headers: [.authorization: "Bearer \(token)"]
            ) { response in
                #expect(response.status == .ok)
                let report = try ReportCoding.decoder.decode(AgingReport.self, from: Data(buffer: response.body))
                // As of 2026-11-15: C1 owes 1000 (15 days late) + 500 (14 days); C2 owes 250 (13 days).
                #expect(report.customers == 2 && report.totals.outstanding == "1750.00")
                #expect(report.totals.buckets == ["0.00", "1750.00", "0.00", "0.00", "0.00"])
                #expect(report.rows.map(\.customerCode) == ["C2"])
                #expect(report.rows[0].oldestDaysPastDue == 13)
                #expect(report.page == PageInfo(page: 2, perPage: 1, rows: 2))
                #expect(String(buffer: response.body).contains("\"oldest_days_past_due\":13"))
            }
        }
    }

    @Test("CSV: a download with a header, every row, a total, quoting, and no formulas from customer names", arguments: StoreBackend.allCases)
    func csv(backend: StoreBackend) async throws {
        let hub = try TestHub(backend: backend)
        let token = try manager(hub)
        let path = hub.folder + "/tricky.csv"
        try #"""
            invoice_number,invoice_date,due_date,customer_code,customer_name,total
            INV/9,2026-10-01,2026-10-31,C9,"=HYPERLINK(""http://x"")",100.00
            INV/10,2026-10-01,2026-10-31,C10,"Rao, Sons & ""Co""",200.00
            """#.write(toFile: path, atomically: true, encoding: .utf8)
        _ = try hub.store.importInvoices(from: InvoiceFileReader(path: path))
        try await hub.app.test(.router) { client in
            try await client.execute(uri: "/v1/reports/aging?as_of=2026-11-30&format=csv&per_page=1", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"aging-2026-11-30.csv\"")
                let lines = String(buffer: response.body).components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(lines.first == "customer_code,customer_name,region,current,1-30,31-60,61-90,90+,outstanding,invoices,oldest_days_past_due")
                #expect(lines.count == 1 + 4 + 1, "every customer in a CSV, whatever per_page says")
                #expect(lines.contains("C10,\"Rao, Sons & \"\"Co\"\"\",,0.00,200.00,0.00,0.00,0.00,200.00,1,30"))
                #expect(lines.contains("C9,\"'=HYPERLINK(\"\"http://x\"\")\",,0.00,100.00,0.00,0.00,0.00,100.00,1,30"))
                #expect(lines.last == "TOTAL,,,0.00,2050.00,0.00,0.00,0.00,2050.00,5,")
            }
            try await client.execute(uri: "/v1/reports/register", method: .get, headers: [.authorization: "Bearer \(token)", .accept: "text/csv"]) {
                #expect($0.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(String(buffer: $0.body).hasPrefix("day,rep,method,payments,amount\r\n"))
            }
        }
    }
}
