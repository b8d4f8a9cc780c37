import FieldPayCore
import Foundation
import Logging
import ServiceLifecycle
import UPI

/// How the hub messages its customers (`[messaging]`, `[messaging.whatsapp]`, `[messaging.sms]` in hub.toml).
public struct MessagingConfiguration: Sendable {
    /// The hub's address as customers' phones reach it: receipt links are `public_url/r/<token>`.
    public var publicURL: String?
    /// The merchant's UPI address and name for the reminders' payment link.
    public var upiVPA: String?
    public var payeeName: String?
    public var whatsapp: WhatsAppSettings?
    public var sms: SMSSettings?
    /// A message WhatsApp cannot carry (not on WhatsApp, template trouble) goes by SMS.
    public var fallBackToSMS = true
    public var quietHours = QuietHours()
    public var maxAttempts = 8
    /// The first retry waits this long, doubling up to `maxBackoff` (with jitter).
    public var firstBackoff: Duration = .seconds(30)
    public var maxBackoff: Duration = .seconds(3600)
    /// How long the sender sleeps when nothing wakes it.
    public var idlePoll: Duration = .seconds(5)

    public init() {}

    public var isEnabled: Bool { whatsapp != nil || sms != nil }

    /// The channel a rejected message moves to.
    public func fallback(from channel: ChannelName) -> ChannelName? {
        channel == .whatsapp && fallBackToSMS && sms != nil ? .sms : nil
    }

    /// A receipt's link (`public_url/r/<token>`) or a statement's (`public_url/s/<token>`).
    public func link(_ token: String?, kind: MessageKind = .receipt) -> String? {
        guard let token, let publicURL else { return nil }
        return (publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL) + kind.linkPath(token)
    }

    /// A reminder's `upi://pay` link for what is overdue: the merchant's VPA, the amount and a reference that
    /// names the message (`FPM` + its id in base 36), so a credit for it reaches reconciliation with its customer.
    public func upiLink(_ message: OutboundMessage) -> String? {
        guard let upiVPA, message.values.amount.isPositive else { return nil }
        let request = UPIPaymentRequest(
            payeeVPA: upiVPA, payeeName: payeeName ?? "FieldPay", transactionReference: "FPM" + String(message.id, radix: 36).uppercased(),
            note: String(("Overdue " + message.values.invoiceList).prefix(UPIPaymentRequest.maximumNoteLength)), amount: message.values.amount)
        guard (try? request.validate()) != nil else { return nil }
        return request.uri
    }
}

/// Drains the message outbox: claims due messages (`sending` first, so a hub killed mid-call never sends
/// one twice by itself), sends each on its channel, and records the outcome: retry with backoff and jitter
/// on 429/5xx, fall back from WhatsApp to SMS where the reason allows, fail with the reason, and hold
/// reminders and statements through quiet hours. A channel that is down (credentials) pauses that channel.
public struct MessageSender: Service {
    public let store: any MessageOutbox
    public let configuration: MessagingConfiguration
    let channels: [ChannelName: any MessageChannel]
    public var logger = Logger(label: "fieldpay-hub")
    public var now: @Sendable () -> Int64 = { Date().millisecondsSince1970 }

