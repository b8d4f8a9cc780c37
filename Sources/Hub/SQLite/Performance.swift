import FieldPayCore
import Foundation
import GRDB
import HubAPI

/// Per-rep productivity and to-collect vs collected over a period, and a rep's day sheet with the cash and
/// cheques handed over at the depot.
extension SQLiteHubStore {
    /// Productivity of every rep with assignments or payments in `from...to`, by amount collected.
    public func productivity(from: LocalDate, to: LocalDate, page: Int = 1, perPage: Int? = 100) throws -> ProductivityReport {
        try pool.read { db in
            let start = HubTime.endOfDay(from.adding(days: -1))
            let end = HubTime.endOfDay(to)
            struct Tally {
                var allocated = 0, toCollect: Int64 = 0, onAllocated: Int64 = 0, paidInvoices = 0, payments = 0, collected: Int64 = 0
                var visits = Set<String>(), disputed = 0
            }
            var tallies: [String: Tally] = [:]
            // Allocated: assigned invoices due by the end, owing at the start; what was paid on them during.
            let assigned = try Row.fetchCursor(
                db,
                sql: """
                    SELECT assignedRep, outstandingPaise,
                        (SELECT TOTAL(paise) FROM allocation WHERE invoiceNumber = number AND at >= :start),
                        (SELECT TOTAL(paise) FROM allocation WHERE invoiceNumber = number AND at >= :start AND at < :end AND kind != 'import'),
                        EXISTS (SELECT 1 FROM dispute WHERE dispute.invoiceNumber = number AND resolvedAt IS NULL)
                    FROM invoice WHERE assignedRep IS NOT NULL AND deleted = 0 AND dueDate <= :day AND invoiceDate <= :day
                    """, arguments: ["start": start, "end": end, "day": to.dayNumber])
            while let row = try assigned.next() {
                let owedAtStart = try StoredPaise.add(row[1] as Int64, StoredPaise.from(row[2] as Double))
                guard owedAtStart > 0 else { continue }
                let rep: String = row[0]
                if row[4] as Bool {
                    tallies[rep, default: Tally()].disputed += 1
                    continue
                }
                let during = StoredPaise.from(row[3] as Double)
                tallies[rep, default: Tally()].allocated += 1
                tallies[rep, default: Tally()].toCollect = try StoredPaise.add(tallies[rep, default: Tally()].toCollect, owedAtStart)
                tallies[rep, default: Tally()].onAllocated = try StoredPaise.add(tallies[rep, default: Tally()].onAllocated, during)
                if during > 0 { tallies[rep, default: Tally()].paidInvoices += 1 }
            }
            // The reps' own payments, and a visit per customer and day with a payment.
            let payments = try Row.fetchCursor(
                db,
                sql: """
                    SELECT device.rep, payment.amountPaise, payment.customerCode, (payment.recordedAt + :offset) / :dayMillis
                    FROM payment JOIN device ON device.id = payment.deviceId
                    WHERE payment.recordedAt >= :start AND payment.recordedAt < :end AND payment.reversedAt IS NULL
                    """, arguments: ["offset": HubTime.istOffsetMillis, "dayMillis": HubTime.dayMillis, "start": start, "end": end])
            while let row = try payments.next() {
                let rep: String = row[0]
                tallies[rep, default: Tally()].payments += 1
                tallies[rep, default: Tally()].collected = try StoredPaise.add(tallies[rep, default: Tally()].collected, row[1] as Int64)
                tallies[rep, default: Tally()].visits.insert("\(row[2] as String)|\(row[3] as Int64)")
            }
            // Visits done as follow-ups (a visit without a payment still counts).
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT rep, customerCode, (closedAt + :offset) / :dayMillis FROM followup
                    WHERE action = 'visit' AND state = 'done' AND rep IS NOT NULL AND closedAt >= :start AND closedAt < :end
                    """, arguments: ["offset": HubTime.istOffsetMillis, "dayMillis": HubTime.dayMillis, "start": start, "end": end])
            {
                tallies[row[0] as String, default: Tally()].visits.insert("\(row[1] as String)|\(row[2] as Int64)")
            }
            func row(_ rep: String, _ t: Tally) -> ProductivityRow {
                ProductivityRow(
                    rep: rep, allocatedInvoices: t.allocated, toCollect: Money(paise: t.toCollect).plainString,
                    collectedOnAllocated: Money(paise: t.onAllocated).plainString, invoicesPaid: t.paidInvoices,
                    hitRate: t.allocated > 0 ? (Double(t.paidInvoices) / Double(t.allocated) * 1000).rounded() / 1000 : nil, payments: t.payments,
                    collected: Money(paise: t.collected).plainString, visits: t.visits.count, disputedExcluded: t.disputed)
            }
            let ordered = tallies.sorted { $0.value.collected != $1.value.collected ? $0.value.collected > $1.value.collected : $0.key < $1.key }
            var total = Tally()
            var visits = 0
            for (_, t) in tallies {
                total.allocated += t.allocated
                total.toCollect = try StoredPaise.add(total.toCollect, t.toCollect)
                total.onAllocated = try StoredPaise.add(total.onAllocated, t.onAllocated)
                total.paidInvoices += t.paidInvoices
                total.payments += t.payments
                total.collected = try StoredPaise.add(total.collected, t.collected)
                total.disputed += t.disputed
                visits += t.visits.count
            }
            var totals = row("TOTAL", total)
            totals.visits = visits
            let size = perPage ?? max(ordered.count, 1)
            return ProductivityReport(
                from: from.isoString, to: to.isoString, rows: ordered.dropFirst((page - 1) * size).prefix(size).map { row($0.key, $0.value) },
                totals: totals, page: PageInfo(page: page, perPage: size, rows: ordered.count))
        }
    }

    // MARK: Handover and the day sheet

    public func recordHandover(_ request: HandoverRequest, receivedBy: String) throws -> Handover {
        let day = try HubTime.day(request.day, "day")
        guard let cash = wireMoney(request.cash) else { throw ReportInputError("cash must be an amount like 1500.00") }
        guard let cheques = wireMoney(request.chequeAmount) else { throw ReportInputError("cheque_amount must be an amount like 1500.00") }
        // A handover is a day's cash and cheques: bounded, so that no sum of them can overflow a day sheet.
        let most = Money(rupees: 100_000_000)
        guard cash <= most, cheques <= most else {
            throw ReportInputError("a handover is at most \(most.plainString) in cash and \(most.plainString) in cheques")
        }
        guard (0...10_000).contains(request.cheques), (request.cheques == 0) == (cheques.paise == 0) else {
            throw ReportInputError("cheques (a count from 0 to 10000) and cheque_amount must both be zero or both be more")
        }
        if let note = request.note, note.count > 500 { throw ReportInputError("note must be at most 500 characters") }
        return try pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM rep WHERE name = ?", arguments: [request.rep]) == true else {
                throw ReportInputError("no rep \(request.rep) at this hub")
            }
            try db.execute(
                sql: "INSERT INTO handover (rep, day, cashPaise, cheques, chequePaise, receivedBy, at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [request.rep, day.dayNumber, cash.paise, request.cheques, cheques.paise, receivedBy, HubTime.nowMillis(), request.note])
            return try SQLiteHubStore.handovers(where: "id = ?", [db.lastInsertedRowID], db)[0]
        }
    }

    /// Records the bank deposit of a handover (its slip or reference).
    public func recordDeposit(handover id: Int64, reference: String) throws -> Handover? {
        guard !reference.isEmpty, reference.count <= 100 else { throw ReportInputError("reference must be 1 to 100 characters") }
        return try pool.write { db in
            try db.execute(sql: "UPDATE handover SET depositReference = ? WHERE id = ?", arguments: [reference, id])
            return db.changesCount == 1 ? try SQLiteHubStore.handovers(where: "id = ?", [id], db).first : nil
        }
    }

    static func handovers(where condition: String, _ arguments: StatementArguments, _ db: Database) throws -> [Handover] {
        try Row.fetchAll(
            db, sql: "SELECT id, rep, day, cashPaise, cheques, chequePaise, receivedBy, at, note, depositReference FROM handover WHERE \(condition) ORDER BY id",
            arguments: arguments
        ).map {
            Handover(
                id: $0[0], rep: $0[1], day: LocalDate(dayNumber: $0[2]).isoString, cash: Money(paise: $0[3]).plainString, cheques: $0[4],
                chequeAmount: Money(paise: $0[5]).plainString, receivedBy: $0[6], atMillis: $0[7], note: $0[8], depositReference: $0[9])
        }
    }

    /// A rep's day: nil for a rep this hub does not know.
    public func daySheet(rep: String, day: LocalDate) throws -> DaySheet? {
        try pool.read { db -> DaySheet? in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM rep WHERE name = ?", arguments: [rep]) == true else { return nil }
            let start = HubTime.endOfDay(day.adding(days: -1))
            let end = HubTime.endOfDay(day)
            // To collect: assigned, not disputed, due by the day, owing at its start.
            var toCollect: Int64 = 0
            var invoices = 0
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT outstandingPaise + (SELECT TOTAL(paise) FROM allocation WHERE invoiceNumber = number AND at >= :start)
                    FROM invoice WHERE assignedRep = :rep AND deleted = 0 AND dueDate <= :day AND invoiceDate <= :day
                        AND NOT EXISTS (SELECT 1 FROM dispute WHERE dispute.invoiceNumber = number AND resolvedAt IS NULL)
                    """, arguments: ["start": start, "rep": rep, "day": day.dayNumber])
            {
                let owed = StoredPaise.from(row[0] as Double)
                if owed > 0 {
                    toCollect = try StoredPaise.add(toCollect, owed)
                    invoices += 1
                }
            }
            func collected(_ from: Int64?, _ until: Int64) throws -> [String: (Int, Int64)] {
                var byMethod: [String: (Int, Int64)] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(SQLiteHubStore.reportedMethod) AS method, COUNT(*), SUM(payment.amountPaise)
                        FROM payment JOIN device ON device.id = payment.deviceId
                        WHERE device.rep = ? AND payment.recordedAt >= ? AND payment.recordedAt < ? GROUP BY 1
                        """, arguments: [rep, from ?? Int64.min, until])
                {
                    byMethod[row[0]] = (row[1], row[2])
                }
                return byMethod
            }
            let today = try collected(start, end)
            let before = try collected(nil, start)
            let handedBefore = try Row.fetchOne(
                db, sql: "SELECT TOTAL(cashPaise), TOTAL(chequePaise) FROM handover WHERE rep = ? AND day < ?", arguments: [rep, day.dayNumber])!
            let handovers = try SQLiteHubStore.handovers(where: "rep = ? AND day = ?", [rep, day.dayNumber], db)
            // Every sum over stored amounts is checked: a day sheet says it cannot add up, it never stops the hub.
            let cashCarried = max(0, try StoredPaise.subtract(before["cash"]?.1 ?? 0, StoredPaise.from(handedBefore[0] as Double)))
            let chequesCarried = max(0, try StoredPaise.subtract(before["cheque"]?.1 ?? 0, StoredPaise.from(handedBefore[1] as Double)))
            let cashInHand = try StoredPaise.add(cashCarried, today["cash"]?.1 ?? 0)
            let chequesInHand = try StoredPaise.add(chequesCarried, today["cheque"]?.1 ?? 0)
            func paise(_ wire: String) -> Int64 { (try? Money(parsing: wire).paise) ?? 0 }
            let cashHanded = try StoredPaise.sum(handovers.map { paise($0.cash) })
            let chequesHanded = try StoredPaise.sum(handovers.map { paise($0.chequeAmount) })
            let deposited = try StoredPaise.sum(handovers.filter { $0.depositReference != nil }.flatMap { [paise($0.cash), paise($0.chequeAmount)] })
            let collectedTotal = try StoredPaise.sum(today.values.map(\.1))
            let cashVariance = try StoredPaise.subtract(cashInHand, cashHanded)
            let chequeVariance = try StoredPaise.subtract(chequesInHand, chequesHanded)
            let methods = ["cash", "cheque", "upi", "upi-claimed"].map { MethodTotal(method: $0, payments: today[$0]?.0 ?? 0, amount: Money(paise: today[$0]?.1 ?? 0).plainString) }
            return DaySheet(
                rep: rep, day: day.isoString, toCollectInvoices: invoices, toCollect: Money(paise: toCollect).plainString, collected: methods,
                collectedTotal: Money(paise: collectedTotal).plainString, cashCarriedIn: Money(paise: cashCarried).plainString,
                chequesCarriedIn: Money(paise: chequesCarried).plainString, cashInHand: Money(paise: cashInHand).plainString,
                chequesInHand: Money(paise: chequesInHand).plainString, chequeCount: today["cheque"]?.0 ?? 0, handovers: handovers,
                cashHandedOver: Money(paise: cashHanded).plainString, chequesHandedOver: Money(paise: chequesHanded).plainString,
                deposited: Money(paise: deposited).plainString, cashVariance: Money(paise: cashVariance).plainString,
                chequeVariance: Money(paise: chequeVariance).plainString)
        }
    }
}
