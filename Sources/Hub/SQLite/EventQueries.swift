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

    /// The matched credits after event `since` that concern `deviceID`: its own payments, and credits put
    /// straight on an invoice (the device had not uploaded its payment yet) when the QR was this device's (the
    /// `tr` starts with its code) or the invoice is in its rep's scope: a credit on an invoice outside that scope
    /// reaches none of the rep's devices.
    public func events(deviceID: String, since: Int64, limit: Int = 1000) throws -> [HubEvent] {
        try pool.read { db in
            var scope = (rep: "", scope: "all", since: Int64(0))
            if let found = try SQLiteHubStore.feedScope(deviceID: deviceID, db) { scope = found }
            // A device enrolled before codes were bound has none: it hears what its scope holds.
            let prefix = try String.fetchOne(db, sql: "SELECT code FROM device WHERE id = ?", arguments: [deviceID]).map(transactionPrefix(ofDeviceCode:))
            return try Row.fetchAll(
                db,
                sql: SQLiteHubStore.eventColumns
                    + """
                     WHERE credit.rowid > :since AND credit.state = 'matched' AND (payment.deviceId = :device OR (credit.paymentId IS NULL
                        AND (substr(credit.reference, 1, length(:prefix)) = :prefix
                            OR EXISTS (SELECT 1 FROM invoice WHERE invoice.number = credit.invoiceNumber AND \(SQLiteHubStore.scopeCondition(scope.scope))))))
                     ORDER BY credit.rowid LIMIT :limit
                    """,
                arguments: ["since": since, "device": deviceID, "limit": limit, "rep": scope.rep, "prefix": prefix]
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