    public init(store: any MessageOutbox, configuration: MessagingConfiguration, channels: [any MessageChannel]) {
        self.store = store
        self.configuration = configuration
        self.channels = Dictionary(channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// How long a channel that is down rests before its messages are tried again (milliseconds).
    static let channelPause: Int64 = 60_000

    /// The channels the configuration names, over `client`.
    public static func channels(_ configuration: MessagingConfiguration) -> [any MessageChannel] {
        var channels: [any MessageChannel] = []
        if let whatsapp = configuration.whatsapp { channels.append(WhatsAppCloud(settings: whatsapp)) }
        if let sms = configuration.sms { channels.append(GupshupSMS(settings: sms)) }
        return channels
    }

    /// The wait before attempt `attempt + 1`: doubling from `firstBackoff`, at most `maxBackoff`, with up to a
    /// quarter more at random (many messages failing together do not come back together).
    func backoff(after attempt: Int, hint: Duration?) -> Int64 {
        let first = Double(configuration.firstBackoff.components.seconds)
        let base = min(Double(configuration.maxBackoff.components.seconds), first * pow(2, Double(max(0, attempt - 1))))
        let wait = max(base, Double(hint?.components.seconds ?? 0))
        return Int64((wait + Double.random(in: 0...(wait / 4))) * 1000)
    }

    /// One pass: sends what is due now. Returns how many messages were attempted.
    @discardableResult
    public func sendDue(limit: Int = 50, pausedChannels: inout Set<ChannelName>) async throws -> Int {
        var attempted = 0
        // One message claimed at a time, just before it is sent: a hub killed mid-send leaves one message
        // unconfirmed, not a whole batch it never got to.
        while attempted < limit {
            let start = now()
            guard var message = try store.claimMessages(now: start, promotional: !configuration.quietHours.contains(start), limit: 1).first else { break }
            attempted += 1
            let time = now()
            guard let channel = channels[message.channel], !pausedChannels.contains(message.channel) else {
                // No such channel configured (or it is down): on to the fall-back, else wait.
                let reason = channels[message.channel] == nil ? "no \(message.channel.rawValue) channel is configured" : "the \(message.channel.rawValue) channel is down"
                let outcome: SendOutcome = channels[message.channel] == nil ? .rejected(reason, fallBack: true) : .channelDown(reason)
                try store.recordSend(
                    message.id, channel: message.channel, outcome: outcome, now: time, retryAt: time + max(Self.channelPause, backoff(after: message.attempt, hint: nil)),
                    fallback: configuration.fallback(from: message.channel), maxAttempts: configuration.maxAttempts)
                continue
            }
            if message.kind == .reminder { message.values.upiLink = configuration.upiLink(message) }
            let outcome = await channel.send(message, link: configuration.link(message.values.token, kind: message.kind))
            var retryAt = now() + backoff(after: message.attempt, hint: nil)
            switch outcome {
            case .accepted: break
            case .retry(let reason, let after):
                retryAt = now() + backoff(after: message.attempt, hint: after)
                logger.info("message \(message.key) on \(message.channel.rawValue): \(reason); again in \((retryAt - now()) / 1000) s")
            case .rejected(let reason, _): logger.warning("message \(message.key) on \(message.channel.rawValue) refused: \(reason)")
            case .unknown(let reason): logger.warning("message \(message.key) on \(message.channel.rawValue) unconfirmed: \(reason)")
            case .channelDown(let reason):
                retryAt = now() + max(Self.channelPause, backoff(after: message.attempt, hint: nil))
                pausedChannels.insert(message.channel)
                logger.error("the \(message.channel.rawValue) channel is down: \(reason); its messages wait")
            }
            if message.kind.isPromotional, configuration.quietHours.contains(retryAt) { retryAt = configuration.quietHours.end(after: retryAt) }
            try store.recordSend(
                message.id, channel: message.channel, outcome: outcome, now: now(), retryAt: retryAt,
                fallback: configuration.fallback(from: message.channel), maxAttempts: configuration.maxAttempts)
        }
        return attempted
    }

    public func run() async throws {
        let recovered = try store.recoverInterruptedSends(now: now())
        if recovered > 0 { logger.warning("\(recovered) messages were being sent when the hub stopped: marked unconfirmed, not sent again by themselves") }
        await cancelWhenGracefulShutdown {
            var paused: Set<ChannelName> = []
            var pausedAt = now()
            while !Task.isCancelled {
                // A channel that was down is tried again after a minute.
                if !paused.isEmpty, now() - pausedAt > Self.channelPause { paused.removeAll() }
                do {
                    let before = paused
                    let sent = try await sendDue(pausedChannels: &paused)
                    if paused != before { pausedAt = now() }
                    if sent > 0 { continue }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("sending messages failed: \(error)")
                }
                await store.messageSignal.wait(timeout: configuration.idlePoll)
            }
        }
    }
}
