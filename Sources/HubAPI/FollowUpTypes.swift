import FieldPayCore
import Foundation

// Follow-ups, promises, disputes, reminders and escalations, and the reps' day: snake_case JSON through
// `ReportCoding`, like the reports.

/// A next action on an invoice or a customer (`call` or `visit` on `dueDate`), optionally with the payment
/// the customer promised (`promisedDate`, `promisedAmount`). `PUT /v1/followups/{uuid}` from a manager or
/// a device: the same id with the same body is the same follow-up.
public struct FollowUpRequest: Codable, Sendable, Equatable {
    public var customerCode: String?
    public var invoice: String?
    public var action: String
    public var dueDate: String
    public var note: String?
    public var promisedDate: String?
    public var promisedAmount: String?
    /// The rep to act; default: the invoice's assigned rep, else the device's rep.
    public var rep: String?

    public init(
        customerCode: String? = nil, invoice: String? = nil, action: String, dueDate: String, note: String? = nil, promisedDate: String? = nil,
        promisedAmount: String? = nil, rep: String? = nil
    ) {
        self.customerCode = customerCode
        self.invoice = invoice
        self.action = action
        self.dueDate = dueDate
        self.note = note
        self.promisedDate = promisedDate
        self.promisedAmount = promisedAmount
        self.rep = rep
    }
}

public struct FollowUp: Codable, Sendable, Equatable {
    public var id: String
    public var customerCode: String
    public var customerName: String
    public var invoice: String?
    public var rep: String?
    public var action: String
    public var dueDate: String
    public var note: String?
    public var promisedDate: String?
    public var promisedAmount: String?
    /// "open", "done" or "cancelled".
    public var state: String
    public var outcome: String?
    /// "hub" or "device".
    public var source: String
    /// What the invoice (or the customer, for a customer's follow-up) owes now.
    public var outstanding: String
    /// For a promise whose date has passed: whether it was kept (paid as promised by that day).
    public var promiseKept: Bool?

    public init(
        id: String, customerCode: String, customerName: String, invoice: String?, rep: String?, action: String, dueDate: String, note: String?,
        promisedDate: String?, promisedAmount: String?, state: String, outcome: String?, source: String, outstanding: String, promiseKept: Bool?
    ) {
        self.id = id
        self.customerCode = customerCode
        self.customerName = customerName
        self.invoice = invoice
        self.rep = rep
        self.action = action
        self.dueDate = dueDate
        self.note = note
        self.promisedDate = promisedDate
        self.promisedAmount = promisedAmount
        self.state = state
        self.outcome = outcome
        self.source = source
        self.outstanding = outstanding
        self.promiseKept = promiseKept
    }
}

public struct FollowUpClose: Codable, Sendable, Equatable {
    /// "done" or "cancelled".
    public var state: String
    public var outcome: String?

    public init(state: String, outcome: String? = nil) {
        self.state = state
        self.outcome = outcome
    }
}

public struct FollowUpList: Codable, Sendable, Equatable {
    public var asOf: String
    /// "due" (actions due on or before the day), "missed" (promises broken), or "open".
    public var list: String
    public var followups: [FollowUp]
    public var page: PageInfo

    public init(asOf: String, list: String, followups: [FollowUp], page: PageInfo) {
        self.asOf = asOf
        self.list = list
        self.followups = followups
        self.page = page
    }
}

public struct DisputeRequest: Codable, Sendable, Equatable {
    public var reason: String
    /// The disputed part; default: all the invoice owes.
    public var amount: String?

    public init(reason: String, amount: String? = nil) {
        self.reason = reason
        self.amount = amount
    }
}

public struct Dispute: Codable, Sendable, Equatable {
    public var invoice: String
    public var customerCode: String
    public var reason: String
    public var amount: String
    public var openedAtMillis: Int64
    public var openedBy: String
    public var resolvedAtMillis: Int64?
    public var resolution: String?

    public init(
        invoice: String, customerCode: String, reason: String, amount: String, openedAtMillis: Int64, openedBy: String, resolvedAtMillis: Int64?,
        resolution: String?
    ) {
        self.invoice = invoice
        self.customerCode = customerCode
        self.reason = reason
        self.amount = amount
        self.openedAtMillis = openedAtMillis
        self.openedBy = openedBy
        self.resolvedAtMillis = resolvedAtMillis
        self.resolution = resolution
    }
}

