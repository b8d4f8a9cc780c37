import FieldPayCore
import Foundation

// The managers' reports (`/v1/reports/...`, `/v1/customers/{code}/history`). Keys are snake_case through
// `ReportCoding` (not per-type CodingKeys), money is a decimal string in rupees, dates are ISO yyyy-mm-dd.

public enum ReportCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

/// Where a page of a report is: 1-based `page`, `perPage` rows a page, `rows` in the whole report.
public struct PageInfo: Codable, Sendable, Equatable {
    public var page: Int
    public var perPage: Int
    public var rows: Int
    public var more: Bool

    public init(page: Int, perPage: Int, rows: Int) {
        self.page = page
        self.perPage = perPage
        self.rows = rows
        more = page * perPage < rows
    }
}

/// Amounts per aging bucket, in the order of `AgingReport.buckets`, and their sum.
public struct BucketAmounts: Codable, Sendable, Equatable {
    public var buckets: [String]
    public var outstanding: String
    /// Invoices with something outstanding.
    public var invoices: Int

    public init(buckets: [String], outstanding: String, invoices: Int) {
        self.buckets = buckets
        self.outstanding = outstanding
        self.invoices = invoices
    }
}

public struct AgingCustomerRow: Codable, Sendable, Equatable {
    public var customerCode: String
    public var customerName: String
    public var region: String?
    public var amounts: BucketAmounts
    /// Days past due of the customer's oldest open invoice (negative: nothing is due yet).
    public var oldestDaysPastDue: Int

    public init(customerCode: String, customerName: String, region: String?, amounts: BucketAmounts, oldestDaysPastDue: Int) {
        self.customerCode = customerCode
        self.customerName = customerName
        self.region = region
        self.amounts = amounts
        self.oldestDaysPastDue = oldestDaysPastDue
    }
}

/// Outstanding by customer and bucket as of a date, largest outstanding first.
public struct AgingReport: Codable, Sendable, Equatable {
    public var asOf: String
    /// The bucket edges in days past due, e.g. [30, 60, 90].
    public var edges: [Int]
    /// Bucket labels: "current", "1-30", "31-60", "61-90", "90+".
    public var buckets: [String]
    public var totals: BucketAmounts
    public var customers: Int
    public var rows: [AgingCustomerRow]
    public var page: PageInfo

    public init(asOf: String, edges: [Int], buckets: [String], totals: BucketAmounts, customers: Int, rows: [AgingCustomerRow], page: PageInfo) {
        self.asOf = asOf
        self.edges = edges
        self.buckets = buckets
        self.totals = totals
        self.customers = customers
        self.rows = rows
        self.page = page
    }
}

public struct AgingInvoiceRow: Codable, Sendable, Equatable {
    public var number: String
    public var invoiceDate: String
    public var dueDate: String
    public var total: String
    /// Outstanding as of the report's date.
    public var outstanding: String
    public var daysPastDue: Int
    public var bucket: String

    public init(number: String, invoiceDate: String, dueDate: String, total: String, outstanding: String, daysPastDue: Int, bucket: String) {
        self.number = number
        self.invoiceDate = invoiceDate
        self.dueDate = dueDate
        self.total = total
        self.outstanding = outstanding
        self.daysPastDue = daysPastDue
        self.bucket = bucket
    }
}

/// One customer's aging, drilled down to its open invoices (oldest due first).
public struct CustomerAging: Codable, Sendable, Equatable {
    public var asOf: String
    public var edges: [Int]
    public var buckets: [String]
    public var customerCode: String
    public var customerName: String
    public var region: String?
    public var totals: BucketAmounts
    public var invoices: [AgingInvoiceRow]
    public var page: PageInfo

    public init(
        asOf: String, edges: [Int], buckets: [String], customerCode: String, customerName: String, region: String?, totals: BucketAmounts,
        invoices: [AgingInvoiceRow], page: PageInfo
    ) {
        self.asOf = asOf
        self.edges = edges
        self.buckets = buckets
        self.customerCode = customerCode
        self.customerName = customerName
        self.region = region
        self.totals = totals
        self.invoices = invoices
        self.page = page
    }
}

