import FieldPayCore
import Foundation
import GRDB

// Reversing a payment: a cheque that bounced, money refunded. The payment stays (what the rep took that day
// happened; the day sheet and the handovers keep it), marked reversed with when, why and by whom. The ledger
// gets the opposite of each of its allocations on the day of the reversal, so the invoices owe again from then on
// (aging on an earlier day still sees them paid), and the devices are sent the invoices again. Each accounting
// system that was sent the payment gets its cancellation through the same outbox row; one that never had it
// gets nothing.

extension SQLiteHubStore {
    static func migrateReversals(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE payment ADD COLUMN reversedAt INTEGER;
                ALTER TABLE payment ADD COLUMN reversalReason TEXT;
                ALTER TABLE payment ADD COLUMN reversedBy TEXT;
                -- The outbox row now says what it carries to the ERP: the payment (push) or, once reversed, its
                -- cancellation; and a fourth state, cancelled: the ERP holds no live voucher for it.
                CREATE TABLE erpOutboxNew (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    connector TEXT NOT NULL,
                    paymentId TEXT NOT NULL REFERENCES payment(id),
                    customerCode TEXT NOT NULL,
                    action TEXT NOT NULL DEFAULT 'push' CHECK (action IN ('push', 'cancel')),
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'parked', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt INTEGER NOT NULL,
                    failure TEXT,
                    reference TEXT,
                    createdAt INTEGER NOT NULL,
                    updatedAt INTEGER NOT NULL,
                    sentAt INTEGER,
                    UNIQUE (connector, paymentId)
                );
                INSERT INTO erpOutboxNew (id, connector, paymentId, customerCode, state, attempts, nextAttemptAt, failure, reference, createdAt, updatedAt, sentAt)
                    SELECT id, connector, paymentId, customerCode, state, attempts, nextAttemptAt, failure, reference, createdAt, updatedAt, sentAt
                    FROM erpOutbox;
                DROP TABLE erpOutbox;
                ALTER TABLE erpOutboxNew RENAME TO erpOutbox;
                CREATE INDEX erpOutbox_due ON erpOutbox(connector, state, nextAttemptAt, id);
                CREATE INDEX erpOutbox_customer ON erpOutbox(connector, customerCode, state, id);
                CREATE INDEX payment_reversed ON payment(reversedAt) WHERE reversedAt IS NOT NULL;
                """)
    }
}

extension SQLiteHubStore {
    /// Reverses the payment `reference` names (its UUID, or its receipt number), in one transaction: the payment
    /// marked reversed, the opposite of its allocations written today and the invoices raised by them (a new
    /// version each, so devices pull them), and every ERP outbox row for it turned into a cancellation (or, when
    /// the ERP never had the payment, settled as cancelled without a word to it).
    public func reversePayment(_ reference: String, reason: String, actor: String, now: Int64) throws -> ReversalOutcome {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { return .refused("say why the payment is reversed (a bounced cheque, a refund): the books and the audit log keep it") }
        let outcome: ReversalOutcome = try pool.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, receiptNumber, method, amountPaise, status, reversedAt, customerCode FROM payment
                    WHERE id = :reference OR id = lower(:reference) OR receiptNumber = :reference LIMIT 2
                    """, arguments: ["reference": reference])
            guard let row = rows.first else { return .notFound }
            guard rows.count == 1 else { return .refused("more than one payment has receipt number \(reference): name it by its id") }
            let id: String = row["id"]
            let receipt: String = row["receiptNumber"]
            if let at = row["reversedAt"] as Int64? { return .alreadyReversed(receipt: receipt, at: at) }
            let status = PaymentStatus(rawValue: row["status"])
            guard status == .received || status == .confirmed else {
                return .refused(
                    "receipt \(receipt) is a UPI payment still \(status == .utrClaimed ? "held only by a UTR its rep typed" : "awaiting its credit"): there is no money to reverse until its credit confirms it")
            }
            try db.execute(
                sql: "UPDATE payment SET reversedAt = ?, reversalReason = ?, reversedBy = ? WHERE id = ?",
                arguments: [now, String(reason.prefix(500)), String(actor.prefix(200)), id])
            // The opposite of what the payment put on each invoice, as its own ledger rows on the day of the reversal.
            var restored: [ERPAllocation] = []
            for part in try Row.fetchAll(
                db,
                sql: """
                    SELECT invoiceNumber, kind, creditProvider, creditId, SUM(paise) FROM allocation WHERE paymentId = ?
                    GROUP BY invoiceNumber, kind, creditProvider, creditId HAVING SUM(paise) != 0 ORDER BY MIN(id)
                    """, arguments: [id])
            {
                let invoice: String = part[0]
                let paise: Int64 = part[4]
                let credit = (part[2] as String?).flatMap { provider in (part[3] as String?).map { (provider: provider, id: $0) } }
                try Self.allocate(invoice, paise: -paise, at: now, kind: part[1], paymentID: id, db, credit: credit)
                try db.execute(
                    sql: "UPDATE invoice SET outstandingPaise = outstandingPaise + ?, version = ? WHERE number = ?",
                    arguments: [paise, try Self.nextVersion(db), invoice])
                restored.append(ERPAllocation(invoice: invoice, amount: Money(paise: paise)))
            }
            // The books: a row the ERP may hold (acknowledged, or offered and not answered) becomes a cancellation,
            // due once any lease on it has run out; a row the ERP never had (never offered, or refused) is settled.
            var books: [ReversalOutcome.Books] = []
            for entry in try Row.fetchAll(db, sql: "SELECT id, connector, state, attempts FROM erpOutbox WHERE paymentId = ? ORDER BY connector", arguments: [id]) {
                let state: String = entry["state"]
                let attempts: Int = entry["attempts"]
                let held = state == "sent" || (state == "pending" && attempts > 0)
                if held {
                    try db.execute(
                        sql: """
                            UPDATE erpOutbox SET action = 'cancel', state = 'pending', attempts = 0, failure = NULL,
                                nextAttemptAt = CASE WHEN state = 'sent' THEN ? ELSE MAX(nextAttemptAt, ?) END, updatedAt = ? WHERE id = ?
                            """, arguments: [now, now, now, entry["id"] as Int64])
                } else {
                    try db.execute(
                        sql: "UPDATE erpOutbox SET action = 'cancel', state = 'cancelled', failure = NULL, updatedAt = ? WHERE id = ?",
                        arguments: [now, entry["id"] as Int64])
                }
                books.append(.init(connector: entry["connector"], cancelQueued: held))
            }
            return .reversed(
                PaymentReversal(
                    paymentID: id, receiptNumber: receipt, method: row["method"], amount: Money(paise: row["amountPaise"]),
                    customerCode: row["customerCode"], reversedAt: now, reason: reason, invoices: restored, books: books))
        }
        if case .reversed(let reversal) = outcome, reversal.books.contains(where: \.cancelQueued) { erpSignal.poke() }
        return outcome
    }
}
