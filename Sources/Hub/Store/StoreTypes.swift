import FieldPayCore
import Foundation
import HubAPI

// The values the hub's store protocols speak in, whatever the backend.

/// Bucket edges in days past due: strictly increasing, positive; [30, 60, 90] gives current, 1-30,
/// 31-60, 61-90, 90+.
public struct AgingEdges: Sendable, Equatable {
    public let days: [Int]
    public static let standard = AgingEdges(validated: [30, 60, 90])

    init(validated days: [Int]) { self.days = days }

    /// Parses "30,60,90"; nil with the reason in `problem` when it is not 1 to 8 increasing whole days up to 3650.
    public static func parse(_ text: String) -> Result<AgingEdges, ReportInputError> {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let days = parts.compactMap { Int($0) }
        guard days.count == parts.count, (1...8).contains(days.count) else {
            return .failure(ReportInputError("edges must be 1 to 8 whole numbers of days separated by commas, like 30,60,90"))
        }
        guard days.allSatisfy({ (1...3650).contains($0) }), zip(days, days.dropFirst()).allSatisfy({ $0 < $1 }) else {
            return .failure(ReportInputError("edges must increase and lie between 1 and 3650 days, like 30,60,90"))
        }
        return .success(AgingEdges(validated: days))
    }

    public var labels: [String] {
        var labels = ["current"]
        var low = 1
        for edge in days {
            labels.append("\(low)-\(edge)")
            low = edge + 1
        }
        labels.append("\(days.last!)+")
        return labels
    }

    public func bucket(daysPastDue: Int) -> Int {
        guard daysPastDue > 0 else { return 0 }
        return 1 + (days.firstIndex { daysPastDue <= $0 } ?? days.count)
    }
}

public enum FollowUpOutcome: Sendable, Equatable {
    case created(FollowUp)
    case repeated(FollowUp)
    case conflict(String)
}

public enum EnrollOutcome: Sendable, Equatable {
    case enrolled(EnrollResponse)
    case unknownCode
    case used
    case expired
    /// The public key sent is not a 32-byte Ed25519 key in base64.
    case invalidKey
    /// The device code is not 2 to 16 capital letters and digits.
    case invalidDeviceCode
    /// Another device (not revoked, with another key) holds this code, or one that shares its `tr` prefix.
    case deviceCodeTaken(String)
}

public enum Authentication: Sendable, Equatable {
    case device(String)
    /// A manager's token (`mgr_…`): the reports, never the device protocol.
    case manager(String)
    case unknown
    case revoked
    /// A manager's API token past its expiry (`fieldpay-hub managers rotate` gives a new one).
    case expired
}

public enum UploadOutcome: Sendable, Equatable {
    case created(PaymentResult)
    case repeated(PaymentResult)
    case conflict(String)
    case invalid(String)
}

/// What a UTR typed on a device came to. A typed UTR is a claim: it confirms the payment only when a credit
/// with that UTR and amount is (or later comes) to the hub.
public enum UTROutcome: Sendable, Equatable {
    /// A credit with this UTR and the payment's amount was already here: confirmed.
    case confirmed
    /// Recorded as the payment's claimed UTR (`utr-claimed`), waiting for a webhook, a poll or a statement.
    case claimed
    case notFound
    /// Another payment holds the UTR, or this one holds another.
    case conflict(String)
}

public struct InvoiceRow: Sendable {
    public var number: String
    public var customer: String
    public var dueDate: LocalDate
    public var total: Money
    public var outstanding: Money
}

public struct PaymentRow: Sendable {
    public var receiptNumber: String
    public var method: String
    public var amount: Money
    public var status: String
    public var flagged: Bool
    public var utr: String?
    public var rep: String
    /// When it was reversed (a bounced cheque, a refund), if it was.
    public var reversedAt: Int64? = nil
}

