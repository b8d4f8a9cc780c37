import FieldPayCore
import Foundation
import GRDB
import HubAPI

extension SQLiteHubStore {
    static let badSignatureSample = 100
    static let badSignatureBytes = 4096

    /// Records a delivery and acts on it. Every signed delivery is stored; a credit that matches no payment or
    /// invoice is kept as unmatched for reconciliation, never dropped. Badly signed deliveries are counted, and
    /// only a sample is kept (`badSignatureSample` a provider a day, each cut to `badSignatureBytes`): a flood of
    /// forged webhooks cannot fill the disk.
    public func receiveWebhook(_ provider: some PaymentProvider, body: Data, headers: HTTPFieldsView, notBefore: Date?) throws -> WebhookOutcome {
        let now = Date().millisecondsSince1970
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
            guard verified else {
                let day = now / 86_400_000
                let counted = try Int.fetchOne(
                    db, sql: "UPDATE counter SET value = value + 1 WHERE name = ? RETURNING value", arguments: ["bad-signature:\(provider.name):\(day)"])
                if counted == nil {
                    try db.execute(sql: "INSERT INTO counter (name, value) VALUES (?, 1)", arguments: ["bad-signature:\(provider.name):\(day)"])
                }
                guard (counted ?? 1) <= SQLiteHubStore.badSignatureSample else { return .badSignature }
                try db.execute(
                    sql: "INSERT INTO webhookEvent (provider, eventId, verified, outcome, body, receivedAt) VALUES (?, NULL, 0, ?, ?, ?)",
                    arguments: [provider.name, WebhookOutcome.badSignature.rawValue, body.prefix(SQLiteHubStore.badSignatureBytes), now])
                return .badSignature
            }
            if let eventID,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM webhookEvent WHERE provider = ? AND eventId = ? AND verified = 1", arguments: [provider.name, eventID]) == true
            {
                return try record(.duplicateEvent)
            }
            if let notBefore, let made = provider.createdAt(body: body), made < notBefore { return try record(.staleEvent) }
            switch provider.parse(body: body) {
            case .malformed: return try record(.malformed)
            case .ignored: return try record(.ignored)
            case .credit(let credit):
                applied = credit
                return try record(try SQLiteHubStore.apply(credit, db, now: now))
            }
        }
        if let applied, outcome == .confirmedPayment || outcome == .creditedInvoice {
            try publishCredit(provider: applied.provider, providerPaymentID: applied.providerPaymentID)
        }
        if outcome == .confirmedPayment {
            messageSignal.poke()
            erpSignal.poke()
        }
        return outcome
    }

    /// One credit through the confirmation state machine, in its own transaction; devices are told.
    public func applyCredit(_ credit: CreditNotice) throws -> WebhookOutcome {
        let outcome = try pool.write { db in try SQLiteHubStore.apply(credit, db, now: Date().millisecondsSince1970) }
        if outcome == .confirmedPayment || outcome == .creditedInvoice {
            try publishCredit(provider: credit.provider, providerPaymentID: credit.providerPaymentID)
        }
        if outcome == .confirmedPayment {
            messageSignal.poke()
            erpSignal.poke()
        }
        return outcome
    }

    /// The confirmation state machine, fed by webhooks, polls and statements (a UTR typed on a device goes
    /// through `confirmUTR` and is only a claim). A payment only moves awaiting-confirmation (or utr-claimed) →
    /// confirmed, and only on a credit; a credit is applied once per provider id; a UTR belongs to one payment;
    /// whatever matches nothing, or contradicts a claim, is kept for reconciliation.
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
        if let utr = credit.utr,
            let holder = try Row.fetchOne(db, sql: "SELECT id, upiReference, status, amountPaise FROM payment WHERE utr = ?", arguments: [utr])
        {
            let holderID: String = holder[0]
            let holderReference: String? = holder[1]
            // A UTR a device claimed (typed by its rep): this credit proves it when it names the same QR or none
            // (a statement line) and carries the payment's amount. Another amount proves nothing: both wait for a
            // person on the reconciliation list.
            if (holder[2] as String) == PaymentStatus.utrClaimed.rawValue, credit.reference == nil || credit.reference == holderReference {
                guard (holder[3] as Int64) == credit.amount.paise else {
                    try store("amount-mismatch", invoice: nil, paymentID: nil)
                    return .amountMismatch
                }
                try confirmClaimed(holderID, db: db, now: now)
                try store("matched", invoice: nil, paymentID: holderID)
                return .confirmedPayment
            }
            // The UTR is already a confirmed payment's: the same payment confirmed again (the statement repeats
            // the webhook) is one credit; any other payment's UTR is a duplicate to reconcile.
            if let reference = credit.reference, reference == holderReference {
                try store("matched", invoice: nil, paymentID: holderID)
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
            db, sql: "SELECT id, utr, amountPaise, status FROM payment WHERE upiReference = ? AND method = 'upi' ORDER BY receivedAt", arguments: [reference])
        if !holders.isEmpty {
            // Open: no UTR yet, or only one its rep typed (the credit for this very QR is the payer's bank's word
            // and replaces a mistyped claim).
            let open = holders.first { ($0[1] as String?) == nil || ($0[3] as String) == PaymentStatus.utrClaimed.rawValue }
            guard let open else {
                try store("duplicate-utr", invoice: nil, paymentID: nil)
                return .duplicateUTR
            }
            let paymentID: String = open[0]
            let sameAmount = (open[2] as Int64) == credit.amount.paise
            // A claim is proven by its amount only; another amount leaves it claimed, for a person to reconcile.
            if (open[3] as String) == PaymentStatus.utrClaimed.rawValue, !sameAmount {
                try store("amount-mismatch", invoice: nil, paymentID: nil)
                return .amountMismatch
            }
            // A payment that waited with no UTR is confirmed by the credit for its QR even for another amount
            // (the payer's app may have let them change it), flagged for review.
            try db.execute(
                sql: "UPDATE payment SET status = 'confirmed', utr = COALESCE(?, utr), flagged = flagged OR ? WHERE id = ?",
                arguments: [credit.utr, !sameAmount, paymentID])
            try store("matched", invoice: nil, paymentID: paymentID)
            // The payment waited for this credit: its receipt goes to the customer now, and it goes to the books.
            try SQLiteHubStore.queueReceipt(paymentID: paymentID, now: now, db)
            try SQLiteHubStore.queueERP(paymentID: paymentID, now: now, db)
            return .confirmedPayment
        }
        // No device payment yet: the tr names the invoice (device code + the number's letters and digits +
        // 6 characters of time); credit the invoice directly.
        guard reference.count > 6, let number = try SQLiteHubStore.invoiceEnding(String(reference.dropLast(6)), db) else {
            try store("unmatched", invoice: nil, paymentID: nil)
            return .unmatched
        }
        let outstanding = try Int64.fetchOne(db, sql: "SELECT outstandingPaise FROM invoice WHERE number = ?", arguments: [number]) ?? 0
        try db.execute(
            sql: "UPDATE invoice SET outstandingPaise = max(0, outstandingPaise - ?), version = ? WHERE number = ?",
            arguments: [credit.amount.paise, try SQLiteHubStore.nextVersion(db), number])
        try SQLiteHubStore.allocate(
            number, paise: min(outstanding, credit.amount.paise), at: now, kind: "credit", paymentID: nil, db,
            credit: (credit.provider, credit.providerPaymentID))
        try store("matched", invoice: number, paymentID: nil)
        return .creditedInvoice
    }

    /// A claimed payment proven by a credit: confirmed, and its receipt goes to the customer now.
    static func confirmClaimed(_ paymentID: String, db: Database, now: Int64) throws {
        try db.execute(sql: "UPDATE payment SET status = 'confirmed' WHERE id = ? AND status = 'utr-claimed'", arguments: [paymentID])
        try SQLiteHubStore.queueReceipt(paymentID: paymentID, now: now, db)
        try SQLiteHubStore.queueERP(paymentID: paymentID, now: now, db)
    }

    /// Credits that match nothing, repeat a UTR or contradict a claimed one: the reconciliation list.
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
