import FieldPayCore
import Foundation
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

    /// Streams open for `deviceID` now.
    public func subscriberCount(deviceID: String) -> Int { subscribers.withLock { $0.values.count { $0.deviceID == deviceID } } }

    /// A stream of the events meant for `deviceID` from now on, until `unsubscribe(id)`.
    public func subscribe(deviceID: String) -> (id: UUID, events: AsyncStream<HubEvent>) {
        subscribe(deviceID: deviceID, limit: .max)!
    }

    /// As `subscribe(deviceID:)`, unless the device already holds `limit` streams (then nil): one device cannot
    /// open streams without end.
    public func subscribe(deviceID: String, limit: Int) -> (id: UUID, events: AsyncStream<HubEvent>)? {
        let id = UUID()
        let (stream, continuation) = AsyncStream<HubEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let added = subscribers.withLock { all -> Bool in
            guard all.values.count(where: { $0.deviceID == deviceID }) < limit else { return false }
            all[id] = Subscriber(deviceID: deviceID, continuation: continuation)
            return true
        }
        guard added else {
            continuation.finish()
            return nil
        }
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
