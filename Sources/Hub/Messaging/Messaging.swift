import FieldPayCore
import Foundation
import NIOCore
import Synchronization

// The messaging seam: what the hub sends its customers (receipts, reminders, statements), the channels that
// carry it (WhatsApp Business Cloud API, an Indian SMS gateway) and the outcomes they report. The outbox is in
// the store (`MessageOutbox`), written in the same transaction as the payment or the collections run that
// causes a message; `MessageSender` drains it through the configured channels.

/// Why the hub writes to a customer. Receipts are transactional (the customer is paying); reminders and
/// statements are not, and keep quiet hours, the daily cap and opt-outs.
public enum MessageKind: String, Codable, Sendable, CaseIterable {
    case receipt, reminder, statement

    /// Reminders and statements wait out quiet hours and count against the daily cap.
    public var isPromotional: Bool { self != .receipt }

    /// The hub path of a message's link: `/r/<token>` for a receipt, `/s/<token>` for a statement.
    public func linkPath(_ token: String) -> String { (self == .statement ? "/s/" : "/r/") + token }
}

/// A channel a message can go on.
public enum ChannelName: String, Codable, Sendable, CaseIterable {
    case whatsapp, sms
}

/// The languages the hub's templates exist in.
public enum MessageLanguage: String, Codable, Sendable, CaseIterable {
    case en, hi

    /// WhatsApp's template language code.
    public var whatsappCode: String { self == .en ? "en" : "hi" }
}

/// Where a message is. `sending` is taken before the channel is called: a hub killed during the call finds it
/// `unconfirmed` on restart and never sends it again by itself (a person decides, or the channel's status
/// webhook settles it). `held`: kept back (the customer opted out) until a manager sends it.
public enum MessageState: String, Codable, Sendable, CaseIterable {
    case queued, sending, sent, delivered, read, failed, unconfirmed, held, expired

    /// The provider took it: later states only come from its status reports.
    public var isAccepted: Bool { [.sent, .delivered, .read].contains(self) }
}

/// What a template is filled with. Stored as JSON with the message; every channel renders it its own way.
public struct MessageValues: Codable, Sendable, Equatable {
    public var customer: String
    /// The amount the message is about: paid (receipt), overdue (reminder), closing balance (statement).
    public var amount: Money
    /// The first invoice numbers (at most `shownInvoices`), and how many there are in all.
    public var invoices: [String]
    public var invoiceCount: Int?
    public var receiptNumber: String?
    /// The receipt's (or statement's) unguessable token: the link is the hub's public URL + `/r/` + token.
    public var token: String?
    public var rep: String?
    /// Reminders: the UPI payment request for what is overdue (made when the message is queued).
    public var upiLink: String?
    /// Statements: the day it is drawn up to.
    public var asOf: String?

    public init(customer: String, amount: Money, invoices: [String] = [], receiptNumber: String? = nil, token: String? = nil, rep: String? = nil) {
        self.customer = customer
        self.amount = amount
        self.invoices = invoices
        self.receiptNumber = receiptNumber
        self.token = token
        self.rep = rep
    }

    /// The invoice numbers as a phrase of bounded length: "INV/1, INV/2 and 3 more".
    public var invoiceList: String {
        let count = max(invoiceCount ?? 0, invoices.count)
        let shown = invoices.prefix(3).joined(separator: ", ")
        return count > 3 ? "\(shown) and \(count - 3) more" : shown
    }

    public static let shownInvoices = 5
}

/// A message taken from the outbox for one attempt.
public struct OutboundMessage: Sendable, Equatable {
    public var id: Int64
    /// The idempotency key: `receipt:<payment uuid>`, `reminder:<customer>:<day>`, `statement:<customer>:<day>`.
    public var key: String
    public var kind: MessageKind
    public var customerCode: String
    public var phone: PhoneNumber
    public var channel: ChannelName
    public var language: MessageLanguage
    public var values: MessageValues
    /// Attempts so far, this one included.
    public var attempt: Int
}

