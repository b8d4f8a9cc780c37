import DeviceStore
import FieldPayCore
import Foundation
import GRDB
import InvoiceImport
import Testing

/// A real SQLite file in a fresh folder, removed afterwards.
final class TemporaryDatabase {
    let folder: String
    var path: String { folder + "/device.sqlite" }

    init() {
        folder = NSTemporaryDirectory() + "fieldpay-store-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func open() throws -> AppDatabase { try AppDatabase(path: path) }

    func csv(_ name: String, _ rows: [String]) -> String {
        let path = folder + "/" + name
        let text = "invoice_number,invoice_date,due_date,customer_code,customer_name,total,outstanding,irn\n" + rows.joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func importCSV(_ database: AppDatabase, _ rows: [String]) throws -> ImportSummary {
        try database.importInvoices(from: InvoiceFileReader(path: csv("import-\(UUID().uuidString).csv", rows)))
    }
}

let irn = String(repeating: "0123456789abcdef", count: 4)

@Suite("Device database")
struct AppDatabaseTests {
    @Test("opens in WAL mode with synchronous FULL and foreign keys on")
    func durability() throws {
        let temporary = TemporaryDatabase()
        let settings = try temporary.open().durabilitySettings()
        #expect(settings.journalMode == "wal")
        #expect(settings.synchronous == 2)
        #expect(settings.foreignKeys)
    }

    @Test("an import adds, a second import updates, and counts say which")
    func addThenUpdate() throws {
        let temporary = TemporaryDatabase()
        let database = try temporary.open()
        let first = try temporary.importCSV(database, [
            "INV/26/1,2026-10-01,2026-10-31,C1,Sharma Stores,1000,,", "INV/26/2,2026-10-05,2026-11-04,C1,Sharma Stores,250.50,100,",
        ])
        #expect(first.added == 2 && first.updated == 0 && first.customers == 1 && first.rejected.isEmpty)
        let second = try temporary.importCSV(database, [
            "INV/26/2,2026-10-05,2026-11-04,C1,Sharma Stores,250.50,0,", "INV/26/3,2026-10-06,2026-11-05,C2,Gupta,10,,",
        ])
        #expect(second.added == 1 && second.updated == 1 && second.customers == 1)
        let counts = try database.cacheCounts()
        #expect(counts.invoices == 3 && counts.customers == 2)
        #expect(counts.outstanding == Money(paise: 101_000))
    }

    @Test("bad rows and repeated numbers are listed; the good rows land")
    func rejections() throws {
        let temporary = TemporaryDatabase()
        let database = try temporary.open()
        let summary = try temporary.importCSV(database, [
            "A-1,2026-10-01,2026-10-31,C1,N,10,,", "A-2,2026-13-01,2026-10-31,C1,N,10,,", "A-1,2026-10-01,2026-10-31,C1,N,99,,",
            "A-3,2026-10-01,2026-10-31,C1,N,10,,",
        ])
        #expect(summary.added == 2)
        #expect(summary.rejected.map(\.line) == [3, 4])
        #expect(summary.rejected[1].reason == "invoice A-1 is already on line 2 of this file")
        guard case .found(let found) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "A-1")) else {
            Issue.record("A-1 not found")
            return
        }
        #expect(found.invoice.total == Money(rupees: 10))
    }

