import FieldPayCore
import InvoiceCodes
import Testing

let today = LocalDate(year: 2026, month: 11, day: 30)!

@Suite("GS1 payment slips")
struct GS1Tests {
    @Test("element strings in every form a scanner or a person gives", arguments: [
        "(415)8901234000007(8020)INV0042(3902)123450",
        "]C14158901234000007" + "8020INV0042\u{1D}3902123450",
        "\u{1D}4158901234000007" + "8020INV0042\u{1D}3902123450",
        "]Q3(415)8901234000007(8020)INV0042(3902)123450",
        "4158901234000007" + "8020INV0042\u{1D}3902123450",
    ])
    func slip(payload: String) throws {
        let ref = try InvoiceCodeParser().parse(payload, symbology: "code128", today: today)
        #expect(ref.source == .gs1)
        #expect(ref.invoiceNumber == "INV0042")
        #expect(ref.payeeGLN == "8901234000007")
        #expect(ref.amount == Money(paise: 123_450))
    }

    @Test("amount decimals and currency", arguments: [
        ("(8020)A1(3900)1234", Money?.some(Money(paise: 123_400))), ("(8020)A1(3901)12345", Money(paise: 123_450)),
        ("(8020)A1(3903)1234500", Money(paise: 123_450)), ("(8020)A1(3912)356123450", Money(paise: 123_450)),
        ("(8020)A1", nil),
    ])
    func amounts(payload: String, amount: Money?) throws {
        #expect(try InvoiceCodeParser().parse(payload, today: today).amount == amount)
    }

    @Test("broken GS1 strings", arguments: [
        ("(415)8901234000003(8020)INV1", PayloadError.Code.malformedGS1),  // GLN check digit
        ("(415)890123400000(8020)INV1", .malformedGS1),  // GLN too short
        ("(9999)X(8020)INV1", .malformedGS1),  // not an AI
        ("(8020)A1(3903)1234501", .badAmount),  // fraction of a paisa
        ("(8020)A1(3912)840123450", .badAmount),  // US dollars
        ("(8020)" + String(repeating: "A", count: 26), .malformedGS1),  // reference too long
        ("(8020)A1(11)261332", .badDate),
        ("(01)08901234567892(10)LOT1", .notInvoiceCode),  // a product, not a slip
        ("(8020", .notInvoiceCode),
    ])
    func broken(payload: String, code: PayloadError.Code) {
        let error = #expect(throws: PayloadError.self) { try InvoiceCodeParser().parse(payload, today: today) }
        #expect(error?.code == code)
    }

    @Test("mod-10 check digits", arguments: [("8901234000007", true), ("8901234000004", false), ("4006381333931", true), ("4006381333932", false), ("7", false)])
    func checkDigits(digits: String, valid: Bool) {
        #expect(GS1.hasValidCheckDigit(digits) == valid)
    }
}

