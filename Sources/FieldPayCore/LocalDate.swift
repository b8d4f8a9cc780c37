import Foundation

/// A calendar date with no time and no zone: an invoice date, a due date. Stored as days since 1970-01-01 so
/// that "days overdue" is a subtraction and dates sort as integers.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    public let dayNumber: Int32

    public init(dayNumber: Int32) { self.dayNumber = dayNumber }

    /// A valid date or nil (month 1–12, day within the month, year 1900–9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1900...9999).contains(year), (1...12).contains(month),
            (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.dayNumber = Int32(LocalDate.daysFromCivil(year: year, month: month, day: day))
    }

    public var year: Int { components.year }
    public var month: Int { components.month }
    public var day: Int { components.day }

    public var components: (year: Int, month: Int, day: Int) { LocalDate.civilFromDays(Int(dayNumber)) }

    /// `2026-11-30`: how dates are stored and exchanged.
    public var isoString: String {
        let (y, m, d) = components
        return "\(y)-\(LocalDate.two(m))-\(LocalDate.two(d))"
    }

    /// `30/11/2026`: how dates are written on Indian invoices and in the GST e-invoice QR.
    public var indianString: String {
        let (y, m, d) = components
        return "\(LocalDate.two(d))/\(LocalDate.two(m))/\(y)"
    }

    public var description: String { isoString }

    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + Int32(days)) }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(until other: LocalDate) -> Int { Int(other.dayNumber) - Int(dayNumber) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    // MARK: Parsing

    /// Parses `yyyy-mm-dd` (ISO), `dd/mm/yyyy`, `dd-mm-yyyy` and `dd.mm.yyyy` (Indian usage, day first).
    /// Anything else, or an impossible date such as 31/02/2026, is nil.
    public init?(parsing text: some StringProtocol) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        switch bytes.count {
        case 10 where bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-"):
            guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
                let date = LocalDate(year: y, month: m, day: d)
            else { return nil }
            self = date
        case 10 where bytes[2] == bytes[5] && [UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: ".")].contains(bytes[2]):
            guard let d = number(0..<2), let m = number(3..<5), let y = number(6..<10),
                let date = LocalDate(year: y, month: m, day: d)
            else { return nil }
            self = date
        default:
            return nil
        }
    }

    /// Parses GS1's `YYMMDD` (AI 11, 13, 15, 17): the century is the one that puts the year within 50
    /// years back and 49 forward of `reference`'s year, as the GS1 General Specifications say. Day `00`
    /// means the last day of the month.
    public init?(gs1 text: some StringProtocol, reference: LocalDate) {
        let digits = Array(text.utf8)
        guard digits.count == 6, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let value = digits.map { Int($0 - 0x30) }
        let yy = value[0] * 10 + value[1]
        let month = value[2] * 10 + value[3]
        var day = value[4] * 10 + value[5]
        let currentYear = reference.year
        var year = currentYear - currentYear % 100 + yy
        if year - currentYear >= 50 { year -= 100 } else if currentYear - year > 50 { year += 100 }
        guard (1...12).contains(month) else { return nil }
        if day == 0 { day = LocalDate.daysIn(month: month, year: year) }
        guard let date = LocalDate(year: year, month: month, day: day) else { return nil }
        self = date
    }

    /// Today's date on the device clock, in `timeZone` (the device profile's zone; India by default).
    public static func today(in timeZone: TimeZone = .india, now: Date = Date()) -> LocalDate {
        let seconds = Int(now.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: now)
        return LocalDate(dayNumber: Int32((seconds - (((seconds % 86_400) + 86_400) % 86_400)) / 86_400))
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, Howard Hinnant's civil-day algorithms)

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    // Codable as the ISO string, so JSON reads naturally.
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
        }
        self = date
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(isoString)
    }
}

extension TimeZone {
    /// India Standard Time (UTC+05:30, no daylight saving): the default zone for "today" on a device.
    public static let india = TimeZone(identifier: "Asia/Kolkata") ?? TimeZone(secondsFromGMT: 19_800)!
}
