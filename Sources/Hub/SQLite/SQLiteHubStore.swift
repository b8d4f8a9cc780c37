import Crypto
import FieldPayCore
import Foundation
import DurableSQLite
import GRDB
import HubAPI
import InvoiceImport

/// The hub's database: invoices with a change counter (the device feed), devices and enrollment codes,
/// uploaded payments, PSP webhook events and credits. SQLite in WAL mode with `synchronous = FULL`; every
/// write is a method here.
public final class SQLiteHubStore: Sendable {
    let pool: DatabasePool
    public let path: String
    /// Confirmations for the devices listening on `GET /v1/events`.
    public let broadcaster = EventBroadcaster()
    /// Wakes the message sender when an upload or a run has queued a message.
    public let messageSignal = MessageSignal()
    /// Wakes the ERP push services when a transaction queued a payment for the books.
    public let erpSignal = MessageSignal()

    public init(path: String) throws {
        self.path = path
        pool = try DurableSQLite.open(path: path)
        try SQLiteHubStore.migrator.migrate(pool)
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    /// Cursors of a pass in progress (see `changes`): versions stay far below it.
    static let passCursorBase: Int64 = 100_000_000_000_000_000

    static func nextVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "UPDATE counter SET value = value + 1 WHERE name = 'version' RETURNING value")!
    }

    // MARK: Invoices

    /// Imports an invoice file as the device does (same reader, same rejections); every invoice written
    /// takes a new version, so devices pull it.
    public func importInvoices(from reader: InvoiceFileReader) throws -> (written: Int, rejected: [Rejection]) {
        try pool.write { db in try SQLiteHubStore.importRecords(db) { try reader.next() } }
    }

    /// The importer's one write, for a file and for an ERP's pull alike (in the caller's transaction).
    static func importRecords(_ db: Database, next: () throws -> Result<ImportRecord, Rejection>?) throws -> (written: Int, rejected: [Rejection]) {
        do {
            var written = 0
            var rejected: [Rejection] = []
            let now = Date().millisecondsSince1970
            let previous = try db.makeStatement(sql: "SELECT outstandingPaise FROM invoice WHERE number = ? AND deleted = 0")
            let adjust = try db.makeStatement(sql: "INSERT INTO allocation (invoiceNumber, paise, at, kind) VALUES (?, ?, ?, 'import')")
            let customer = try db.makeStatement(
                sql: """
                    INSERT INTO customer (code, name, region, phone) VALUES (?, ?, ?, ?)
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = COALESCE(excluded.region, customer.region),
                        phone = COALESCE(excluded.phone, customer.phone)
                    """)
            let upsert = try db.makeStatement(
                sql: """
                    INSERT INTO invoice (number, numberKey, customerCode, customerName, invoiceDate, dueDate, totalPaise, outstandingPaise,
                        sellerGstin, buyerGstin, irn, payeeVpa, deleted, version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                    ON CONFLICT (number) DO UPDATE SET customerCode = excluded.customerCode, customerName = excluded.customerName,
                        invoiceDate = excluded.invoiceDate, dueDate = excluded.dueDate, totalPaise = excluded.totalPaise,
                        outstandingPaise = excluded.outstandingPaise, sellerGstin = excluded.sellerGstin,
                        buyerGstin = excluded.buyerGstin, irn = excluded.irn, payeeVpa = excluded.payeeVpa, deleted = 0,
                        version = excluded.version
                    """)
            while let row = try next() {
                switch row {
                case .failure(let rejection): rejected.append(rejection)
                case .success(let record):
                    let invoice = record.invoice
                    // The ERP's outstanding replaces the hub's: the difference goes on the ledger, so that aging
                    // as of an earlier date still rolls back to what was owed then.
                    if let before = try Int64.fetchOne(previous, arguments: [invoice.number]), before != invoice.outstanding.paise {
                        try adjust.execute(arguments: [invoice.number, before - invoice.outstanding.paise, now])
                    }
                    try customer.execute(arguments: [invoice.customerCode, record.customer.name, record.customer.region, record.customer.phone])
                    upsert.setUncheckedArguments([
                        invoice.number, normalizedInvoiceKey(invoice.number), invoice.customerCode, record.customer.name, invoice.invoiceDate.dayNumber,
                        invoice.dueDate.dayNumber, invoice.total.paise, invoice.outstanding.paise, invoice.sellerGstin?.value,
                        invoice.buyerGstin?.value, invoice.irn, invoice.payeeVPA, try SQLiteHubStore.nextVersion(db),
                    ])
                    try upsert.execute()
                    written += 1
                }
            }
            return (written, rejected)
        }
    }

    /// Marks an invoice deleted (a tombstone in the feed).
    public func deleteInvoice(_ number: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE invoice SET deleted = 1, version = ? WHERE number = ? AND deleted = 0", arguments: [try SQLiteHubStore.nextVersion(db), number])
            return db.changesCount == 1
        }
    }

    /// Changes after `cursor` (a version), oldest first, at most `limit`. With a `deviceID`, the feed is the
    /// device's rep's scope: an invoice in it as it now is, one it may hold from before (deleted, or taken off
    /// its rep) as a tombstone; from cursor 0 only what is in scope. A device whose cursor is older than its
    /// rep's last scope change gets an empty page with `reset`.
    /// The scope is the manager's to set: a device never widens it by asking (`?scope=region` is accepted from
    /// older devices and changes nothing).
    ///
    /// A pass that starts from 0 under a scope (or after a scope change) hands out cursors of its own,
    /// `passCursorBase + version`, until its last page: a cursor from before the scope change is answered with
    /// `reset`, one from the pass itself never is.
    public func changes(after cursor: Int64, limit: Int, deviceID: String? = nil) throws -> ChangesPage {
        try pool.read { db in
            var scope = (rep: "", scope: "all", since: Int64(0))
            if let deviceID, let found = try SQLiteHubStore.feedScope(deviceID: deviceID, db) { scope = found }
            let inPass = cursor == 0 || cursor >= SQLiteHubStore.passCursorBase
            let position = cursor >= SQLiteHubStore.passCursorBase ? cursor - SQLiteHubStore.passCursorBase : cursor
            if !inPass, position < scope.since { return ChangesPage(changes: [], nextCursor: "0", more: true, reset: true) }
            let inScope = SQLiteHubStore.scopeCondition(scope.scope)
            // A scoped device gets what is in its scope, and tombstones only for what it may hold: an invoice that
            // was in its scope when deleted, or once assigned to its rep (another region's deleted invoice is not
            // its to know of). From 0 it holds nothing: only what is in scope and live.
            var filter = ""
            if scope.scope != "all" {
                filter =
                    position == 0
                    ? "AND \(inScope) AND deleted = 0"
                    : "AND (\(inScope) OR EXISTS (SELECT 1 FROM assignmentHistory WHERE invoiceNumber = number AND fromRep = :rep))"
            }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT number, deleted, customerCode, customerName, invoiceDate, dueDate, totalPaise, outstandingPaise,
                        sellerGstin, buyerGstin, irn, payeeVpa, version, \(inScope) AS inScope
                    FROM invoice WHERE version > :cursor \(filter) ORDER BY version LIMIT :limit
                    """, arguments: ["cursor": position, "limit": limit + 1, "rep": scope.rep])
            var changes: [InvoiceChange] = []
            for row in rows.prefix(limit) {
                var change = InvoiceChange(number: row[0], deleted: row[1] || !(row[13] as Bool), version: row[12])
                if !change.deleted {
                    change.customerCode = row[2]
                    change.customerName = row[3]
                    change.invoiceDate = LocalDate(dayNumber: row[4]).isoString
                    change.dueDate = LocalDate(dayNumber: row[5]).isoString
                    change.total = Money(paise: row[6]).plainString
                    change.outstanding = Money(paise: row[7]).plainString
                    change.sellerGstin = row[8]
                    change.buyerGstin = row[9]
                    change.irn = row[10]
                    change.payeeVPA = row[11]
                }
                changes.append(change)
            }
            let more = rows.count > limit
            // The last page covers every version so far, including those a scope skipped.
            var next = more ? changes.last!.version : max(position, try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'version'") ?? 0)
            if more, inPass, scope.scope != "all" || scope.since > 0 { next += SQLiteHubStore.passCursorBase }
            return ChangesPage(changes: changes, nextCursor: String(next), more: more)
        }
    }

    /// The same digest a device computes over its cache (`InvoiceDigest`), over the hub's live invoices.
    public func invoiceDigest() throws -> (count: Int, digest: [UInt8]) {
        try pool.read { db in
            var digest = InvoiceDigest()
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT number, customerCode, invoiceDate, dueDate, totalPaise, outstandingPaise FROM invoice WHERE deleted = 0 ORDER BY number")
            while let row = try rows.next() {
                digest.add(number: row[0], customerCode: row[1], invoiceDate: row[2], dueDate: row[3], totalPaise: row[4], outstandingPaise: row[5])
            }
            return digest.finish()
        }
    }

    /// The one live invoice whose number key ends `key` (a UPI `tr` less its time suffix is the device code
    /// followed by the invoice key), by one index lookup per suffix; nil when none or more than one match.
    static func invoiceEnding(_ key: String, _ db: Database) throws -> String? {
        let characters = Array(key)
        var found: [String] = []
        for start in characters.indices {
            let suffix = String(characters[start...])
            found += try String.fetchAll(db, sql: "SELECT number FROM invoice WHERE numberKey = ? AND deleted = 0", arguments: [suffix])
            if found.count > 1 { return nil }
        }
        return found.first
    }

    public func customerRegion(_ code: String) throws -> String?? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT region FROM customer WHERE code = ?", arguments: [code]).map { $0[0] as String? }
        }
    }

    public func invoiceOutstanding(_ number: String) throws -> Money? {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT outstandingPaise FROM invoice WHERE number = ?", arguments: [number]).map { Money(paise: $0) } }
    }

    // MARK: Devices

    /// A one-time enrollment code for a rep's device, valid for `hours`.
    public func createEnrollmentCode(rep: String, hours: Int = 72) throws -> String {
        // 80 random bits as 16 characters of Crockford base 32, grouped for reading aloud: XXXX-XXXX-XXXX-XXXX.
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<16).map { _ in alphabet[Int.random(in: 0..<32, using: &generator)] }
        let code = stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
        try pool.write { db in
            try SQLiteHubStore.ensureRep(rep, db)
            try db.execute(
                sql: "INSERT INTO enrollment (codeHash, rep, expiresAt) VALUES (?, ?, ?)",
                arguments: [SQLiteHubStore.sha256(code), rep, Int64(Date().timeIntervalSince1970) + Int64(hours) * 3600])
        }
        return code
    }

    /// Exchanges a code for a device id and secret, once, binding the device's receipt key and code to it.
    public func enroll(code: String, deviceName: String, publicKey: String, deviceCode: String) throws -> EnrollOutcome {
        let normalized = code.uppercased().trimmingCharacters(in: .whitespaces)
        guard let key = Data(base64Encoded: publicKey), (try? Curve25519.Signing.PublicKey(rawRepresentation: key)) != nil else {
            return .invalidKey
        }
        guard isDeviceCode(deviceCode) else { return .invalidDeviceCode }
        return try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT rep, expiresAt, deviceId FROM enrollment WHERE codeHash = ?", arguments: [SQLiteHubStore.sha256(normalized)]) else {
                return .unknownCode
            }
            if (row[2] as String?) != nil { return .used }
            if (row[1] as Int64) < Int64(Date().timeIntervalSince1970) { return .expired }
            if let holder = try SQLiteHubStore.codeHolder(deviceCode, key: key, db) { return .deviceCodeTaken(holder) }
            let id = "dev_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let secret = (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined().lowercased()
            try db.execute(
                sql: "INSERT INTO device (id, name, rep, secretHash, enrolledAt, publicKey, code) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [String(id), deviceName, row[0] as String, SQLiteHubStore.sha256(secret), Int64(Date().timeIntervalSince1970), key, deviceCode])
            try db.execute(sql: "UPDATE enrollment SET deviceId = ? WHERE codeHash = ?", arguments: [String(id), SQLiteHubStore.sha256(normalized)])
            return .enrolled(EnrollResponse(deviceID: String(id), secret: secret, rep: row[0]))
        }
    }

    /// Why `code` cannot be this device's, or nil: a device not revoked, with another key, holds it or a code whose
    /// `tr` prefix starts with this one's or is started by it (a `tr` carries no separator after the code, so
    /// the prefixes of two devices must never overlap). The same key is the same device enrolling again.
    static func codeHolder(_ code: String, key: Data, _ db: Database) throws -> String? {
        let prefix = transactionPrefix(ofDeviceCode: code)
        for row in try Row.fetchAll(db, sql: "SELECT id, name, code, publicKey FROM device WHERE revoked = 0 AND code IS NOT NULL") {
            let other = transactionPrefix(ofDeviceCode: row[2])
            guard other.hasPrefix(prefix) || prefix.hasPrefix(other), (row[3] as Data?) != key else { continue }
            let name: String = row[1]
            return "device code \(code) clashes with device \(row[0] as String) (\(name), code \(row[2] as String)): their QR references would be "
                + "mistaken for each other; give this device another [device] code, or revoke the other device first"
        }
        return nil
    }

    /// Checks `Bearer <device_id>.<secret>` (or a manager's `mgr_<id>.<secret>`), comparing hashes in constant time.
    public func authenticate(_ token: String) throws -> Authentication {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return .unknown }
        let id = String(parts[0])
        let manager = id.hasPrefix("mgr_")
        let row = try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT secretHash, revoked, \(manager ? "tokenExpiresAt" : "NULL") FROM \(manager ? "manager" : "device") WHERE id = ?",
                arguments: [id])
        }
        guard let row else { return .unknown }
        guard constantTimeEqual(Array((row[0] as String).utf8), Array(SQLiteHubStore.sha256(String(parts[1])).utf8)) else { return .unknown }
        if row[1] as Bool { return .revoked }
        if let expires = row[2] as Int64?, expires <= HubTime.nowMillis() { return .expired }
        return manager ? .manager(id) : .device(id)
    }

    public func revoke(deviceID: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE device SET revoked = 1 WHERE id = ?", arguments: [deviceID])
            return db.changesCount == 1
        }
    }

    // MARK: Payments

    /// Stores an uploaded payment once. The same UUID with the same body gets the stored result again; with
    /// another body it is a conflict. A payment for invoices already paid is kept and flagged for review.
    public func upload(paymentID: String, deviceID: String, body: Data, valid: ValidUpload) throws -> UploadOutcome {
        let payment = valid.upload
        // Compared by content, not by bytes: the same payment encoded with its keys in another order is a repeat.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let canonical = (try? encoder.encode(payment)) ?? body
        let bodyHash = SHA256.hash(data: canonical).hexString
        let amount = valid.amount
        var allocations = valid.allocations.map { ($0.invoice, $0.amount) }
        var queued = false
        var booked = false
        defer {
            if queued { messageSignal.poke() }
            if booked { erpSignal.poke() }
        }
        return try pool.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT bodyHash, deviceId, status, flagged FROM payment WHERE id = ?", arguments: [paymentID]) {
                guard existing[0] as String == bodyHash, existing[1] as String == deviceID else {
                    return .conflict("payment \(paymentID) was already uploaded with different contents")
                }
                return .repeated(PaymentResult(paymentID: paymentID, status: existing[2], flaggedForReview: existing[3]))
            }
            if let other = try String.fetchOne(
                db, sql: "SELECT id FROM payment WHERE deviceId = ? AND receiptNumber = ?", arguments: [deviceID, payment.receiptNumber])
            {
                return .conflict("receipt \(payment.receiptNumber) of this device is already payment \(other)")
            }
            // The receipt must be the device's: signed by the key it enrolled with, stating what the upload says.
            guard let device = try Row.fetchOne(db, sql: "SELECT publicKey, code FROM device WHERE id = ?", arguments: [deviceID]),
                let key = device[0] as Data?
            else {
                return .invalid("this device enrolled without a receipt key, so its receipts cannot be checked: enroll it again with a current fieldpay")
            }
            if let problem = SQLiteHubStore.receiptProblem(valid, paymentID: paymentID, key: key) { return .invalid(problem) }
            // A QR's `tr` starts with the code of the device that made it: a device uploads only its own, so no
            // device can take over the credit for another's QR.
            if let reference = payment.upiReference {
                var code: String? = device[1]
                if code == nil {
                    // Enrolled before codes were bound: its first upload binds the code its receipt numbers carry.
                    if let dash = payment.receiptNumber.lastIndex(of: "-"), isDeviceCode(String(payment.receiptNumber[..<dash])),
                        try SQLiteHubStore.codeHolder(String(payment.receiptNumber[..<dash]), key: key, db) == nil
                    {
                        code = String(payment.receiptNumber[..<dash])
                        try db.execute(sql: "UPDATE device SET code = ? WHERE id = ?", arguments: [code, deviceID])
                    }
                }
                guard let code, reference.hasPrefix(transactionPrefix(ofDeviceCode: code)) else {
                    return .invalid("upi_reference \(reference) was not made by this device: its QRs' references start with \(device[1] as String? ?? "its device code")")
                }
            }
            // Every invoice the payment is allocated to is its customer's (one the hub does not know is kept, flagged).
            for part in valid.allocations {
                if let owner = try String.fetchOne(db, sql: "SELECT customerCode FROM invoice WHERE number = ?", arguments: [part.invoice]),
                    owner != payment.customerCode
                {
                    return .invalid("invoice \(part.invoice) is not customer \(payment.customerCode)'s")
                }
            }
            var flagged = false
            // A UPI credit for this QR that reached the hub before the payment did was put on its invoice
            // then: this payment takes it over (confirmed, its UTR) and the invoice is not reduced twice.
            var creditUTR: String?
            var creditTaken = false
            if valid.method == .upi, let reference = payment.upiReference,
                let credit = try Row.fetchOne(
                    db,
                    sql: "SELECT provider, providerPaymentId, amountPaise, utr FROM credit WHERE reference = ? AND state = 'matched' AND paymentId IS NULL AND invoiceNumber IS NOT NULL",
                    arguments: [reference])
            {
                try db.execute(
                    sql: "UPDATE credit SET paymentId = ? WHERE provider = ? AND providerPaymentId = ?",
                    arguments: [paymentID, credit[0] as String, credit[1] as String])
                // The credit's allocation is this payment's from now on (in the register and the history).
                try db.execute(
                    sql: "UPDATE allocation SET paymentId = ? WHERE kind = 'credit' AND creditProvider = ? AND creditId = ?",
                    arguments: [paymentID, credit[0] as String, credit[1] as String])
                if (credit[2] as Int64) != amount.paise { flagged = true }
                creditUTR = credit[3]
                creditTaken = true
                allocations = []
            }
            for (number, part) in allocations {
                guard let outstanding = try Int64.fetchOne(db, sql: "SELECT outstandingPaise FROM invoice WHERE number = ?", arguments: [number]) else {
                    flagged = true  // an invoice the hub does not know: kept, for review
                    continue
                }
                if outstanding < part.paise { flagged = true }
                try db.execute(
                    sql: "UPDATE invoice SET outstandingPaise = max(0, outstandingPaise - ?), version = ? WHERE number = ?",
                    arguments: [part.paise, try SQLiteHubStore.nextVersion(db), number])
                // What the invoice was lowered by (never below zero), on the day the rep took the money.
                try SQLiteHubStore.allocate(number, paise: min(outstanding, part.paise), at: payment.recordedAtMillis, kind: "payment", paymentID: paymentID, db)
            }
            // A UTR another payment already holds is not taken: the payment waits for confirmation, flagged.
            var utr = payment.utr ?? creditUTR
            if let claimed = utr, try Bool.fetchOne(db, sql: "SELECT 1 FROM payment WHERE utr = ?", arguments: [claimed]) == true {
                utr = nil
                flagged = true
            }
            // A UTR in the upload is what the payer showed the rep: a claim until a credit proves it. A credit
            // taken over is the proof.
            let status: PaymentStatus =
                valid.method != .upi ? .received : creditTaken ? .confirmed : utr == nil ? .awaitingConfirmation : .utrClaimed
            try db.execute(
                sql: """
                    INSERT INTO payment (id, deviceId, bodyHash, receiptNumber, method, amountPaise, upiReference, utr, status, flagged, body, receivedAt,
                        recordedAt, customerCode, receiptToken)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    paymentID, deviceID, bodyHash, payment.receiptNumber, valid.method.rawValue, amount.paise, payment.upiReference, utr, status.rawValue, flagged,
                    String(decoding: body, as: UTF8.self), Date().millisecondsSince1970, payment.recordedAtMillis, payment.customerCode,
                    SQLiteHubStore.receiptToken(),
                ])
            // The customer's receipt message, in this transaction: a payment stored is a receipt that will be sent.
            queued = try SQLiteHubStore.queueReceipt(paymentID: paymentID, now: HubTime.nowMillis(), db)
            // And to the books, in this transaction too, when it is money in hand (cash, cheque, a UPI credit taken over).
            booked = try SQLiteHubStore.queueERP(paymentID: paymentID, now: HubTime.nowMillis(), db)
            return .created(PaymentResult(paymentID: paymentID, status: status.rawValue, flaggedForReview: flagged))
        }
    }

    /// Why an upload's receipt is not the device's, or nil: the Ed25519 signature over `signed_text` must
    /// verify with the device's key, and the signed text must state this upload's receipt, payment id, time,
    /// method, amount, allocations, advance, and its UTR and cheque number when it signed them; a version 2
    /// text also its customer, UPI reference, bank and cheque date, so that no uploaded field is unsigned.
    static func receiptProblem(_ valid: ValidUpload, paymentID: String, key: Data) -> String? {
        let payment = valid.upload
        let refused = "the receipt's signature does not verify with this device's key"
        guard let text = payment.signedText else { return "signed_text is missing: this device signs its receipts" }
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key), let signature = Base64URL.decode(payment.signature),
            publicKey.isValidSignature(signature, for: Data(text.utf8))
        else { return refused }
        guard let signed = SignedReceiptText.parse(text) else { return "signed_text is not a version 1 or 2 receipt" }
        var stated = signed.receiptNumber == payment.receiptNumber && signed.paymentID == paymentID
        stated = stated && signed.recordedAtMillis == payment.recordedAtMillis && signed.method == valid.method.rawValue
        stated = stated && signed.amountPaise == valid.amount.paise && signed.advancePaise == valid.advance.paise
        stated = stated && signed.allocations.count == valid.allocations.count
        for (part, sent) in zip(signed.allocations, valid.allocations) {
            stated = stated && part.invoice == sent.invoice && part.amountPaise == sent.amount.paise
        }
        // A UTR typed after the receipt was signed travels unsigned in the upload (a claim, never a confirmation).
        stated = stated && (signed.utr == nil || signed.utr == payment.utr)
        stated = stated && signed.chequeNumber == payment.chequeNumber
        if signed.version >= 2 {
            stated = stated && signed.customerCode == payment.customerCode && signed.upiReference == payment.upiReference
            stated = stated && signed.bank == payment.bank && signed.chequeDate == valid.chequeDate?.isoString
        }
        return stated ? nil : "the upload does not say what its signed receipt says"
    }

    /// A UTR the rep typed on the device for a UPI payment. It is the payer's word, shown on their phone: the
    /// payment becomes `utr-claimed`, and only a credit with that UTR and the payment's amount confirms it (one
    /// already here, unmatched, does so now). A payment never moves backwards; a UTR another payment holds is
    /// refused. Entering the same UTR again is answered the same.
    public func confirmUTR(paymentID: String, deviceID: String, utr: String) throws -> UTROutcome {
        let outcome: UTROutcome = try pool.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT utr, status, amountPaise FROM payment WHERE id = ? AND deviceId = ? AND method = 'upi'", arguments: [paymentID, deviceID])
            else { return .notFound }
            if let existing = row[0] as String? {
                guard existing == utr else { return .conflict("payment \(paymentID) already has UTR \(existing)") }
                return (row[1] as String) == PaymentStatus.confirmed.rawValue ? .confirmed : .claimed
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM payment WHERE utr = ?", arguments: [utr]) == true {
                return .conflict("UTR \(utr) belongs to another payment")
            }
            // A payment a credit without a UTR already confirmed stays confirmed; it only takes the UTR.
            if (row[1] as String) == PaymentStatus.confirmed.rawValue {
                try db.execute(sql: "UPDATE payment SET utr = ? WHERE id = ?", arguments: [utr, paymentID])
                return .confirmed
            }
            try db.execute(sql: "UPDATE payment SET utr = ?, status = 'utr-claimed' WHERE id = ?", arguments: [utr, paymentID])
            // The credit may have come first and matched nothing (a statement line, a webhook without our `tr`).
            if let credit = try Row.fetchOne(
                db, sql: "SELECT provider, providerPaymentId, amountPaise FROM credit WHERE utr = ? AND state = 'unmatched'", arguments: [utr]),
                (credit[2] as Int64) == (row[2] as Int64)
            {
                try db.execute(
                    sql: "UPDATE credit SET state = 'matched', paymentId = ? WHERE provider = ? AND providerPaymentId = ?",
                    arguments: [paymentID, credit[0] as String, credit[1] as String])
                try SQLiteHubStore.confirmClaimed(paymentID, db: db, now: HubTime.nowMillis())
                return .confirmed
            }
            return .claimed
        }
        if outcome == .confirmed {
            messageSignal.poke()
            erpSignal.poke()
        }
        return outcome
    }

    /// Live invoices by number, optionally one, or the open ones.
    public func invoices(number: String? = nil, openOnly: Bool = false, limit: Int = 200) throws -> [InvoiceRow] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT number, customerName, dueDate, totalPaise, outstandingPaise FROM invoice
                    WHERE deleted = 0 AND (? IS NULL OR number = ?) AND (? = 0 OR outstandingPaise > 0) ORDER BY number LIMIT ?
                    """, arguments: [number, number, openOnly, limit]
            ).map { InvoiceRow(number: $0[0], customer: $0[1], dueDate: LocalDate(dayNumber: $0[2]), total: Money(paise: $0[3]), outstanding: Money(paise: $0[4])) }
        }
    }

    public func recentPayments(limit: Int = 50) throws -> [PaymentRow] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT payment.receiptNumber, payment.method, payment.amountPaise, payment.status, payment.flagged, payment.utr, device.rep,
                        payment.reversedAt
                    FROM payment JOIN device ON device.id = payment.deviceId ORDER BY payment.receivedAt DESC, payment.rowid DESC LIMIT ?
                    """, arguments: [limit]
            ).map { PaymentRow(receiptNumber: $0[0], method: $0[1], amount: Money(paise: $0[2]), status: $0[3], flagged: $0[4], utr: $0[5], rep: $0[6], reversedAt: $0[7]) }
        }
    }

    public func paymentCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment") ?? 0 }
    }

    public func paymentStatus(_ id: String, deviceID: String? = nil) throws -> (status: String, utr: String?)? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT status, utr FROM payment WHERE id = ? AND (? IS NULL OR deviceId = ?)", arguments: [id, deviceID, deviceID]
            ).map { ($0[0], $0[1]) }
        }
    }
}

/// An amount as the protocol writes it: rupees, a point, two digits of paise (`15110.00`); nothing looser.


/// Compares two byte strings in time that depends only on their length.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}

/// The SQLite backend implements every store seam (the embedded default: one file, one process).
extension SQLiteHubStore: DeviceRegistry, InvoiceBook, PaymentLedger, EventFeed, ManagerDirectory, AllocationStore, ReportStore,
    CollectionsWork, BookMetrics
{}
