import FieldPayCore
import Foundation

// The accounting seam: an `ERPConnector` turns the hub's payments into an accounting system's vouchers or
// payments (push), brings its outstanding bills back as the invoice book (pull), and lists what it holds for
// a day (reconcile). The store keeps one durable outbox row per connector and payment, written in the
// transaction that confirms the payment (`ERPLedger`); `ERPPushService` drains it. Money stays integer paise
// up to the connector, which formats it without floating point.

/// What an outbox row carries to the ERP.
public enum ERPAction: String, Sendable, Equatable, Codable {
    /// Book the payment.
    case push
    /// Undo it: the payment was reversed at the hub (a bounced cheque, a refund).
    case cancel
}

/// One payment as an accounting system should book it: a receipt from the customer's ledger, bill-wise.
public struct ERPVoucher: Sendable, Equatable {
    /// The outbox row this voucher came from.
    public var outboxID: Int64
    /// Book it, or cancel what was booked for it.
    public var action: ERPAction = .push
    /// The ERP's own id for it, when the ERP gave one on booking (Zoho's payment_id, Tally's voucher id).
    public var reference: String?
    /// Why it was reversed, for a cancellation.
    public var reversalReason: String?
    /// The payment's UUID: Tally's `REMOTEID`, Zoho's custom field; a resend is keyed on it, never on a number.
    public var paymentID: String
    public var receiptNumber: String
    /// The day the rep took the money, India time.
    public var date: LocalDate
    /// `upi`, `cash` or `cheque`.
    public var method: String
    public var amount: Money
    public var customerCode: String
    /// The customer's ledger (party) in the accounting system: the name it came with from the ERP, else the
    /// customer's name at the hub.
    public var ledger: String
    /// What the hub put on each invoice (never more than it was owed); the rest of `amount` is on account.
    public var allocations: [ERPAllocation]
    public var utr: String?
    public var chequeNumber: String?
    public var bank: String?
    public var rep: String?
    /// How many times this voucher has been offered to the connector, this one included.
    public var attempt: Int

    public var onAccount: Money { Money(paise: amount.paise - allocations.reduce(0) { $0 + $1.amount.paise }) }

    public init(
        outboxID: Int64, paymentID: String, receiptNumber: String, date: LocalDate, method: String, amount: Money, customerCode: String,
        ledger: String, allocations: [ERPAllocation], utr: String? = nil, chequeNumber: String? = nil, bank: String? = nil, rep: String? = nil,
        attempt: Int = 1
    ) {
        self.outboxID = outboxID
        self.paymentID = paymentID
        self.receiptNumber = receiptNumber
        self.date = date
        self.method = method
        self.amount = amount
        self.customerCode = customerCode
        self.ledger = ledger
        self.allocations = allocations
        self.utr = utr
        self.chequeNumber = chequeNumber
        self.bank = bank
        self.rep = rep
        self.attempt = attempt
    }

    /// The narration both ledgers get: receipt number, UTR or cheque, rep.
    public var narration: String {
        var parts = ["FieldPay receipt \(receiptNumber)"]
        switch method {
        case "upi": parts.append(utr.map { "UPI UTR \($0)" } ?? "UPI")
        case "cheque":
            parts.append(["cheque", chequeNumber, bank.map { "on \($0)" }].compactMap { $0 }.joined(separator: " "))
        default: parts.append("cash")
        }
        if let rep { parts.append("collected by \(rep)") }
        return parts.joined(separator: ", ")
    }
}

public struct ERPAllocation: Sendable, Equatable, Codable {
    public var invoice: String
    public var amount: Money
    public init(invoice: String, amount: Money) {
        self.invoice = invoice
        self.amount = amount
    }
}

/// What a connector said about one voucher.
public enum ERPPushOutcome: Sendable, Equatable {
    /// Booked: created, or altered in place (a resend). `reference` is the ERP's id for it, when it gave one.
    case accepted(reference: String?, created: Bool)
    /// Refused for a reason a person must fix (a ledger that does not exist, a closed period): parked, not retried.
    case rejected(String)
    /// Not booked this time (the ERP down, a timeout, a rate limit): tried again later, after `after` at the least.
    case retry(String, after: Duration? = nil)
}

/// An outstanding bill receivable in the ERP.
public struct ERPBill: Sendable, Equatable {
    /// The party (customer ledger) it is owed by.
    public var party: String
    /// The bill's reference: the invoice number.
    public var reference: String
    public var date: LocalDate
    public var dueDate: LocalDate
    /// What is still owed on it.
    public var pending: Money
    public init(party: String, reference: String, date: LocalDate, dueDate: LocalDate, pending: Money) {
        self.party = party
        self.reference = reference
        self.date = date
        self.dueDate = dueDate
        self.pending = pending
    }
}

/// A receipt the ERP holds for a day, for reconciliation.
public struct ERPRecord: Sendable, Equatable {
    /// The payment UUID it was booked under, when it came from FieldPay.
    public var paymentID: String?
    public var number: String?
    public var party: String
    public var amount: Money
    public var cancelled: Bool
    public init(paymentID: String?, number: String?, party: String, amount: Money, cancelled: Bool = false) {
        self.paymentID = paymentID
        self.number = number
        self.party = party
        self.amount = amount
        self.cancelled = cancelled
    }
}

