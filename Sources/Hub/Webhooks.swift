import Crypto
import FieldPayCore
import Foundation
import GRDB

/// What the hub did with one webhook delivery.
public enum WebhookOutcome: String, Sendable, Equatable {
    case badSignature = "bad-signature"
    case duplicateEvent = "duplicate-event"
    case ignored
    case confirmedPayment = "confirmed-payment"
    case creditedInvoice = "credited-invoice"
    case duplicateCredit = "duplicate-credit"
    case duplicateUTR = "duplicate-utr"
    case unmatched
    case malformed
}

/// Razorpay's webhook: `X-Razorpay-Signature` is the hex HMAC-SHA256 of the raw body with the webhook secret;
/// `x-razorpay-event-id` names the delivery; `qr_code.credited` and `payment.captured` carry the payment
/// (`payload.payment.entity`: id, amount in paise, `acquirer_data.rrn` as the UTR, notes).
public enum Razorpay {
    public static func signature(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.hexString
    }

    public static func verify(body: Data, signature: String, secret: String) -> Bool {
        constantTimeEqual(Array(Razorpay.signature(body: body, secret: secret).utf8), Array(signature.lowercased().utf8))
    }
}

/// A credit to the merchant's account, from whichever feed saw it: a PSP webhook, a bank-statement line.
public struct CreditNotice: Sendable, Equatable {
    public var provider: String
    /// The provider's id for the credit (for a statement line, its UTR): a credit is applied once per id.
    public var providerPaymentID: String
    public var amount: Money
    public var utr: String?
    /// The QR's `tr`.
    public var reference: String?
    /// webhook or statement.
    public var source: String

    public init(provider: String, providerPaymentID: String, amount: Money, utr: String?, reference: String?, source: String) {
        self.provider = provider
        self.providerPaymentID = providerPaymentID
        self.amount = amount
        self.utr = utr
        self.reference = reference
        self.source = source
    }
}

/// What a PSP's webhook body says.
public enum WebhookContent: Sendable, Equatable {
    case credit(CreditNotice)
    case ignored
    case malformed
}

/// A payment service provider whose webhooks the hub takes at `POST /v1/webhooks/{name}`. Adding Paytm,
/// PhonePe or a bank's collect API is one more conformance.
public protocol PaymentProvider: Sendable {
    var name: String { get }
    /// True when the delivery is signed by the provider (checked in constant time).
    func verify(body: Data, headers: HTTPFieldsView) -> Bool
    /// The provider's id for this delivery, for de-duplicating retries.
    func deliveryID(headers: HTTPFieldsView) -> String?
    func parse(body: Data) -> WebhookContent
}

/// The few headers a provider looks at, without tying providers to an HTTP library.
public struct HTTPFieldsView: Sendable {
    let fields: [String: String]
    public init(_ fields: [String: String]) {
        self.fields = Dictionary(fields.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }
    public subscript(_ name: String) -> String? { fields[name.lowercased()] }
}

/// Razorpay: `X-Razorpay-Signature` is the hex HMAC-SHA256 of the raw body with the webhook secret;
/// `x-razorpay-event-id` names the delivery; `qr_code.credited` and `payment.captured` carry the payment
/// (`payload.payment.entity`: id, amount in paise, `acquirer_data.rrn` as the UTR, notes), and the QR's
/// notes carry our `tr`.
public struct RazorpayProvider: PaymentProvider {
    public let secret: String
    public var name: String { "razorpay" }

    public init(secret: String) { self.secret = secret }

    public func verify(body: Data, headers: HTTPFieldsView) -> Bool {
        guard !secret.isEmpty, let signature = headers["X-Razorpay-Signature"] else { return false }
        return Razorpay.verify(body: body, signature: signature, secret: secret)
    }

    public func deliveryID(headers: HTTPFieldsView) -> String? { headers["x-razorpay-event-id"] }