/// Days Sales Outstanding over a period: receivables at its end ÷ credit sales in it × its days.
public struct DSOReport: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public var days: Int
    /// Outstanding as of `to` over invoices dated up to `to`.
    public var receivables: String
    /// Invoices dated within the period, at their totals.
    public var creditSales: String
    /// Nil when the period had no sales (DSO is not defined).
    public var dso: Double?

    public init(from: String, to: String, days: Int, receivables: String, creditSales: String, dso: Double?) {
        self.from = from
        self.to = to
        self.days = days
        self.receivables = receivables
        self.creditSales = creditSales
        self.dso = dso
    }
}

public struct RegisterRow: Codable, Sendable, Equatable {
    public var day: String
    public var rep: String
    public var method: String
    public var payments: Int
    public var amount: String

    public init(day: String, rep: String, method: String, payments: Int, amount: String) {
        self.day = day
        self.rep = rep
        self.method = method
        self.payments = payments
        self.amount = amount
    }
}

public struct RegisterDay: Codable, Sendable, Equatable {
    public var day: String
    public var payments: Int
    public var amount: String

    public init(day: String, payments: Int, amount: String) {
        self.day = day
        self.payments = payments
        self.amount = amount
    }
}

/// The collection register (the "borderou"): payments recorded by reps, per day (India time), rep and
/// method, with each day's total and the period's.
public struct CollectionRegister: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public var rows: [RegisterRow]
    public var days: [RegisterDay]
    public var payments: Int
    public var amount: String
    public var page: PageInfo

    public init(from: String, to: String, rows: [RegisterRow], days: [RegisterDay], payments: Int, amount: String, page: PageInfo) {
        self.from = from
        self.to = to
        self.rows = rows
        self.days = days
        self.payments = payments
        self.amount = amount
        self.page = page
    }
}

public struct HistoryInvoice: Codable, Sendable, Equatable {
    public var number: String
    public var invoiceDate: String
    public var dueDate: String
    public var total: String
    public var outstanding: String
    /// The day the last of it was paid; nil while anything is outstanding.
    public var paidOn: String?

    public init(number: String, invoiceDate: String, dueDate: String, total: String, outstanding: String, paidOn: String?) {
        self.number = number
        self.invoiceDate = invoiceDate
        self.dueDate = dueDate
        self.total = total
        self.outstanding = outstanding
        self.paidOn = paidOn
    }
}

public struct HistoryAllocation: Codable, Sendable, Equatable {
    public var invoice: String
    public var amount: String

    public init(invoice: String, amount: String) {
        self.invoice = invoice
        self.amount = amount
    }
}

public struct HistoryPayment: Codable, Sendable, Equatable {
    /// The device's receipt; nil for a PSP credit no device has recorded (yet).
    public var receiptNumber: String?
    public var method: String
    public var amount: String
    public var day: String
    /// When the rep recorded it (or the PSP's credit reached the hub), ms since 1970.
    public var atMillis: Int64
    public var rep: String?
    public var status: String
    public var allocations: [HistoryAllocation]

    public init(
        receiptNumber: String?, method: String, amount: String, day: String, atMillis: Int64, rep: String?, status: String,
        allocations: [HistoryAllocation]
    ) {
        self.receiptNumber = receiptNumber
        self.method = method
        self.amount = amount
        self.day = day
        self.atMillis = atMillis
        self.rep = rep
        self.status = status
        self.allocations = allocations
    }
}

public struct HistoryReminder: Codable, Sendable, Equatable {
    public var day: String
    public var invoice: String
    public var channel: String
    public var state: String

    public init(day: String, invoice: String, channel: String, state: String) {
        self.day = day
        self.invoice = invoice
        self.channel = channel
        self.state = state
    }
}

/// A customer's invoices and payments, newest first, with how long they take to pay.
public struct CustomerHistory: Codable, Sendable, Equatable {
    public var customerCode: String
    public var customerName: String
    public var region: String?
    public var invoiced: String
    public var paid: String
    public var outstanding: String
    /// Days from invoice date to payment, weighted by amount, over everything allocated; nil with no payments.
    public var averageDaysToPay: Double?
    /// Days from due date to payment, weighted the same way (negative: paid early).
    public var averageDaysLate: Double?
    public var invoices: [HistoryInvoice]
    public var payments: [HistoryPayment]
    /// Reminders queued or sent to the customer, newest first.
    public var reminders: [HistoryReminder] = []
    /// True when there are more invoices or payments than `limit` asked for.
    public var more: Bool

