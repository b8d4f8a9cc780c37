import FieldPayCore
import Foundation
import GRDB
import HubAPI

/// A customer's statement of account for a period: what they owed when it opened, each invoice, payment and
/// adjustment in it, what they owe at its close, and the aging of that.
public struct AccountStatement: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var day: LocalDate
        /// invoice, payment, credit (a UPI credit no device recorded), adjustment (the books changed it)
        public var kind: String
        public var reference: String
        /// What it adds to the balance: an invoice positive, a payment negative.
        public var amount: Money
    }

    public var customerCode: String
    public var customerName: String
    public var from: LocalDate
    public var to: LocalDate
    public var opening: Money
    public var lines: [Line]
    public var closing: Money
    /// The closing balance by days past due at `to`: current, 1–30, 31–60, 61–90, over 90.
    public var aging: [(bucket: String, amount: Money)]

    public static func == (a: AccountStatement, b: AccountStatement) -> Bool {
        a.customerCode == b.customerCode && a.from == b.from && a.to == b.to && a.opening == b.opening && a.lines == b.lines && a.closing == b.closing
            && a.aging.map(\.bucket) == b.aging.map(\.bucket) && a.aging.map(\.amount) == b.aging.map(\.amount)
    }
}

extension AccountStatement {
    /// The first day of the Indian financial year `day` falls in (1 April): a statement's default start.
    public static func financialYearStart(_ day: LocalDate) -> LocalDate {
        let (year, month, _) = day.components
        return LocalDate(year: month >= 4 ? year : year - 1, month: 4, day: 1)!
    }

    /// A bucket's label: "not yet due" or "31–60 days past due".
    public static func bucketLabel(_ bucket: String) -> String { bucket == "current" ? "not yet due" : bucket + " days past due" }
}

/// What sending a statement came to.
public enum StatementSend: Sendable, Equatable {
    case queued(token: String)
    case noCustomer
    case noPhone
    case optedOut
    /// The customer already had their reminders and statements for the day.
    case capped
    /// This period's statement was already queued today.
    case alreadyQueued(token: String)
}

extension SQLiteHubStore {
    public func statement(_ code: String, from: LocalDate, to: LocalDate) throws -> AccountStatement? {
        guard from <= to else { throw ReportInputError("the statement's first day is after its last") }
        return try pool.read { db in try Self.statement(code, from: from, to: to, db) }
    }

    static func statement(_ code: String, from: LocalDate, to: LocalDate, _ db: Database) throws -> AccountStatement? {
        guard let name = try String.fetchOne(db, sql: "SELECT name FROM customer WHERE code = ?", arguments: [code]) else { return nil }
        let start = HubTime.endOfDay(from.adding(days: -1))  // the first millisecond of `from`, India time
        let end = HubTime.endOfDay(to)
        var opening: Int64 = 0
        var lines: [AccountStatement.Line] = []
        var open: [(number: String, due: Int, paise: Int64)] = []
        let invoices = try Row.fetchAll(
            db,
            sql: """
                SELECT number, invoiceDate, dueDate, totalPaise, outstandingPaise FROM invoice
                WHERE customerCode = ? AND deleted = 0 AND invoiceDate <= ? ORDER BY invoiceDate, number
                """, arguments: [code, to.dayNumber])
        let parts = try db.cachedStatement(sql: "SELECT paise, at, kind, paymentId FROM allocation WHERE invoiceNumber = ? ORDER BY at, id")
        // The hub's ledger: an invoice's balance at a moment is what it owes now plus everything allocated to it
        // since. What was paid before the hub knew the invoice (the books' "paid" at import) is its own line.
        for invoice in invoices {
            let number: String = invoice[0]
            let dated = LocalDate(dayNumber: invoice[1])
            let (total, owedNow): (Int64, Int64) = (invoice[3], invoice[4])
            let allocations = try Row.fetchAll(parts, arguments: [number])
            var sinceStart: Int64 = 0
            var sinceEnd: Int64 = 0
            var all: Int64 = 0
            for part in allocations {
                let (paise, at, kind): (Int64, Int64, String) = (part[0], part[1], part[2])
                all = try StoredPaise.add(all, paise)
                if at >= start { sinceStart = try StoredPaise.add(sinceStart, paise) }
                if at >= end { sinceEnd = try StoredPaise.add(sinceEnd, paise) }
                let inPeriod = dated >= from ? at < end : (at >= start && at < end)
                guard inPeriod else { continue }
                // A payment's or credit's negative row is its reversal (a bounced cheque, a refund).
                let label = kind == "import" ? "adjustment" : paise < 0 ? "reversal" : (kind == "credit" ? "credit" : "payment")
                var reference = number
                if kind != "import", let id = part[3] as String?, let receipt = try String.fetchOne(db, sql: "SELECT receiptNumber FROM payment WHERE id = ?", arguments: [id]) {
                    reference = receipt + " on " + number
                }
                lines.append(.init(day: HubTime.day(ofMillis: at), kind: label, reference: reference, amount: Money(paise: -paise)))
            }
            if dated < from {
                opening = try StoredPaise.add(opening, try StoredPaise.add(owedNow, sinceStart))
            } else {
                lines.append(.init(day: dated, kind: "invoice", reference: number, amount: Money(paise: total)))
                let before = try StoredPaise.subtract(total, try StoredPaise.add(owedNow, all))
                if before != 0 {
                    lines.append(.init(day: dated, kind: "paid before", reference: number + " (in the books)", amount: Money(paise: -before)))
                }
            }
            let closing = try StoredPaise.add(owedNow, sinceEnd)
            if closing > 0 { open.append((number, Int(invoice[2] as Int64), closing)) }
        }
        lines.sort { ($0.day, $0.kind == "invoice" ? 0 : 1, $0.reference) < ($1.day, $1.kind == "invoice" ? 0 : 1, $1.reference) }
        let closing = try StoredPaise.add(opening, try StoredPaise.sum(lines.map(\.amount.paise)))
        var buckets: [(String, Int64)] = [("current", 0), ("1–30", 0), ("31–60", 0), ("61–90", 0), ("over 90", 0)]
        for invoice in open {
            let late = Int(to.dayNumber) - invoice.due
            let index = late <= 0 ? 0 : late <= 30 ? 1 : late <= 60 ? 2 : late <= 90 ? 3 : 4
            buckets[index].1 = try StoredPaise.add(buckets[index].1, invoice.paise)
        }
        return AccountStatement(
            customerCode: code, customerName: name, from: from, to: to, opening: Money(paise: opening), lines: lines, closing: Money(paise: closing),
            aging: buckets.map { ($0.0, Money(paise: $0.1)) })
    }

