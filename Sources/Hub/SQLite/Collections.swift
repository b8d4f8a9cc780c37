import FieldPayCore
import Foundation
import GRDB
import HubAPI

/// The collections ledger: every change to an invoice's outstanding is a row of `allocation` (a device
/// payment's part on the day the rep took it, a PSP credit when it reached the hub, the difference an ERP
/// re-import made), so the hub can say what was owed on any earlier date by rolling today's outstanding
/// back: owed(D) = outstanding now + Σ allocations after D, over invoices dated up to D.
extension SQLiteHubStore {
    static func allocate(
        _ invoice: String, paise: Int64, at: Int64, kind: String, paymentID: String?, _ db: Database,
        credit: (provider: String, id: String)? = nil
    ) throws {
        guard paise != 0 else { return }
        try db.execute(
            sql: "INSERT INTO allocation (invoiceNumber, paise, at, kind, paymentId, creditProvider, creditId) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [invoice, paise, at, kind, paymentID, credit?.provider, credit?.id])
    }

    // MARK: Managers

    /// A manager's API token, `mgr_<id>.<secret>`: shown once, kept as a SHA-256.
    public func managers() throws -> [(id: String, name: String, revoked: Bool)] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT id, name, revoked FROM manager ORDER BY createdAt, id").map { ($0[0], $0[1], $0[2]) } }
    }

