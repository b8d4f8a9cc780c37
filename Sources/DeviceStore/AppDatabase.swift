import FieldPayCore
import Foundation
import DurableSQLite
import GRDB
import InvoiceImport

/// The device database: one SQLite file in WAL mode with `synchronous = FULL`, owned by one `DatabasePool`
/// per process. Every write is a method here; nothing else writes SQL.
public final class AppDatabase: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        do {
            pool = try DurableSQLite.open(path: path, foreignKeys: true)
            try pool.read { db in
                if try AppDatabase.migrator.hasBeenSuperseded(db) {
                    throw StoreError(.newerSchema, "migrations \(try AppDatabase.migrator.appliedIdentifiers(db).subtracting(AppDatabase.migrator.migrations).sorted().joined(separator: ", "))")
                }
            }
            try AppDatabase.migrator.migrate(pool)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-invoice-cache") { db in
            try db.execute(
                sql: """
                    CREATE TABLE customer (
                        code TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        gstin TEXT,
                        phone TEXT,
                        region TEXT
                    );
                    CREATE TABLE invoice (
                        id INTEGER PRIMARY KEY,
                        number TEXT NOT NULL UNIQUE,
                        -- upper-cased letters and digits of the number: what a scanned code is looked up by
                        numberKey TEXT NOT NULL,
                        customerCode TEXT NOT NULL REFERENCES customer(code) ON UPDATE CASCADE,
                        -- dates as days since 1970-01-01
                        invoiceDate INTEGER NOT NULL,
                        dueDate INTEGER NOT NULL,
                        totalPaise INTEGER NOT NULL CHECK (totalPaise >= 0),
                        outstandingPaise INTEGER NOT NULL CHECK (outstandingPaise >= 0 AND outstandingPaise <= totalPaise),
                        sellerGstin TEXT,
                        buyerGstin TEXT,
                        irn TEXT,
                        payeeVpa TEXT,
                        updatedAt INTEGER NOT NULL,
                        -- which import last wrote the row, and from which line of its file
                        importBatch INTEGER,
                        importLine INTEGER
                    );
                    CREATE INDEX invoice_numberKey ON invoice(numberKey);
                    CREATE INDEX invoice_irn ON invoice(irn) WHERE irn IS NOT NULL;
                    CREATE INDEX invoice_customer ON invoice(customerCode, dueDate);
                    -- the hub's change-feed cursor and other single values of the sync
                    CREATE TABLE syncState (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    """)
        }
        registerLedger(&migrator)
        migrator.registerMigration("v3-signed-text") { db in
            // The exact text each receipt's signature covers. A UTR entered after the payment was recorded
            // changes the row, not what was signed; uploads send what was signed (the UTR follows on its own).
            try db.execute(sql: "ALTER TABLE payment ADD COLUMN signedText TEXT")
        }
        migrator.registerMigration("v4-sync-pass") { db in
            // Which pass of the hub's feed last wrote each invoice: a feed reset (the rep's scope changed)
            // starts a new pass, and its end drops what the new pass did not send.
            try db.execute(sql: "ALTER TABLE invoice ADD COLUMN syncPass INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v5-followups") { db in
            // Follow-ups the rep records here (a visit, a call, a promise to pay), queued for the hub like
            // payments: the row is its own outbox entry, sent once by its UUID.
            try db.execute(
                sql: """
                    CREATE TABLE followup (
                        id TEXT PRIMARY KEY NOT NULL,
                        invoiceNumber TEXT,
                        customerCode TEXT NOT NULL,
                        action TEXT NOT NULL CHECK (action IN ('call', 'visit')),
                        dueDate INTEGER NOT NULL,
                        note TEXT,
                        promisedDate INTEGER,
                        promisedPaise INTEGER CHECK (promisedPaise IS NULL OR promisedPaise > 0),
                        createdAt INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'retrying', 'rejected', 'sent')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        lastError TEXT
                    );
                    CREATE INDEX followup_state ON followup(state, createdAt);
                    """)
        }
        return migrator
    }

    /// Wraps GRDB errors into `StoreError`.
    func guarded<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw StoreError.from(error, path: path) }
    }
}

// MARK: - Invoice cache

