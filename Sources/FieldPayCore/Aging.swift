/// How late an invoice is: the buckets every collection report in India uses.
public enum AgingBucket: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Not yet due, or due today.
    case current
    case days1to30 = "1-30"
    case days31to60 = "31-60"
    case days61to90 = "61-90"
    case over90 = "90+"

    /// The bucket for an invoice `daysPastDue` days past its due date (zero or negative: current).
    public init(daysPastDue: Int) {
        switch daysPastDue {
        case ...0: self = .current
        case 1...30: self = .days1to30
        case 31...60: self = .days31to60
        case 61...90: self = .days61to90
        default: self = .over90
        }
    }

    public var description: String { self == .current ? "current" : "\(rawValue) days" }
}

/// Days past due and the bucket, from the device's date and the invoice's due date.
public struct Aging: Hashable, Sendable {
    /// Positive when overdue; zero on the due date; negative while there is time left.
    public let daysPastDue: Int
    public let bucket: AgingBucket

    public init(dueDate: LocalDate, today: LocalDate) {
        daysPastDue = dueDate.days(until: today)
        bucket = AgingBucket(daysPastDue: daysPastDue)
    }

    public var isOverdue: Bool { daysPastDue > 0 }

    /// "12 days overdue", "due today", "due in 5 days".
    public var phrase: String {
        switch daysPastDue {
        case 0: return "due today"
        case 1: return "1 day overdue"
        case 2...: return "\(daysPastDue) days overdue"
        case -1: return "due tomorrow"
        default: return "due in \(-daysPastDue) days"
        }
    }
}