@Suite("Distributor patterns, URLs and plain numbers")
struct FormatTests {
    let parser = try! InvoiceCodeParser(
        rules: PayloadRules(patterns: [
            .init(name: "acme", regex: #"ACME\|(?<invoice>[A-Z0-9/-]+)\|(?<amount>[0-9.]+)\|(?<date>[0-9/]{10})"#),
            .init(name: "sharma", regex: #"SD(?<invoice>\d{8})"#),
        ])
    )

    @Test("a profile pattern gives the named groups")
    func pattern() throws {
        let ref = try parser.parse("ACME|INV/26/0042|12500.5|15/11/2026", symbology: "qr")
        #expect(ref.source == .pattern)
        #expect(ref.invoiceNumber == "INV/26/0042")
        #expect(ref.amount == Money(paise: 1_250_050))
        #expect(ref.invoiceDate == LocalDate(year: 2026, month: 11, day: 15))
        #expect(try parser.parse("SD20260042", symbology: "code128").invoiceNumber == "20260042")
    }

    @Test("a pattern must match the whole payload")
    func wholeMatch() throws {
        // "xSD12345678" is not the sharma format; it falls through to a plain number.
        #expect(try parser.parse("xSD12345678", symbology: "code128").source == .plain)
        #expect(throws: PayloadError.self) { try parser.parse("SD1234567890123456789012345678901234567890xx", symbology: "qr") }
    }

    @Test("bad values inside a pattern are reported", arguments: [
        ("ACME|INV1|12.345|15/11/2026", PayloadError.Code.badAmount), ("ACME|INV1|12|31/02/2026", .badDate),
    ])
    func patternValues(payload: String, code: PayloadError.Code) {
        let error = #expect(throws: PayloadError.self) { try parser.parse(payload) }
        #expect(error?.code == code)
    }

    @Test("broken profile patterns are refused when the rules are loaded", arguments: [#"(?<invoice>[A-Z"#, #"INV(\d+)"#])
    func brokenRules(regex: String) {
        let error = #expect(throws: PayloadError.self) {
            try InvoiceCodeParser(rules: PayloadRules(patterns: [.init(name: "bad", regex: regex)]))
        }
        #expect(error?.code == .badRule)
    }

    @Test("URLs with an invoice parameter", arguments: [
        ("https://pay.sharmadist.in/p?invoice=INV-2026-0042", "INV-2026-0042"),
        ("HTTPS://X.IN/?a=1&InvoiceNo=INV%2F26%2F7", "INV/26/7"),
        ("upi://pay?pa=sharma@okhdfcbank&pn=Sharma&am=1250.00&cu=INR&invoiceNo=INV-7", "INV-7"),
    ])
    func urls(payload: String, number: String) throws {
        let ref = try parser.parse(payload, symbology: "qr")
        #expect(ref.source == .url)
        #expect(ref.invoiceNumber == number)
    }

    @Test("a UPI QR's am becomes the amount; a bad one is reported")
    func upiAmount() throws {
        #expect(try parser.parse("upi://pay?pa=a.b@ybl&am=99.5&invoice=I9").amount == Money(paise: 9950))
        #expect(throws: PayloadError.self) { try parser.parse("upi://pay?pa=a.b@ybl&am=abc&invoice=I9") }
    }

    @Test("plain invoice numbers from linear codes", arguments: [
        ("INV-2026-0042", "code128"), ("12345678", "code39"), ("INV/26/0042", "code93"), ("A1B2C3", "i25"),
        ("SHR.2026.17", nil as String?),
    ])
    func plain(payload: String, symbology: String?) throws {
        let ref = try parser.parse(payload, symbology: symbology)
        #expect(ref.source == .plain)
        #expect(ref.invoiceNumber == payload)
    }

    @Test("what is not an invoice code says so", arguments: [
        ("8901234567892", "ean13" as String?), ("HELLO-WORLD", "code128"), ("INV-2026-0042", "qr"),
        ("https://example.com/about", "qr"), ("upi://pay?pa=a.b@ybl&am=10", "qr"), ("", nil), ("   ", nil),
        ("ab", nil), (String(repeating: "9", count: 41), nil), ("\u{0}\u{1}\u{2}", nil), (String(repeating: "x", count: 10_000), nil),
        ("eyJ", nil), ("(", nil),
    ])
    func notInvoice(payload: String, symbology: String?) {
        let error = #expect(throws: PayloadError.self) { try parser.parse(payload, symbology: symbology) }
        #expect(error?.code == .notInvoiceCode || error?.code == .malformedGS1)
    }

    @Test("plain numbers can be switched off by the profile")
    func plainOff() throws {
        let strict = try InvoiceCodeParser(rules: PayloadRules(plainNumbers: false))
        #expect(throws: PayloadError.self) { try strict.parse("INV-2026-0042", symbology: "code128") }
    }

    @Test("error messages name the problem", arguments: [
        ("https://example.com/about", "without an invoice parameter"), ("8901234567892", "product barcode"),
        ("upi://pay?pa=a.b@ybl", "UPI payment QR without an invoice number"),
    ])
    func messages(payload: String, fragment: String) {
        let error = #expect(throws: PayloadError.self) { try parser.parse(payload, symbology: payload.hasPrefix("89") ? "ean13" : "qr") }
        #expect(error?.message.contains(fragment) == true)
    }
}
