import FieldPayCore
import Foundation
import GRDB
import HubAPI
import InvoiceImport

/// The ERP outbox: one row per connector and payment, queued in the transaction that makes the payment one the
/// books should hold (a cash or cheque upload, a UPI payment's confirmation); the push service claims, sends and
/// records; the pull replaces the invoice book under the rule in ARCHITECTURE.md ("The ERP seam").
extension SQLiteHubStore {
    static func migrateERP(_ db: Database) throws {
        try db.execute(
            sql: """
                -- The connectors this hub pushes to, from when: a payment stored after `enabledAt` is queued for each.
                CREATE TABLE erpConnector (name TEXT PRIMARY KEY NOT NULL, enabledAt INTEGER NOT NULL);
                CREATE TABLE erpOutbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    connector TEXT NOT NULL,
                    paymentId TEXT NOT NULL REFERENCES payment(id),
                    customerCode TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'parked')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt INTEGER NOT NULL,
                    failure TEXT,
                    reference TEXT,
                    createdAt INTEGER NOT NULL,
                    updatedAt INTEGER NOT NULL,
                    sentAt INTEGER,
                    UNIQUE (connector, paymentId)
                );
                CREATE INDEX erpOutbox_due ON erpOutbox(connector, state, nextAttemptAt, id);
                CREATE INDEX erpOutbox_customer ON erpOutbox(connector, customerCode, state, id);
                CREATE TABLE erpReconcile (
                    connector TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    ranAt INTEGER NOT NULL,
                    report TEXT NOT NULL,
                    PRIMARY KEY (connector, day)
                );
                -- The customer's ledger (party) name in the ERP, as its pull brought it.
                ALTER TABLE customer ADD COLUMN erpLedger TEXT;
                -- The connector whose pull last listed the invoice: only those are closed when it stops listing them.
                ALTER TABLE invoice ADD COLUMN erpSource TEXT;
                CREATE INDEX customer_erpLedger ON customer(erpLedger) WHERE erpLedger IS NOT NULL;
                """)
    }

