import FieldPayCore
import Foundation
import GRDB
import HubAPI

/// Follow-ups and promises, disputes, reminder policies with their outbox, and escalations.
extension SQLiteHubStore {
    // MARK: Follow-ups

    /// Records a follow-up once per id. `deviceRep` is the rep of the device that recorded it (nil: a manager).
    public func putFollowUp(id: String, _ request: FollowUpRequest, actor: String, deviceRep: String?) throws -> FollowUpOutcome {
        guard ["call", "visit"].contains(request.action) else { throw ReportInputError("action must be call or visit, not \(request.action.prefix(40))") }
        let due = try HubTime.day(request.dueDate, "due_date")
        let promised = try request.promisedDate.map { try HubTime.day($0, "promised_date") }
        var promisedPaise: Int64?
        if let text = request.promisedAmount {
            guard let amount = wireMoney(text), amount.isPositive else { throw ReportInputError("promised_amount must be a positive amount like 1500.00") }
            guard promised != nil else { throw ReportInputError("promised_amount needs promised_date") }
            promisedPaise = amount.paise
        }
        if let note = request.note, note.count > 500 { throw ReportInputError("note must be at most 500 characters") }
        guard request.invoice != nil || request.customerCode != nil else { throw ReportInputError("name an invoice or a customer_code") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let bodyHash = SQLiteHubStore.sha256(String(decoding: try encoder.encode(request), as: UTF8.self))
        // true: recorded now; false: the same follow-up again; nil: this id with another body.
        let created: Bool? = try pool.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT bodyHash FROM followup WHERE id = ?", arguments: [id]) {
                return existing == bodyHash ? false : nil
            }
            var customer = request.customerCode
            var rep = request.rep ?? deviceRep
            var owed: Int64
            // A device acts for its own rep, on what its feed may hold, and its refusals say nothing of the rest of
            // the book: an invoice or customer outside its scope is answered as one that does not exist.
            var inScope = "1"
            var where_ = "this hub"
            if let deviceRep {
                if let asked = request.rep, asked != deviceRep { throw ReportInputError("a device records follow-ups for its own rep, \(deviceRep)") }
                let scope = try String.fetchOne(db, sql: "SELECT scope FROM rep WHERE name = ?", arguments: [deviceRep]) ?? "assigned"
                inScope = SQLiteHubStore.scopeCondition(scope)
                where_ = "this device's scope"
            }
            if let number = request.invoice {
                guard let invoice = try Row.fetchOne(
                    db, sql: "SELECT customerCode, assignedRep, outstandingPaise FROM invoice WHERE number = :number AND deleted = 0 AND \(inScope)",
                    arguments: ["number": number, "rep": deviceRep])
                else { throw ReportInputError("no invoice \(number) in \(where_)") }
                if let customer, customer != invoice[0] as String { throw ReportInputError("invoice \(number) is not customer \(customer)'s") }
                customer = invoice[0]
                rep = deviceRep ?? request.rep ?? invoice[1]
                owed = invoice[2]
            } else {
                let known =
                    deviceRep == nil
                    ? try Bool.fetchOne(db, sql: "SELECT 1 FROM customer WHERE code = ?", arguments: [customer]) == true
                    : try Bool.fetchOne(
                        db, sql: "SELECT 1 FROM invoice WHERE customerCode = :customer AND deleted = 0 AND \(inScope) LIMIT 1",
                        arguments: ["customer": customer, "rep": deviceRep]) == true
                guard known else { throw ReportInputError("no customer \(customer ?? "") in \(where_)") }
                owed = try Int64.fetchOne(
                    db, sql: "SELECT COALESCE(SUM(outstandingPaise), 0) FROM invoice WHERE customerCode = ? AND deleted = 0", arguments: [customer]) ?? 0
            }
            // A manager may name a rep new to the hub; a device's rep exists already.
            if let rep, deviceRep == nil { try SQLiteHubStore.ensureRep(rep, db) }
            try db.execute(
                sql: """
                    INSERT INTO followup (id, bodyHash, customerCode, invoiceNumber, rep, action, dueDay, note, promisedDay, promisedPaise, owedAtCreation,
                        source, createdBy, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, bodyHash, customer, request.invoice, rep, request.action, due.dayNumber, request.note, promised?.dayNumber, promisedPaise, owed,
                    deviceRep == nil ? "hub" : "device", actor, HubTime.nowMillis(),
                ])
            return true
        }
        guard let created else { return .conflict("follow-up \(id) was already recorded with different contents") }
        let followUp = try followUp(id, asOf: LocalDate.today())!
        return created ? .created(followUp) : .repeated(followUp)
    }

    public func closeFollowUp(_ id: String, _ close: FollowUpClose, deviceRep: String?) throws -> FollowUp? {
        guard ["done", "cancelled"].contains(close.state) else { throw ReportInputError("state must be done or cancelled") }
        if let outcome = close.outcome, outcome.count > 500 { throw ReportInputError("outcome must be at most 500 characters") }
        // A device closes its own rep's follow-ups only; another rep's is answered as unknown.
        let found = try pool.write { db in
            guard try Bool.fetchOne(
                db, sql: "SELECT 1 FROM followup WHERE id = ? AND (? IS NULL OR rep = ?)", arguments: [id, deviceRep, deviceRep]) == true
            else { return false }
            try db.execute(
                sql: "UPDATE followup SET state = ?, outcome = ?, closedAt = ? WHERE id = ? AND state = 'open'",
                arguments: [close.state, close.outcome, HubTime.nowMillis(), id])
            return true
        }
        return found ? try followUp(id, asOf: LocalDate.today()) : nil
    }

    public func followUp(_ id: String, asOf: LocalDate) throws -> FollowUp? {
        try pool.read { db in try SQLiteHubStore.followUps(where: "followup.id = ?", [id], asOf: asOf, db).first }
    }

    static let followUpColumns = """
        SELECT followup.id, followup.customerCode, customer.name, followup.invoiceNumber, followup.rep, followup.action, followup.dueDay, followup.note,
            followup.promisedDay, followup.promisedPaise, followup.state, followup.outcome, followup.source, followup.createdAt, followup.owedAtCreation,
            CASE WHEN followup.invoiceNumber IS NULL
                THEN (SELECT COALESCE(SUM(outstandingPaise), 0) FROM invoice WHERE invoice.customerCode = followup.customerCode AND deleted = 0)
                ELSE (SELECT outstandingPaise FROM invoice WHERE number = followup.invoiceNumber) END
        FROM followup LEFT JOIN customer ON customer.code = followup.customerCode
        """

    static func followUps(where condition: String, _ arguments: StatementArguments, asOf: LocalDate, _ db: Database) throws -> [FollowUp] {
        try Row.fetchAll(db, sql: followUpColumns + " WHERE " + condition + " ORDER BY followup.dueDay, followup.createdAt", arguments: arguments).map { row in
            let promisedDay: Int32? = row[8]
            var kept: Bool?
            if let promisedDay, LocalDate(dayNumber: promisedDay) < asOf {
                kept = try promiseKept(row, promisedDay: LocalDate(dayNumber: promisedDay), db)
            }
            return FollowUp(
                id: row[0], customerCode: row[1], customerName: row[2] ?? "", invoice: row[3], rep: row[4], action: row[5],
                dueDate: LocalDate(dayNumber: row[6]).isoString, note: row[7], promisedDate: promisedDay.map { LocalDate(dayNumber: $0).isoString },
                promisedAmount: (row[9] as Int64?).map { Money(paise: $0).plainString }, state: row[10], outcome: row[11], source: row[12],
                outstanding: Money(paise: (row[15] as Int64?) ?? 0).plainString, promiseKept: kept)
        }
    }

    /// Paid as promised: what was allocated to the invoice (or the customer's invoices) from the promise to
    /// the end of its day reaches the amount promised (all that was owed, when no amount was named).
    static func promiseKept(_ row: Row, promisedDay: LocalDate, _ db: Database) throws -> Bool {
        let promised: Int64 = (row[9] as Int64?) ?? (row[14] as Int64)
        guard promised > 0 else { return true }
        let invoice: String? = row[3]
        let from: Int64 = row[13]
        let paid =
            try Int64.fetchOne(
                db,
                sql: invoice != nil
                    ? "SELECT COALESCE(SUM(paise), 0) FROM allocation WHERE invoiceNumber = ? AND kind != 'import' AND at >= ? AND at < ?"
                    : """
                    SELECT COALESCE(SUM(paise), 0) FROM allocation JOIN invoice ON invoice.number = allocation.invoiceNumber
                    WHERE invoice.customerCode = ? AND kind != 'import' AND at >= ? AND at < ?
                    """,
                arguments: [invoice ?? (row[1] as String), from, HubTime.endOfDay(promisedDay)]) ?? 0
        return paid >= promised
    }

    /// A rep's (or everyone's) follow-ups: `due` (open, due on or before `asOf`), `missed` (promises whose
    /// day has passed unpaid while something is still owed), or `open`.
    public func followUps(list: String, rep: String?, asOf: LocalDate, page: Int = 1, perPage: Int = 100) throws -> FollowUpList {
        try pool.read { db in
            var condition = rep == nil ? "1" : "followup.rep = :rep"
            switch list {
            case "due": condition += " AND followup.state = 'open' AND followup.dueDay <= :day"
            case "open": condition += " AND followup.state = 'open'"
            case "missed": condition += " AND followup.state != 'cancelled' AND followup.promisedDay < :day"
            default: throw ReportInputError("list must be due, missed or open, not \(list.prefix(40))")
            }
            var rows = try SQLiteHubStore.followUps(where: condition, ["rep": rep, "day": asOf.dayNumber], asOf: asOf, db)
            if list == "missed" { rows = rows.filter { $0.promiseKept == false && (try? Money(parsing: $0.outstanding).isPositive) == true } }
            return FollowUpList(
                asOf: asOf.isoString, list: list, followups: Array(rows.dropFirst((page - 1) * perPage).prefix(perPage)),
                page: PageInfo(page: page, perPage: perPage, rows: rows.count))
        }
    }

    // MARK: Disputes

    /// Marks an invoice disputed: reminders pause (by policy) and it leaves its rep's to-collect.
    public func openDispute(_ number: String, _ request: DisputeRequest, actor: String) throws -> Dispute {
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 500 else { throw ReportInputError("reason must be 1 to 500 characters") }
        return try pool.write { db in
            guard let owed = try Int64.fetchOne(db, sql: "SELECT outstandingPaise FROM invoice WHERE number = ? AND deleted = 0", arguments: [number]) else {
                throw ReportInputError("no invoice \(number) at this hub")
            }
            var paise = owed
            if let text = request.amount {
                guard let amount = wireMoney(text), amount.isPositive else { throw ReportInputError("amount must be a positive amount like 1500.00") }
                paise = amount.paise
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM dispute WHERE invoiceNumber = ? AND resolvedAt IS NULL", arguments: [number]) == true {
                throw ReportInputError("invoice \(number) is already disputed; resolve that dispute first")
            }
            try db.execute(
                sql: "INSERT INTO dispute (invoiceNumber, reason, paise, openedAt, openedBy) VALUES (?, ?, ?, ?, ?)",
                arguments: [number, reason, paise, HubTime.nowMillis(), actor])
            return try SQLiteHubStore.disputes(where: "dispute.id = ?", [db.lastInsertedRowID], db)[0]
        }
    }

    public func resolveDispute(_ number: String, resolution: String, actor: String) throws -> Dispute? {
        guard !resolution.isEmpty, resolution.count <= 500 else { throw ReportInputError("resolution must be 1 to 500 characters") }
        return try pool.write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM dispute WHERE invoiceNumber = ? AND resolvedAt IS NULL", arguments: [number]) else {
                return nil
            }
            try db.execute(
                sql: "UPDATE dispute SET resolvedAt = ?, resolvedBy = ?, resolution = ? WHERE id = ?", arguments: [HubTime.nowMillis(), actor, resolution, id])
            return try SQLiteHubStore.disputes(where: "dispute.id = ?", [id], db)[0]
        }
    }

    public func disputes(openOnly: Bool = true) throws -> [Dispute] {
        try pool.read { db in try SQLiteHubStore.disputes(where: openOnly ? "dispute.resolvedAt IS NULL" : "1", [], db) }
    }

    static func disputes(where condition: String, _ arguments: StatementArguments, _ db: Database) throws -> [Dispute] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT dispute.invoiceNumber, invoice.customerCode, dispute.reason, dispute.paise, dispute.openedAt, dispute.openedBy, dispute.resolvedAt,
                    dispute.resolution
                FROM dispute JOIN invoice ON invoice.number = dispute.invoiceNumber WHERE \(condition) ORDER BY dispute.id
                """, arguments: arguments
        ).map {
            Dispute(
                invoice: $0[0], customerCode: $0[1], reason: $0[2], amount: Money(paise: $0[3]).plainString, openedAtMillis: $0[4], openedBy: $0[5],
                resolvedAtMillis: $0[6], resolution: $0[7])
        }
    }