    public init(
        customerCode: String, customerName: String, region: String?, invoiced: String, paid: String, outstanding: String,
        averageDaysToPay: Double?, averageDaysLate: Double?, invoices: [HistoryInvoice], payments: [HistoryPayment], more: Bool
    ) {
        self.customerCode = customerCode
        self.customerName = customerName
        self.region = region
        self.invoiced = invoiced
        self.paid = paid
        self.outstanding = outstanding
        self.averageDaysToPay = averageDaysToPay
        self.averageDaysLate = averageDaysLate
        self.invoices = invoices
        self.payments = payments
        self.more = more
    }
}

// MARK: Reps and assignments

public struct RepSummary: Codable, Sendable, Equatable {
    public var name: String
    /// What the rep's devices receive: "all", "region" (the rep's regions' customers and what is assigned to
    /// them) or "assigned" (only what is assigned to them).
    public var scope: String
    public var regions: [String]
    public var devices: Int
    /// Open invoices assigned to the rep, and their outstanding.
    public var assignedInvoices: Int
    public var assignedOutstanding: String

    public init(name: String, scope: String, regions: [String], devices: Int, assignedInvoices: Int, assignedOutstanding: String) {
        self.name = name
        self.scope = scope
        self.regions = regions
        self.devices = devices
        self.assignedInvoices = assignedInvoices
        self.assignedOutstanding = assignedOutstanding
    }
}

/// `PUT /v1/reps/{name}`: what to change (a field left out stays as it is).
public struct RepSettings: Codable, Sendable, Equatable {
    public var scope: String?
    public var regions: [String]?

    public init(scope: String? = nil, regions: [String]? = nil) {
        self.scope = scope
        self.regions = regions
    }
}

/// `POST /v1/assignments`: these invoices to this rep (null: to no rep).
public struct AssignRequest: Codable, Sendable, Equatable {
    public var invoices: [String]
    public var rep: String?
    public var reason: String?

    public init(invoices: [String], rep: String?, reason: String? = nil) {
        self.invoices = invoices
        self.rep = rep
        self.reason = reason
    }
}

public struct AssignmentResult: Codable, Sendable, Equatable {
    public var assigned: Int
    public var unchanged: Int
    /// Numbers that are no live invoice at this hub.
    public var unknown: [String]

    public init(assigned: Int, unchanged: Int, unknown: [String]) {
        self.assigned = assigned
        self.unchanged = unchanged
        self.unknown = unknown
    }
}

public struct AssignmentChange: Codable, Sendable, Equatable {
    public var fromRep: String?
    public var toRep: String?
    public var atMillis: Int64
    /// The manager's token id, or "rules" with the manager who ran them.
    public var actor: String
    /// "hand" or "rule".
    public var how: String
    public var reason: String?

    public init(fromRep: String?, toRep: String?, atMillis: Int64, actor: String, how: String, reason: String?) {
        self.fromRep = fromRep
        self.toRep = toRep
        self.atMillis = atMillis
        self.actor = actor
        self.how = how
        self.reason = reason
    }
}

/// One allocation rule: an open invoice at least `minDaysPastDue` late, owing between the two amounts, of
/// a customer in `region` (nil: any) goes to `rep`. Rules are tried in order; the first match wins.
public struct AllocationRule: Codable, Sendable, Equatable {
    public var region: String?
    public var minDaysPastDue: Int
    public var minOutstanding: String
    public var maxOutstanding: String?
    public var rep: String

    public init(region: String?, minDaysPastDue: Int = 1, minOutstanding: String = "0.00", maxOutstanding: String? = nil, rep: String) {
        self.region = region
        self.minDaysPastDue = minDaysPastDue
        self.minOutstanding = minOutstanding
        self.maxOutstanding = maxOutstanding
        self.rep = rep
    }
}

public struct AllocationRules: Codable, Sendable, Equatable {
    public var rules: [AllocationRule]
    public init(rules: [AllocationRule]) { self.rules = rules }
}

public struct RuleRun: Codable, Sendable, Equatable {
    public var assigned: Int
    public var byRep: [String: Int]
    /// Open overdue invoices no rule matched (they stay unassigned).
    public var unmatched: Int

    public init(assigned: Int, byRep: [String: Int], unmatched: Int) {
        self.assigned = assigned
        self.byRep = byRep
        self.unmatched = unmatched
    }
}
