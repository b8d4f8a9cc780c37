import FieldPayCore
import Foundation
import GRDB

/// What the rep asked to record.
public struct PaymentDraft: Sendable {
    public var method: PaymentMethod
    public var amount: Money
    /// Invoices it pays, in the order they are settled (each up to what it owes).
    public var invoiceNumbers: [String]
    /// Whatever is left after the invoices is kept as an advance instead of refused.
    public var allowAdvance = false
    public var utr: String?
    public var chequeNumber: String?
    public var bank: String?
    public var chequeDate: LocalDate?
    public var upiReference: String?
    /// Made on the device when the payment is captured; the idempotency key for ever.
    public var id = UUID()
    public var recordedAtMillis = Date().millisecondsSince1970

    public init(method: PaymentMethod, amount: Money, invoiceNumbers: [String]) {
        self.method = method
        self.amount = amount
        self.invoiceNumbers = invoiceNumbers
    }
}

/// Why a payment was not recorded. Nothing was written.
public enum LedgerErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case invoiceNotFound = "ledger.invoice-not-found"
        case alreadyPaid = "ledger.already-paid"
        case overpayment = "ledger.overpayment"
        case mixedCustomers = "ledger.mixed-customers"
        case badAmount = "ledger.bad-amount"
        case badDetails = "ledger.bad-details"
        case receiptNotFound = "ledger.receipt-not-found"
        case notUPI = "ledger.not-upi"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        return detail
    }
}

public typealias LedgerError = CodedError<LedgerErrors>

/// An outbox row: a payment (or a later UTR for it) waiting to reach the hub.
public struct OutboxEntry: Sendable, Hashable {
    public enum State: String, Sendable {
        case pending, retrying, rejected, sent
    }

    public var id: Int64
    public var paymentID: UUID
    public var receiptNumber: String
    public var kind: String
    public var state: State
    public var attempts: Int
    public var lastError: String?
    public var createdAtMillis: Int64
    public var amount: Money
    public var method: PaymentMethod
}