/// An ERP that could not be reached or answered with something other than what it documents.
public struct ERPError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One accounting system as this hub talks to it. Adding Busy, Marg or ERPNext is one more conformance and a
/// `[erp.NAME]` section (`ERPConfiguration`).
public protocol ERPConnector: Sendable {
    /// The `[erp.NAME]` section's name, and the outbox's connector column.
    var name: String { get }
    /// How many vouchers one `push` call takes.
    var batchSize: Int { get }
    /// How long a claimed batch stays with the process that claimed it: a process killed mid-push leaves its
    /// requests time to end before the vouchers are offered again (for a connector without an idempotency key,
    /// so that its search before creating sees what the killed one made).
    var claimLease: Duration { get }
    /// Books each voucher once: a resend of one already booked alters it (or finds it) and never makes a second.
    /// Never throws: every voucher gets an outcome, in order.
    func push(_ vouchers: [ERPVoucher]) async -> [ERPPushOutcome]
    /// Cancels (or deletes) what was booked for each voucher, found by the payment's id, not a number. A voucher the
    /// ERP does not hold is `accepted`: there is nothing left to undo. Never throws.
    func cancel(_ vouchers: [ERPVoucher]) async -> [ERPPushOutcome]
    /// Every bill receivable still outstanding.
    func pullBills() async throws -> [ERPBill]
    /// The receipts the ERP holds dated `day`.
    func receipts(on day: LocalDate) async throws -> [ERPRecord]
}

/// Where an outbox row stands.
public enum ERPState: String, Sendable, CaseIterable, Codable {
    /// Waiting to go (again, after `nextAttemptAt`).
    case pending
    /// The ERP acknowledged it.
    case sent
    /// Refused for a reason a person must fix; `fieldpay-hub erp push --retry` or the dashboard sends it again.
    case parked
    /// The payment was reversed and the ERP holds no live voucher for it (cancelled there, or never sent).
    case cancelled
}

/// One outbox row as the status command and the dashboard show it.
public struct ERPQueueEntry: Sendable, Equatable {
    public var id: Int64
    public var connector: String
    public var paymentID: String
    public var receiptNumber: String
    public var customerCode: String
    public var amount: Money
    public var action: ERPAction
    public var state: ERPState
    public var attempts: Int
    public var failure: String?
    public var reference: String?
    public var updatedAt: Int64

    /// The state as people read it: a reversed payment's row says it carries a cancellation.
    public var stateLabel: String { action == .cancel && state != .cancelled ? "\(state.rawValue) (cancel)" : state.rawValue }
}

/// Per connector: how many rows in each state, and the oldest pending one's age.
public struct ERPQueueCounts: Sendable, Equatable {
    public var connector: String
    public var pending = 0
    public var sent = 0
    public var parked = 0
    public var cancelled = 0
    public var oldestPendingAt: Int64?
    public var lastSentAt: Int64?
    public init(connector: String) { self.connector = connector }
}

/// A hub payment of one day as reconciliation compares it.
public struct ERPHubPayment: Sendable, Equatable {
    public var paymentID: String
    public var receiptNumber: String
    public var customerCode: String
    public var amount: Money
    /// Its outbox row for this connector, if it has one.
    public var state: ERPState?
    /// Reversed at the hub: the ERP should hold no live voucher for it.
    public var reversed = false
}

/// What one reconciliation found.
public struct ERPReconcileReport: Sendable, Equatable, Codable {
    public struct Line: Sendable, Equatable, Codable {
        public var paymentID: String?
        public var receiptNumber: String?
        public var party: String?
        public var hubAmount: Money?
        public var erpAmount: Money?
        /// `missing-in-erp`, `missing-at-hub`, `amount-differs`, `duplicate-in-erp`, `reversed-at-hub` (the ERP
        /// still holds a live voucher for a payment the hub reversed)
        public var problem: String
        public var note: String?
        public init(paymentID: String?, receiptNumber: String?, party: String?, hubAmount: Money?, erpAmount: Money?, problem: String, note: String?) {
            self.paymentID = paymentID
            self.receiptNumber = receiptNumber
            self.party = party
            self.hubAmount = hubAmount
            self.erpAmount = erpAmount
            self.problem = problem
            self.note = note
        }
    }
    public var connector: String
    public var day: LocalDate
    public var ranAt: Int64
    public var hubPayments: Int
    public var erpReceipts: Int
    public var lines: [Line]
    public var isClean: Bool { lines.isEmpty }

    public init(connector: String, day: LocalDate, ranAt: Int64, hubPayments: Int, erpReceipts: Int, lines: [Line]) {
        self.connector = connector
        self.day = day
        self.ranAt = ranAt
        self.hubPayments = hubPayments
        self.erpReceipts = erpReceipts
        self.lines = lines
    }
}

/// What a pull did to the invoice book.
public struct ERPPullOutcome: Sendable, Equatable {
    public var bills = 0
    public var written = 0
    /// Bills the hub already held exactly so: not written again (devices are not sent them again).
    public var unchanged = 0
    /// Invoices the ERP no longer lists as outstanding, closed at the hub.
    public var closed = 0
    /// Invoices held below the ERP's balance by payments the ERP has not acknowledged yet.
    public var heldDown = 0
    /// Invoices raised above the ERP's balance by reversals whose cancellation the ERP has not acknowledged yet.
    public var raised = 0
    public var skippedCredits = 0
    public var rejected: [String] = []
}