    public func revokeManager(id: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE manager SET revoked = 1 WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    // MARK: Aging

    /// An invoice's outstanding as of the end of `asOf` (India time): today's plus what was allocated after,
    /// by one probe of `allocation_invoice` per invoice (faster in SQLite than grouping the later allocations
    /// and joining them). `customer` restricts it to one customer's invoices (by index).
    /// With nothing allocated after the cutoff (a report as of today), today's outstanding is the answer.
    private static func openInvoicesSQL(customer: Bool, _ db: Database, cutoff: Int64) throws -> String {
        let latest = try Int64.fetchOne(db, sql: "SELECT MAX(at) FROM allocation") ?? Int64.min
        let owed = latest < cutoff
            ? "outstandingPaise" : "outstandingPaise + COALESCE((SELECT SUM(paise) FROM allocation WHERE invoiceNumber = number AND at >= :cutoff), 0)"
        return """
            SELECT number, customerCode, invoiceDate, dueDate, totalPaise, \(owed) AS owed
            FROM invoice WHERE \(customer ? "customerCode = :customer AND " : "")deleted = 0 AND invoiceDate <= :day
            """
    }

    private struct Accumulator {
        var buckets: [Int64]
        var invoices = 0
        var oldest = Int.min
        init(_ count: Int) { buckets = Array(repeating: 0, count: count) }
        var total: Int64 { buckets.reduce(0, +) }
        mutating func add(_ owed: Int64, bucket: Int, late: Int) {
            buckets[bucket] += owed
            invoices += 1
            oldest = max(oldest, late)
        }
        var amounts: BucketAmounts {
            BucketAmounts(buckets: buckets.map { Money(paise: $0).plainString }, outstanding: Money(paise: total).plainString, invoices: invoices)
        }
    }

    /// Outstanding per customer and bucket as of `asOf`, largest first, one page of customers (all on
    /// `perPage: nil`), with the totals over every customer.
    public func aging(asOf: LocalDate, edges: AgingEdges = .standard, page: Int = 1, perPage: Int? = 100) throws -> AgingReport {
        try pool.read { db in
            var perCustomer: [String: Accumulator] = [:]
            var totals = Accumulator(edges.labels.count)
            let rows = try Row.fetchCursor(
                db, sql: try SQLiteHubStore.openInvoicesSQL(customer: false, db, cutoff: HubTime.endOfDay(asOf)),
                arguments: ["cutoff": HubTime.endOfDay(asOf), "day": asOf.dayNumber])
            let day = Int(asOf.dayNumber)
            while let row = try rows.next() {
                let owed: Int64 = row[5]
                guard owed > 0 else { continue }
                let late = day - Int(row[3] as Int64)
                let bucket = edges.bucket(daysPastDue: late)
                perCustomer[row[1], default: Accumulator(edges.labels.count)].add(owed, bucket: bucket, late: late)
                totals.add(owed, bucket: bucket, late: late)
            }
            let ordered = perCustomer.map { ($0.key, $0.value.total) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let size = perPage ?? max(ordered.count, 1)
            let slice = ordered.dropFirst((page - 1) * size).prefix(size)
            let names = try SQLiteHubStore.customers(slice.map(\.0), db)
            let rowsOut = slice.map { code, _ in
                let accumulator = perCustomer[code]!
                return AgingCustomerRow(
                    customerCode: code, customerName: names[code]?.name ?? "", region: names[code]?.region, amounts: accumulator.amounts,
                    oldestDaysPastDue: accumulator.oldest)
            }
            return AgingReport(
                asOf: asOf.isoString, edges: edges.days, buckets: edges.labels, totals: totals.amounts, customers: ordered.count, rows: rowsOut,
                page: PageInfo(page: page, perPage: size, rows: ordered.count))
        }
    }

    static func customers(_ codes: [String], _ db: Database) throws -> [String: (name: String, region: String?)] {
        var found: [String: (name: String, region: String?)] = [:]
        let statement = try db.cachedStatement(sql: "SELECT name, region FROM customer WHERE code = ?")
        for code in codes {
            if let row = try Row.fetchOne(statement, arguments: [code]) { found[code] = (row[0], row[1]) }
        }
        return found
    }

    /// One customer's aging as of `asOf`, with its open invoices (oldest due first); nil for an unknown customer.
    public func customerAging(_ code: String, asOf: LocalDate, edges: AgingEdges = .standard, page: Int = 1, perPage: Int? = 100) throws
        -> CustomerAging?
    {
        try pool.read { db -> CustomerAging? in
            guard let customer = try SQLiteHubStore.customers([code], db)[code] else { return nil }
            let rows = try Row.fetchAll(
                db, sql: try SQLiteHubStore.openInvoicesSQL(customer: true, db, cutoff: HubTime.endOfDay(asOf)) + " ORDER BY dueDate, number",
                arguments: ["cutoff": HubTime.endOfDay(asOf), "day": asOf.dayNumber, "customer": code])
            var totals = Accumulator(edges.labels.count)
            var invoices: [AgingInvoiceRow] = []
            let labels = edges.labels
            for row in rows {
                let owed: Int64 = row[5]
                guard owed > 0 else { continue }
                let due = LocalDate(dayNumber: row[3])
                let late = due.days(until: asOf)
                let bucket = edges.bucket(daysPastDue: late)
                totals.add(owed, bucket: bucket, late: late)
                invoices.append(
                    AgingInvoiceRow(
                        number: row[0], invoiceDate: LocalDate(dayNumber: row[2]).isoString, dueDate: due.isoString,
                        total: Money(paise: row[4]).plainString, outstanding: Money(paise: owed).plainString, daysPastDue: late, bucket: labels[bucket]))
            }
            let size = perPage ?? max(invoices.count, 1)
            return CustomerAging(
                asOf: asOf.isoString, edges: edges.days, buckets: labels, customerCode: code, customerName: customer.name, region: customer.region,
                totals: totals.amounts, invoices: Array(invoices.dropFirst((page - 1) * size).prefix(size)),
                page: PageInfo(page: page, perPage: size, rows: invoices.count))
        }
    }

    /// Days Sales Outstanding over `from...to`.
    public func dso(from: LocalDate, to: LocalDate) throws -> DSOReport {
        let receivables = try pool.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT COALESCE(SUM(owed), 0) FROM (\(try SQLiteHubStore.openInvoicesSQL(customer: false, db, cutoff: HubTime.endOfDay(to)))) WHERE owed > 0",
                arguments: ["cutoff": HubTime.endOfDay(to), "day": to.dayNumber]) ?? 0
        }
        let sales = try pool.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT COALESCE(SUM(totalPaise), 0) FROM invoice WHERE deleted = 0 AND invoiceDate BETWEEN ? AND ?",
                arguments: [from.dayNumber, to.dayNumber]) ?? 0
        }
        let days = from.days(until: to) + 1
        let dso = sales > 0 ? (Double(receivables) / Double(sales) * Double(days) * 10).rounded() / 10 : nil
        return DSOReport(
            from: from.isoString, to: to.isoString, days: days, receivables: Money(paise: receivables).plainString,
            creditSales: Money(paise: sales).plainString, dso: dso)
    }

    // MARK: Register

    /// How a payment is counted in the register and the day sheet: by its method, except that a UPI payment whose
    /// only proof is a UTR its rep typed is `upi-claimed`, apart from money a credit confirmed.
    static let reportedMethod = "CASE WHEN payment.status = 'utr-claimed' THEN 'upi-claimed' ELSE payment.method END"

    /// The register's: a reversed payment (a bounced cheque, a refund) on its own `reversed` line, out of the
    /// totals. The day sheet keeps it in its method: the rep did take it, and handed it over.
    static let registerMethod = "CASE WHEN payment.reversedAt IS NOT NULL THEN 'reversed' ELSE \(reportedMethod) END"

    /// Payments recorded by reps from `from` to `to` (India days), per day, rep and method.
    public func register(from: LocalDate, to: LocalDate, page: Int = 1, perPage: Int? = 100, regions: [String]? = nil) throws -> CollectionRegister {
        try pool.read { db in
            // Held to regions: only the payments of those regions' customers (a region list as JSON, bound).
            let regional = regions == nil ? "" : "AND payment.customerCode IN (SELECT code FROM customer WHERE region IN (SELECT value FROM json_each(:regions)))"
            let regionList = String(decoding: try JSONEncoder().encode(regions ?? []), as: UTF8.self)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT (payment.recordedAt + :offset) / :day AS day, device.rep, \(SQLiteHubStore.registerMethod), COUNT(*), SUM(payment.amountPaise)
                    FROM payment JOIN device ON device.id = payment.deviceId
                    WHERE payment.recordedAt >= :start AND payment.recordedAt < :end \(regional)
                    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                    """,
                arguments: [
                    "offset": HubTime.istOffsetMillis, "day": HubTime.dayMillis, "start": HubTime.endOfDay(from.adding(days: -1)),
                    "end": HubTime.endOfDay(to), "regions": regionList,
                ])
            var register: [RegisterRow] = []
            var days: [(LocalDate, Int, Int64)] = []
            var count = 0
            var amount: Int64 = 0
            for row in rows {
                let day = LocalDate(dayNumber: Int32(clamping: row[0] as Int64))
                let (n, paise): (Int, Int64) = (row[3], row[4])
                register.append(RegisterRow(day: day.isoString, rep: row[1], method: row[2], payments: n, amount: Money(paise: paise).plainString))
                if (row[2] as String) == "reversed" { continue }
                if days.last?.0 == day {
                    days[days.count - 1].1 += n
                    days[days.count - 1].2 = try StoredPaise.add(days[days.count - 1].2, paise)
                } else {
                    days.append((day, n, paise))
                }
                count += n
                amount = try StoredPaise.add(amount, paise)
            }
            let size = perPage ?? max(register.count, 1)
            return CollectionRegister(
                from: from.isoString, to: to.isoString, rows: Array(register.dropFirst((page - 1) * size).prefix(size)),
                days: days.map { RegisterDay(day: $0.0.isoString, payments: $0.1, amount: Money(paise: $0.2).plainString) }, payments: count,
                amount: Money(paise: amount).plainString, page: PageInfo(page: page, perPage: size, rows: register.count))
        }
    }

    // MARK: History

    /// A customer's invoices and payments, newest first, at most `limit` of each; nil for an unknown customer.
    public func customerHistory(_ code: String, limit: Int = 200) throws -> CustomerHistory? {
        try pool.read { db -> CustomerHistory? in
            guard let customer = try SQLiteHubStore.customers([code], db)[code] else { return nil }
            let invoiceRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT number, invoiceDate, dueDate, totalPaise, outstandingPaise,
                        (SELECT MAX(at) FROM allocation WHERE invoiceNumber = number AND kind != 'import')
                    FROM invoice WHERE customerCode = ? AND deleted = 0 ORDER BY invoiceDate DESC, number DESC
                    """, arguments: [code])
            var invoiced: Int64 = 0
            var outstanding: Int64 = 0
            var dates: [String: (invoice: Int, due: Int)] = [:]
            var invoices: [HistoryInvoice] = []
            for row in invoiceRows {
                let (total, open): (Int64, Int64) = (row[3], row[4])
                invoiced += total
                outstanding += open
                dates[row[0]] = (row[1], row[2])
                let lastPaid: Int64? = row[5]
                invoices.append(
                    HistoryInvoice(
                        number: row[0], invoiceDate: LocalDate(dayNumber: row[1]).isoString, dueDate: LocalDate(dayNumber: row[2]).isoString,
                        total: Money(paise: total).plainString, outstanding: Money(paise: open).plainString,
                        paidOn: open == 0 ? lastPaid.map { HubTime.day(ofMillis: $0).isoString } : nil))
            }
            // Payments: the device's (allocations from the ledger), and PSP credits no device has recorded.
            let paymentRows = try Row.fetchAll(
                db,
                sql: """
                    SELECT payment.id, payment.receiptNumber, payment.method, payment.amountPaise, payment.recordedAt, device.rep,
                        CASE WHEN payment.reversedAt IS NOT NULL THEN 'reversed' ELSE payment.status END
                    FROM payment JOIN device ON device.id = payment.deviceId WHERE payment.customerCode = ?
                    UNION ALL
                    SELECT NULL, NULL, 'upi', credit.amountPaise, credit.receivedAt, NULL, 'credited-by-psp'
                    FROM allocation JOIN invoice ON invoice.number = allocation.invoiceNumber
                    JOIN credit ON credit.provider = allocation.creditProvider AND credit.providerPaymentId = allocation.creditId
                    WHERE invoice.customerCode = ? AND allocation.kind = 'credit' AND allocation.paymentId IS NULL
                    ORDER BY 5 DESC
                    """, arguments: [code, code])
            let parts = try db.cachedStatement(sql: "SELECT invoiceNumber, paise, at FROM allocation WHERE paymentId = ? ORDER BY id")
            var payments: [HistoryPayment] = []
            for row in paymentRows {
                let id: String? = row[0]
                let allocations = try id.map { try Row.fetchAll(parts, arguments: [$0]) } ?? []
                payments.append(
                    HistoryPayment(
                        receiptNumber: row[1], method: row[2], amount: Money(paise: row[3]).plainString, day: HubTime.day(ofMillis: row[4]).isoString,
                        atMillis: row[4], rep: row[5], status: row[6],
                        allocations: allocations.map { HistoryAllocation(invoice: $0[0], amount: Money(paise: $0[1]).plainString) }))
            }
            // How long they take: every payment or credit allocation to this customer's invoices, weighted by amount.
            var weight: Int64 = 0
            var toPay: Double = 0
            var late: Double = 0
            let ledger = try Row.fetchCursor(
                db,
                sql: """
                    SELECT allocation.invoiceNumber, allocation.paise, allocation.at FROM allocation
                    JOIN invoice ON invoice.number = allocation.invoiceNumber
                    WHERE invoice.customerCode = ? AND invoice.deleted = 0 AND allocation.kind != 'import' AND allocation.paise > 0
                    """, arguments: [code])
            while let row = try ledger.next() {
                guard let known = dates[row[0]] else { continue }
                let paise: Int64 = row[1]
                let day = Int(HubTime.day(ofMillis: row[2]).dayNumber)
                weight += paise
                toPay += Double(paise) * Double(day - known.invoice)
                late += Double(paise) * Double(day - known.due)
            }
            func average(_ sum: Double) -> Double? { weight > 0 ? (sum / Double(weight) * 10).rounded() / 10 : nil }
            let reminders = try Row.fetchAll(
                db, sql: "SELECT day, invoiceNumber, channel, state FROM reminder WHERE customerCode = ? ORDER BY day DESC, id DESC LIMIT ?",
                arguments: [code, limit]
            ).map { HistoryReminder(day: LocalDate(dayNumber: $0[0]).isoString, invoice: $0[1], channel: $0[2], state: $0[3]) }
            var history = CustomerHistory(
                customerCode: code, customerName: customer.name, region: customer.region, invoiced: Money(paise: invoiced).plainString,
                paid: Money(paise: invoiced - outstanding).plainString, outstanding: Money(paise: outstanding).plainString,
                averageDaysToPay: average(toPay), averageDaysLate: average(late), invoices: Array(invoices.prefix(limit)),
                payments: Array(payments.prefix(limit)), more: invoices.count > limit || payments.count > limit)
            history.reminders = reminders
            return history
        }
    }
}
