import FieldPayCore
import Foundation
import GRDB
import HubAPI

extension SQLiteHubStore {
    static let eventColumns = """
        SELECT credit.rowid, credit.state, credit.reference, credit.utr, credit.amountPaise, credit.invoiceNumber, credit.paymentId,
            payment.deviceId, credit.source
        FROM credit LEFT JOIN payment ON payment.id = credit.paymentId
        """

    static func event(_ row: Row) -> (HubEvent, owner: String?) {
        let event = HubEvent(
            id: row[0], type: "credit", reference: row[2], utr: row[3], amount: Money(paise: row[4]).plainString,
            invoice: row[5], paymentID: row[6], source: row[8])
        return (event, row[7])
    }

    /// The matched credits after event `since` that concern `deviceID`: its own payments, and invoice credits
    /// (any device may be showing that invoice's QR).
    public func events(deviceID: String, since: Int64, limit: Int = 1000) throws -> [HubEvent] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: SQLiteHubStore.eventColumns
                    + " WHERE credit.rowid > ? AND credit.state = 'matched' AND (credit.paymentId IS NULL OR payment.deviceId = ?) ORDER BY credit.rowid LIMIT ?",
                arguments: [since, deviceID, limit]
            ).map { SQLiteHubStore.event($0).0 }
        }
    }

    /// After a write that matched a credit: tells the devices concerned.
    func publishCredit(provider: String, providerPaymentID: String) throws {
        guard
            let row = try pool.read({ db in
                try Row.fetchOne(
                    db, sql: SQLiteHubStore.eventColumns + " WHERE credit.provider = ? AND credit.providerPaymentId = ? AND credit.state = 'matched'",
                    arguments: [provider, providerPaymentID])
            })
        else { return }
        let (event, owner) = SQLiteHubStore.event(row)
        broadcaster.publish(event, owner: owner)
    }
}
