import FieldPayCore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

// The dashboard's queries: manager sessions, the allocation board's lists, a customer's follow-ups.

extension SQLiteHubStore {
    /// A browser session for a manager who signed in with their token: 12 hours.
    /// A dashboard session from a manager's API token, for a manager who has no password yet (a new hub's first
    /// sign-in). Once a manager has a password, their token is for the API only.
    public func openSession(token: String) throws -> (cookie: String, manager: String)? {
        guard case .manager(let id) = try authenticate(token.trimmingCharacters(in: .whitespacesAndNewlines)),
            try pool.read({ db in try Bool.fetchOne(db, sql: "SELECT passwordHash IS NULL FROM manager WHERE id = ?", arguments: [id]) }) == true
        else { return nil }
        return (try newSession(managerID: id), id)
    }

    public func sessionManager(_ cookie: String) throws -> ManagerAccount? {
        try pool.read { db in
            guard
                let id = try String.fetchOne(
                    db,
                    sql: """
                        SELECT manager.id FROM managerSession JOIN manager ON manager.id = managerSession.managerId
                        WHERE managerSession.tokenHash = ? AND managerSession.expiresAt > ? AND manager.revoked = 0
                        """, arguments: [SQLiteHubStore.sha256(cookie), HubTime.nowMillis()])
            else { return nil }
            return try SQLiteHubStore.accounts(where: "manager.id = ?", [id], db).first
        }
    }

    public func closeSession(_ cookie: String) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM managerSession WHERE tokenHash = ?", arguments: [SQLiteHubStore.sha256(cookie)]) }
    }

    /// Open invoices past due that no rep has, most overdue first: the allocation board's left column.
    public func unassignedOverdue(asOf: LocalDate, limit: Int = 200) throws -> (rows: [UnassignedInvoice], count: Int, outstanding: Money) {
        try pool.read { db in
            let condition = "invoice.deleted = 0 AND invoice.assignedRep IS NULL AND invoice.outstandingPaise > 0 AND invoice.dueDate < ?"
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT invoice.number, invoice.customerCode, customer.name, customer.region, invoice.dueDate, invoice.outstandingPaise,
                        EXISTS (SELECT 1 FROM dispute WHERE dispute.invoiceNumber = invoice.number AND resolvedAt IS NULL)
                    FROM invoice LEFT JOIN customer ON customer.code = invoice.customerCode WHERE \(condition)
                    ORDER BY invoice.dueDate, invoice.number LIMIT ?
                    """, arguments: [asOf.dayNumber, limit]
            ).map {
                UnassignedInvoice(
                    number: $0[0], customerCode: $0[1], customerName: $0[2] ?? "", region: $0[3], daysPastDue: LocalDate(dayNumber: $0[4]).days(until: asOf),
                    outstanding: Money(paise: $0[5]), disputed: $0[6])
            }
            let totals = try Row.fetchOne(db, sql: "SELECT COUNT(*), TOTAL(outstandingPaise) FROM invoice WHERE \(condition)", arguments: [asOf.dayNumber])!
            return (rows, totals[0], Money(paise: StoredPaise.from(totals[1] as Double)))
        }
    }

    /// Invoices assigned to a rep, most overdue first.
    public func assignedInvoices(rep: String, asOf: LocalDate, limit: Int = 200) throws -> [UnassignedInvoice] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT invoice.number, invoice.customerCode, customer.name, customer.region, invoice.dueDate, invoice.outstandingPaise,
                        EXISTS (SELECT 1 FROM dispute WHERE dispute.invoiceNumber = invoice.number AND resolvedAt IS NULL)
                    FROM invoice LEFT JOIN customer ON customer.code = invoice.customerCode
                    WHERE invoice.assignedRep = ? AND invoice.deleted = 0 AND invoice.outstandingPaise > 0
                    ORDER BY invoice.dueDate, invoice.number LIMIT ?
                    """, arguments: [rep, limit]
            ).map {
                UnassignedInvoice(
                    number: $0[0], customerCode: $0[1], customerName: $0[2] ?? "", region: $0[3], daysPastDue: LocalDate(dayNumber: $0[4]).days(until: asOf),
                    outstanding: Money(paise: $0[5]), disputed: $0[6])
            }
        }
    }

    /// A customer's follow-ups, newest first.
    public func customerFollowUps(_ code: String, asOf: LocalDate) throws -> [FollowUp] {
        try pool.read { db in try SQLiteHubStore.followUps(where: "followup.customerCode = ?", [code], asOf: asOf, db).reversed() }
    }
}