    /// Queues a payment for every enabled connector, in the caller's transaction, once it is one the books
    /// should hold: received (cash, cheque) or confirmed (UPI). A UPI payment awaiting its credit, or holding only
    /// a UTR its rep typed, is queued when its credit confirms it. Returns whether anything was queued.
    @discardableResult
    static func queueERP(paymentID: String, now: Int64, _ db: Database) throws -> Bool {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO erpOutbox (connector, paymentId, customerCode, nextAttemptAt, createdAt, updatedAt)
                SELECT erpConnector.name, payment.id, payment.customerCode, ?, ?, ? FROM payment, erpConnector
                WHERE payment.id = ? AND payment.status IN ('received', 'confirmed') AND payment.reversedAt IS NULL
                """
        ).execute(arguments: [now, now, now, paymentID])
        return db.changesCount > 0
    }

    static func voucher(_ row: Row, _ db: Database) throws -> ERPVoucher {
        let paymentID: String = row["paymentId"]
        let allocations = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT invoiceNumber, SUM(paise) FROM allocation WHERE paymentId = ? AND paise > 0 GROUP BY invoiceNumber ORDER BY min(id)"),
            arguments: [paymentID]
        ).map { ERPAllocation(invoice: $0[0], amount: Money(paise: $0[1])) }
        let upload = try? JSONDecoder().decode(PaymentUpload.self, from: Data((row["body"] as String).utf8))
        var voucher = ERPVoucher(
            outboxID: row["id"], paymentID: paymentID, receiptNumber: row["receiptNumber"], date: HubTime.day(ofMillis: row["recordedAt"]),
            method: row["method"], amount: Money(paise: row["amountPaise"]), customerCode: row["customerCode"],
            ledger: (row["erpLedger"] as String?) ?? (row["customerName"] as String?) ?? row["customerCode"], allocations: allocations,
            utr: row["utr"], chequeNumber: upload?.chequeNumber, bank: upload?.bank, rep: row["rep"], attempt: row["attempts"])
        voucher.action = ERPAction(rawValue: row["action"]) ?? .push
        voucher.reference = row["reference"]
        voucher.reversalReason = row["reversalReason"]
        return voucher
    }

    static let voucherSelect = """
        SELECT erpOutbox.id, erpOutbox.paymentId, erpOutbox.customerCode, erpOutbox.attempts, erpOutbox.action, erpOutbox.reference,
            payment.reversalReason, payment.receiptNumber, payment.recordedAt,
            payment.method, payment.amountPaise, payment.utr, payment.body, customer.name AS customerName, customer.erpLedger, device.rep
        FROM erpOutbox JOIN payment ON payment.id = erpOutbox.paymentId JOIN device ON device.id = payment.deviceId
            LEFT JOIN customer ON customer.code = erpOutbox.customerCode
        """
}

extension SQLiteHubStore: ERPLedger {
    public func enableConnector(_ name: String, now: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO erpConnector (name, enabledAt) VALUES (?, ?)", arguments: [name, now])
        }
    }

    public func enabledConnectors() throws -> [(name: String, enabledAt: Int64)] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT name, enabledAt FROM erpConnector ORDER BY name").map { ($0[0], $0[1]) } }
    }

    /// Due rows, oldest first, at most one per customer and only a customer's oldest pending row: a customer's
    /// payments reach the books in the order they were confirmed. A parked row holds nobody up.
    public func claimERP(connector: String, now: Int64, limit: Int, leaseMillis: Int64) throws -> [ERPVoucher] {
        try pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    \(Self.voucherSelect)
                    WHERE erpOutbox.connector = :connector AND erpOutbox.state = 'pending' AND erpOutbox.nextAttemptAt <= :now
                        AND NOT EXISTS (SELECT 1 FROM erpOutbox AS earlier WHERE earlier.connector = erpOutbox.connector
                            AND earlier.customerCode = erpOutbox.customerCode AND earlier.state = 'pending' AND earlier.id < erpOutbox.id)
                    ORDER BY erpOutbox.id LIMIT :limit
                    """, arguments: ["connector": connector, "now": now, "limit": limit])
            var vouchers: [ERPVoucher] = []
            for row in rows {
                try db.execute(
                    sql: "UPDATE erpOutbox SET attempts = attempts + 1, updatedAt = ?, nextAttemptAt = ? WHERE id = ?",
                    arguments: [now, now + leaseMillis, row["id"] as Int64])
                var voucher = try Self.voucher(row, db)
                voucher.attempt += 1
                vouchers.append(voucher)
            }
            return vouchers
        }
    }

    /// What the ERP said of a claimed row. An answer to a push that comes back after the payment was reversed
    /// (the row is a cancellation now) changes nothing: the cancellation goes next either way.
    public func recordERP(_ id: Int64, action: ERPAction, outcome: ERPPushOutcome, now: Int64, retryAt: Int64) throws {
        try pool.write { db in
            switch outcome {
            case .accepted(let reference, _):
                try db.execute(
                    sql: """
                        UPDATE erpOutbox SET state = ?, failure = NULL, reference = COALESCE(?, reference), sentAt = ?, updatedAt = ?
                        WHERE id = ? AND action = ? AND state = 'pending'
                        """, arguments: [action == .push ? "sent" : "cancelled", reference, now, now, id, action.rawValue])
            case .rejected(let reason):
                try db.execute(
                    sql: "UPDATE erpOutbox SET state = 'parked', failure = ?, updatedAt = ? WHERE id = ? AND action = ? AND state = 'pending'",
                    arguments: [reason, now, id, action.rawValue])
            case .retry(let reason, _):
                try db.execute(
                    sql: "UPDATE erpOutbox SET failure = ?, nextAttemptAt = ?, updatedAt = ? WHERE id = ? AND action = ? AND state = 'pending'",
                    arguments: [reason, retryAt, now, id, action.rawValue])
            }
        }
    }

    public func erpQueue(connector: String?, state: ERPState?, limit: Int) throws -> [ERPQueueEntry] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT erpOutbox.id, erpOutbox.connector, erpOutbox.paymentId, payment.receiptNumber, erpOutbox.customerCode, payment.amountPaise,
                        erpOutbox.state, erpOutbox.attempts, erpOutbox.failure, erpOutbox.reference, erpOutbox.updatedAt, erpOutbox.action
                    FROM erpOutbox JOIN payment ON payment.id = erpOutbox.paymentId
                    WHERE (:connector IS NULL OR erpOutbox.connector = :connector) AND (:state IS NULL OR erpOutbox.state = :state)
                    ORDER BY CASE erpOutbox.state WHEN 'parked' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END,
                        CASE WHEN erpOutbox.state IN ('sent', 'cancelled') THEN -erpOutbox.updatedAt ELSE erpOutbox.id END, erpOutbox.id
                    LIMIT :limit
                    """, arguments: ["connector": connector, "state": state?.rawValue, "limit": limit]
            ).map {
                ERPQueueEntry(
                    id: $0[0], connector: $0[1], paymentID: $0[2], receiptNumber: $0[3], customerCode: $0[4], amount: Money(paise: $0[5]),
                    action: ERPAction(rawValue: $0[11]) ?? .push, state: ERPState(rawValue: $0[6]) ?? .pending, attempts: $0[7], failure: $0[8], reference: $0[9], updatedAt: $0[10])
            }
        }
    }

    public func erpCounts() throws -> [ERPQueueCounts] {
        try pool.read { db in
            var counts: [String: ERPQueueCounts] = [:]
            for name in try String.fetchAll(db, sql: "SELECT name FROM erpConnector") { counts[name] = ERPQueueCounts(connector: name) }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT connector, state, COUNT(*), MIN(CASE WHEN state = 'pending' THEN createdAt END), MAX(sentAt)
                    FROM erpOutbox GROUP BY connector, state
                    """)
            {
                let name: String = row[0]
                var entry = counts[name] ?? ERPQueueCounts(connector: name)
                switch ERPState(rawValue: row[1]) {
                case .pending:
                    entry.pending = row[2]
                    entry.oldestPendingAt = row[3]
                case .sent:
                    entry.sent = row[2]
                    if let at = row[4] as Int64? { entry.lastSentAt = max(entry.lastSentAt ?? at, at) }
                case .parked: entry.parked = row[2]
                case .cancelled:
                    entry.cancelled = row[2]
                    if let at = row[4] as Int64? { entry.lastSentAt = max(entry.lastSentAt ?? at, at) }
                case nil: break
                }
                counts[name] = entry
            }
            return counts.values.sorted { $0.connector < $1.connector }
        }
    }

    public func retryParkedERP(connector: String, id: Int64?, now: Int64) throws -> Int {
        let count = try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE erpOutbox SET state = 'pending', nextAttemptAt = ?, updatedAt = ?
                    WHERE connector = ? AND state = 'parked' AND (? IS NULL OR id = ?)
                    """, arguments: [now, now, connector, id, id])
            return db.changesCount
        }
        if count > 0 { erpSignal.poke() }
        return count
    }

    /// Payments stored before the connector was enabled (or before `since`), queued now: the books get the
    /// past too when a manager asks for it.
    public func queueERPBackfill(connector: String, since: LocalDate, now: Int64) throws -> Int {
        let count = try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO erpOutbox (connector, paymentId, customerCode, nextAttemptAt, createdAt, updatedAt)
                    SELECT ?, id, customerCode, ?, ?, ? FROM payment WHERE status IN ('received', 'confirmed') AND reversedAt IS NULL AND recordedAt >= ?
                    ORDER BY recordedAt, rowid
                    """, arguments: [connector, now, now, now, HubTime.endOfDay(since.adding(days: -1))])
            return db.changesCount
        }
        if count > 0 { erpSignal.poke() }
        return count
    }

    /// Sends again the payments a reconciliation found missing in the ERP (a voucher deleted there by hand).
    public func requeueERP(connector: String, paymentIDs: [String], now: Int64) throws -> Int {
        let count = try pool.write { db in
            var changed = 0
            for id in paymentIDs {
                try db.execute(
                    sql: "UPDATE erpOutbox SET state = 'pending', nextAttemptAt = ?, updatedAt = ?, failure = NULL WHERE connector = ? AND paymentId = ? AND action = 'push'",
                    arguments: [now, now, connector, id])
                changed += db.changesCount
                if db.changesCount == 0 {
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO erpOutbox (connector, paymentId, customerCode, nextAttemptAt, createdAt, updatedAt)
                            SELECT ?, id, customerCode, ?, ?, ? FROM payment WHERE id = ? AND status IN ('received', 'confirmed') AND reversedAt IS NULL
                            """, arguments: [connector, now, now, now, id])
                    changed += db.changesCount
                }
            }
            return changed
        }
        if count > 0 { erpSignal.poke() }
        return count
    }

    /// The hub's payments the books should hold for `day` (the day the rep took the money, India time).
    public func erpHubPayments(connector: String, day: LocalDate) throws -> [ERPHubPayment] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT payment.id, payment.receiptNumber, payment.customerCode, payment.amountPaise, erpOutbox.state, payment.reversedAt IS NOT NULL
                    FROM payment LEFT JOIN erpOutbox ON erpOutbox.paymentId = payment.id AND erpOutbox.connector = ?
                    WHERE payment.status IN ('received', 'confirmed') AND payment.recordedAt >= ? AND payment.recordedAt < ?
                    ORDER BY payment.recordedAt, payment.rowid
                    """, arguments: [connector, HubTime.endOfDay(day.adding(days: -1)), HubTime.endOfDay(day)]
            ).map {
                ERPHubPayment(
                    paymentID: $0[0], receiptNumber: $0[1], customerCode: $0[2], amount: Money(paise: $0[3]), state: ($0[4] as String?).flatMap(ERPState.init),
                    reversed: $0[5])
            }
        }
    }

    public func saveReconcile(_ report: ERPReconcileReport) throws {
        let text = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO erpReconcile (connector, day, ranAt, report) VALUES (?, ?, ?, ?)",
                arguments: [report.connector, report.day.dayNumber, report.ranAt, text])
        }
    }

    public func lastReconcile(connector: String) throws -> ERPReconcileReport? {
        try pool.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT report FROM erpReconcile WHERE connector = ? ORDER BY ranAt DESC LIMIT 1", arguments: [connector])
            else { return nil }
            return try JSONDecoder().decode(ERPReconcileReport.self, from: Data(text.utf8))
        }
    }

    /// The ERP's outstanding bills become the invoice book, in one transaction, through the importer's rules:
    /// a bill the importer refuses refuses the whole pull (nothing half applied), with every refusal by bill.
    ///
    /// The rule: an ERP balance never raises an invoice above what the hub knows. Payments the hub holds that
    /// this ERP has not acknowledged (queued, parked, or stored since the connector was enabled and not queued,
    /// like a UPI payment still awaiting its credit, or a credit put straight on an invoice) are taken off the
    /// ERP's balance, which does not know them yet. An invoice this ERP listed before and no longer lists as
    /// outstanding is closed (paid there); one it never listed (from a file) is not its to close.
    public func importERPBills(connector: String, bills: [ERPBill], closeMissing: Bool) throws -> ERPPullOutcome {
        var outcome = ERPPullOutcome()
        outcome.bills = bills.count
        try pool.write { db in
            let enabledAt = try Int64.fetchOne(db, sql: "SELECT enabledAt FROM erpConnector WHERE name = ?", arguments: [connector]) ?? Int64.max
            // What the ERP does not know yet, per invoice.
            var unacknowledged: [String: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT allocation.invoiceNumber, SUM(allocation.paise) FROM allocation LEFT JOIN payment ON payment.id = allocation.paymentId
                        LEFT JOIN erpOutbox ON erpOutbox.paymentId = allocation.paymentId AND erpOutbox.connector = :connector
                    WHERE allocation.kind IN ('payment', 'credit') AND allocation.paise > 0 AND payment.reversedAt IS NULL AND (
                        erpOutbox.state IN ('pending', 'parked')
                        OR (erpOutbox.id IS NULL AND payment.id IS NOT NULL AND payment.receivedAt >= :enabledAt)
                        OR (allocation.paymentId IS NULL AND allocation.at >= :enabledAt))
                    GROUP BY allocation.invoiceNumber
                    """, arguments: ["connector": connector, "enabledAt": enabledAt])
            {
                unacknowledged[row[0]] = row[1]
            }
            // What the ERP still counts as paid and the hub no longer does: reversed payments whose cancellation the
            // ERP has not acknowledged. Added back to the ERP's balance, and their invoices are not closed.
            var raisedBy: [String: Int64] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT allocation.invoiceNumber, SUM(allocation.paise) FROM allocation JOIN payment ON payment.id = allocation.paymentId
                        JOIN erpOutbox ON erpOutbox.paymentId = allocation.paymentId AND erpOutbox.connector = :connector
                    WHERE allocation.paise > 0 AND payment.reversedAt IS NOT NULL AND erpOutbox.action = 'cancel'
                        AND erpOutbox.state IN ('pending', 'parked')
                    GROUP BY allocation.invoiceNumber
                    """, arguments: ["connector": connector])
            {
                raisedBy[row[0]] = row[1]
            }
            // A party is the customer that came with its ledger before; else the one customer of exactly its name
            // (imported from a file before the ERP was connected); else a new customer, its code made from the name.
            var ledgers: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT erpLedger, code FROM customer WHERE erpLedger IS NOT NULL") { ledgers[row[0]] = row[1] }
            var named: [String: String] = [:]
            var sharedNames = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT name, code FROM customer WHERE erpLedger IS NULL") {
                let name: String = row[0]
                if named[name] != nil { sharedNames.insert(name) } else { named[name] = row[1] }
            }
            let existing = try db.makeStatement(sql: "SELECT totalPaise FROM invoice WHERE number = ?")
            let current = try db.makeStatement(
                sql: "SELECT customerCode, customerName, invoiceDate, dueDate, totalPaise, outstandingPaise FROM invoice WHERE number = ? AND deleted = 0")
            var records: [Result<ImportRecord, Rejection>] = []
            records.reserveCapacity(bills.count)
            var parties: [String: String] = [:]  // customer code → its ledger
            for (index, bill) in bills.enumerated() {
                guard bill.pending.isPositive else {
                    outcome.skippedCredits += 1
                    continue
                }
                let held = unacknowledged[bill.reference] ?? 0
                let raised = raisedBy[bill.reference] ?? 0
                let due = Money(paise: max(0, bill.pending.paise - held + raised))
                if held > 0 { outcome.heldDown += 1 }
                if raised > 0 { outcome.raised += 1 }
                let total = max(try Int64.fetchOne(existing, arguments: [bill.reference]) ?? 0, bill.pending.paise)
                var raw = RawRow(line: index + 1)
                raw[.invoiceNumber] = bill.reference
                raw[.invoiceDate] = bill.date.isoString
                raw[.dueDate] = max(bill.dueDate, bill.date).isoString
                raw[.customerName] = bill.party
                raw[.customerCode] = ledgers[bill.party] ?? (sharedNames.contains(bill.party) ? nil : named[bill.party])
                raw[.total] = Money(paise: total).plainString
                raw[.outstanding] = due.plainString
                let result = InvoiceRowValidator.validate(raw)
                if case .success(let record) = result {
                    parties[record.customer.code] = bill.party
                    // An invoice the pull would write as it already is: left alone, so that devices are not sent
                    // the whole book again after every pull.
                    if let row = try Row.fetchOne(current, arguments: [record.invoice.number]),
                        (row[0] as String) == record.invoice.customerCode, (row[1] as String) == record.customer.name,
                        (row[2] as Int32) == record.invoice.invoiceDate.dayNumber, (row[3] as Int32) == record.invoice.dueDate.dayNumber,
                        (row[4] as Int64) == record.invoice.total.paise, (row[5] as Int64) == record.invoice.outstanding.paise
                    {
                        outcome.unchanged += 1
                        continue
                    }
                }
                records.append(result)
            }
            var iterator = records.makeIterator()
            let (written, rejected) = try Self.importRecords(db) { iterator.next() }
            guard rejected.isEmpty else {
                outcome.rejected = rejected.map { "bill \($0.invoiceNumber ?? "line \($0.line)"): \($0.reason)" }
                throw ERPPullRefused(outcome: outcome)
            }
            outcome.written = written
            let setLedger = try db.makeStatement(sql: "UPDATE customer SET erpLedger = ? WHERE code = ?")
            for (code, ledger) in parties { try setLedger.execute(arguments: [ledger, code]) }
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS erpPulled (number TEXT PRIMARY KEY)")
            try db.execute(sql: "DELETE FROM erpPulled")
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO erpPulled (number) VALUES (?)")
            for bill in bills where bill.pending.isPositive { try insert.execute(arguments: [bill.reference]) }
            try db.execute(
                sql: "UPDATE invoice SET erpSource = ? WHERE number IN (SELECT number FROM erpPulled) AND erpSource IS NOT ?", arguments: [connector, connector])
            // An invoice the ERP holds paid by a payment the hub reversed is not closed: the cancellation is on its way.
            for number in raisedBy.keys { try insert.execute(arguments: [number]) }
            if closeMissing {
                // Open invoices this ERP listed before and lists no more: paid (or written off) there. Invoices it
                // never listed (imported from a file) are not its to close.
                let now = HubTime.nowMillis()
                let closing = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT number, outstandingPaise FROM invoice
                        WHERE deleted = 0 AND outstandingPaise > 0 AND erpSource = ? AND number NOT IN (SELECT number FROM erpPulled)
                        """, arguments: [connector])
                for row in closing {
                    try db.execute(
                        sql: "UPDATE invoice SET outstandingPaise = 0, version = ? WHERE number = ?", arguments: [try Self.nextVersion(db), row[0] as String])
                    try db.execute(
                        sql: "INSERT INTO allocation (invoiceNumber, paise, at, kind) VALUES (?, ?, ?, 'import')", arguments: [row[0] as String, row[1] as Int64, now])
                }
                outcome.closed = closing.count
            }
            try db.execute(sql: "DELETE FROM erpPulled")
        }
        return outcome
    }
}

/// A pull the importer refused: nothing was applied.
public struct ERPPullRefused: Error, CustomStringConvertible {
    public let outcome: ERPPullOutcome
    public var description: String {
        let shown = outcome.rejected.prefix(20).joined(separator: "\n  ")
        let more = outcome.rejected.count > 20 ? "\n  … and \(outcome.rejected.count - 20) more" : ""
        return "the pull was refused, nothing applied: \(outcome.rejected.count) of \(outcome.bills) bills cannot be imported:\n  \(shown)\(more)"
    }
}