/// What an import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var updated = 0
    public var rejected: [Rejection] = []
    public var customers = 0

    public init() {}
}

/// An invoice with its customer's name, as the screens show it.
public struct CachedInvoice: Sendable, Hashable {
    public let invoice: Invoice
    public let customer: Customer
}

/// What a lookup found.
public enum InvoiceMatch: Sendable {
    case found(CachedInvoice)
    case notFound
    /// Several invoices share the number's letters and digits and none has exactly the scanned text.
    case ambiguous([CachedInvoice])
}

extension AppDatabase {
    /// Imports every good row of `reader` in one transaction: all of them or, on a crash or a storage error,
    /// none. Rows that fail validation are listed with their line and reason and do not stop the others. An
    /// invoice number seen twice in one file keeps its first row; the repeat is rejected.
    public func importInvoices(
        from reader: InvoiceFileReader, payees: PayeePolicy? = nil, progress: (_ rows: Int, _ bytes: Int) -> Void = { _, _ in }
    ) throws(StoreError) -> ImportSummary {
        let now = Int64(Date().timeIntervalSince1970)
        let summary = try guarded {
            try pool.write { db in
                var summary = ImportSummary()
                // A big import touches more index pages than SQLite's default 2 MB cache holds; 64 MiB for the
                // import only, so that fewer are spilled to the WAL and written again.
                let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
                try db.execute(sql: "PRAGMA cache_size = -65536")
                defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
                let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice") ?? 0
                let customersBefore = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customer") ?? 0
                let upsertCustomer = try db.makeStatement(
                    sql: """
                        INSERT INTO customer (code, name, gstin, phone, region) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                            gstin = coalesce(excluded.gstin, gstin), phone = coalesce(excluded.phone, phone),
                            region = coalesce(excluded.region, region)
                        """)
                let upsertInvoice = try db.makeStatement(
                    sql: """
                        INSERT INTO invoice (number, numberKey, customerCode, invoiceDate, dueDate, totalPaise,
                            outstandingPaise, sellerGstin, buyerGstin, irn, payeeVpa, updatedAt, importBatch, importLine)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (number) DO UPDATE SET customerCode = excluded.customerCode,
                            invoiceDate = excluded.invoiceDate, dueDate = excluded.dueDate,
                            totalPaise = excluded.totalPaise, outstandingPaise = excluded.outstandingPaise,
                            sellerGstin = excluded.sellerGstin, buyerGstin = excluded.buyerGstin, irn = excluded.irn,
                            payeeVpa = excluded.payeeVpa, updatedAt = excluded.updatedAt,
                            importBatch = excluded.importBatch, importLine = excluded.importLine
                        -- a row this import already wrote is a repeat within the file: left alone, reported
                        WHERE invoice.importBatch IS NOT excluded.importBatch
                        """)
                let batch = (try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM syncState WHERE key = 'importBatch'") ?? 0) + 1
                try db.execute(
                    sql: "INSERT INTO syncState (key, value) VALUES ('importBatch', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    arguments: [String(batch)])
                var customersSeen = Set<String>()
                var rows = 0
                var accepted = 0
                while let result = try reader.next() {
                    rows += 1
                    if rows % 4096 == 0 { progress(rows, reader.bytesConsumed) }
                    let record: ImportRecord
                    switch result {
                    case .failure(let rejection):
                        summary.rejected.append(rejection)
                        continue
                    case .success(let value):
                        record = value
                    }
                    let invoice = record.invoice
                    let customer = record.customer
                    if let refusal = payees?.refusal(invoice) {
                        summary.rejected.append(Rejection(line: record.line, invoiceNumber: invoice.number, reason: refusal))
                        continue
                    }
                    if customersSeen.insert(customer.code).inserted {
                        upsertCustomer.setUncheckedArguments([
                            customer.code, customer.name, customer.gstin?.value, customer.phone, customer.region,
                        ])
                        try upsertCustomer.execute()
                    }
                    upsertInvoice.setUncheckedArguments([
                        invoice.number, normalizedInvoiceKey(invoice.number), invoice.customerCode,
                        invoice.invoiceDate.dayNumber, invoice.dueDate.dayNumber, invoice.total.paise,
                        invoice.outstanding.paise, invoice.sellerGstin?.value, invoice.buyerGstin?.value, invoice.irn,
                        invoice.payeeVPA, now, batch, record.line,
                    ])
                    try upsertInvoice.execute()
                    guard db.changesCount == 1 else {
                        let first = try Int.fetchOne(db, sql: "SELECT importLine FROM invoice WHERE number = ?", arguments: [invoice.number])
                        summary.rejected.append(
                            Rejection(line: record.line, invoiceNumber: invoice.number, reason: "invoice \(invoice.number) is already on line \(first ?? 0) of this file"))
                        continue
                    }
                    accepted += 1
                }
                progress(rows, reader.bytesConsumed)
                let after = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice") ?? 0
                summary.added = after - before
                summary.updated = accepted - summary.added
                summary.customers = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customer") ?? 0) - customersBefore
                return summary
            }
        }
        // A big import leaves a WAL as large as what it wrote; fold it into the database and give the space back.
        try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        return summary
    }

    static let invoiceColumns = """
        invoice.number, invoice.customerCode, invoice.invoiceDate, invoice.dueDate, invoice.totalPaise,
        invoice.outstandingPaise, invoice.sellerGstin, invoice.buyerGstin, invoice.irn, invoice.payeeVpa,
        customer.name, customer.gstin, customer.phone, customer.region
        """

    static func cachedInvoice(_ row: Row) -> CachedInvoice {
        let invoice = Invoice(
            number: row[0], customerCode: row[1], invoiceDate: LocalDate(dayNumber: row[2]),
            dueDate: LocalDate(dayNumber: row[3]), total: Money(paise: row[4]), outstanding: Money(paise: row[5]),
            sellerGstin: (row[6] as String?).flatMap { try? GSTIN($0) }, buyerGstin: (row[7] as String?).flatMap { try? GSTIN($0) },
            irn: row[8], payeeVPA: row[9])
        let customer = Customer(
            code: row[1], name: row[10], gstin: (row[11] as String?).flatMap { try? GSTIN($0) }, phone: row[12], region: row[13])
        return CachedInvoice(invoice: invoice, customer: customer)
    }

    /// Finds the invoice a scanned code refers to: by IRN when the code has one, else by the number's letters
    /// and digits, preferring the exact text when several share them.
    public func invoice(matching ref: InvoiceRef) throws(StoreError) -> InvoiceMatch {
        try guarded {
            try pool.read { db in
                if let irn = ref.irn {
                    let byIRN = try Row.fetchAll(
                        db.cachedStatement(sql: "SELECT \(AppDatabase.invoiceColumns) FROM invoice JOIN customer ON customer.code = invoice.customerCode WHERE irn = ?"),
                        arguments: [irn])
                    if byIRN.count == 1 { return .found(AppDatabase.cachedInvoice(byIRN[0])) }
                }
                let candidates = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT \(AppDatabase.invoiceColumns) FROM invoice JOIN customer ON customer.code = invoice.customerCode WHERE numberKey = ? LIMIT 20"),
                    arguments: [ref.key]
                ).map(AppDatabase.cachedInvoice)
                switch candidates.count {
                case 0: return .notFound
                case 1: return .found(candidates[0])
                default:
                    if let exact = candidates.first(where: { $0.invoice.number == ref.invoiceNumber }) { return .found(exact) }
                    return .ambiguous(candidates)
                }
            }
        }
    }

    /// Invoices for a rep's picture before a visit: optionally one customer's (by code, or by a part of the
    /// name), optionally only those overdue on `overdueOn` with something outstanding; oldest due first.
    public func invoices(customer: String? = nil, overdueOn: LocalDate? = nil, openOnly: Bool = false, limit: Int = 500)
        throws(StoreError) -> [CachedInvoice]
    {
        try guarded {
            try pool.read { db in
                var conditions: [String] = []
                var arguments: StatementArguments = []
                if let customer {
                    conditions.append("(invoice.customerCode = ? OR customer.name LIKE ? ESCAPE '\\')")
                    let escaped = customer.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                        .replacingOccurrences(of: "_", with: "\\_")
                    _ = arguments.append(contentsOf: [customer, "%\(escaped)%"])
                }
                if let overdueOn {
                    conditions.append("invoice.dueDate < ? AND invoice.outstandingPaise > 0")
                    _ = arguments.append(contentsOf: [overdueOn.dayNumber])
                } else if openOnly {
                    conditions.append("invoice.outstandingPaise > 0")
                }
                let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                _ = arguments.append(contentsOf: [limit])
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(AppDatabase.invoiceColumns) FROM invoice JOIN customer ON customer.code = invoice.customerCode
                        \(whereClause) ORDER BY invoice.dueDate, invoice.number LIMIT ?
                        """,
                    arguments: arguments
                ).map(AppDatabase.cachedInvoice)
            }
        }
    }

    /// How many invoices and customers the cache holds, and the total outstanding.
    public func cacheCounts() throws(StoreError) -> (invoices: Int, customers: Int, outstanding: Money) {
        try guarded {
            try pool.read { db in
                let invoices = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice") ?? 0
                let customers = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customer") ?? 0
                let outstanding = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(outstandingPaise), 0) FROM invoice") ?? 0
                return (invoices, customers, Money(paise: outstanding))
            }
        }
    }

    // MARK: Sync state

    /// The hub change-feed cursor, nil before the first sync.
    public func syncCursor() throws(StoreError) -> String? {
        try guarded { try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'cursor'") } }
    }

    /// Saves the cursor. The sync saves it in the transaction that applies a page (a later issue); this is for
    /// resets and tests.
    public func setSyncCursor(_ cursor: String?) throws(StoreError) {
        try guarded {
            try pool.write { db in
                if let cursor {
                    try db.execute(sql: "INSERT INTO syncState (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", arguments: [cursor])
                } else {
                    try db.execute(sql: "DELETE FROM syncState WHERE key = 'cursor'")
                }
            }
        }
    }

    /// Forgets where this device was in a hub's change feed and event stream: for a device that moves to
    /// another hub (whose cursors mean nothing here), so that the next sync starts from the beginning.
    public func resetSyncState() throws(StoreError) {
        try guarded {
            try pool.write { db in try db.execute(sql: "DELETE FROM syncState WHERE key IN ('cursor', 'events')") }
        }
    }

    /// The database's journal mode and synchronous setting, as SQLite reports them (for `doctor` and tests).
    public func durabilitySettings() throws(StoreError) -> (journalMode: String, synchronous: Int, foreignKeys: Bool) {
        try guarded {
            try pool.read { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                    try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                    try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
                )
            }
        }
    }
}

/// What `fieldpay doctor` reports about the database.
public struct DatabaseHealth: Sendable {
    /// "ok", or what SQLite's quick check found.
    public var check: String
    public var journalMode: String
    public var invoices: Int
    public var payments: Int
    /// Outbox entries not yet accepted by the hub, and the oldest one's age in seconds.
    public var unsent: Int
    public var oldestUnsentSeconds: Int?
    public var bytes: Int64
}

extension AppDatabase {
    /// SQLite's quick check (structure and indexes, without the full cross-check), the journal mode, counts,
    /// the upload backlog and the size on disk (database and WAL).
    public func health(now: Date = Date()) throws(StoreError) -> DatabaseHealth {
        try guarded {
            try pool.read { db in
                let problems = try String.fetchAll(db, sql: "PRAGMA quick_check")
                let oldest = try Int64.fetchOne(
                    db, sql: "SELECT MIN(payment.recordedAt) FROM outbox JOIN payment ON payment.id = outbox.paymentId WHERE outbox.state != 'sent'")
                let size = ["", "-wal"].reduce(Int64(0)) { total, suffix in
                    total + (((try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber)?.int64Value ?? 0)
                }
                return DatabaseHealth(
                    check: problems == ["ok"] ? "ok" : problems.prefix(3).joined(separator: "; "),
                    journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?",
                    invoices: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoice") ?? 0,
                    payments: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment") ?? 0,
                    unsent: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state != 'sent'") ?? 0,
                    oldestUnsentSeconds: oldest.map { max(0, Int(now.timeIntervalSince1970) - Int($0 / 1000)) },
                    bytes: size)
            }
        }
    }
}