    /// Queues the statement for `from`…`to` to the customer (its own link, `/s/<token>`), under the daily cap.
    public func queueStatement(_ code: String, from: LocalDate, to: LocalDate, now: Int64) throws -> StatementSend {
        let outcome: StatementSend = try pool.write { db in
            guard let customer = try Row.fetchOne(db, sql: "SELECT name, phone, optedOutAt, language, channel FROM customer WHERE code = ?", arguments: [code]) else {
                return .noCustomer
            }
            guard let phone = (customer[1] as String?).flatMap(PhoneNumber.init) else { return .noPhone }
            if (customer[2] as Int64?) != nil { return .optedOut }
            let today = HubTime.day(ofMillis: now)
            let key = "statement:\(code):\(from.isoString):\(to.isoString):\(today.isoString)"
            if let token = try String.fetchOne(db, sql: "SELECT token FROM statementLink WHERE messageKey = ?", arguments: [key]) { return .alreadyQueued(token: token) }
            let sentToday = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE customerCode = ? AND day = ? AND kind != 'receipt'", arguments: [code, today.dayNumber]) ?? 0
            guard sentToday < Self.dailyMessageCap else { return .capped }
            guard let statement = try Self.statement(code, from: from, to: to, db) else { return .noCustomer }
            let token = Self.receiptToken()
            try db.execute(
                sql: "INSERT INTO statementLink (token, customerCode, fromDay, toDay, messageKey, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [token, code, from.dayNumber, to.dayNumber, key, now])
            var values = MessageValues(customer: customer[0], amount: statement.closing, token: token)
            values.asOf = to.indianString
            _ = try Self.queueMessage(
                key: key, kind: .statement, customer: code, phone: phone, channel: (customer[4] as String?).flatMap(ChannelName.init) ?? .whatsapp,
                language: (customer[3] as String?).flatMap(MessageLanguage.init) ?? .en, paymentID: nil, values: values, held: false, now: now, db)
            return .queued(token: token)
        }
        if case .queued = outcome { messageSignal.poke() }
        return outcome
    }

    /// The statement behind a link: the period it was drawn for, as the books stand now.
    public func statement(token: String) throws -> AccountStatement? {
        guard Self.isLinkToken(token) else { return nil }
        return try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT customerCode, fromDay, toDay, token FROM statementLink WHERE token = ?", arguments: [token]),
                constantTimeEqual(Array(token.utf8), Array((row[3] as String).utf8))
            else { return nil }
            return try Self.statement(row[0], from: LocalDate(dayNumber: row[1]), to: LocalDate(dayNumber: row[2]), db)
        }
    }

    static func migrateStatementLinks(_ db: Database) throws {
        try db.execute(
            sql: """
                -- a statement sent to a customer: its link's secret and the period it covers
                CREATE TABLE statementLink (
                    token TEXT PRIMARY KEY NOT NULL,
                    customerCode TEXT NOT NULL,
                    fromDay INTEGER NOT NULL,
                    toDay INTEGER NOT NULL,
                    messageKey TEXT NOT NULL UNIQUE,
                    createdAt INTEGER NOT NULL
                );
                """)
    }
}
