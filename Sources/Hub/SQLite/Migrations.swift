import FieldPayCore
import Foundation
import GRDB

/// The hub's SQLite schema: one ordered list of migrations, each run once, in order, in its own transaction.
/// A new table or column is a new migration at the end of `migrator`; a released migration never changes.
extension SQLiteHubStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-hub") { db in
            try db.execute(
                sql: """
                    CREATE TABLE invoice (
                        number TEXT PRIMARY KEY NOT NULL,
                        customerCode TEXT NOT NULL,
                        customerName TEXT NOT NULL,
                        invoiceDate INTEGER NOT NULL,
                        dueDate INTEGER NOT NULL,
                        totalPaise INTEGER NOT NULL,
                        outstandingPaise INTEGER NOT NULL,
                        sellerGstin TEXT, buyerGstin TEXT, irn TEXT, payeeVpa TEXT,
                        deleted INTEGER NOT NULL DEFAULT 0,
                        -- the change feed: every write takes the next version
                        version INTEGER NOT NULL UNIQUE
                    );
                    CREATE TABLE counter (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                    INSERT INTO counter VALUES ('version', 0);
                    CREATE TABLE enrollment (
                        codeHash TEXT PRIMARY KEY NOT NULL,
                        rep TEXT NOT NULL,
                        expiresAt INTEGER NOT NULL,
                        deviceId TEXT
                    );
                    CREATE TABLE device (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        rep TEXT NOT NULL,
                        secretHash TEXT NOT NULL,
                        enrolledAt INTEGER NOT NULL,
                        revoked INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE payment (
                        id TEXT PRIMARY KEY NOT NULL,
                        deviceId TEXT NOT NULL REFERENCES device(id),
                        bodyHash TEXT NOT NULL,
                        receiptNumber TEXT NOT NULL,
                        method TEXT NOT NULL,
                        amountPaise INTEGER NOT NULL,
                        upiReference TEXT,
                        utr TEXT UNIQUE,
                        status TEXT NOT NULL,
                        flagged INTEGER NOT NULL,
                        body TEXT NOT NULL,
                        receivedAt INTEGER NOT NULL
                    );
                    CREATE UNIQUE INDEX payment_receipt ON payment(deviceId, receiptNumber);
                    CREATE INDEX payment_reference ON payment(upiReference);
                    -- every webhook delivery, verified or not, and every credit: nothing a PSP says is dropped
                    CREATE TABLE webhookEvent (
                        id INTEGER PRIMARY KEY,
                        provider TEXT NOT NULL,
                        eventId TEXT,
                        verified INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        body BLOB NOT NULL,
                        receivedAt INTEGER NOT NULL
                    );
                    CREATE UNIQUE INDEX webhookEvent_event ON webhookEvent(provider, eventId) WHERE eventId IS NOT NULL AND verified = 1;
                    CREATE TABLE credit (
                        provider TEXT NOT NULL,
                        providerPaymentId TEXT NOT NULL,
                        amountPaise INTEGER NOT NULL,
                        utr TEXT,
                        reference TEXT,
                        invoiceNumber TEXT,
                        paymentId TEXT,
                        state TEXT NOT NULL CHECK (state IN ('matched', 'unmatched', 'duplicate-utr')),
                        receivedAt INTEGER NOT NULL,
                        PRIMARY KEY (provider, providerPaymentId)
                    );
                    """)
        }
        migrator.registerMigration("v2-invoice-key") { db in
            // The invoice number's letters and digits, upper-cased, as a UPI `tr` carries it: a credit that
            // arrives before the device's payment is matched by index, not by scanning the book.
            try db.execute(sql: "ALTER TABLE invoice ADD COLUMN numberKey TEXT NOT NULL DEFAULT ''")
            for number in try String.fetchAll(db, sql: "SELECT number FROM invoice") {
                try db.execute(sql: "UPDATE invoice SET numberKey = ? WHERE number = ?", arguments: [normalizedInvoiceKey(number), number])
            }
            try db.execute(sql: "CREATE INDEX invoice_numberKey ON invoice(numberKey) WHERE deleted = 0")
        }
        migrator.registerMigration("v3-credit-source") { db in
            // Which feed of the confirmation state machine a credit came from: webhook, statement, device.
            try db.execute(sql: "ALTER TABLE credit ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook'")
        }
        migrator.registerMigration("v4-device-key") { db in
            // The device's Ed25519 receipt key, sent at enrollment; devices enrolled before have none.
            try db.execute(sql: "ALTER TABLE device ADD COLUMN publicKey BLOB")
        }
        migrator.registerMigration("v5-collections", migrate: SQLiteHubStore.migrateCollections)
        migrator.registerMigration("v6-assignments", migrate: SQLiteHubStore.migrateAssignments)
        migrator.registerMigration("v7-followups", migrate: SQLiteHubStore.migrateFollowUps)
        migrator.registerMigration("v8-handovers", migrate: SQLiteHubStore.migrateHandovers)
        migrator.registerMigration("v9-sessions", migrate: SQLiteHubStore.migrateSessions)
        migrator.registerMigration("v10-messaging", migrate: SQLiteHubStore.migrateMessaging)
        migrator.registerMigration("v11-statement-links", migrate: SQLiteHubStore.migrateStatementLinks)
        migrator.registerMigration("v12-trust", migrate: SQLiteHubStore.migrateTrust)
        migrator.registerMigration("v13-managers", migrate: SQLiteHubStore.migrateManagers)
        migrator.registerMigration("v14-erp", migrate: SQLiteHubStore.migrateERP)
        migrator.registerMigration("v15-reversals", migrate: SQLiteHubStore.migrateReversals)
        return migrator
    }

    static func migrateCollections(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE customer (
                    code TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    region TEXT,
                    phone TEXT
                );
                INSERT INTO customer (code, name) SELECT customerCode, max(customerName) FROM invoice GROUP BY customerCode;
                CREATE INDEX invoice_customer ON invoice(customerCode);
                -- what lowered (or, from a re-import, raised: negative) each invoice's outstanding, and when
                CREATE TABLE allocation (
                    id INTEGER PRIMARY KEY,
                    invoiceNumber TEXT NOT NULL,
                    paise INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('payment', 'credit', 'import')),
                    paymentId TEXT,
                    creditProvider TEXT,
                    creditId TEXT
                );
                CREATE INDEX allocation_invoice ON allocation(invoiceNumber, at);
                CREATE INDEX allocation_at ON allocation(at);
                CREATE INDEX allocation_payment ON allocation(paymentId) WHERE paymentId IS NOT NULL;
                ALTER TABLE payment ADD COLUMN recordedAt INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE payment ADD COLUMN customerCode TEXT NOT NULL DEFAULT '';
                UPDATE payment SET recordedAt = COALESCE(json_extract(body, '$.recorded_at_ms'), receivedAt),
                    customerCode = COALESCE(json_extract(body, '$.customer_code'), '');
                -- covering for the register, productivity and day sheets, which read a period's payments
                CREATE INDEX payment_recorded ON payment(recordedAt, deviceId, method, amountPaise, customerCode);
                CREATE INDEX payment_customer ON payment(customerCode, recordedAt);
                -- Hub data from before the ledger: payments' allocations from their bodies (amounts are
                -- 'rupees.paise' with two decimals, checked at upload), unless a credit lowered the invoice first.
                INSERT INTO allocation (invoiceNumber, paise, at, kind, paymentId)
                    SELECT json_extract(part.value, '$.invoice'), CAST(replace(json_extract(part.value, '$.amount'), '.', '') AS INTEGER),
                        payment.recordedAt, 'payment', payment.id
                    FROM payment, json_each(payment.body, '$.allocations') AS part
                    WHERE json_extract(part.value, '$.invoice') IN (SELECT number FROM invoice)
                        AND payment.id NOT IN (SELECT paymentId FROM credit WHERE paymentId IS NOT NULL AND invoiceNumber IS NOT NULL);
                INSERT INTO allocation (invoiceNumber, paise, at, kind, paymentId, creditProvider, creditId)
                    SELECT invoiceNumber, amountPaise, receivedAt, 'credit', paymentId, provider, providerPaymentId
                    FROM credit WHERE state = 'matched' AND invoiceNumber IS NOT NULL;
                CREATE TABLE manager (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    secretHash TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    revoked INTEGER NOT NULL DEFAULT 0
                );
                """)
    }

    static func migrateAssignments(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE rep (
                    name TEXT PRIMARY KEY NOT NULL,
                    scope TEXT NOT NULL DEFAULT 'all' CHECK (scope IN ('all', 'region', 'assigned')),
                    -- the feed version when the scope or regions last changed: a device that synced before it starts over
                    scopeVersion INTEGER NOT NULL DEFAULT 0
                );
                INSERT OR IGNORE INTO rep (name) SELECT rep FROM device UNION SELECT rep FROM enrollment;
                CREATE TABLE repRegion (
                    rep TEXT NOT NULL REFERENCES rep(name),
                    region TEXT NOT NULL,
                    PRIMARY KEY (rep, region)
                );
                CREATE INDEX customer_region ON customer(region);
                ALTER TABLE invoice ADD COLUMN assignedRep TEXT;
                ALTER TABLE invoice ADD COLUMN assignedHow TEXT;
                CREATE INDEX invoice_assigned ON invoice(assignedRep) WHERE assignedRep IS NOT NULL;
                CREATE TABLE assignmentHistory (
                    id INTEGER PRIMARY KEY,
                    invoiceNumber TEXT NOT NULL,
                    fromRep TEXT,
                    toRep TEXT,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    how TEXT NOT NULL CHECK (how IN ('hand', 'rule')),
                    reason TEXT
                );
                CREATE INDEX assignmentHistory_invoice ON assignmentHistory(invoiceNumber, id);
                CREATE TABLE allocationRule (
                    position INTEGER PRIMARY KEY,
                    region TEXT,
                    minDaysPastDue INTEGER NOT NULL,
                    minOutstandingPaise INTEGER NOT NULL,
                    maxOutstandingPaise INTEGER,
                    rep TEXT NOT NULL REFERENCES rep(name)
                );
                """)
    }

    static func migrateFollowUps(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE followup (
                    id TEXT PRIMARY KEY NOT NULL,
                    bodyHash TEXT NOT NULL,
                    customerCode TEXT NOT NULL,
                    invoiceNumber TEXT,
                    rep TEXT,
                    action TEXT NOT NULL CHECK (action IN ('call', 'visit')),
                    dueDay INTEGER NOT NULL,
                    note TEXT,
                    promisedDay INTEGER,
                    promisedPaise INTEGER,
                    -- what was owed when the promise was made: a promise with no amount is a promise to pay it all
                    owedAtCreation INTEGER NOT NULL,
                    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
                    outcome TEXT,
                    source TEXT NOT NULL CHECK (source IN ('hub', 'device')),
                    createdBy TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    closedAt INTEGER
                );
                CREATE INDEX followup_rep ON followup(rep, state, dueDay);
                CREATE INDEX followup_customer ON followup(customerCode);
                CREATE INDEX followup_invoice ON followup(invoiceNumber) WHERE invoiceNumber IS NOT NULL;
                CREATE INDEX followup_promise ON followup(promisedDay) WHERE promisedDay IS NOT NULL;
                CREATE TABLE dispute (
                    id INTEGER PRIMARY KEY,
                    invoiceNumber TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    paise INTEGER NOT NULL,
                    openedAt INTEGER NOT NULL,
                    openedBy TEXT NOT NULL,
                    resolvedAt INTEGER,
                    resolvedBy TEXT,
                    resolution TEXT
                );
                CREATE UNIQUE INDEX dispute_open ON dispute(invoiceNumber) WHERE resolvedAt IS NULL;
                ALTER TABLE customer ADD COLUMN reminderGroup TEXT NOT NULL DEFAULT 'default';
                CREATE TABLE reminderPolicy (
                    groupName TEXT PRIMARY KEY NOT NULL,
                    firstAfterDays INTEGER NOT NULL,
                    everyDays INTEGER NOT NULL,
                    stopOnDispute INTEGER NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('whatsapp', 'sms')),
                    escalateAfterDays INTEGER NOT NULL
                );
                INSERT INTO reminderPolicy VALUES ('default', 30, 15, 1, 'whatsapp', 90);
                -- the outbox for the messaging channels (a later issue sends them); one reminder an invoice a day
                CREATE TABLE reminder (
                    id INTEGER PRIMARY KEY,
                    customerCode TEXT NOT NULL,
                    invoiceNumber TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    channel TEXT NOT NULL,
                    phone TEXT,
                    message TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
                    createdAt INTEGER NOT NULL,
                    UNIQUE (invoiceNumber, day)
                );
                CREATE INDEX reminder_customer ON reminder(customerCode, day);
                CREATE INDEX reminder_state ON reminder(state, id);
                CREATE TABLE escalation (
                    id INTEGER PRIMARY KEY,
                    invoiceNumber TEXT NOT NULL,
                    reason TEXT NOT NULL CHECK (reason IN ('missed-promises', 'age')),
                    day INTEGER NOT NULL,
                    closedAt INTEGER,
                    UNIQUE (invoiceNumber, reason)
                );
                """)
    }

    static func migrateHandovers(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE handover (
                    id INTEGER PRIMARY KEY,
                    rep TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    cashPaise INTEGER NOT NULL CHECK (cashPaise >= 0),
                    cheques INTEGER NOT NULL CHECK (cheques >= 0),
                    chequePaise INTEGER NOT NULL CHECK (chequePaise >= 0),
                    receivedBy TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    note TEXT,
                    depositReference TEXT
                );
                CREATE INDEX handover_rep ON handover(rep, day);
                -- a rep's payments by device and time (day sheets: what a rep collected before a day)
                CREATE INDEX payment_device ON payment(deviceId, recordedAt, method, amountPaise, customerCode);
                CREATE INDEX device_rep ON device(rep);
                """)
    }

    static func migrateSessions(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE managerSession (
                    tokenHash TEXT PRIMARY KEY NOT NULL,
                    managerId TEXT NOT NULL REFERENCES manager(id),
                    expiresAt INTEGER NOT NULL
                );
                """)
    }

    static func migrateMessaging(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE customer ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'hi'));
                -- NULL: the reminder policy's channel
                ALTER TABLE customer ADD COLUMN channel TEXT CHECK (channel IN ('whatsapp', 'sms'));
                ALTER TABLE customer ADD COLUMN optedOutAt INTEGER;
                ALTER TABLE customer ADD COLUMN optedOutBy TEXT;
                CREATE INDEX customer_phone ON customer(phone);
                -- the receipt link's secret (/r/{token}): 128 random bits, base64url
                ALTER TABLE payment ADD COLUMN receiptToken TEXT;
                CREATE UNIQUE INDEX payment_receipt_token ON payment(receiptToken) WHERE receiptToken IS NOT NULL;
                -- the message outbox: one row per cause (its key), written with the payment or the run
                CREATE TABLE message (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'reminder', 'statement')),
                    customerCode TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('whatsapp', 'sms')),
                    language TEXT NOT NULL,
                    paymentId TEXT,
                    day INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'unconfirmed', 'held', 'expired')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    -- a manager asked for it: sent even to a customer who opted out
                    requested INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt INTEGER NOT NULL,
                    expiresAt INTEGER NOT NULL,
                    providerId TEXT,
                    failure TEXT,
                    createdAt INTEGER NOT NULL,
                    updatedAt INTEGER NOT NULL
                );
                CREATE INDEX message_due ON message(state, nextAttemptAt);
                CREATE INDEX message_customer ON message(customerCode, day, kind);
                -- every attempt, on which channel, with the provider's id and what came of it
                CREATE TABLE messageAttempt (
                    id INTEGER PRIMARY KEY,
                    messageId INTEGER NOT NULL REFERENCES message(id),
                    channel TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    providerId TEXT,
                    detail TEXT
                );
                CREATE INDEX messageAttempt_message ON messageAttempt(messageId);
                CREATE UNIQUE INDEX messageAttempt_provider ON messageAttempt(channel, providerId) WHERE providerId IS NOT NULL;
                """)
    }

    /// What the hub no longer takes on a device's word: a credit whose UTR a device claimed for another amount is
    /// kept as `amount-mismatch` (SQLite cannot widen a CHECK, so the table is rebuilt), and a device's code (the
    /// prefix of its receipt numbers and of its QRs' `tr`) is bound at enrollment.
    static func migrateTrust(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE credit_v12 (
                    provider TEXT NOT NULL,
                    providerPaymentId TEXT NOT NULL,
                    amountPaise INTEGER NOT NULL,
                    utr TEXT,
                    reference TEXT,
                    invoiceNumber TEXT,
                    paymentId TEXT,
                    state TEXT NOT NULL CHECK (state IN ('matched', 'unmatched', 'duplicate-utr', 'amount-mismatch')),
                    receivedAt INTEGER NOT NULL,
                    source TEXT NOT NULL DEFAULT 'webhook',
                    PRIMARY KEY (provider, providerPaymentId)
                );
                INSERT INTO credit_v12 (provider, providerPaymentId, amountPaise, utr, reference, invoiceNumber, paymentId, state, receivedAt, source)
                    SELECT provider, providerPaymentId, amountPaise, utr, reference, invoiceNumber, paymentId, state, receivedAt, source FROM credit;
                DROP TABLE credit;
                ALTER TABLE credit_v12 RENAME TO credit;
                CREATE INDEX credit_utr ON credit(utr) WHERE utr IS NOT NULL;
                ALTER TABLE device ADD COLUMN code TEXT;
                """)
    }
}
