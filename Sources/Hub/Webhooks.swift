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

extension HubStore {
    /// Records a delivery and acts on it. Every delivery is stored, verified or not; a credit that matches no
    /// payment or invoice is kept as unmatched for reconciliation, never dropped.
    public func receiveRazorpay(body: Data, signature: String?, eventID: String?, secret: String) throws -> WebhookOutcome {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let verified = signature.map { Razorpay.verify(body: body, signature: $0, secret: secret) } ?? false
        return try pool.write { db in
            func record(_ outcome: WebhookOutcome) throws -> WebhookOutcome {
                try db.execute(
                    sql: "INSERT INTO webhookEvent (provider, eventId, verified, outcome, body, receivedAt) VALUES ('razorpay', ?, ?, ?, ?, ?)",
                    arguments: [verified && outcome != .duplicateEvent ? eventID : nil, verified, outcome.rawValue, body, now])
                return outcome
            }
            guard verified else { return try record(.badSignature) }
            if let eventID, try Bool.fetchOne(db, sql: "SELECT 1 FROM webhookEvent WHERE provider = 'razorpay' AND eventId = ? AND verified = 1", arguments: [eventID]) == true {
                return try record(.duplicateEvent)
            }
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let event = object["event"] as? String else {
                return try record(.malformed)
            }
            guard event == "qr_code.credited" || event == "payment.captured" else { return try record(.ignored) }
            let payload = object["payload"] as? [String: Any]
            guard let payment = (payload?["payment"] as? [String: Any])?["entity"] as? [String: Any],
                let providerID = payment["id"] as? String, let amount = (payment["amount"] as? NSNumber)?.int64Value, amount > 0
            else { return try record(.malformed) }
            let utr = (payment["acquirer_data"] as? [String: Any])?["rrn"] as? String
            let qrNotes = ((payload?["qr_code"] as? [String: Any])?["entity"] as? [String: Any])?["notes"] as? [String: Any]
            let reference = (qrNotes?["tr"] as? String) ?? ((payment["notes"] as? [String: Any])?["tr"] as? String)

            // payment.captured after qr_code.credited (or a retried delivery with a new event id): one credit.
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM credit WHERE provider = 'razorpay' AND providerPaymentId = ?", arguments: [providerID]) == true {
                return try record(.duplicateCredit)
            }
            func credit(_ state: String, invoice: String?, paymentID: String?) throws {
                try db.execute(
                    sql: "INSERT INTO credit (provider, providerPaymentId, amountPaise, utr, reference, invoiceNumber, paymentId, state, receivedAt) VALUES ('razorpay', ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [providerID, amount, utr, reference, invoice, paymentID, state, now])
            }
            if let utr, try Bool.fetchOne(db, sql: "SELECT 1 FROM payment WHERE utr = ?", arguments: [utr]) == true {
                try credit("duplicate-utr", invoice: nil, paymentID: nil)
                return try record(.duplicateUTR)
            }
            guard let reference else {
                try credit("unmatched", invoice: nil, paymentID: nil)
                return try record(.unmatched)
            }
            // A payment a device already uploaded for this QR: confirm it (never moves a payment backwards).
            if let paymentID = try String.fetchOne(db, sql: "SELECT id FROM payment WHERE upiReference = ? AND method = 'upi' ORDER BY receivedAt LIMIT 1", arguments: [reference]) {
                try db.execute(sql: "UPDATE payment SET status = 'confirmed', utr = coalesce(utr, ?) WHERE id = ?", arguments: [utr, paymentID])
                try credit("matched", invoice: nil, paymentID: paymentID)
                return try record(.confirmedPayment)
            }
            // No device payment yet: the tr names the invoice (device code + the number's letters and digits +
            // 6 characters of time); credit the invoice directly.
            let key = String(reference.dropLast(6))
            let invoices = try Row.fetchAll(db, sql: "SELECT number, outstandingPaise FROM invoice WHERE deleted = 0")
                .filter { row in
                    let number: String = row[0]
                    let normalized = normalizedInvoiceKey(number)
                    return !normalized.isEmpty && key.hasSuffix(normalized)
                }
            guard invoices.count == 1 else {
                try credit("unmatched", invoice: nil, paymentID: nil)
                return try record(.unmatched)
            }
            let number: String = invoices[0][0]
            try db.execute(
                sql: "UPDATE invoice SET outstandingPaise = max(0, outstandingPaise - ?), version = ? WHERE number = ?",
                arguments: [amount, try HubStore.nextVersion(db), number])
            try credit("matched", invoice: number, paymentID: nil)
            return try record(.creditedInvoice)
        }
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