    @Test("an import that fails part-way leaves nothing behind")
    func atomic() throws {
        let temporary = TemporaryDatabase()
        let database = try temporary.open()
        _ = try temporary.importCSV(database, ["OLD-1,2026-10-01,2026-10-31,C1,N,10,,"])
        // A storage failure on the 3rd row, injected from outside the app (as a full disk would fail a write).
        let saboteur = try DatabaseQueue(path: temporary.path)
        try saboteur.write { db in
            try db.execute(sql: "CREATE TRIGGER fail BEFORE INSERT ON invoice WHEN NEW.number = 'NEW-3' BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        }
        let error = #expect(throws: StoreError.self) {
            try temporary.importCSV(database, [
                "OLD-1,2026-10-01,2026-10-31,C1,N,5,,", "NEW-2,2026-10-01,2026-10-31,C9,New customer,10,,", "NEW-3,2026-10-01,2026-10-31,C1,N,10,,",
            ])
        }
        #expect(error?.message.contains("injected failure") == true)
        let counts = try database.cacheCounts()
        #expect(counts.invoices == 1 && counts.customers == 1)
        #expect(counts.outstanding == Money(rupees: 10))
    }

    @Test("lookup by the number's letters and digits, by IRN, and when it is not there")
    func lookup() throws {
        let temporary = TemporaryDatabase()
        let database = try temporary.open()
        _ = try temporary.importCSV(database, [
            "INV/2026/0042,2026-10-01,2026-10-31,C1,Sharma Stores,1180,,\(irn)", "X-1,2026-10-01,2026-10-31,C1,Sharma Stores,1,,",
            "X1,2026-10-01,2026-10-31,C1,Sharma Stores,2,,",
        ])
        guard case .found(let found) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "inv-2026-0042")) else {
            Issue.record("normalized lookup failed")
            return
        }
        #expect(found.invoice.number == "INV/2026/0042")
        #expect(found.customer.name == "Sharma Stores")
        #expect(found.invoice.irn == irn)
        guard case .found(let byIRN) = try database.invoice(matching: InvoiceRef(source: .gstEInvoice, invoiceNumber: "OTHER", irn: irn)) else {
            Issue.record("IRN lookup failed")
            return
        }
        #expect(byIRN.invoice.number == "INV/2026/0042")
        guard case .notFound = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "INV-9")) else {
            Issue.record("INV-9 should not be found")
            return
        }
        // X-1 and X1 share the key X1: the exact text decides; a third spelling is ambiguous.
        guard case .found(let exact) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "X1")) else {
            Issue.record("exact match failed")
            return
        }
        #expect(exact.invoice.total == Money(rupees: 2))
        guard case .ambiguous(let both) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "x/1")) else {
            Issue.record("x/1 should be ambiguous")
            return
        }
        #expect(both.count == 2)
    }

    @Test("lists a customer's invoices and the overdue ones, oldest due first")
    func listing() throws {
        let temporary = TemporaryDatabase()
        let database = try temporary.open()
        _ = try temporary.importCSV(database, [
            "L-1,2026-09-01,2026-09-30,C1,Sharma Stores,10,,", "L-2,2026-08-01,2026-08-31,C1,Sharma Stores,10,0,",
            "L-3,2026-07-01,2026-07-31,C1,Sharma Stores,10,,", "L-4,2026-11-01,2026-12-31,C1,Sharma Stores,10,,",
            "L-5,2026-07-01,2026-07-15,C2,Gupta_Medicals,10,,",
        ])
        let today = LocalDate(year: 2026, month: 11, day: 30)!
        #expect(try database.invoices(customer: "C1").map(\.invoice.number) == ["L-3", "L-2", "L-1", "L-4"])
        #expect(try database.invoices(customer: "sharma", overdueOn: today).map(\.invoice.number) == ["L-3", "L-1"])
        #expect(try database.invoices(overdueOn: today).map(\.invoice.number) == ["L-5", "L-3", "L-1"])
        // LIKE wildcards in the search text are taken literally.
        #expect(try database.invoices(customer: "a%m").isEmpty)
        #expect(try database.invoices(customer: "ta_me").map(\.invoice.number) == ["L-5"])
        #expect(try database.invoices(openOnly: true, limit: 2).count == 2)
    }

    @Test("the sync cursor survives reopening")
    func cursor() throws {
        let temporary = TemporaryDatabase()
        try temporary.open().setSyncCursor("c-42")
        #expect(try temporary.open().syncCursor() == "c-42")
        try temporary.open().setSyncCursor(nil)
        #expect(try temporary.open().syncCursor() == nil)
    }

    @Test("a file that is not a database, and a database from a newer FieldPay, are refused clearly")
    func refusals() throws {
        let temporary = TemporaryDatabase()
        _ = FileManager.default.createFile(atPath: temporary.path, contents: Data(repeating: 0x41, count: 8192))
        let error = #expect(throws: StoreError.self) { try temporary.open() }
        #expect(error?.code == .notADatabase)

        let newer = TemporaryDatabase()
        _ = try newer.open()
        try DatabaseQueue(path: newer.path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        let refused = #expect(throws: StoreError.self) { try newer.open() }
        #expect(refused?.code == .newerSchema)
        #expect(refused?.message.contains("v99-from-the-future") == true)
    }
}