/// A customer group's reminder policy: the first reminder `firstAfterDays` after the due date, then every
/// `everyDays`, none while the invoice is disputed (when `stopOnDispute`); escalation once an invoice is
/// `escalateAfterDays` past due, or a promise on it is missed twice.
public struct ReminderPolicy: Codable, Sendable, Equatable {
    public var group: String
    public var firstAfterDays: Int
    public var everyDays: Int
    public var stopOnDispute: Bool
    /// "whatsapp" or "sms".
    public var channel: String
    public var escalateAfterDays: Int

    public init(group: String, firstAfterDays: Int = 30, everyDays: Int = 15, stopOnDispute: Bool = true, channel: String = "whatsapp", escalateAfterDays: Int = 90) {
        self.group = group
        self.firstAfterDays = firstAfterDays
        self.everyDays = everyDays
        self.stopOnDispute = stopOnDispute
        self.channel = channel
        self.escalateAfterDays = escalateAfterDays
    }
}

public struct Reminder: Codable, Sendable, Equatable {
    public var id: Int64
    public var customerCode: String
    public var invoice: String
    public var day: String
    public var channel: String
    public var phone: String?
    public var message: String
    /// "queued" until a messaging channel takes it.
    public var state: String

    public init(id: Int64, customerCode: String, invoice: String, day: String, channel: String, phone: String?, message: String, state: String) {
        self.id = id
        self.customerCode = customerCode
        self.invoice = invoice
        self.day = day
        self.channel = channel
        self.phone = phone
        self.message = message
        self.state = state
    }
}

public struct Escalation: Codable, Sendable, Equatable {
    public var invoice: String
    public var customerCode: String
    /// "missed-promises" or "age".
    public var reason: String
    public var day: String
    public var rep: String?
    public var outstanding: String

    public init(invoice: String, customerCode: String, reason: String, day: String, rep: String?, outstanding: String) {
        self.invoice = invoice
        self.customerCode = customerCode
        self.reason = reason
        self.day = day
        self.rep = rep
        self.outstanding = outstanding
    }
}

/// What one daily collections run did.
public struct CollectionsRun: Codable, Sendable, Equatable {
    public var asOf: String
    public var remindersQueued: Int
    public var skippedDisputed: Int
    public var escalations: Int
    /// Consolidated reminder messages queued for customers (one per customer per day, all overdue invoices).
    public var messagesQueued: Int
    /// Customers due a reminder who get none: opted out, or no valid mobile number.
    public var skippedOptedOut: Int
    public var skippedNoPhone: Int

    public init(asOf: String, remindersQueued: Int, skippedDisputed: Int, escalations: Int, messagesQueued: Int = 0, skippedOptedOut: Int = 0, skippedNoPhone: Int = 0) {
        self.asOf = asOf
        self.remindersQueued = remindersQueued
        self.skippedDisputed = skippedDisputed
        self.escalations = escalations
        self.messagesQueued = messagesQueued
        self.skippedOptedOut = skippedOptedOut
        self.skippedNoPhone = skippedNoPhone
    }
}

// MARK: The reps' performance and day

public struct ProductivityRow: Codable, Sendable, Equatable {
    public var rep: String
    /// Invoices assigned to the rep, due by the period's end and owing at its start (disputed ones left out).
    public var allocatedInvoices: Int
    /// What those owed at the period's start: the rep's to-collect.
    public var toCollect: String
    /// What was paid on those invoices during the period (by anyone: rep, PSP credit).
    public var collectedOnAllocated: String
    /// Allocated invoices that received a payment in the period, and their share of the allocated.
    public var invoicesPaid: Int
    public var hitRate: Double?
    /// Payments the rep's devices recorded in the period, and their amount.
    public var payments: Int
    public var collected: String
    /// Customer visits: days with a payment at a customer, and visit follow-ups done.
    public var visits: Int
    public var disputedExcluded: Int