    public func parse(body: Data) -> WebhookContent {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let event = object["event"] as? String else {
            return .malformed
        }
        guard event == "qr_code.credited" || event == "payment.captured" else { return .ignored }
        let payload = object["payload"] as? [String: Any]
        guard let payment = (payload?["payment"] as? [String: Any])?["entity"] as? [String: Any],
            let providerID = payment["id"] as? String, let amount = (payment["amount"] as? NSNumber)?.int64Value, amount > 0
        else { return .malformed }
        let utr = (payment["acquirer_data"] as? [String: Any])?["rrn"] as? String
        let qrNotes = ((payload?["qr_code"] as? [String: Any])?["entity"] as? [String: Any])?["notes"] as? [String: Any]
        let reference = (qrNotes?["tr"] as? String) ?? ((payment["notes"] as? [String: Any])?["tr"] as? String)
        return .credit(
            CreditNotice(
                provider: name, providerPaymentID: providerID, amount: Money(paise: amount), utr: utr.flatMap { isUTR($0) ? $0 : nil },
                reference: reference, source: "webhook"))
    }
}

extension HubStore {
    /// Records a delivery and acts on it. Every delivery is stored, verified or not; a credit that matches no
    /// payment or invoice is kept as unmatched for reconciliation, never dropped.
    public func receiveWebhook(_ provider: some PaymentProvider, body: Data, headers: HTTPFieldsView) throws -> WebhookOutcome {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let verified = provider.verify(body: body, headers: headers)
        let eventID = provider.deliveryID(headers: headers)
        var applied: CreditNotice?
        let outcome = try pool.write { db -> WebhookOutcome in
            func record(_ outcome: WebhookOutcome) throws -> WebhookOutcome {
                try db.execute(
                    sql: "INSERT INTO webhookEvent (provider, eventId, verified, outcome, body, receivedAt) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [provider.name, verified && outcome != .duplicateEvent ? eventID : nil, verified, outcome.rawValue, body, now])
                return outcome
            }
            guard verified else { return try record(.badSignature) }
            if let eventID,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM webhookEvent WHERE provider = ? AND eventId = ? AND verified = 1", arguments: [provider.name, eventID]) == true
            {
                return try record(.duplicateEvent)
            }
            switch provider.parse(body: body) {
            case .malformed: return try record(.malformed)
            case .ignored: return try record(.ignored)
            case .credit(let credit):
                applied = credit
                return try record(try HubStore.apply(credit, db, now: now))
            }
        }
        if let applied, outcome == .confirmedPayment || outcome == .creditedInvoice {
            try publishCredit(provider: applied.provider, providerPaymentID: applied.providerPaymentID)
        }
        return outcome
    }

    /// Razorpay's webhook (kept for callers that have the two headers at hand).
    public func receiveRazorpay(body: Data, signature: String?, eventID: String?, secret: String) throws -> WebhookOutcome {
        var headers: [String: String] = [:]
        headers["X-Razorpay-Signature"] = signature
        headers["x-razorpay-event-id"] = eventID
        return try receiveWebhook(RazorpayProvider(secret: secret), body: body, headers: HTTPFieldsView(headers))
    }

    /// One credit through the confirmation state machine, in its own transaction; devices are told.
    public func applyCredit(_ credit: CreditNotice) throws -> WebhookOutcome {
        let outcome = try pool.write { db in try HubStore.apply(credit, db, now: Int64(Date().timeIntervalSince1970 * 1000)) }
        if outcome == .confirmedPayment || outcome == .creditedInvoice {
            try publishCredit(provider: credit.provider, providerPaymentID: credit.providerPaymentID)
        }
        return outcome
    }

    /// The confirmation state machine, fed by webhooks and statements (a UTR typed on a device goes through
    /// `confirmUTR`). A payment only moves awaiting-confirmation → confirmed; a credit is applied once per
    /// provider id; a UTR belongs to one payment; whatever matches nothing is kept for reconciliation.
    static func apply(_ credit: CreditNotice, _ db: Database, now: Int64) throws -> WebhookOutcome {
        // payment.captured after qr_code.credited, a retried delivery with a new event id, a statement imported
        // twice, a poll that lists what a webhook brought: one credit. Only a credit left unmatched for want of
        // a reference is tried again when it comes back with one (polling saw it before the webhook did).
        if let existing = try Row.fetchOne(
            db, sql: "SELECT state, reference FROM credit WHERE provider = ? AND providerPaymentId = ?", arguments: [credit.provider, credit.providerPaymentID])
        {
            let state: String = existing[0]
            let reference: String? = existing[1]
            guard state == "unmatched", let newReference = credit.reference, newReference != reference else { return .duplicateCredit }
            try db.execute(sql: "DELETE FROM credit WHERE provider = ? AND providerPaymentId = ?", arguments: [credit.provider, credit.providerPaymentID])
        }
        // The same money seen through another feed (the statement line of a credit a webhook brought): one credit.
        if let utr = credit.utr, try Bool.fetchOne(db, sql: "SELECT 1 FROM credit WHERE utr = ? AND state = 'matched'", arguments: [utr]) == true {
            return .duplicateCredit
        }
        func store(_ state: String, invoice: String?, paymentID: String?) throws {
            try db.execute(
                sql: """
                    INSERT INTO credit (provider, providerPaymentId, amountPaise, utr, reference, invoiceNumber, paymentId, state, receivedAt, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    credit.provider, credit.providerPaymentID, credit.amount.paise, credit.utr, credit.reference, invoice, paymentID, state, now,
                    credit.source,
                ])
        }
        if let utr = credit.utr, let holder = try Row.fetchOne(db, sql: "SELECT id, upiReference FROM payment WHERE utr = ?", arguments: [utr]) {
            // The UTR is already a payment's: the same payment confirmed again (its rep typed the UTR, or the
            // statement repeats the webhook) is one credit; any other payment's UTR is a duplicate to reconcile.
            let holderReference: String? = holder[1]
            if let reference = credit.reference, reference == holderReference {
                try store("matched", invoice: nil, paymentID: holder[0])
                return .confirmedPayment
            }
            try store("duplicate-utr", invoice: nil, paymentID: nil)
            return .duplicateUTR
        }
        guard let reference = credit.reference, !reference.isEmpty else {
            try store("unmatched", invoice: nil, paymentID: nil)
            return .unmatched
        }
        // A payment a device already uploaded for this QR: confirm it. A payment for this QR never lets the
        // credit fall through to its invoice (that would lower the invoice twice): if it already holds another
        // UTR, the credit waits for a person on the reconciliation list.
        let holders = try Row.fetchAll(
            db, sql: "SELECT id, utr, amountPaise FROM payment WHERE upiReference = ? AND method = 'upi' ORDER BY receivedAt", arguments: [reference])
        if !holders.isEmpty {
            guard let open = holders.first(where: { ($0[1] as String?) == nil }) else {
                try store("duplicate-utr", invoice: nil, paymentID: nil)
                return .duplicateUTR
            }
            let paymentID: String = open[0]
            // A credit of another amount than the payment says still confirms it, flagged for review.
            try db.execute(
                sql: "UPDATE payment SET status = 'confirmed', utr = ?, flagged = flagged OR ? WHERE id = ?",
                arguments: [credit.utr, (open[2] as Int64) != credit.amount.paise, paymentID])
            try store("matched", invoice: nil, paymentID: paymentID)
            return .confirmedPayment
        }
        // No device payment yet: the tr names the invoice (device code + the number's letters and digits +
        // 6 characters of time); credit the invoice directly.
        guard reference.count > 6, let number = try HubStore.invoiceEnding(String(reference.dropLast(6)), db) else {
            try store("unmatched", invoice: nil, paymentID: nil)
            return .unmatched
        }
        let outstanding = try Int64.fetchOne(db, sql: "SELECT outstandingPaise FROM invoice WHERE number = ?", arguments: [number]) ?? 0
        try db.execute(
            sql: "UPDATE invoice SET outstandingPaise = max(0, outstandingPaise - ?), version = ? WHERE number = ?",
            arguments: [credit.amount.paise, try HubStore.nextVersion(db), number])
        try HubStore.allocate(
            number, paise: min(outstanding, credit.amount.paise), at: now, kind: "credit", paymentID: nil, db,
            credit: (credit.provider, credit.providerPaymentID))
        try store("matched", invoice: number, paymentID: nil)
        return .creditedInvoice
    }

    /// Credits that match nothing, or repeat a UTR: the reconciliation list.
    public func unreconciledCredits() throws -> [(providerPaymentID: String, amount: Money, utr: String?, state: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT providerPaymentId, amountPaise, utr, state FROM credit WHERE state != 'matched' ORDER BY receivedAt")
                .map { ($0[0], Money(paise: $0[1]), $0[2], $0[3]) }
        }
    }

    public func webhookOutcomes() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT outcome FROM webhookEvent ORDER BY id") }
    }
}
