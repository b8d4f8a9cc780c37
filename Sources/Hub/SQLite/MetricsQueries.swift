import FieldPayCore
import Foundation
import GRDB

extension SQLiteHubStore {
    public func bookSnapshot() throws -> BookSnapshot {
        try pool.read { db in
            var snapshot = BookSnapshot()
            if let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*), COALESCE(SUM(outstandingPaise > 0), 0), COALESCE(SUM(outstandingPaise), 0) FROM invoice WHERE deleted = 0")
            {
                snapshot.invoices = row[0]
                snapshot.openInvoices = row[1]
                snapshot.outstandingPaise = row[2]
            }
            for row in try Row.fetchAll(db, sql: "SELECT method, status, COUNT(*) FROM payment GROUP BY method, status") {
                snapshot.payments["\(row[0] as String)|\(row[1] as String)"] = row[2]
            }
            snapshot.flagged = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payment WHERE flagged = 1") ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM credit GROUP BY state") { snapshot.credits[row[0]] = row[1] }
            snapshot.devices = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device WHERE revoked = 0") ?? 0
            snapshot.revokedDevices = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device WHERE revoked = 1") ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT kind, state, COUNT(*) FROM message GROUP BY kind, state") {
                snapshot.messages["\(row[0] as String)|\(row[1] as String)"] = row[2]
            }
            return snapshot
        }
    }
}