    // MARK: Reminders and escalations

    public func reminderPolicies() throws -> [ReminderPolicy] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT groupName, firstAfterDays, everyDays, stopOnDispute, channel, escalateAfterDays FROM reminderPolicy ORDER BY groupName")
                .map { ReminderPolicy(group: $0[0], firstAfterDays: $0[1], everyDays: $0[2], stopOnDispute: $0[3], channel: $0[4], escalateAfterDays: $0[5]) }
        }
    }

    public func setReminderPolicy(_ policy: ReminderPolicy) throws {
        guard !policy.group.isEmpty, policy.group.count <= 100 else { throw ReportInputError("group must be 1 to 100 characters") }
        guard (0...3650).contains(policy.firstAfterDays) else { throw ReportInputError("first_after_days must be 0 to 3650") }
        guard (1...3650).contains(policy.everyDays) else { throw ReportInputError("every_days must be 1 to 3650") }
        guard (1...3650).contains(policy.escalateAfterDays) else { throw ReportInputError("escalate_after_days must be 1 to 3650") }
        guard ["whatsapp", "sms"].contains(policy.channel) else { throw ReportInputError("channel must be whatsapp or sms") }
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO reminderPolicy VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (groupName) DO UPDATE SET firstAfterDays = excluded.firstAfterDays,
                        everyDays = excluded.everyDays, stopOnDispute = excluded.stopOnDispute, channel = excluded.channel,
                        escalateAfterDays = excluded.escalateAfterDays
                    """,
                arguments: [policy.group, policy.firstAfterDays, policy.everyDays, policy.stopOnDispute, policy.channel, policy.escalateAfterDays])
        }
    }

    /// Puts customers in a reminder group (which must have a policy).
    public func setReminderGroup(_ group: String, customers: [String]) throws -> Int {
        try pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM reminderPolicy WHERE groupName = ?", arguments: [group]) == true else {
                throw ReportInputError("no reminder policy for group \(group): set one first")
            }
            var changed = 0
            for code in customers {
                try db.execute(sql: "UPDATE customer SET reminderGroup = ? WHERE code = ?", arguments: [group, code])
                changed += db.changesCount
            }
            return changed
        }
    }

    /// The day's collections run (idempotent for a day): queues the reminders the policies call for and
    /// opens escalations for invoices past their group's age or with two missed promises.
    ///
    /// What to queue is decided on one read snapshot and written in short transactions of
    /// `collectionsWriteBatch` rows: on a big book a run queues hundreds of thousands of rows, and one long
    /// write held SQLite's only writer lock for many seconds, so uploads and enrolments waiting on it gave up
    /// ("database is locked" in the 1M-invoice sync harness). Each row is `INSERT OR IGNORE` on its day's key,
    /// so a run that is interrupted, or runs twice at once, still queues each reminder once.
    public func runCollections(asOf: LocalDate) throws -> CollectionsRun {
        let day = Int(asOf.dayNumber)
        var run = CollectionsRun(asOf: asOf.isoString, remindersQueued: 0, skippedDisputed: 0, escalations: 0)
        var remind: [(customer: String, invoice: String, phone: String?, channel: String, message: String)] = []
        var escalate: [(invoice: String, reason: String)] = []
        var overdue: [String: CustomerOverdue] = [:]
        var due: Set<String> = []
        var capped: Set<String> = []
        try pool.read { db in
            let open = try Row.fetchCursor(
                db,
                sql: """
                    SELECT invoice.number, invoice.customerCode, customer.name, customer.phone, invoice.dueDate, invoice.outstandingPaise,
                        policy.firstAfterDays, policy.everyDays, policy.stopOnDispute, policy.channel, policy.escalateAfterDays,
                        EXISTS (SELECT 1 FROM dispute WHERE dispute.invoiceNumber = invoice.number AND resolvedAt IS NULL),
                        (SELECT MAX(day) FROM reminder WHERE reminder.invoiceNumber = invoice.number),
                        customer.optedOutAt, customer.language, customer.channel, invoice.assignedRep
                    FROM invoice JOIN customer ON customer.code = invoice.customerCode
                    JOIN reminderPolicy AS policy ON policy.groupName = customer.reminderGroup
                    WHERE invoice.deleted = 0 AND invoice.outstandingPaise > 0 AND invoice.dueDate < ?
                    """, arguments: [day])
            while let row = try open.next() {
                let late = day - Int(row[4] as Int64)
                if late >= (row[10] as Int) { escalate.append((row[0], "age")) }
                let paused = (row[11] as Bool) && (row[8] as Bool)
                if !paused {
                    // Every overdue invoice the customer may be reminded of goes in their one message.
                    let code: String = row[1]
                    var entry = overdue[code] ?? CustomerOverdue(name: row[2], phone: row[3], optedOut: (row[13] as Int64?) != nil, language: row[14], channel: row[15] ?? row[9])
                    entry.invoices.append((row[0], row[4], row[5]))
                    if entry.rep == nil { entry.rep = row[16] }
                    overdue[code] = entry
                }
                guard late >= (row[6] as Int) else { continue }
                if paused {
                    run.skippedDisputed += 1
                    continue
                }
                if let last = row[12] as Int?, day - last < (row[7] as Int) { continue }
                due.insert(row[1] as String)
                let message =
                    "Dear \(row[2] as String), invoice \(row[0] as String) of \(Money(paise: row[5]).displayString) was due on "
                    + "\(LocalDate(dayNumber: row[4]).indianString) and is \(late) day\(late == 1 ? "" : "s") overdue. Please pay by UPI, or to our rep on the next visit."
                remind.append((row[1], row[0], row[3], row[9], message))
            }
            // Promises missed twice on the same invoice.
            var missed: [String: Int] = [:]
            for promise in try SQLiteHubStore.followUps(
                where: "followup.invoiceNumber IS NOT NULL AND followup.state != 'cancelled' AND followup.promisedDay < ?", [day], asOf: asOf, db)
            where promise.promiseKept == false {
                missed[promise.invoice!, default: 0] += 1
            }
            for (invoice, count) in missed where count >= 2 {
                escalate.append((invoice, "missed-promises"))
            }
            capped = Set(
                try String.fetchAll(
                    db, sql: "SELECT customerCode FROM message WHERE day = ? AND kind != 'receipt' GROUP BY customerCode HAVING COUNT(*) >= ?",
                    arguments: [day, Self.dailyMessageCap]))
        }
        let now = HubTime.nowMillis()
        run.remindersQueued = try writeInBatches(remind) { db, r in
            try db.execute(
                sql: "INSERT OR IGNORE INTO reminder (customerCode, invoiceNumber, day, channel, phone, message, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [r.customer, r.invoice, day, r.channel, r.phone, r.message, now])
        }
        // One message per customer due a reminder today, listing all their overdue invoices.
        var messages: [(code: String, phone: PhoneNumber, entry: CustomerOverdue)] = []
        for code in due.sorted() {
            guard let entry = overdue[code] else { continue }
            guard let phone = entry.phone.flatMap(PhoneNumber.init) else {
                run.skippedNoPhone += 1
                continue
            }
            if entry.optedOut {
                run.skippedOptedOut += 1
                continue
            }
            if capped.contains(code) { continue }
            messages.append((code, phone, entry))
        }
        run.messagesQueued = try writeInBatches(messages) { db, m in
            let invoices = m.entry.invoices.sorted { ($0.due, $0.number) < ($1.due, $1.number) }
            var values = MessageValues(
                customer: m.entry.name, amount: Money(paise: invoices.reduce(0) { $0 &+ $1.paise }),
                invoices: invoices.prefix(MessageValues.shownInvoices).map(\.number), rep: m.entry.rep)
            values.invoiceCount = invoices.count
            _ = try SQLiteHubStore.queueMessage(
                key: "reminder:\(m.code):\(asOf.isoString)", kind: .reminder, customer: m.code, phone: m.phone,
                channel: ChannelName(rawValue: m.entry.channel) ?? .whatsapp, language: MessageLanguage(rawValue: m.entry.language) ?? .en,
                paymentID: nil, values: values, held: false, now: now, day: asOf, db)
        }
        if run.messagesQueued > 0 { messageSignal.poke() }
        run.escalations = try writeInBatches(escalate) { db, e in
            try db.execute(sql: "INSERT OR IGNORE INTO escalation (invoiceNumber, reason, day) VALUES (?, ?, ?)", arguments: [e.invoice, e.reason, day])
        }
        return run
    }

    /// Writes `rows` in transactions of `collectionsWriteBatch` (a few milliseconds of the writer lock each);
    /// returns how many rows the statements changed.
    func writeInBatches<Item>(_ rows: [Item], _ write: (Database, Item) throws -> Void) throws -> Int {
        var changed = 0
        for start in stride(from: 0, to: rows.count, by: Self.collectionsWriteBatch) {
            changed += try pool.write { db in
                var count = 0
                for row in rows[start..<min(start + Self.collectionsWriteBatch, rows.count)] {
                    try write(db, row)
                    count += db.changesCount
                }
                return count
            }
        }
        return changed
    }

    static let collectionsWriteBatch = 2_000
    /// Reminders and statements a customer gets in a day at most (receipts are not counted).
    static let dailyMessageCap = 2

    public func reminders(state: String? = "queued", customer: String? = nil, limit: Int = 500) throws -> [Reminder] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, customerCode, invoiceNumber, day, channel, phone, message, state FROM reminder
                    WHERE (:state IS NULL OR state = :state) AND (:customer IS NULL OR customerCode = :customer) ORDER BY id LIMIT :limit
                    """, arguments: ["state": state, "customer": customer, "limit": limit]
            ).map {
                Reminder(
                    id: $0[0], customerCode: $0[1], invoice: $0[2], day: LocalDate(dayNumber: $0[3]).isoString, channel: $0[4], phone: $0[5],
                    message: $0[6], state: $0[7])
            }
        }
    }

    /// Open escalations (the invoice still owes), oldest first.
    public func escalations() throws -> [Escalation] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT escalation.invoiceNumber, invoice.customerCode, escalation.reason, escalation.day, invoice.assignedRep, invoice.outstandingPaise
                    FROM escalation JOIN invoice ON invoice.number = escalation.invoiceNumber
                    WHERE escalation.closedAt IS NULL AND invoice.outstandingPaise > 0 AND invoice.deleted = 0 ORDER BY escalation.day, escalation.id
                    """
            ).map {
                Escalation(
                    invoice: $0[0], customerCode: $0[1], reason: $0[2], day: LocalDate(dayNumber: $0[3]).isoString, rep: $0[4],
                    outstanding: Money(paise: $0[5]).plainString)
            }
        }
    }
}

/// A customer's overdue invoices as the collections run gathers them for the one reminder message.
struct CustomerOverdue {
    var name: String
    var phone: String?
    var optedOut: Bool
    var language: String
    var channel: String
    var rep: String?
    var invoices: [(number: String, due: Int64, paise: Int64)] = []

    init(name: String, phone: String?, optedOut: Bool, language: String, channel: String) {
        self.name = name
        self.phone = phone
        self.optedOut = optedOut
        self.language = language
        self.channel = channel
    }
}
