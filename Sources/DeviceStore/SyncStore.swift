import FieldPayCore
import Foundation
import GRDB

/// One change from the hub's feed, in the device's terms.
public enum CacheChange: Sendable {
    case upsert(Invoice, Customer)
    case delete(number: String)
}

extension AppDatabase {
    /// Applies one page of the hub's change feed and saves its cursor in the same transaction: a crash leaves
    /// either the page and its cursor, or neither. An invoice's outstanding is the hub's less what this device
    /// has recorded but not yet uploaded, so a payment in the outbox is not asked for twice.
    ///
    /// `reset` (the hub's answer when this device's scope changed) starts the feed over: every invoice the new
    /// pass does not send again is dropped once it is `complete` (its last page applied).
    public func applyChanges(_ changes: [CacheChange], cursor: String, reset: Bool = false, complete: Bool = false) throws(StoreError) {
        try guarded {
            try pool.write { db in
                let now = Int64(Date().timeIntervalSince1970)
                // The feed's pass; `sweep` says a reset's pass is under way and what it ends with.
                var pass = try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'pass'").flatMap { Int64($0) } ?? 0
                if reset {
                    pass += 1
                    try db.execute(
                        sql: "INSERT INTO syncState (key, value) VALUES ('pass', ?), ('sweep', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        arguments: [String(pass)])
                }
                // What this device holds but has not uploaded, per invoice: usually nothing, so one query per page.
                var unsent: [String: Int64] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT allocation.invoiceNumber, SUM(allocation.amountPaise) FROM allocation
                        JOIN outbox ON outbox.paymentId = allocation.paymentId AND outbox.kind = 'payment'
                        WHERE outbox.state != 'sent' GROUP BY allocation.invoiceNumber
                        """)
                {
                    unsent[row[0]] = row[1]
                }
                let deleteInvoice = try db.cachedStatement(sql: "DELETE FROM invoice WHERE number = ?")
                let upsertCustomer = try db.cachedStatement(
                    sql: """
                        INSERT INTO customer (code, name, gstin) VALUES (?, ?, ?)
                        ON CONFLICT (code) DO UPDATE SET name = excluded.name, gstin = coalesce(excluded.gstin, gstin)
                        WHERE name IS NOT excluded.name OR (excluded.gstin IS NOT NULL AND gstin IS NOT excluded.gstin)
                        """)
                let upsertInvoice = try db.cachedStatement(
                    sql: """
                        INSERT INTO invoice (number, numberKey, customerCode, invoiceDate, dueDate, totalPaise, outstandingPaise,
                            sellerGstin, buyerGstin, irn, payeeVpa, updatedAt, syncPass)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (number) DO UPDATE SET customerCode = excluded.customerCode, invoiceDate = excluded.invoiceDate,
                            dueDate = excluded.dueDate, totalPaise = excluded.totalPaise, outstandingPaise = excluded.outstandingPaise,
                            sellerGstin = excluded.sellerGstin, buyerGstin = excluded.buyerGstin, irn = excluded.irn,
                            payeeVpa = excluded.payeeVpa, updatedAt = excluded.updatedAt, syncPass = excluded.syncPass
                        """)
                // One write per customer and page, unless a later change in the page names it differently.
                var customersSeen: [String: Customer] = [:]
                for change in changes {
                    switch change {
                    case .delete(let number):
                        deleteInvoice.setUncheckedArguments([number])
                        try deleteInvoice.execute()
                    case .upsert(let invoice, let customer):
                        if customersSeen.updateValue(customer, forKey: customer.code) != customer {
                            upsertCustomer.setUncheckedArguments([customer.code, customer.name, customer.gstin?.value])
                            try upsertCustomer.execute()
                        }
                        let outstanding = max(0, invoice.outstanding.paise - (unsent[invoice.number] ?? 0))
                        upsertInvoice.setUncheckedArguments([
                            invoice.number, normalizedInvoiceKey(invoice.number), customer.code, invoice.invoiceDate.dayNumber,
                            invoice.dueDate.dayNumber, invoice.total.paise, min(outstanding, invoice.total.paise),
                            invoice.sellerGstin?.value, invoice.buyerGstin?.value, invoice.irn, invoice.payeeVPA, now, pass,
                        ])
                        try upsertInvoice.execute()
                    }
                }
                try db.execute(
                    sql: "INSERT INTO syncState (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    arguments: [cursor])
                if complete, try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'sweep'") != nil {
                    try db.execute(sql: "DELETE FROM invoice WHERE syncPass < ?", arguments: [pass])
                    try db.execute(sql: "DELETE FROM syncState WHERE key = 'sweep'")
                }
            }
        }
    }

    /// Records the feed scope this device asks for. When it differs from the one its cache was pulled with
    /// (the profile changed), the feed starts over as after a hub reset: cursor 0, a new pass, and what the
    /// new pass does not send is dropped at its end. Returns true when it started over.
    @discardableResult
    public func useFeedScope(_ scope: String) throws(StoreError) -> Bool {
        try guarded {
            try pool.write { db in
                let stored = try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'scope'")
                guard stored != scope else { return false }
                try db.execute(
                    sql: "INSERT INTO syncState (key, value) VALUES ('scope', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", arguments: [scope])
                let pulled = try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'cursor'").map { $0 != "0" } ?? false
                // A device that pulled before scopes existed asked for its rep's: only another scope starts over.
                guard pulled, stored != nil || scope != "rep" else { return false }
                let pass = (try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'pass'").flatMap { Int64($0) } ?? 0) + 1
                try db.execute(
                    sql: """
                        INSERT INTO syncState (key, value) VALUES ('pass', ?), ('sweep', '1'), ('cursor', '0')
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value
                        """, arguments: [String(pass)])
                return true
            }
        }
    }

    /// A digest of the invoice cache: SHA-256 over every invoice, in number order, as
    /// `number|customer|invoice date|due date|total paise|outstanding paise\n`. The hub computes the same over
    /// its live invoices, so two equal digests mean the device holds exactly the hub's book.
    public func invoiceDigest() throws(StoreError) -> (count: Int, digest: [UInt8]) {
        try guarded {
            try pool.read { db in
                var hasher = InvoiceDigest()
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT number, customerCode, invoiceDate, dueDate, totalPaise, outstandingPaise FROM invoice ORDER BY number")
                while let row = try rows.next() {
                    hasher.add(number: row[0], customerCode: row[1], invoiceDate: row[2], dueDate: row[3], totalPaise: row[4], outstandingPaise: row[5])
                }
                return hasher.finish()
            }
        }
    }

    /// Outbox entries to upload now (pending or retrying), oldest first, with their receipts.
    /// A payment entry's receipt is given as it was signed: a UTR the payment took later (typed by the rep,
    /// or from the hub's confirmation) is not in it, so the upload is the signed receipt, byte for byte the
    /// same on every retry; the UTR goes to the hub by its own entry.
    public func uploadsDue(limit: Int = 100) throws(StoreError) -> [(OutboxEntry, Receipt)] {
        let entries = try outbox().filter { $0.state == .pending || $0.state == .retrying }.prefix(limit)
        var result: [(OutboxEntry, Receipt)] = []
        for entry in entries {
            guard var receipt = try receipt(number: entry.receiptNumber) else { continue }
            if entry.kind == "payment" {
                let signed = try guarded {
                    try pool.read { db in
                        try Row.fetchOne(
                            db, sql: "SELECT signedText, EXISTS (SELECT 1 FROM outbox WHERE paymentId = payment.id AND kind = 'utr') FROM payment WHERE id = ?",
                            arguments: [receipt.payment.id.uuidString.lowercased()])
                    }
                }
                if let text = signed?[0] as String? {
                    if let fields = SignedReceiptText.parse(text) { receipt.payment.utr = fields.utr }
                } else if signed?[1] == true {
                    receipt.payment.utr = nil  // recorded before signed texts were kept: the UTR came with its own entry
                }
            }
            result.append((entry, receipt))
        }
        return result
    }

    /// Records what the hub said about an upload; a confirmed status from the hub also confirms the payment here.
    public func markUpload(_ id: Int64, state: OutboxEntry.State, error: String? = nil, hubStatus: String? = nil) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try db.execute(
                    sql: "UPDATE outbox SET state = ?, attempts = attempts + 1, lastError = ? WHERE id = ?",
                    arguments: [state.rawValue, error, id])
                if hubStatus == "confirmed" {
                    try db.execute(
                        sql: "UPDATE payment SET status = 'confirmed' WHERE id = (SELECT paymentId FROM outbox WHERE id = ?) AND method = 'upi'",
                        arguments: [id])
                }
            }
        }
    }

    /// UPI payments already at the hub that are still awaiting confirmation here.
    public func unconfirmedUploadedUPI() throws(StoreError) -> [UUID] {
        try guarded {
            try pool.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT payment.id FROM payment JOIN outbox ON outbox.paymentId = payment.id AND outbox.kind = 'payment'
                        WHERE payment.method = 'upi' AND payment.status = 'awaiting-confirmation' AND outbox.state = 'sent'
                        """
                ).compactMap(UUID.init(uuidString:))
            }
        }
    }

