import Crypto
import FieldPayCore
import Foundation
import GRDB
import HubAPI

/// The message outbox: receipts queued in the upload's transaction, reminders in the collections run's, each
/// under its idempotency key; the sender claims, records and settles them here.
extension SQLiteHubStore {
    static let messageColumns = "id, key, kind, customerCode, phone, channel, language, body, attempts"
    /// How long a queued message stays worth sending: a receipt two days (the hub may have been without a
    /// channel), a reminder or statement one day (after that the next run says it better).
    static func expiry(_ kind: MessageKind) -> Int64 { kind == .receipt ? 2 * 86_400_000 : 86_400_000 }

    /// 128 random bits, base64url: the receipt link's secret.
    static func receiptToken() -> String {
        var generator = SystemRandomNumberGenerator()
        var words = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeBytes(of: &words) { Base64URL.encode(Data($0)) }
    }

    /// Queues the receipt of a payment the hub has just stored (in its transaction), unless it waits for a UPI
    /// confirmation or holds only a claimed UTR (then the confirmation queues it). The customer's channel (WhatsApp unless they chose SMS);
    /// a customer who opted out gets it `held`. Nothing for a customer without a mobile number.
    /// Returns whether a message was queued.
    @discardableResult
    static func queueReceipt(paymentID: String, now: Int64, _ db: Database) throws -> Bool {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT payment.receiptNumber, payment.amountPaise, payment.status, payment.receiptToken, customer.code, customer.name, customer.phone,
                            customer.channel, customer.language, customer.optedOutAt, device.rep
                        FROM payment JOIN customer ON customer.code = payment.customerCode JOIN device ON device.id = payment.deviceId
                        WHERE payment.id = ?
                        """), arguments: [paymentID])
        else { return false }
        let unproven: Set<String> = [PaymentStatus.awaitingConfirmation.rawValue, PaymentStatus.utrClaimed.rawValue]
        guard !unproven.contains(row[2] as String), let phone = (row[6] as String?).flatMap(PhoneNumber.init) else { return false }
        var token: String? = row[3]
        if token == nil {
            token = receiptToken()
            try db.execute(sql: "UPDATE payment SET receiptToken = ? WHERE id = ?", arguments: [token, paymentID])
        }
        let invoices = try String.fetchAll(
            db.cachedStatement(sql: "SELECT DISTINCT invoiceNumber FROM allocation WHERE paymentId = ? AND paise > 0 ORDER BY invoiceNumber"), arguments: [paymentID])
        var values = MessageValues(customer: row[5], amount: Money(paise: row[1]), invoices: invoices, receiptNumber: row[0], token: token, rep: row[10])
        if values.invoices.isEmpty { values.invoices = ["your account"] }
        return try queueMessage(
            key: "receipt:\(paymentID)", kind: .receipt, customer: row[4], phone: phone, channel: (row[7] as String?).flatMap(ChannelName.init) ?? .whatsapp,
            language: (row[8] as String?).flatMap(MessageLanguage.init) ?? .en, paymentID: paymentID, values: values,
            held: (row[9] as Int64?) != nil, now: now, db)
    }

    /// Inserts a message under its key; a second message with the same key is ignored. Returns whether it was new.
    static func queueMessage(
        key: String, kind: MessageKind, customer: String, phone: PhoneNumber, channel: ChannelName, language: MessageLanguage, paymentID: String?,
        values: MessageValues, held: Bool, now: Int64, day: LocalDate? = nil, _ db: Database
    ) throws -> Bool {
        let body = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO message (key, kind, customerCode, phone, channel, language, paymentId, day, body, state, failure, nextAttemptAt, expiresAt,
                    createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                key, kind.rawValue, customer, phone.e164, channel.rawValue, language.rawValue, paymentID, (day ?? HubTime.day(ofMillis: now)).dayNumber, body,
                held ? MessageState.held.rawValue : MessageState.queued.rawValue, held ? "the customer opted out: sent only if a manager sends it" : nil,
                now, now + expiry(kind), now, now,
            ])
        return db.changesCount == 1
    }

    static func message(_ row: Row) throws -> OutboundMessage? {
        guard let kind = MessageKind(rawValue: row[2]), let phone = PhoneNumber(row[4]), let channel = ChannelName(rawValue: row[5]) else { return nil }
        let values = try JSONDecoder().decode(MessageValues.self, from: Data((row[7] as String).utf8))
        return OutboundMessage(
            id: row[0], key: row[1], kind: kind, customerCode: row[3], phone: phone, channel: channel,
            language: MessageLanguage(rawValue: row[6]) ?? .en, values: values, attempt: row[8])
    }
}

extension SQLiteHubStore: MessageOutbox {
    public func claimMessages(now: Int64, promotional: Bool, limit: Int) throws -> [OutboundMessage] {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE message SET state = 'expired', failure = 'not sent in time', updatedAt = ? WHERE state = 'queued' AND expiresAt <= ?",
                arguments: [now, now])
            // A customer who opted out after the message was queued: it waits for a manager.
            try db.execute(
                sql: """
                    UPDATE message SET state = 'held', failure = 'the customer opted out: sent only if a manager sends it', updatedAt = ?
                    WHERE state = 'queued' AND requested = 0 AND customerCode IN (SELECT code FROM customer WHERE optedOutAt IS NOT NULL)
                    """, arguments: [now])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE message SET state = 'sending', attempts = attempts + 1, updatedAt = ?
                    WHERE id IN (SELECT id FROM message WHERE state = 'queued' AND nextAttemptAt <= ? \(promotional ? "" : "AND kind = 'receipt'")
                        ORDER BY nextAttemptAt, id LIMIT ?)
                    RETURNING \(Self.messageColumns)
                    """, arguments: [now, now, limit])
            return try rows.compactMap { try Self.message($0) }.sorted { $0.id < $1.id }
        }
    }

    public func recordSend(_ id: Int64, channel: ChannelName, outcome: SendOutcome, now: Int64, retryAt: Int64, fallback: ChannelName?, maxAttempts: Int) throws {
        try pool.write { db in
            func attempt(_ name: String, provider: String?, _ detail: String?) throws {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO messageAttempt (messageId, channel, at, outcome, providerId, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [id, channel.rawValue, now, name, provider, detail])
            }
            let attempts = try Int.fetchOne(db, sql: "SELECT attempts FROM message WHERE id = ?", arguments: [id]) ?? 0
            switch outcome {
            case .accepted(let providerID):
                try attempt("accepted", provider: providerID, nil)
                // A status report may have come first (the provider echoes our key): never back to "sent".
                try db.execute(
                    sql: """
                        UPDATE message SET providerId = ?, failure = NULL, updatedAt = ?,
                            state = CASE WHEN state IN ('sending', 'unconfirmed', 'queued') THEN 'sent' ELSE state END
                        WHERE id = ?
                        """, arguments: [providerID, now, id])
            case .retry(let reason, _), .channelDown(let reason):
                let down = if case .channelDown = outcome { true } else { false }
                try attempt(down ? "channel-down" : "retry", provider: nil, reason)
                if !down && attempts >= maxAttempts {
                    try db.execute(
                        sql: "UPDATE message SET state = 'failed', failure = ?, updatedAt = ? WHERE id = ? AND state = 'sending'",
                        arguments: ["gave up after \(attempts) attempts: \(reason)", now, id])
                } else {
                    try db.execute(
                        sql: "UPDATE message SET state = 'queued', failure = ?, nextAttemptAt = ?, updatedAt = ? WHERE id = ? AND state = 'sending'",
                        arguments: [reason, retryAt, now, id])
                }
            case .rejected(let reason, let fallBack):
                try attempt("rejected", provider: nil, reason)
                try Self.failOrFallBack(id, reason: reason, fallBack: fallBack, from: channel, to: fallback, now: now, db)
            case .unknown(let reason):
                try attempt("unknown", provider: nil, reason)
                try db.execute(
                    sql: "UPDATE message SET state = 'unconfirmed', failure = ?, updatedAt = ? WHERE id = ? AND state = 'sending'",
                    arguments: ["\(reason): not sent again by itself (it may have gone); a status report or a manager settles it", now, id])
            }
            try Self.settleReminderRows(id, db)
        }
    }

    /// A message that cannot go on `channel`: on to the fall-back channel when there is one and the reason
    /// allows, else failed with the reason.
    static func failOrFallBack(_ id: Int64, reason: String, fallBack: Bool, from channel: ChannelName, to fallback: ChannelName?, now: Int64, _ db: Database) throws {
        if fallBack, let fallback, fallback != channel {
            try db.execute(
                sql: "UPDATE message SET channel = ?, state = 'queued', nextAttemptAt = ?, providerId = NULL, failure = ?, updatedAt = ? WHERE id = ?",
                arguments: [fallback.rawValue, now, "\(channel.rawValue): \(reason); trying \(fallback.rawValue)", now, id])
        } else {
            try db.execute(
                sql: "UPDATE message SET state = 'failed', failure = ?, updatedAt = ? WHERE id = ?",
                arguments: ["\(channel.rawValue): \(reason)", now, id])
        }
    }

    /// A reminder message's invoice rows in the `reminder` table follow it: sent when it was taken, failed
    /// when it failed.
    static func settleReminderRows(_ id: Int64, _ db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT kind, customerCode, day, state FROM message WHERE id = ?", arguments: [id]),
            (row[0] as String) == MessageKind.reminder.rawValue
        else { return }
        let state: String? =
            switch MessageState(rawValue: row[3]) {
            case .sent, .delivered, .read: "sent"
            case .failed, .expired: "failed"
            default: nil
            }
        guard let state else { return }
        try db.execute(sql: "UPDATE reminder SET state = ? WHERE customerCode = ? AND day = ?", arguments: [state, row[1] as String, row[2] as Int])
    }

    public func applyStatus(_ report: StatusReport, fallback: ChannelName?, now: Int64) throws -> Bool {
        try pool.write { db in
            var id = try Int64.fetchOne(
                db, sql: "SELECT messageId FROM messageAttempt WHERE channel = ? AND providerId = ?", arguments: [report.channel.rawValue, report.providerID])
            if id == nil, let key = report.key {
                // The send's reply was lost: our key names the message, and the provider's id is recorded now.
                id = try Int64.fetchOne(db, sql: "SELECT id FROM message WHERE key = ? AND channel = ?", arguments: [key, report.channel.rawValue])
                if let id {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO messageAttempt (messageId, channel, at, outcome, providerId, detail) VALUES (?, ?, ?, 'accepted', ?, 'known from a status report')",
                        arguments: [id, report.channel.rawValue, now, report.providerID])
                    try db.execute(sql: "UPDATE message SET providerId = ? WHERE id = ?", arguments: [report.providerID, id])
                }
            }
            guard let id, let row = try Row.fetchOne(db, sql: "SELECT state, channel FROM message WHERE id = ?", arguments: [id]) else { return false }
            // Providers repeat their webhooks: the same status for the same provider message is recorded once.
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM messageAttempt WHERE messageId = ? AND channel = ? AND outcome = ? AND detail IS ?",
                arguments: [id, report.channel.rawValue, report.status.rawValue, report.error]) == true
            {
                return false
            }
            try db.execute(
                sql: "INSERT INTO messageAttempt (messageId, channel, at, outcome, providerId, detail) VALUES (?, ?, ?, ?, NULL, ?)",
                arguments: [id, report.channel.rawValue, now, report.status.rawValue, report.error])
            // A report about an earlier channel (the message has moved on to SMS) changes nothing.
            guard (row[1] as String) == report.channel.rawValue, let state = MessageState(rawValue: row[0]) else { return false }
            let current: Int =
                switch state {
                case .sent: 1
                case .delivered: 2
                case .read: 3
                case .sending, .unconfirmed, .queued: 0
                default: -1
                }
            if report.status == .failed {
                guard current >= 0 else { return false }
                try Self.failOrFallBack(
                    id, reason: report.error ?? "the provider reported it failed", fallBack: report.fallBack, from: report.channel, to: fallback, now: now, db)
            } else {
                guard current >= 0, report.status.rank > current else { return false }
                try db.execute(
                    sql: "UPDATE message SET state = ?, failure = NULL, updatedAt = ? WHERE id = ?", arguments: [report.status.rawValue, now, id])
            }
            try Self.settleReminderRows(id, db)
            return true
        }
    }

    public func recoverInterruptedSends(now: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE message SET state = 'unconfirmed', updatedAt = ?,
                        failure = 'the hub stopped while sending it: not sent again by itself (it may have gone); a status report or a manager settles it'
                    WHERE state = 'sending'
                    """, arguments: [now])
            return db.changesCount
        }
    }

    static let entryColumns = "id, key, kind, customerCode, phone, channel, language, state, attempts, failure, providerId, body, createdAt, updatedAt"

    /// A link token's shape (16 bytes, base64url): anything else names nothing and is not looked up.
    static func isLinkToken(_ token: String) -> Bool { token.utf8.count == 22 && Base64URL.decode(token)?.count == 16 }

    public func messages(state: String?, customer: String?, limit: Int) throws -> [MessageEntry] {
        try pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let state {
                conditions.append("state = ?")
                _ = arguments.append(contentsOf: [state])
            }
            if let customer {
                conditions.append("customerCode = ?")
                _ = arguments.append(contentsOf: [customer])
            }
            _ = arguments.append(contentsOf: [limit])
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.entryColumns)
                    FROM message \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?
                    """, arguments: arguments)
            return try rows.map { try Self.entry($0, db) }
        }
    }

    public func message(_ id: Int64) throws -> MessageEntry? {
        try pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(Self.entryColumns) FROM message WHERE id = ?", arguments: [id]
            ).map { try Self.entry($0, db) }
        }
    }

    static func entry(_ row: Row, _ db: Database) throws -> MessageEntry {
        let id: Int64 = row[0]
        let history = try Row.fetchAll(
            db, sql: "SELECT channel, at, outcome, providerId, detail FROM messageAttempt WHERE messageId = ? ORDER BY id", arguments: [id]
        ).map { MessageAttemptEntry(channel: $0[0], at: $0[1], outcome: $0[2], providerId: $0[3], detail: $0[4]) }
        let values = (try? JSONDecoder().decode(MessageValues.self, from: Data((row[11] as String).utf8)))
        let kind = MessageKind(rawValue: row[2]) ?? .receipt
        let text = values.map { MessageText.render(kind, $0, language: MessageLanguage(rawValue: row[6]) ?? .en, link: $0.token.map(kind.linkPath)) } ?? ""
        return MessageEntry(
            id: id, key: row[1], kind: row[2], customerCode: row[3], phone: row[4], channel: row[5], language: row[6], state: row[7], attempts: row[8],
            failure: row[9], providerId: row[10], text: text, createdAt: row[12], updatedAt: row[13], history: history)
    }

    public func retryMessage(_ id: Int64, now: Int64) throws -> MessageRetry {
        let outcome: MessageRetry = try pool.write { db in
            guard let state = try String.fetchOne(db, sql: "SELECT state FROM message WHERE id = ?", arguments: [id]).flatMap(MessageState.init) else {
                return .notFound
            }
            guard [.failed, .unconfirmed, .held, .expired].contains(state) else { return .refused(state) }
            try db.execute(
                sql: """
                    UPDATE message SET state = 'queued', requested = 1, failure = NULL, nextAttemptAt = ?, expiresAt = ?, updatedAt = ? WHERE id = ?
                    """, arguments: [now, now + 86_400_000, now, id])
            return .queued
        }
        if outcome == .queued { messageSignal.poke() }
        return outcome
    }

    public func setOptOut(phone: PhoneNumber, optedOut: Bool, by actor: String, now: Int64) throws -> [String] {
        try pool.write { db in
            let codes = try String.fetchAll(db, sql: "SELECT code FROM customer WHERE phone = ?", arguments: [phone.e164])
            try db.execute(
                sql: "UPDATE customer SET optedOutAt = ?, optedOutBy = ? WHERE phone = ?",
                arguments: [optedOut ? now : nil, optedOut ? actor : nil, phone.e164])
            return codes
        }
    }

    public func setCustomerMessaging(_ code: String, _ request: CustomerMessagingRequest, actor: String, now: Int64) throws -> CustomerMessaging? {
        let language = try request.language.map {
            guard let value = MessageLanguage(rawValue: $0) else { throw ReportInputError("language must be en or hi, not \($0.prefix(20))") }
            return value
        }
        let channel = try request.channel.map {
            guard let value = ChannelName(rawValue: $0) else { throw ReportInputError("channel must be whatsapp or sms, not \($0.prefix(20))") }
            return value
        }
        return try pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM customer WHERE code = ?", arguments: [code]) == true else { return nil }
            if let language { try db.execute(sql: "UPDATE customer SET language = ? WHERE code = ?", arguments: [language.rawValue, code]) }
            if let channel { try db.execute(sql: "UPDATE customer SET channel = ? WHERE code = ?", arguments: [channel.rawValue, code]) }
            if let optedOut = request.optedOut {
                try db.execute(
                    sql: "UPDATE customer SET optedOutAt = ?, optedOutBy = ? WHERE code = ?",
                    arguments: [optedOut ? now : nil, optedOut ? actor : nil, code])
            }
            return try Self.customerMessaging(code, db)
        }
    }

    public func customerMessaging(_ code: String) throws -> CustomerMessaging? {
        try pool.read { db in try Self.customerMessaging(code, db) }
    }

    static func customerMessaging(_ code: String, _ db: Database) throws -> CustomerMessaging? {
        try Row.fetchOne(db, sql: "SELECT code, name, phone, language, channel, optedOutAt, optedOutBy FROM customer WHERE code = ?", arguments: [code]).map {
            CustomerMessaging(
                code: $0[0], name: $0[1], phone: $0[2], language: $0[3], channel: $0[4], optedOutAt: $0[5], optedOutBy: $0[6])
        }
    }

    public func receipt(token: String) throws -> ReceiptView? {
        // Only a token of the right shape is looked up: nothing else is a key.
        guard Self.isLinkToken(token) else { return nil }
        return try pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT payment.id, payment.receiptNumber, payment.method, payment.amountPaise, payment.status, payment.utr, payment.body,
                            payment.recordedAt, customer.name, device.publicKey, payment.receiptToken
                        FROM payment JOIN device ON device.id = payment.deviceId LEFT JOIN customer ON customer.code = payment.customerCode
                        WHERE payment.receiptToken = ?
                        """, arguments: [token])
            else { return nil }
            // Compared again in constant time: the index found it, the comparison is what decides.
            guard constantTimeEqual(Array(token.utf8), Array((row[10] as String).utf8)) else { return nil }
            let upload = try? JSONDecoder().decode(PaymentUpload.self, from: Data((row[6] as String).utf8))
            let allocations = try Row.fetchAll(
                db, sql: "SELECT invoiceNumber, SUM(paise) FROM allocation WHERE paymentId = ? GROUP BY invoiceNumber ORDER BY invoiceNumber",
                arguments: [row[0] as String]
            ).map { (invoice: $0[0] as String, amount: Money(paise: $0[1])) }
            var verified = false
            var payload: String?
            if let upload, let text = upload.signedText, let signature = Base64URL.decode(upload.signature) {
                payload = text + "|" + upload.signature
                // Verified means: the device's key signed this text, and the text states what the page shows.
                let fields = SignedReceiptText.parse(text)
                let states =
                    fields?.receiptNumber == (row[1] as String) && fields?.paymentID == (row[0] as String)
                    && fields?.recordedAtMillis == (row[7] as Int64) && fields?.method == (row[2] as String) && fields?.amountPaise == (row[3] as Int64)
                if states, let key = row[9] as Data?, let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) {
                    verified = publicKey.isValidSignature(signature, for: Data(text.utf8))
                }
            }
            return ReceiptView(
                receiptNumber: row[1], method: row[2], amount: Money(paise: row[3]), status: row[4], utr: row[5], chequeNumber: upload?.chequeNumber,
                recordedAtMillis: row[7], customerName: row[8] ?? "", allocations: allocations, signatureVerified: verified, verificationPayload: payload)
        }
    }
}

/// What `POST /v1/messages/{id}/retry` did.
public enum MessageRetry: Sendable, Equatable {
    case queued, notFound
    /// Only failed, unconfirmed, held and expired messages are sent again by hand.
    case refused(MessageState)
}

/// A customer's messaging settings.
public struct CustomerMessaging: Sendable, Equatable, Codable {
    public var code: String
    public var name: String
    public var phone: String?
    public var language: String
    public var channel: String?
    public var optedOutAt: Int64?
    public var optedOutBy: String?
}

/// A receipt as its link shows it: nothing about the customer but the name on it.
public struct ReceiptView: Sendable {
    public var receiptNumber: String
    public var method: String
    public var amount: Money
    public var status: String
    public var utr: String?
    public var chequeNumber: String?
    public var recordedAtMillis: Int64
    public var customerName: String
    public var allocations: [(invoice: String, amount: Money)]
    /// The device's Ed25519 signature over the signed text, checked now with the key it enrolled with.
    public var signatureVerified: Bool
    /// The kiosk's verification QR text (signed text | signature).
    public var verificationPayload: String?
}