    public init(
        rep: String, allocatedInvoices: Int, toCollect: String, collectedOnAllocated: String, invoicesPaid: Int, hitRate: Double?, payments: Int,
        collected: String, visits: Int, disputedExcluded: Int
    ) {
        self.rep = rep
        self.allocatedInvoices = allocatedInvoices
        self.toCollect = toCollect
        self.collectedOnAllocated = collectedOnAllocated
        self.invoicesPaid = invoicesPaid
        self.hitRate = hitRate
        self.payments = payments
        self.collected = collected
        self.visits = visits
        self.disputedExcluded = disputedExcluded
    }
}

public struct ProductivityReport: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public var rows: [ProductivityRow]
    public var totals: ProductivityRow
    public var page: PageInfo

    public init(from: String, to: String, rows: [ProductivityRow], totals: ProductivityRow, page: PageInfo) {
        self.from = from
        self.to = to
        self.rows = rows
        self.totals = totals
        self.page = page
    }
}

public struct MethodTotal: Codable, Sendable, Equatable {
    public var method: String
    public var payments: Int
    public var amount: String

    public init(method: String, payments: Int, amount: String) {
        self.method = method
        self.payments = payments
        self.amount = amount
    }
}

/// `POST /v1/handovers`: what a rep handed over at the depot, counted by the cashier.
public struct HandoverRequest: Codable, Sendable, Equatable {
    public var rep: String
    public var day: String
    public var cash: String
    public var cheques: Int
    public var chequeAmount: String
    public var note: String?

    public init(rep: String, day: String, cash: String, cheques: Int, chequeAmount: String, note: String? = nil) {
        self.rep = rep
        self.day = day
        self.cash = cash
        self.cheques = cheques
        self.chequeAmount = chequeAmount
        self.note = note
    }
}

public struct Handover: Codable, Sendable, Equatable {
    public var id: Int64
    public var rep: String
    public var day: String
    public var cash: String
    public var cheques: Int
    public var chequeAmount: String
    public var receivedBy: String
    public var atMillis: Int64
    public var note: String?
    public var depositReference: String?

    public init(
        id: Int64, rep: String, day: String, cash: String, cheques: Int, chequeAmount: String, receivedBy: String, atMillis: Int64, note: String?,
        depositReference: String?
    ) {
        self.id = id
        self.rep = rep
        self.day = day
        self.cash = cash
        self.cheques = cheques
        self.chequeAmount = chequeAmount
        self.receivedBy = receivedBy
        self.atMillis = atMillis
        self.note = note
        self.depositReference = depositReference
    }
}

/// The close of a rep's day: what was to collect, what was collected by method, what the rep carries,
/// what was handed over and deposited, and the variance.
public struct DaySheet: Codable, Sendable, Equatable {
    public var rep: String
    public var day: String
    public var toCollectInvoices: Int
    public var toCollect: String
    public var collected: [MethodTotal]
    public var collectedTotal: String
    /// Cash and cheques collected before this day and not handed over by its start.
    public var cashCarriedIn: String
    public var chequesCarriedIn: String
    /// Carried in plus collected today: what the rep should hand over.
    public var cashInHand: String
    public var chequesInHand: String
    public var chequeCount: Int
    public var handovers: [Handover]
    public var cashHandedOver: String
    public var chequesHandedOver: String
    public var deposited: String
    /// In hand less handed over: positive is short, negative is more than the receipts say.
    public var cashVariance: String
    public var chequeVariance: String

    public init(
        rep: String, day: String, toCollectInvoices: Int, toCollect: String, collected: [MethodTotal], collectedTotal: String, cashCarriedIn: String,
        chequesCarriedIn: String, cashInHand: String, chequesInHand: String, chequeCount: Int, handovers: [Handover], cashHandedOver: String,
        chequesHandedOver: String, deposited: String, cashVariance: String, chequeVariance: String
    ) {
        self.rep = rep
        self.day = day
        self.toCollectInvoices = toCollectInvoices
        self.toCollect = toCollect
        self.collected = collected
        self.collectedTotal = collectedTotal
        self.cashCarriedIn = cashCarriedIn
        self.chequesCarriedIn = chequesCarriedIn
        self.cashInHand = cashInHand
        self.chequesInHand = chequesInHand
        self.chequeCount = chequeCount
        self.handovers = handovers
        self.cashHandedOver = cashHandedOver
        self.chequesHandedOver = chequesHandedOver
        self.deposited = deposited
        self.cashVariance = cashVariance
        self.chequeVariance = chequeVariance
    }
}
