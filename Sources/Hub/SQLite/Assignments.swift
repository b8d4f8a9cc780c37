import FieldPayCore
import Foundation
import GRDB
import HubAPI

/// Overdue invoices allocated to reps: by hand or by rules (customer's region, days past due, amount),
/// every change kept in `assignmentHistory`. A rep's devices receive what their rep's `scope` says: every
/// invoice (`all`, the default, as before reps had scopes), their region's customers plus what is assigned
/// to them (`region`), or only what is assigned to them (`assigned`).
extension SQLiteHubStore {
    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }

    /// A rep new to the hub carries only what a manager allocates to them: a handheld holds no customer it has
    /// not been given (a manager widens the scope to `region` or `all`).
    static func ensureRep(_ name: String, _ db: Database) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO rep (name, scope) VALUES (?, 'assigned')", arguments: [name])
    }

    // MARK: Reps

    public func reps() throws -> [RepSummary] {
        try pool.read { db in
            let regions = Dictionary(
                grouping: try Row.fetchAll(db, sql: "SELECT rep, region FROM repRegion ORDER BY region"), by: { $0[0] as String }
            ).mapValues { $0.map { $0[1] as String } }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT rep.name, rep.scope,
                        (SELECT COUNT(*) FROM device WHERE device.rep = rep.name AND revoked = 0),
                        (SELECT COUNT(*) FROM invoice WHERE assignedRep = rep.name AND deleted = 0 AND outstandingPaise > 0),
                        (SELECT COALESCE(SUM(outstandingPaise), 0) FROM invoice WHERE assignedRep = rep.name AND deleted = 0)
                    FROM rep ORDER BY rep.name
                    """
            ).map {
                RepSummary(
                    name: $0[0], scope: $0[1], regions: regions[$0[0] as String] ?? [], devices: $0[2], assignedInvoices: $0[3],
                    assignedOutstanding: Money(paise: $0[4]).plainString)
            }
        }
    }

    /// Creates or changes a rep. A change of scope or regions makes the rep's devices start their invoice
    /// feed over (the hub answers their next pull with `reset`), so that they drop what left their scope.
    public func setRep(_ name: String, _ settings: RepSettings) throws -> RepSummary {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 100, !SQLiteHubStore.hasControlCharacters(trimmed) else {
            throw ReportInputError("a rep's name must be 1 to 100 characters, none of them control characters")
        }
        if let scope = settings.scope, !["all", "region", "assigned"].contains(scope) {
            throw ReportInputError("scope must be all, region or assigned, not \(scope.prefix(40))")
        }
        if let regions = settings.regions {
            guard regions.count <= 50 else { throw ReportInputError("a rep has at most 50 regions") }
            if regions.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.count > 100 || SQLiteHubStore.hasControlCharacters($0) }) {
                throw ReportInputError("each region must be 1 to 100 characters, none of them control characters")
            }
        }
        try pool.write { db in
            try SQLiteHubStore.ensureRep(trimmed, db)
            var changed = false
            if let scope = settings.scope {
                try db.execute(sql: "UPDATE rep SET scope = ? WHERE name = ? AND scope != ?", arguments: [scope, trimmed, scope])
                changed = changed || db.changesCount > 0
            }
            if let regions = settings.regions {
                let old = Set(try String.fetchAll(db, sql: "SELECT region FROM repRegion WHERE rep = ?", arguments: [trimmed]))
                let new = Set(regions.map { $0.trimmingCharacters(in: .whitespaces) })
                if old != new {
                    try db.execute(sql: "DELETE FROM repRegion WHERE rep = ?", arguments: [trimmed])
                    for region in new { try db.execute(sql: "INSERT INTO repRegion (rep, region) VALUES (?, ?)", arguments: [trimmed, region]) }
                    changed = true
                }
            }
            if changed {
                try db.execute(sql: "UPDATE rep SET scopeVersion = ? WHERE name = ?", arguments: [try SQLiteHubStore.nextVersion(db), trimmed])
            }
        }
        return try reps().first { $0.name == trimmed }!
    }

    // MARK: Assigning

    /// Assigns invoices to a rep by hand (nil: takes them off any rep), each change recorded with who and why.
    public func assign(_ numbers: [String], to rep: String?, actor: String, reason: String?) throws -> AssignmentResult {
        guard (1...10_000).contains(numbers.count) else { throw ReportInputError("name 1 to 10000 invoices") }
        if let reason, reason.count > 500 { throw ReportInputError("reason must be at most 500 characters") }
        return try pool.write { db in
            if let rep, try Bool.fetchOne(db, sql: "SELECT 1 FROM rep WHERE name = ?", arguments: [rep]) != true {
                throw ReportInputError("no rep \(rep) at this hub: enroll a device for them or add them with PUT /v1/reps/{name}")
            }
            var result = AssignmentResult(assigned: 0, unchanged: 0, unknown: [])
            for number in numbers {
                guard let current = try Row.fetchOne(db, sql: "SELECT assignedRep FROM invoice WHERE number = ? AND deleted = 0", arguments: [number]) else {
                    result.unknown.append(number)
                    continue
                }
                let from: String? = current[0]
                if from == rep {
                    result.unchanged += 1
                    continue
                }
                try SQLiteHubStore.reassign(number, from: from, to: rep, how: "hand", actor: actor, reason: reason, db)
                result.assigned += 1
            }
            return result
        }
    }

    static func reassign(_ number: String, from: String?, to rep: String?, how: String, actor: String, reason: String?, _ db: Database) throws {
        // A new version: the invoice goes to the new rep's devices and leaves the old rep's (as a tombstone).
        try db.execute(
            sql: "UPDATE invoice SET assignedRep = ?, assignedHow = ?, version = ? WHERE number = ?",
            arguments: [rep, rep == nil ? nil : how, try SQLiteHubStore.nextVersion(db), number])
        try db.execute(
            sql: "INSERT INTO assignmentHistory (invoiceNumber, fromRep, toRep, at, actor, how, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [number, from, rep, Date().millisecondsSince1970, actor, how, reason])
    }

    public func assignmentHistory(_ number: String) throws -> [AssignmentChange]? {
        try pool.read { db -> [AssignmentChange]? in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM invoice WHERE number = ?", arguments: [number]) == true else { return nil }
            return try Row.fetchAll(
                db, sql: "SELECT fromRep, toRep, at, actor, how, reason FROM assignmentHistory WHERE invoiceNumber = ? ORDER BY id", arguments: [number]
            ).map { AssignmentChange(fromRep: $0[0], toRep: $0[1], atMillis: $0[2], actor: $0[3], how: $0[4], reason: $0[5]) }
        }
    }

    // MARK: Rules

    public func allocationRules() throws -> [AllocationRule] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT region, minDaysPastDue, minOutstandingPaise, maxOutstandingPaise, rep FROM allocationRule ORDER BY position")
                .map {
                    AllocationRule(
                        region: $0[0], minDaysPastDue: $0[1], minOutstanding: Money(paise: $0[2]).plainString,
                        maxOutstanding: ($0[3] as Int64?).map { Money(paise: $0).plainString }, rep: $0[4])
                }
        }
    }

    /// Replaces the rules; the first that matches an invoice assigns it.
    public func setAllocationRules(_ rules: [AllocationRule]) throws {
        guard rules.count <= 1000 else { throw ReportInputError("at most 1000 rules") }
        var parsed: [(String?, Int, Int64, Int64?, String)] = []
        for (index, rule) in rules.enumerated() {
            let at = "rule \(index + 1)"
            guard (1...3650).contains(rule.minDaysPastDue) else { throw ReportInputError("\(at): min_days_past_due must be 1 to 3650") }
            guard let minimum = wireMoney(rule.minOutstanding) else { throw ReportInputError("\(at): min_outstanding must be an amount like 0.00") }
            var maximum: Int64?
            if let text = rule.maxOutstanding {
                guard let value = wireMoney(text), value.paise >= minimum.paise else {
                    throw ReportInputError("\(at): max_outstanding must be an amount like 50000.00, not below min_outstanding")
                }
                maximum = value.paise
            }
            parsed.append((rule.region, rule.minDaysPastDue, minimum.paise, maximum, rule.rep))
        }
        try pool.write { db in
            for (index, rule) in parsed.enumerated() where try Bool.fetchOne(db, sql: "SELECT 1 FROM rep WHERE name = ?", arguments: [rule.4]) != true {
                throw ReportInputError("rule \(index + 1): no rep \(rule.4) at this hub")
            }
            try db.execute(sql: "DELETE FROM allocationRule")
            for (index, rule) in parsed.enumerated() {
                try db.execute(
                    sql: "INSERT INTO allocationRule (position, region, minDaysPastDue, minOutstandingPaise, maxOutstandingPaise, rep) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [index, rule.0, rule.1, rule.2, rule.3, rule.4])
            }
        }
    }

    /// Assigns every open, overdue invoice that no rep has by the first rule that matches it, as of `asOf`.
    /// Invoices already assigned (by hand or by an earlier run) keep their rep.
    public func applyAllocationRules(asOf: LocalDate, actor: String) throws -> RuleRun {
        try pool.write { db in
            let rules = try Row.fetchAll(db, sql: "SELECT region, minDaysPastDue, minOutstandingPaise, maxOutstandingPaise, rep FROM allocationRule ORDER BY position")
            var run = RuleRun(assigned: 0, byRep: [:], unmatched: 0)
            guard !rules.isEmpty else { return run }
            let candidates = try Row.fetchAll(
                db,
                sql: """
                    SELECT invoice.number, customer.region, invoice.dueDate, invoice.outstandingPaise FROM invoice
                    LEFT JOIN customer ON customer.code = invoice.customerCode
                    WHERE invoice.deleted = 0 AND invoice.assignedRep IS NULL AND invoice.outstandingPaise > 0 AND invoice.dueDate < ?
                    ORDER BY invoice.dueDate, invoice.number
                    """, arguments: [asOf.dayNumber])
            for candidate in candidates {
                let region: String? = candidate[1]
                let late = LocalDate(dayNumber: candidate[2]).days(until: asOf)
                let owed: Int64 = candidate[3]
                let match = rules.first { rule in
                    ((rule[0] as String?) == nil || (rule[0] as String?) == region) && late >= (rule[1] as Int) && owed >= (rule[2] as Int64)
                        && ((rule[3] as Int64?).map { owed <= $0 } ?? true)
                }
                guard let match else {
                    run.unmatched += 1
                    continue
                }
                let rep: String = match[4]
                try SQLiteHubStore.reassign(candidate[0], from: nil, to: rep, how: "rule", actor: actor, reason: nil, db)
                run.assigned += 1
                run.byRep[rep, default: 0] += 1
            }
            return run
        }
    }

    // MARK: The scoped feed

    /// The rep a device belongs to and what its feed holds.
    static func feedScope(deviceID: String, _ db: Database) throws -> (rep: String, scope: String, since: Int64)? {
        try Row.fetchOne(
            db, sql: "SELECT rep.name, rep.scope, rep.scopeVersion FROM device JOIN rep ON rep.name = device.rep WHERE device.id = ?", arguments: [deviceID]
        ).map { ($0[0], $0[1], $0[2]) }
    }

    /// SQL true for an invoice in the rep's scope (`:rep` bound).
    static func scopeCondition(_ scope: String) -> String {
        switch scope {
        case "assigned": return "invoice.assignedRep = :rep"
        case "region":
            return """
                (invoice.assignedRep = :rep OR invoice.customerCode IN
                    (SELECT code FROM customer WHERE region IN (SELECT region FROM repRegion WHERE rep = :rep)))
                """
        default: return "1"
        }
    }
}
