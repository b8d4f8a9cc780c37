import FieldPayCore
import Foundation
import Testing

@Suite("LocalDate")
struct LocalDateTests {
    @Test("parses ISO and Indian day-first forms", arguments: [
        ("2026-11-30", 2026, 11, 30), ("30/11/2026", 2026, 11, 30), ("01-04-2025", 2025, 4, 1),
        ("29.02.2024", 2024, 2, 29), ("2000-02-29", 2000, 2, 29),
    ])
    func parses(text: String, year: Int, month: Int, day: Int) throws {
        let date = try #require(LocalDate(parsing: text))
        #expect(date.year == year && date.month == month && date.day == day)
    }

    @Test("refuses impossible and malformed dates", arguments: [
        "31/02/2026", "29/02/2025", "1900-02-29", "2026-13-01", "2026-00-10", "00/01/2026", "2026/11/30", "30-11-26",
        "", "2026-11-3", "३०/११/२०२६", "2026-1a-01", "30/11-2026",
    ])
    func refuses(text: String) {
        #expect(LocalDate(parsing: text) == nil)
    }

    @Test("day numbers count from 1970-01-01 and round-trip over four centuries")
    func dayNumbers() throws {
        #expect(LocalDate(year: 1970, month: 1, day: 1)?.dayNumber == 0)
        #expect(LocalDate(year: 2000, month: 3, day: 1)?.dayNumber == 11_017)
        #expect(LocalDate(year: 1969, month: 12, day: 31) == LocalDate(dayNumber: -1))
        let start = try #require(LocalDate(year: 1900, month: 1, day: 1)).dayNumber
        let end = try #require(LocalDate(year: 2300, month: 12, day: 31)).dayNumber
        var previous: LocalDate?
        for number in stride(from: start, through: end, by: 1) {
            let date = LocalDate(dayNumber: number)
            #expect(LocalDate(year: date.year, month: date.month, day: date.day) == date)
            if let previous { #expect(previous.days(until: date) == 1) }
            previous = date
        }
    }

    @Test("formats as ISO and as Indian dd/mm/yyyy")
    func formats() throws {
        let date = try #require(LocalDate(year: 2026, month: 4, day: 5))
        #expect(date.isoString == "2026-04-05")
        #expect(date.indianString == "05/04/2026")
        #expect(LocalDate(parsing: date.indianString) == date)
    }

    @Test("GS1 YYMMDD picks the century within 50 years and reads day 00 as the month's last")
    func gs1Dates() throws {
        let today = try #require(LocalDate(year: 2026, month: 11, day: 30))
        #expect(LocalDate(gs1: "261130", reference: today) == LocalDate(year: 2026, month: 11, day: 30))
        #expect(LocalDate(gs1: "750101", reference: today) == LocalDate(year: 2075, month: 1, day: 1))
        #expect(LocalDate(gs1: "770101", reference: today) == LocalDate(year: 1977, month: 1, day: 1))
        #expect(LocalDate(gs1: "240200", reference: today) == LocalDate(year: 2024, month: 2, day: 29))
        #expect(LocalDate(gs1: "261301", reference: today) == nil)
        #expect(LocalDate(gs1: "26113", reference: today) == nil)
    }

    @Test("today is the Indian date: 18:30 UTC is already the next day in IST")
    func todayInIndia() throws {
        let justBefore = Date(timeIntervalSince1970: 1_796_063_399)  // 2026-11-30 18:29:59 UTC
        let justAfter = Date(timeIntervalSince1970: 1_796_063_400)  // 2026-11-30 18:30:00 UTC = 00:00 IST
        #expect(LocalDate.today(in: .india, now: justBefore).isoString == "2026-11-30")
        #expect(LocalDate.today(in: .india, now: justAfter).isoString == "2026-12-01")
        #expect(LocalDate.today(in: TimeZone(secondsFromGMT: 0)!, now: justAfter).isoString == "2026-11-30")
        #expect(LocalDate.today(in: TimeZone(secondsFromGMT: 0)!, now: Date(timeIntervalSince1970: -1)).isoString == "1969-12-31")
    }
}

@Suite("Aging")
struct AgingTests {
    @Test("bucket boundaries", arguments: [
        (-5, AgingBucket.current), (0, .current), (1, .days1to30), (30, .days1to30), (31, .days31to60),
        (60, .days31to60), (61, .days61to90), (90, .days61to90), (91, .over90), (4000, .over90),
    ])
    func buckets(days: Int, bucket: AgingBucket) throws {
        let due = try #require(LocalDate(year: 2026, month: 1, day: 31))
        let aging = Aging(dueDate: due, today: due.adding(days: days))
        #expect(aging.daysPastDue == days)
        #expect(aging.bucket == bucket)
        #expect(aging.isOverdue == (days > 0))
    }