    /// The hub confirmed a UPI payment (a PSP credit): it moves forward to confirmed, never back.
    public func confirmFromHub(paymentID: UUID, utr: String?) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try db.execute(
                    sql: "UPDATE payment SET status = 'confirmed', utr = coalesce(utr, ?) WHERE id = ? AND status = 'awaiting-confirmation'",
                    arguments: [utr, paymentID.uuidString.lowercased()])
            }
        }
    }
}

extension AppDatabase {
    /// The last hub event this device has acted on (`GET /v1/events?since=`).
    public func eventCursor() throws(StoreError) -> Int64 {
        try guarded { try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'events'").flatMap { Int64($0) } ?? 0 } }
    }

    /// A confirmation the hub pushed: confirms this device's payment (forward only) and moves the event cursor,
    /// in one transaction, so a crash neither loses the event nor applies it twice.
    public func applyHubEvent(id: Int64, paymentID: UUID?, utr: String?) throws(StoreError) {
        try guarded {
            try pool.write { db in
                if let paymentID {
                    try db.execute(
                        sql: "UPDATE payment SET status = 'confirmed', utr = coalesce(utr, ?) WHERE id = ? AND status = 'awaiting-confirmation'",
                        arguments: [utr, paymentID.uuidString.lowercased()])
                }
                try db.execute(
                    sql: "INSERT INTO syncState (key, value) VALUES ('events', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < ?",
                    arguments: [String(id), id])
            }
        }
    }
}