extension AppDatabase {
    static func registerLedger(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-ledger") { db in
            try db.execute(
                sql: """
                    -- Payments are never deleted and never point at the cache by foreign key: the cache is
                    -- rebuilt from the hub, the ledger is not.
                    CREATE TABLE payment (
                        id TEXT PRIMARY KEY NOT NULL,
                        receiptSeq INTEGER NOT NULL UNIQUE CHECK (receiptSeq > 0),
                        receiptNumber TEXT NOT NULL UNIQUE,
                        deviceCode TEXT NOT NULL,
                        method TEXT NOT NULL CHECK (method IN ('upi', 'cash', 'cheque')),
                        status TEXT NOT NULL CHECK (status IN ('received', 'awaiting-confirmation', 'confirmed')),
                        amountPaise INTEGER NOT NULL CHECK (amountPaise > 0),
                        advancePaise INTEGER NOT NULL CHECK (advancePaise >= 0),
                        customerCode TEXT NOT NULL,
                        customerName TEXT NOT NULL,
                        recordedAt INTEGER NOT NULL,
                        utr TEXT,
                        chequeNumber TEXT,
                        bank TEXT,
                        chequeDate INTEGER,
                        upiReference TEXT,
                        signature BLOB NOT NULL
                    );
                    CREATE TABLE allocation (
                        paymentId TEXT NOT NULL REFERENCES payment(id),
                        position INTEGER NOT NULL,
                        invoiceNumber TEXT NOT NULL,
                        amountPaise INTEGER NOT NULL CHECK (amountPaise > 0),
                        balanceAfterPaise INTEGER NOT NULL CHECK (balanceAfterPaise >= 0),
                        PRIMARY KEY (paymentId, position)
                    );
                    CREATE INDEX allocation_invoice ON allocation(invoiceNumber);
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY,
                        paymentId TEXT NOT NULL REFERENCES payment(id),
                        kind TEXT NOT NULL CHECK (kind IN ('payment', 'utr')),
                        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'retrying', 'rejected', 'sent')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        lastError TEXT,
                        createdAt INTEGER NOT NULL
                    );
                    CREATE INDEX outbox_state ON outbox(state, id);
                    -- gap-free series; the next receipt number is taken in the payment's own transaction
                    CREATE TABLE ledgerCounter (
                        name TEXT PRIMARY KEY NOT NULL,
                        value INTEGER NOT NULL
                    );
                    INSERT INTO ledgerCounter (name, value) VALUES ('receipt', 0);
                    """)
        }
    }

    /// Records a payment: allocation to its invoices, the invoices' outstanding amounts, the next receipt
    /// number, the signed receipt and the outbox row, in one transaction. When this returns, the payment is on
    /// disk (`synchronous = FULL`); when it throws, nothing was written. `sign` signs the receipt's text.
    public func recordPayment(
        _ draft: PaymentDraft, deviceCode: String, sign: @Sendable (String) throws -> Data
    ) throws -> Receipt {
        guard draft.amount.isPositive else {
            throw LedgerError(.badAmount, "the amount must be more than zero, not \(draft.amount.plainString)")
        }
        guard !draft.invoiceNumbers.isEmpty else {
            throw LedgerError(.badDetails, "name the invoice(s) the payment is for")
        }
        guard Set(draft.invoiceNumbers).count == draft.invoiceNumbers.count else {
            throw LedgerError(.badDetails, "an invoice is named twice")
        }
        do {
            return try pool.write { db in
                // The invoices, by exact number or by their letters and digits when that is unambiguous.
                var invoices: [(number: String, customer: String, customerName: String, outstanding: Int64)] = []
                for requested in draft.invoiceNumbers {
                    var rows = try Row.fetchAll(
                        db,
                        sql:
                            "SELECT invoice.number, invoice.customerCode, customer.name, invoice.outstandingPaise FROM invoice JOIN customer ON customer.code = invoice.customerCode WHERE invoice.number = ?",
                        arguments: [requested])
                    if rows.isEmpty {
                        rows = try Row.fetchAll(
                            db,
                            sql:
                                "SELECT invoice.number, invoice.customerCode, customer.name, invoice.outstandingPaise FROM invoice JOIN customer ON customer.code = invoice.customerCode WHERE invoice.numberKey = ? LIMIT 2",
                            arguments: [normalizedInvoiceKey(requested)])
                    }
                    guard rows.count == 1 else {
                        throw LedgerError(
                            .invoiceNotFound,
                            rows.isEmpty
                                ? "invoice \(requested) is not in this device's cache"
                                : "\(requested) matches several invoices; give the exact number")
                    }
                    invoices.append((rows[0][0], rows[0][1], rows[0][2], rows[0][3]))
                }
                guard Set(invoices.map(\.customer)).count == 1 else {
                    throw LedgerError(
                        .mixedCustomers,
                        "one payment can settle one customer's invoices only: \(Set(invoices.map(\.customer)).sorted().joined(separator: ", "))"
                    )
                }
                let owed = invoices.reduce(Int64(0)) { $0 + $1.outstanding }
                if owed == 0 && !draft.allowAdvance {
                    throw LedgerError(
                        .alreadyPaid,
                        "\(invoices.map(\.number).joined(separator: ", ")) \(invoices.count == 1 ? "is" : "are") already paid in full"
                    )
                }
                var remaining = draft.amount.paise
                var allocations: [Allocation] = []
                for invoice in invoices where remaining > 0 && invoice.outstanding > 0 {
                    let part = min(remaining, invoice.outstanding)
                    allocations.append(
                        Allocation(
                            invoiceNumber: invoice.number, amount: Money(paise: part),
                            balanceAfter: Money(paise: invoice.outstanding - part)))
                    remaining -= part
                }
                if remaining > 0 && !draft.allowAdvance {
                    throw LedgerError(
                        .overpayment,
                        "\(draft.amount.displayString) is more than the \(Money(paise: owed).displayString) outstanding; record \(Money(paise: owed).displayString), or allow an advance"
                    )
                }

                // The receipt number comes from this transaction: if it rolls back, the number was never used.
                guard
                    let sequence = try Int64.fetchOne(
                        db, sql: "UPDATE ledgerCounter SET value = value + 1 WHERE name = 'receipt' RETURNING value")
                else {
                    throw LedgerError(.badDetails, "the receipt counter is missing")
                }
                let status: PaymentStatus =
                    draft.method == .upi ? (draft.utr == nil ? .awaitingConfirmation : .confirmed) : .received
                let payment = Payment(
                    id: draft.id, receiptNumber: Payment.receiptNumber(deviceCode: deviceCode, sequence: sequence),
                    deviceCode: deviceCode, method: draft.method, status: status, amount: draft.amount,
                    advance: Money(paise: remaining), customerCode: invoices[0].customer,
                    customerName: invoices[0].customerName,
                    allocations: allocations, recordedAtMillis: draft.recordedAtMillis, utr: draft.utr,
                    chequeNumber: draft.chequeNumber, bank: draft.bank, chequeDate: draft.chequeDate,
                    upiReference: draft.upiReference)
                let signedText = payment.signedText
                let signature = try sign(signedText)
                try db.execute(
                    sql: """
                        INSERT INTO payment (id, receiptSeq, receiptNumber, deviceCode, method, status, amountPaise, advancePaise,
                            customerCode, customerName, recordedAt, utr, chequeNumber, bank, chequeDate, upiReference, signature, signedText)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        payment.id.uuidString.lowercased(), sequence, payment.receiptNumber, deviceCode,
                        payment.method.rawValue,
                        payment.status.rawValue, payment.amount.paise, payment.advance.paise, payment.customerCode,
                        payment.customerName, payment.recordedAtMillis, payment.utr, payment.chequeNumber, payment.bank,
                        payment.chequeDate?.dayNumber, payment.upiReference, signature, signedText,
                    ])
                for (position, allocation) in allocations.enumerated() {
                    try db.execute(
                        sql:
                            "INSERT INTO allocation (paymentId, position, invoiceNumber, amountPaise, balanceAfterPaise) VALUES (?, ?, ?, ?, ?)",
                        arguments: [
                            payment.id.uuidString.lowercased(), position, allocation.invoiceNumber,
                            allocation.amount.paise, allocation.balanceAfter.paise,
                        ])
                    try db.execute(
                        sql: "UPDATE invoice SET outstandingPaise = outstandingPaise - ? WHERE number = ?",
                        arguments: [allocation.amount.paise, allocation.invoiceNumber])
                }
                try db.execute(
                    sql: "INSERT INTO outbox (paymentId, kind, createdAt) VALUES (?, 'payment', ?)",
                    arguments: [payment.id.uuidString.lowercased(), payment.recordedAtMillis])
                return Receipt(payment: payment, signature: signature, signedText: signedText)
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    /// Enters the payer's UTR for a UPI payment awaiting confirmation, and queues it for the hub.
    public func confirmUPI(receiptNumber: String, utr: String) throws -> Receipt {
        guard isUTR(utr) else {
            throw LedgerError(.badDetails, "a UTR is 12 digits, not \"\(utr)\"")
        }
        do {
            try pool.write { db in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT id, method FROM payment WHERE receiptNumber = ?", arguments: [receiptNumber])
                else {
                    throw LedgerError(.receiptNotFound, "no receipt \(receiptNumber) on this device")
                }
                guard row[1] as String == PaymentMethod.upi.rawValue else {
                    throw LedgerError(
                        .notUPI, "\(receiptNumber) is a \(row[1] as String) payment; only UPI payments take a UTR")
                }
                try db.execute(
                    sql: "UPDATE payment SET utr = ?, status = 'confirmed' WHERE id = ?",
                    arguments: [utr, row[0] as String])
                try db.execute(
                    sql: "INSERT INTO outbox (paymentId, kind, createdAt) VALUES (?, 'utr', ?)",
                    arguments: [row[0] as String, Date().millisecondsSince1970])
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw StoreError.from(error, path: path)
        }
        guard let receipt = try receipt(number: receiptNumber) else {
            throw LedgerError(.receiptNotFound, receiptNumber)
        }
        return receipt
    }

    static let paymentColumns = """
        id, receiptNumber, deviceCode, method, status, amountPaise, advancePaise, customerCode, customerName, recordedAt,
        utr, chequeNumber, bank, chequeDate, upiReference, signature, signedText
        """

    static func receipt(_ row: Row, db: Database) throws -> Receipt {
        let id: String = row[0]
        let allocations = try Row.fetchAll(
            db,
            sql:
                "SELECT invoiceNumber, amountPaise, balanceAfterPaise FROM allocation WHERE paymentId = ? ORDER BY position",
            arguments: [id]
        ).map { Allocation(invoiceNumber: $0[0], amount: Money(paise: $0[1]), balanceAfter: Money(paise: $0[2])) }
        let payment = Payment(
            id: UUID(uuidString: id)!, receiptNumber: row[1], deviceCode: row[2],
            method: PaymentMethod(rawValue: row[3])!,
            status: PaymentStatus(rawValue: row[4])!, amount: Money(paise: row[5]), advance: Money(paise: row[6]),
            customerCode: row[7], customerName: row[8], allocations: allocations, recordedAtMillis: row[9],
            utr: row[10],
            chequeNumber: row[11], bank: row[12], chequeDate: (row[13] as Int32?).map { LocalDate(dayNumber: $0) },
            upiReference: row[14])
        // A receipt recorded before signed texts were kept was signed as version 1, without a UTR typed later.
        var unsignedUTR = payment
        unsignedUTR.utr = nil
        let signedText: String = row[16] ?? SignedReceiptText(unsignedUTR, version: 1).text
        return Receipt(payment: payment, signature: row[15], signedText: signedText)
    }

    /// A receipt by number (`DEMO01-000042`), or nil.
    public func receipt(number: String) throws(StoreError) -> Receipt? {
        try guarded {
            try pool.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT \(AppDatabase.paymentColumns) FROM payment WHERE receiptNumber = ?",
                    arguments: [number]
                )
                .map { try AppDatabase.receipt($0, db: db) }
            }
        }
    }

    /// Receipts, newest first; optionally one customer's or one invoice's.
    public func receipts(customer: String? = nil, invoice: String? = nil, limit: Int = 100) throws(StoreError)
        -> [Receipt]
    {
        try guarded {
            try pool.read { db in
                var sql = "SELECT \(AppDatabase.paymentColumns) FROM payment"
                var arguments: StatementArguments = []
                if let customer {
                    sql += " WHERE customerCode = ?"
                    _ = arguments.append(contentsOf: [customer])
                } else if let invoice {
                    sql += " WHERE id IN (SELECT paymentId FROM allocation WHERE invoiceNumber = ?)"
                    _ = arguments.append(contentsOf: [invoice])
                }
                sql += " ORDER BY receiptSeq DESC LIMIT ?"
                _ = arguments.append(contentsOf: [limit])
                return try Row.fetchAll(db, sql: sql, arguments: arguments).map { try AppDatabase.receipt($0, db: db) }
            }
        }
    }

    /// What is waiting for the hub (everything not yet sent), oldest first.
    public func outbox(includeSent: Bool = false) throws(StoreError) -> [OutboxEntry] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT outbox.id, outbox.paymentId, payment.receiptNumber, outbox.kind, outbox.state, outbox.attempts,
                            outbox.lastError, outbox.createdAt, payment.amountPaise, payment.method
                        FROM outbox JOIN payment ON payment.id = outbox.paymentId
                        \(includeSent ? "" : "WHERE outbox.state != 'sent'") ORDER BY outbox.id
                        """
                ).map {
                    OutboxEntry(
                        id: $0[0], paymentID: UUID(uuidString: $0[1])!, receiptNumber: $0[2], kind: $0[3],
                        state: OutboxEntry.State(rawValue: $0[4])!, attempts: $0[5], lastError: $0[6],
                        createdAtMillis: $0[7],
                        amount: Money(paise: $0[8]), method: PaymentMethod(rawValue: $0[9])!)
                }
            }
        }
    }

    /// Ledger facts for checks: (payments, highest receipt sequence, distinct sequences, payment outbox rows).
    public func ledgerCounts() throws(StoreError) -> (
        payments: Int, maxSequence: Int64, distinctSequences: Int, paymentOutboxRows: Int
    ) {
        try guarded {
            try pool.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment") ?? 0,
                    try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(receiptSeq), 0) FROM payment") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT receiptSeq) FROM payment") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE kind = 'payment'") ?? 0
                )
            }
        }
    }
}
