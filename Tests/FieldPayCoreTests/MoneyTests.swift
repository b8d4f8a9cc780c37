import Testing

@testable import FieldPayCore

@Suite("Money")
struct MoneyTests {
    @Test(
        "amounts are read as people write them",
        arguments: [
            ("1234.50", 123_450), ("1234.5", 123_450), ("1234", 123_400), ("0.01", 1), (".5", 50), ("0", 0),
            ("1,234.50", 123_450), ("₹1,23,456.00", 12_345_600), ("Rs. 1234", 123_400), ("INR 99.99", 9_999),
            ("  42.00 ", 4_200), ("-12.00", -1_200), ("₹-5", -500), ("+7", 700), ("1.", 100),
            ("92233720368547758.07", Int64.max),
        ] as [(String, Int64)])
    func parses(input: String, paise: Int64) throws {
        #expect(try Money(parsing: input).paise == paise)
    }

    @Test(
        "malformed amounts are refused with a code that says why",
        arguments: [
            ("", MoneyError.Code.empty), ("   ", .empty), ("abc", .malformed), ("12.3.4", .malformed),
            ("1.234", .tooManyDecimals), ("0.001", .tooManyDecimals), ("1e5", .malformed), ("12,", .malformed),
            (",12", .malformed), ("1,,2", .malformed), ("--1", .malformed), ("१२३", .malformed), (".", .malformed),
            ("92233720368547758.08", .outOfRange), ("999999999999999999999", .outOfRange), ("12 34", .malformed),
        ] as [(String, MoneyError.Code)])
    func refuses(input: String, code: MoneyError.Code) {
        #expect(throws: MoneyError.self) { try Money(parsing: input) }
        do {
            _ = try Money(parsing: input)
        } catch {
            #expect(error.code == code, "\(input) gave \(error.code)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test(
        "UPI and CSV form: no grouping, always two decimals",
        arguments: [(123_450, "1234.50"), (1, "0.01"), (10, "0.10"), (0, "0.00"), (-1_205, "-12.05"), (150, "1.50")]
            as [(Int64, String)])
    func plainString(paise: Int64, text: String) {
        #expect(Money(paise: paise).plainString == text)
    }

    @Test(
        "screen form groups digits the Indian way (lakh, crore)",
        arguments: [
            (123_450, "₹1,234.50"), (99, "₹0.99"), (100_000, "₹1,000.00"), (12_345_600, "₹1,23,456.00"),
            (1_234_567_890, "₹1,23,45,678.90"), (100_000_000_000, "₹1,00,00,00,000.00"), (-50_000, "-₹500.00"),
            (Int64.min, "-₹92,23,37,20,36,85,47,758.08"),
        ] as [(Int64, String)])
    func displayString(paise: Int64, text: String) {
        #expect(Money(paise: paise).displayString == text)
    }

    @Test("parsing what we print gives the same amount back", arguments: [0, 1, 99, 100, 123_456_789, -42] as [Int64])
    func roundTrip(paise: Int64) throws {
        let money = Money(paise: paise)
        #expect(try Money(parsing: money.plainString) == money)
        #expect(try Money(parsing: money.displayString) == money)
    }

    @Test("arithmetic and ordering stay in paise")
    func arithmetic() {
        let a = Money(rupees: 10)
        let b = Money(paise: 250)
        #expect((a + b).paise == 1_250)
        #expect((a - b).paise == 750)
        #expect((-b).isNegative)
        #expect(b < a)
        #expect(Money.zero.isPositive == false)
    }

    @Test("errors print their message and code")
    func errorDescription() {
        let error = MoneyError(.tooManyDecimals, "1.234")
        #expect(
            error.description
                == "'1.234' has more than two decimals (amounts are in rupees and paise) [money.too-many-decimals]")
    }
}

@Suite("Money fast path")
struct MoneyFastPathTests {
    @Test("plain amounts read without the general parser agree with it", arguments: [
        ("0", Int64(0)), ("5", 500), ("5.", 500), (".5", 50), ("1.5", 150), ("1.05", 105), ("-0.01", -1), ("000123.4", 12_340),
        ("999999999999999.99", 99_999_999_999_999_999), ("1234567890123456", 123_456_789_012_345_600),
    ])
    func agree(text: String, paise: Int64) throws {
        #expect(try Money(parsing: text).paise == paise)
    }

    @Test("what the fast path leaves alone still gets the general parser's errors", arguments: [
        "1.234", "-", ".", "1.2.3", "--5", "5-", "1e3", "12345678901234567890",
    ])
    func errors(text: String) {
        #expect(throws: MoneyError.self) { try Money(parsing: text) }
    }
}