/// What a channel said to one attempt.
public enum SendOutcome: Sendable, Equatable {
    /// Taken, with the provider's message id (delivery comes later, by status report).
    case accepted(providerID: String)
    /// Not now (rate limit, 5xx, timeout before sending): try again, after `after` if the provider said.
    case retry(String, after: Duration?)
    /// Never on this channel (bad number, template rejected): failed, or on to the fall-back channel.
    case rejected(String, fallBack: Bool)
    /// The request may have reached the provider (the connection broke after it was written): it is not sent
    /// again by itself, since that could send it twice.
    case unknown(String)
    /// The channel itself is unusable (credentials expired): this message waits, and so should the rest.
    case channelDown(String)
}

/// A provider's report on one message.
public enum DeliveryStatus: String, Codable, Sendable {
    case sent, delivered, read, failed

    /// Later beats earlier: a "delivered" that arrives after "read" changes nothing.
    var rank: Int {
        switch self {
        case .sent: 1
        case .delivered: 2
        case .read: 3
        case .failed: 0
        }
    }
}

public struct StatusReport: Sendable, Equatable {
    public var channel: ChannelName
    public var providerID: String
    public var status: DeliveryStatus
    /// The provider's words for a failure (with its code).
    public var error: String?
    /// Whether the failure says the number cannot get this channel's messages (so the fall-back should try).
    public var fallBack: Bool
    /// Our key, echoed by the provider (WhatsApp's `biz_opaque_callback_data`): settles a message whose send
    /// reply was lost.
    public var key: String?

    public init(channel: ChannelName, providerID: String, status: DeliveryStatus, error: String? = nil, fallBack: Bool = false, key: String? = nil) {
        self.channel = channel
        self.providerID = providerID
        self.status = status
        self.error = error
        self.fallBack = fallBack
        self.key = key
    }
}

/// A channel: sends one message, and says what came of it. Implementations never throw: every failure is
/// one of the outcomes, in words.
public protocol MessageChannel: Sendable {
    var name: ChannelName { get }
    func send(_ message: OutboundMessage, link: String?) async -> SendOutcome
}

/// Wakes the sender when a message is queued (the upload's or the run's transaction has committed). A poke
/// with nobody waiting is kept, so the next wait returns at once: a message queued while the sender was busy
/// is never left for the idle timeout.
public final class MessageSignal: Sendable {
    struct State {
        var pending = false
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    let state = Mutex(State())

    public init() {}

    public func poke() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.pending = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at the next poke (at once if one came since the last wait), after `timeout`, or when the task
    /// is cancelled.
    public func wait(timeout: Duration) async {
        let id = UUID()
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            fire(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            fire(id)
        }
        timer.cancel()
    }

    /// Resumes one waiter, if it still waits.
    func fire(_ id: UUID) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
}

/// Quiet hours: no reminders or statements from 21:00 to 09:00 India time.
public struct QuietHours: Sendable, Equatable {
    public var startHour = 21
    public var endHour = 9

    public init(startHour: Int = 21, endHour: Int = 9) {
        self.startHour = startHour
        self.endHour = endHour
    }

    /// The India hour of a timestamp.
    static func istHour(_ millis: Int64) -> Int { Int(((millis + HubTime.istOffsetMillis) % HubTime.dayMillis) / 3_600_000) }

    public func contains(_ millis: Int64) -> Bool {
        let hour = Self.istHour(millis)
        return startHour > endHour ? (hour >= startHour || hour < endHour) : (hour >= startHour && hour < endHour)
    }

    /// The first moment after `millis` outside quiet hours (`millis` itself when it is outside).
    public func end(after millis: Int64) -> Int64 {
        guard contains(millis) else { return millis }
        let ist = millis + HubTime.istOffsetMillis
        let dayStart = ist - ist % HubTime.dayMillis
        var end = dayStart + Int64(endHour) * 3_600_000
        if end <= ist { end += HubTime.dayMillis }
        return end - HubTime.istOffsetMillis
    }
}

extension Duration {
    /// As NIO's `TimeAmount` (AsyncHTTPClient's timeouts).
    var timeAmount: TimeAmount {
        .milliseconds(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