    @Test("phrases for the screen")
    func phrases() throws {
        let due = try #require(LocalDate(parsing: "2026-03-01"))
        #expect(Aging(dueDate: due, today: due).phrase == "due today")
        #expect(Aging(dueDate: due, today: due.adding(days: 1)).phrase == "1 day overdue")
        #expect(Aging(dueDate: due, today: due.adding(days: 45)).phrase == "45 days overdue")
        #expect(Aging(dueDate: due, today: due.adding(days: -3)).phrase == "due in 3 days")
        // Across the leap day: 2024-02-28 to 2024-03-01 is two days.
        let feb28 = try #require(LocalDate(parsing: "2024-02-28"))
        #expect(Aging(dueDate: feb28, today: try #require(LocalDate(parsing: "2024-03-01"))).daysPastDue == 2)
    }
}

@Suite("GSTIN")
struct GSTINTests {
    @Test("valid numbers, with spaces and lower case tolerated", arguments: ["27AAPFU0939F1ZV", " 27aapfu0939f1zv ", "33AAACH7409R1Z8"])
    func valid(text: String) throws {
        let gstin = try GSTIN(text)
        #expect(gstin.value == text.trimmingCharacters(in: .whitespaces).uppercased())
    }

    @Test("each kind of invalid number has its own code", arguments: [
        ("27AAPFU0939F1ZA", GSTINError.Code.badCheckCharacter), ("27AAPFU0939F1Z", .wrongLength),
        ("27AAPFU0939F1ZVX", .wrongLength), ("27AAPFU0939F1Z#", .badCharacter), ("00AAPFU0939F1ZV", .badStateCode),
        ("AAAAPFU0939F1ZV", .badStateCode), ("", .wrongLength), ("28AAPFU0939F1ZV", .badCheckCharacter),
    ])
    func invalid(text: String, code: GSTINError.Code) {
        #expect(throws: GSTINError(code, text.uppercased())) { try GSTIN(text) }
    }

    @Test("state code and PAN")
    func parts() throws {
        let gstin = try GSTIN("27AAPFU0939F1ZV")
        #expect(gstin.stateCode == 27)
        #expect(gstin.pan == "AAPFU0939F")
    }
}

@Suite("Invoice keys and VPAs")
struct InvoiceValueTests {
    @Test("invoice numbers meet whatever their separators and case", arguments: [
        ("INV/2024/0042", "INV20240042"), ("inv-2024-0042", "INV20240042"), (" INV 2024 0042 ", "INV20240042"),
        ("ÄB-12", "B12"), ("", ""),
    ])
    func keys(number: String, key: String) {
        #expect(normalizedInvoiceKey(number) == key)
    }

    @Test("VPA shape", arguments: [
        ("shop.name@okhdfcbank", true), ("9876543210@ybl", true), ("a@b", false), ("ab@1bank", false),
        ("no-at-sign", false), ("two@at@signs", false), ("sp ace@upi", false), ("ab@", false), ("@upi", false),
    ])
    func vpa(text: String, valid: Bool) {
        #expect(VPA.isValid(text) == valid)
    }
}