/// A payment reversed at the hub: what it gave back to which invoices, and what the books were told.
public struct PaymentReversal: Sendable, Equatable {
    public var paymentID: String
    public var receiptNumber: String
    public var method: String
    public var amount: Money
    public var customerCode: String
    public var reversedAt: Int64
    public var reason: String
    /// The invoices owed again, by how much.
    public var invoices: [ERPAllocation]
    public var books: [ReversalOutcome.Books]
}

public enum ReversalOutcome: Sendable, Equatable {
    /// Per connector the payment was queued for: whether a cancellation was queued (the ERP may hold the
    /// voucher) or the row was settled as it stood (the ERP never had it).
    public struct Books: Sendable, Equatable {
        public var connector: String
        public var cancelQueued: Bool
        public init(connector: String, cancelQueued: Bool) {
            self.connector = connector
            self.cancelQueued = cancelQueued
        }
    }
    case reversed(PaymentReversal)
    case notFound
    case alreadyReversed(receipt: String, at: Int64)
    /// Not reversible, in words.
    case refused(String)
}

/// A report parameter a manager got wrong, in words.
public struct ReportInputError: FieldPayError, Equatable {
    public let message: String
    public var codeString: String { "hub.invalid-input" }
    public init(_ message: String) { self.message = message }
}

/// Report days are Indian days: timestamps are milliseconds since 1970, days are India Standard Time.
public enum HubTime {
    static let dayMillis: Int64 = 86_400_000
    static let istOffsetMillis: Int64 = 19_800_000

    /// The first millisecond after `day` ends, India time.
    public static func endOfDay(_ day: LocalDate) -> Int64 { (Int64(day.dayNumber) + 1) * dayMillis - istOffsetMillis }

    /// The India day a millisecond timestamp falls on (clamped to the dates a `LocalDate` holds, so a stored
    /// timestamp far outside them cannot stop a report).
    public static func day(ofMillis millis: Int64) -> LocalDate {
        let shifted = millis.addingReportingOverflow(istOffsetMillis)
        let value = shifted.overflow ? millis : shifted.partialValue
        return LocalDate(dayNumber: Int32(clamping: (value - ((value % dayMillis) + dayMillis) % dayMillis) / dayMillis))
    }

    public static func nowMillis() -> Int64 { Date().millisecondsSince1970 }

    /// A report's date parameter: exactly YYYY-MM-DD.
    static func day(_ text: String, _ name: String) throws -> LocalDate {
        guard text.utf8.count == 10, let date = LocalDate(parsing: text), date.isoString == text else {
            throw ReportInputError("\(name) must be a date like 2026-11-30, not \(text.prefix(40))")
        }
        return date
    }
}

public struct UnassignedInvoice: Sendable {
    public var number: String
    public var customerCode: String
    public var customerName: String
    public var region: String?
    public var daysPastDue: Int
    public var outstanding: Money
    public var disputed: Bool
}

/// The state of the book at a moment, for `/metrics`.
public struct BookSnapshot: Sendable {
    public init() {}
    public var invoices = 0
    public var openInvoices = 0
    public var outstandingPaise: Int64 = 0
    public var payments: [String: Int] = [:]
    public var flagged = 0
    public var credits: [String: Int] = [:]
    public var devices = 0
    public var revokedDevices = 0
    /// Outbox messages by "kind|state".
    public var messages: [String: Int] = [:]
}

/// A bank statement's credit lines as a feed of the confirmation state machine: for UPI credits whose
/// webhook never came. Columns are found by their usual names (`utr`/`rrn`/`ref no`, `credit`/`deposit`, or
/// `amount` with a `Dr/Cr` column, `narration`/`description`/`remarks`, and an optional `tr`); the QR's `tr` is taken from its
/// column or found in the narration (`UPI/412345678901/<tr>/payer@bank`). A line is applied once, keyed by
/// its UTR, so importing the same statement again changes nothing.
public struct StatementImport: Sendable, Equatable {
    public var lines = 0
    public var outcomes: [String: Int] = [:]
    public var rejected: [(line: Int, reason: String)] = []

