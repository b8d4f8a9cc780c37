import FieldPayCore
import Testing
import UPI

@Suite("upi://pay requests")
struct UPIRequestTests {
    let base = UPIPaymentRequest(payeeVPA: "acme.traders@okhdfcbank", payeeName: "Acme Traders")

    @Test("the spec's example shape, parameters in order, cu=INR always")
    func specExample() {
        var request = UPIPaymentRequest(payeeVPA: "zeeshan@npci", payeeName: "Zeeshan Khan", merchantCode: "0000",
            transactionReference: "123456789", note: "payment for bill 1022", amount: Money(paise: 1_000))
        request.invoiceNumber = nil
        #expect(request.uri == "upi://pay?pa=zeeshan@npci&pn=Zeeshan%20Khan&mc=0000&tr=123456789&tn=payment%20for%20bill%201022&am=10.00&cu=INR")
    }

    @Test("real-world quirks: spaces and & in names, @ kept in pa, 1.5 becomes 1.50, / in invoice numbers")
    func quirks() throws {
        var request = base
        request.payeeName = "Rao & Sons, Hubli"
        request.amount = try Money(parsing: "1.5")
        request.invoiceNumber = "INV/2026-27/004512"
        request.invoiceDate = LocalDate(parsing: "2026-11-02")
        request.gstin = try GSTIN("27AAPFU0939F1ZV")
        #expect(request.uri == "upi://pay?pa=acme.traders@okhdfcbank&pn=Rao%20%26%20Sons%2C%20Hubli&am=1.50&cu=INR&invoiceNo=INV%2F2026-27%2F004512&invoiceDate=2026-11-02&gstIn=27AAPFU0939F1ZV")
        let parsed = try UPIPaymentRequest(parsing: request.uri)
        #expect(parsed.payeeName == "Rao & Sons, Hubli")
        #expect(parsed.amount == Money(paise: 150))
        #expect(parsed.invoiceNumber == "INV/2026-27/004512")
        #expect(parsed == request)
    }

    @Test("non-ASCII names are UTF-8 percent-encoded and come back")
    func unicode() throws {
        var request = base
        request.payeeName = "शर्मा स्टोर्स"
        request.note = "100% paid #1 +tax"
        let parsed = try UPIPaymentRequest(parsing: request.uri)
        #expect(parsed.payeeName == "शर्मा स्टोर्स")
        #expect(parsed.note == "100% paid #1 +tax")
        #expect(!request.uri.contains(" ") && !request.uri.contains("#"))
    }

    @Test("parsing tolerates + for spaces, any parameter order, and keeps unknown parameters")
    func tolerant() throws {
        let parsed = try UPIPaymentRequest(parsing: "UPI://pay?am=99&pn=A+B&pa=a.b@ybl&orgid=159761&cu=INR")
        #expect(parsed.payeeName == "A B")
        #expect(parsed.amount == Money(rupees: 99))
        #expect(parsed.extra.map(\.0) == ["orgid"])
    }

    @Test("validation refuses what a payer's app would", arguments: [
        ("pa", "not-a-vpa", UPIError.Code.badVPA), ("am", "0", .amountNotPositive), ("am", "-5", .amountNotPositive),
        ("am", "100000.01", .amountOverLimit), ("mc", "54", .badMerchantCode), ("tr", "INV/1", .badReference),
        ("tr", String(repeating: "A", count: 36), .badReference), ("mode", "1", .badCode), ("pn", " ", .badName),
    ])
    func refusals(field: String, value: String, code: UPIError.Code) throws {
        var request = base
        request.amount = Money(rupees: 10)
        switch field {
        case "pa": request.payeeVPA = value
        case "am": request.amount = try Money(parsing: value)
        case "mc": request.merchantCode = value
        case "tr": request.transactionReference = value
        case "mode": request.mode = value
        default: request.payeeName = value
        }
        let error = #expect(throws: UPIError.self) { try request.validate(limit: Money(rupees: 100_000)) }
        #expect(error?.code == code)
    }

    @Test("broken links are refused with a reason", arguments: [
        "https://pay", "upi://pay?pn=x", "upi://pay?pa=a@b&pa=c@d", "upi://pay?pa=a.b@ybl&am=1.234", "upi://pay?pa=a.b@ybl&cu=USD",
        "upi://pay?pa=a.b@ybl&pn=%E0%A4", "upi://pay?pa=a.b@ybl&pn=%G1",
    ])
    func malformed(text: String) {
        #expect(throws: UPIError.self) { try UPIPaymentRequest(parsing: text) }
    }
}
