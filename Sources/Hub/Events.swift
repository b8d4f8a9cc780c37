import FieldPayCore
import Foundation
import GRDB
import HubAPI
import Synchronization

/// Live delivery of confirmations to connected devices. Events are numbered by the credit's row in the
/// database, so a device that reconnects with `since` (or `Last-Event-ID`) gets what it missed from the
/// database and the rest live; the broadcaster only ever carries what has already been committed.
public final class EventBroadcaster: Sendable {
    struct Subscriber {
        let deviceID: String
        let continuation: AsyncStream<HubEvent>.Continuation
    }

    let subscribers = Mutex<[UUID: Subscriber]>([:])

    public init() {}

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// A stream of the events meant for `deviceID` from now on, until `unsubscribe(id)`.
    public func subscribe(deviceID: String) -> (id: UUID, events: AsyncStream<HubEvent>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<HubEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        subscribers.withLock { $0[id] = Subscriber(deviceID: deviceID, continuation: continuation) }
        return (id, stream)
    }

    public func unsubscribe(_ id: UUID) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.continuation.finish()
    }

    func publish(_ event: HubEvent, owner: String?) {
        subscribers.withLock { all in
            for subscriber in all.values where owner == nil || owner == subscriber.deviceID {
                subscriber.continuation.yield(event)
            }
        }
    }
}

extension HubStore {
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
                sql: HubStore.eventColumns
                    + " WHERE credit.rowid > ? AND credit.state = 'matched' AND (credit.paymentId IS NULL OR payment.deviceId = ?) ORDER BY credit.rowid LIMIT ?",
                arguments: [since, deviceID, limit]
            ).map { HubStore.event($0).0 }
        }
    }

    /// After a write that matched a credit: tells the devices concerned.
    func publishCredit(provider: String, providerPaymentID: String) throws {
        guard
            let row = try pool.read({ db in
                try Row.fetchOne(
                    db, sql: HubStore.eventColumns + " WHERE credit.provider = ? AND credit.providerPaymentId = ? AND credit.state = 'matched'",
                    arguments: [provider, providerPaymentID])
            })
        else { return }
        let (event, owner) = HubStore.event(row)
        broadcaster.publish(event, owner: owner)
    }
}