    public static func == (a: StatementImport, b: StatementImport) -> Bool {
        a.lines == b.lines && a.outcomes == b.outcomes && a.rejected.map(\.line) == b.rejected.map(\.line)
    }
}

public struct StatementError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Arithmetic over amounts read back from the store, in paise: checked, so that amounts too large to add up
/// (a hostile upload, a bad import) make a report say so instead of stopping the hub.
enum StoredPaise {
    static func add(_ a: Int64, _ b: Int64) throws(ReportInputError) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw tooLarge }
        return sum
    }

    static func subtract(_ a: Int64, _ b: Int64) throws(ReportInputError) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        guard !overflow else { throw tooLarge }
        return difference
    }

    static func sum(_ values: some Sequence<Int64>) throws(ReportInputError) -> Int64 {
        var total: Int64 = 0
        for value in values { total = try add(total, value) }
        return total
    }

    /// A SQL `TOTAL()` (a double) as paise, held to what paise can be.
    static func from(_ total: Double) -> Int64 {
        guard total.isFinite else { return 0 }
        if total >= 9.2e18 { return .max }
        if total <= -9.2e18 { return .min }
        return Int64(total)
    }

    static let tooLarge = ReportInputError("the amounts stored for this report are too large to add up; check the payments and handovers it covers")
}

/// What a hub takes from a device at all, whatever the receipt says: a payment recorded in a window around now
/// (a clock years off, or a forged `recorded_at_ms`, would land in no report's range or overflow one) and no
/// larger than a set maximum (two huge amounts must not overflow a total). `[hub]` in hub.toml sets them.
public struct UploadLimits: Sendable, Equatable {
    public var pastDays = 400
    public var futureDays = 1
    public var maximumPayment = Money(rupees: 10_000_000)
    /// The most of one payment that no invoice absorbs, and the most an allocation may exceed its invoice's
    /// total by (an ERP credit note the device had not yet seen). A payment is never more than what its invoices
    /// were billed plus this; more than an invoice's outstanding is kept and flagged (two reps may have collected
    /// on it offline), not refused: the money is in a rep's hand.
    public var maximumAdvance = Money(rupees: 100_000)

    public init() {}

    /// Why `upload` falls outside the limits at `now`, in words for the device's log; nil when it is inside.
    /// `totals`: what the hub billed for each allocated invoice it knows.
    public func problem(_ upload: ValidUpload, now: Date, totals: [String: Money] = [:]) -> String? {
        let nowMillis = now.millisecondsSince1970
        let day: Int64 = 86_400_000
        let recorded = upload.upload.recordedAtMillis
        if recorded < nowMillis - Int64(pastDays) * day {
            return "recorded_at_ms \(recorded) is more than \(pastDays) days ago: check the device's clock (this hub takes payments from the last \(pastDays) days)"
        }
        if recorded > nowMillis + Int64(futureDays) * day {
            return "recorded_at_ms \(recorded) is more than \(futureDays) day\(futureDays == 1 ? "" : "s") ahead of the hub's clock: check the device's clock"
        }
        if upload.amount > maximumPayment {
            return "amount \(upload.amount.plainString) is more than this hub takes in one payment (\(maximumPayment.plainString), [hub] max_payment)"
        }
        if upload.advance > maximumAdvance {
            return "advance \(upload.advance.plainString) is more than this hub takes unallocated in one payment (\(maximumAdvance.plainString), [hub] max_advance)"
        }
        for part in upload.allocations {
            if let total = totals[part.invoice], let limit = total.adding(maximumAdvance), part.amount > limit {
                return "allocation to \(part.invoice) (\(part.amount.plainString)) is more than the invoice's total \(total.plainString) and [hub] max_advance together"
            }
        }
        return nil
    }
}
