import DeviceApp
@testable import DeviceStore
import FieldPayCore
import Foundation
import InvoiceCodes
import Testing

/// Every transition of the payment screen's state machine.
@Suite("Payment session")
struct SessionTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)

    static func shown(_ number: String = "INV/1", outstanding: String = "1500.00") -> Session.Shown {
        let json = """
            {"number":"\(number)","customer_code":"C1","customer_name":"Sharma Stores","invoice_date":"2026-10-01","due_date":"2026-10-31",
             "days_overdue":30,"aging_bucket":"1-30","total":"\(outstanding)","paid":"0.00","outstanding":"\(outstanding)","currency":"INR"}
            """
        let view = try! JSONDecoder().decode(InvoiceView.self, from: Data(json.utf8))
        return Session.Shown(view: view, number: number, outstanding: try! Money(parsing: outstanding))
    }

    static func prompt(_ amount: String = "1500.00", tr: String = "DEV01INV1TPAUOU", expiresIn: TimeInterval = 300) -> Session.Prompt {
        Session.Prompt(uri: "upi://pay?tr=\(tr)&am=\(amount)", reference: tr, amount: try! Money(parsing: amount), expiresAt: t0.addingTimeInterval(expiresIn))
    }

    static func paid(_ method: PaymentMethod = .cash, amount: String = "1500.00") -> Session.Paid {
        Session.Paid(receiptNumber: "DEV01-000001", amount: try! Money(parsing: amount), method: method, receiptQR: "FPR1|…", invoice: "INV/1")
    }

    func awaiting() -> Session {
        var session = Session()
        session.handle(.invoiceFound(Self.shown(), prompt: Self.prompt(), qrRefused: nil), now: Self.t0)
        return session
    }

    @Test("idle → a scanned invoice with its QR → awaiting payment; without a QR → the invoice, cash and cheque only")
    func scan() {
        #expect(awaiting().screen == .awaitingPayment(Self.shown(), Self.prompt()))
        var session = Session()
        session.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "above the UPI limit"), now: Self.t0)
        #expect(session.screen == .invoice(Self.shown(), qrRefused: "above the UPI limit"))
    }

    @Test("unknown code, not in cache, already paid, ambiguous: each its own screen, then idle after the display time")
    func notices() {
        for notice in [Session.Notice.notInvoiceCode("a product barcode (ean13)"), .notInCache("INV/9"), .alreadyPaid("INV/2"), .ambiguous("INV-1")] {
            var session = Session(displaySeconds: 5)
            session.handle(.notice(notice), now: Self.t0)
            #expect(session.screen == .notice(notice, until: Self.t0.addingTimeInterval(5)))
            session.handle(.tick(Self.t0.addingTimeInterval(4.9)), now: Self.t0)
            #expect(session.screen == .notice(notice, until: Self.t0.addingTimeInterval(5)))
            session.handle(.tick(Self.t0.addingTimeInterval(5)), now: Self.t0)
            #expect(session.screen == .idle)
        }
    }

    @Test("a scan while a payment is in progress changes nothing: not another invoice, not a notice")
    func strayScans() {
        var session = awaiting()
        session.handle(.invoiceFound(Self.shown("INV/2"), prompt: Self.prompt(tr: "OTHER"), qrRefused: nil), now: Self.t0)
        session.handle(.notice(.notInvoiceCode("ean13")), now: Self.t0)
        #expect(session.screen == .awaitingPayment(Self.shown(), Self.prompt()))
    }

    @Test("Paid stays for its display time under a stray code; a new invoice replaces it")
    func paidStays() {
        var session = awaiting()
        session.handle(.pay(.cash(try! Money(parsing: "1500.00"))), now: Self.t0)
        session.handle(.recorded(Self.paid()), now: Self.t0)
        let paid = Session.Screen.paid(Self.paid(), until: Self.t0.addingTimeInterval(8))
        #expect(session.screen == paid)
        session.handle(.notice(.alreadyPaid("INV/1")), now: Self.t0)
        #expect(session.screen == paid)
        session.handle(.invoiceFound(Self.shown("INV/2"), prompt: Self.prompt(tr: "NEXT"), qrRefused: nil), now: Self.t0)
        #expect(session.screen == .awaitingPayment(Self.shown("INV/2"), Self.prompt(tr: "NEXT")))
    }

    @Test("a partial amount gives a new QR; more than outstanding or nothing is refused with a message")
    func partial() {
        var session = awaiting()
        session.handle(.amountChanged(Self.prompt("500.00", tr: "DEV01INV1TPAUOV")), now: Self.t0)
        #expect(session.screen == .awaitingPayment(Self.shown(), Self.prompt("500.00", tr: "DEV01INV1TPAUOV")))
        session.handle(.amountChanged(Self.prompt("1500.01")), now: Self.t0)
        #expect(session.message?.contains("outstanding") == true)
        #expect(session.screen == .awaitingPayment(Self.shown(), Self.prompt("500.00", tr: "DEV01INV1TPAUOV")))
    }

    @Test("cash and cheque: recording, then paid with the receipt, then idle")
    func cashAndCheque() throws {
        var session = awaiting()
        let effects = session.handle(.pay(.cash(try Money(parsing: "1500.00"))), now: Self.t0)
        #expect(effects == [.record(invoice: "INV/1", method: .cash, amount: try Money(parsing: "1500.00"), tender: .cash(try Money(parsing: "1500.00")), upiReference: nil, utr: nil)])
        #expect(session.screen == .recording(Self.shown(), .cash))
        session.handle(.cancel, now: Self.t0)  // not half-way
        #expect(session.screen == .recording(Self.shown(), .cash))
        session.handle(.recorded(Self.paid()), now: Self.t0)
        #expect(session.screen == .paid(Self.paid(), until: Self.t0.addingTimeInterval(8)))
        session.handle(.tick(Self.t0.addingTimeInterval(8)), now: Self.t0)
        #expect(session.screen == .idle)

        var cheque = Session()
        cheque.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "no merchant"), now: Self.t0)
        let tender = Session.Tender.cheque(try Money(parsing: "700.00"), number: "004512", bank: "HDFC Bank", date: LocalDate(year: 2026, month: 11, day: 30)!)
        #expect(cheque.handle(.pay(tender), now: Self.t0).count == 1)
        #expect(cheque.screen == .recording(Self.shown(), .cheque))
    }

    @Test("amounts over what is outstanding and malformed UTRs are refused before anything is recorded")
    func refusals() throws {
        var session = awaiting()
        #expect(session.handle(.pay(.cash(try Money(parsing: "1500.01"))), now: Self.t0).isEmpty)
        #expect(session.handle(.pay(.upiReference(utr: "12345")), now: Self.t0).isEmpty)
        #expect(session.message == "a UTR is the 12 digits on the payer's UPI app")
        #expect(session.screen == .awaitingPayment(Self.shown(), Self.prompt()))
        var noQR = Session()
        noQR.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "no merchant"), now: Self.t0)
        #expect(noQR.handle(.pay(.upiReference(utr: "412345678901")), now: Self.t0).isEmpty)
    }

    @Test("the hub's credit for the QR on screen records a confirmed UPI payment; another QR's credit is ignored")
    func credit() throws {
        var session = awaiting()
        #expect(session.handle(.credit(reference: "SOMEONEELSE", utr: "412345678901", amount: try Money(parsing: "1500.00")), now: Self.t0).isEmpty)
        let effects = session.handle(.credit(reference: "DEV01INV1TPAUOU", utr: "412345678901", amount: try Money(parsing: "1500.00")), now: Self.t0)
        #expect(effects == [.record(invoice: "INV/1", method: .upi, amount: try Money(parsing: "1500.00"), tender: nil, upiReference: "DEV01INV1TPAUOU", utr: "412345678901")])
        #expect(session.screen == .recording(Self.shown(), .upi))
        // A second delivery of the same credit while recording records nothing more.
        #expect(session.handle(.credit(reference: "DEV01INV1TPAUOU", utr: "412345678901", amount: try Money(parsing: "1500.00")), now: Self.t0).isEmpty)
    }

    @Test("the rep types the payer's UTR: a UPI payment of the QR's amount with that UTR")
    func typedUTR() throws {
        var session = awaiting()
        let effects = session.handle(.pay(.upiReference(utr: "412345678901")), now: Self.t0)
        #expect(effects == [.record(invoice: "INV/1", method: .upi, amount: try Money(parsing: "1500.00"), tender: .upiReference(utr: "412345678901"), upiReference: "DEV01INV1TPAUOU", utr: "412345678901")])
    }

    @Test("a failed recording goes back to the invoice with the reason; nothing is shown as paid")
    func failure() throws {
        var session = awaiting()
        session.handle(.pay(.cash(try Money(parsing: "100.00"))), now: Self.t0)
        session.handle(.recordFailed("the disk is full: nothing was written"), now: Self.t0)
        #expect(session.screen == .invoice(Self.shown(), qrRefused: "the payment was not recorded"))
        #expect(session.message == "the disk is full: nothing was written")
    }

    @Test("cancel → cancelled → idle; the QR expires at its time → expired → idle; a new scan ends those screens at once")
    func cancelAndExpire() {
        var session = awaiting()
        session.handle(.cancel, now: Self.t0)
        #expect(session.screen == .cancelled(Self.shown(), until: Self.t0.addingTimeInterval(8)))
        session.handle(.tick(Self.t0.addingTimeInterval(8)), now: Self.t0)
        #expect(session.screen == .idle)

        var expiring = awaiting()
        expiring.handle(.tick(Self.t0.addingTimeInterval(299)), now: Self.t0)
        #expect(expiring.current != nil)
        expiring.handle(.tick(Self.t0.addingTimeInterval(300)), now: Self.t0)
        #expect(expiring.screen == .expired(Self.shown(), until: Self.t0.addingTimeInterval(308)))
        // A credit after expiry is not this screen's any more: the hub keeps it for reconciliation.
        #expect(expiring.handle(.credit(reference: "DEV01INV1TPAUOU", utr: nil, amount: Money(paise: 100)), now: Self.t0).isEmpty)
        expiring.handle(.invoiceFound(Self.shown("INV/2"), prompt: Self.prompt(tr: "T2"), qrRefused: nil), now: Self.t0)
        #expect(expiring.current?.number == "INV/2")
    }

    // MARK: The rules the session owns: what a frame's codes come to, cheques, the no-QR put-away

    /// A cached invoice like `shown(number)`: due 31/10/2026, so 30 days overdue on `today`.
    static func cached(_ number: String = "INV/1", outstanding: String = "1500.00", total: String = "1500.00") -> CachedInvoice {
        let invoice = Invoice(
            number: number, customerCode: "C1", invoiceDate: LocalDate(year: 2026, month: 10, day: 1)!, dueDate: LocalDate(year: 2026, month: 10, day: 31)!,
            total: try! Money(parsing: total), outstanding: try! Money(parsing: outstanding))
        return CachedInvoice(invoice: invoice, customer: Customer(code: "C1", name: "Sharma Stores"))
    }

    static let today = LocalDate(year: 2026, month: 11, day: 30)!

    static func found(_ cached: CachedInvoice) -> InvoiceLookup.Outcome {
        .found(ref: InvoiceRef(source: .plain, invoiceNumber: cached.invoice.number), invoice: cached, aging: cached.invoice.aging(today: today))
    }

    static func notCached(_ number: String) -> InvoiceLookup.Outcome { .notCached(ref: InvoiceRef(source: .plain, invoiceNumber: number)) }

    static func ambiguous(_ number: String) -> InvoiceLookup.Outcome {
        .ambiguous(ref: InvoiceRef(source: .plain, invoiceNumber: number), candidates: [cached(number), cached(number + "A")])
    }

    static func rejected(_ why: String) -> InvoiceLookup.Outcome { .rejected(PayloadError(.notInvoiceCode, why)) }

    @Test("a frame's invoice beats the UPI QR and the product barcode printed beside it, wherever it sits in the frame")
    func invoiceWinsTheFrame() {
        let upi = Self.rejected("a UPI payment QR"), barcode = Self.rejected("a product barcode (ean13)")
        let invoice = Session.Reading.invoice(Self.cached(), Self.shown())
        #expect(Session.reading([upi, barcode, Self.found(Self.cached())]) == invoice)
        #expect(Session.reading([Self.found(Self.cached()), upi, barcode]) == invoice)
        #expect(Session.reading([barcode, Self.found(Self.cached()), Self.notCached("INV/9"), Self.ambiguous("INV-2")]) == invoice)
        // Two invoices in one frame: the first.
        #expect(Session.reading([Self.found(Self.cached("INV/1")), Self.found(Self.cached("INV/2"))]) == invoice)
        // Nothing in the frame: nothing to say.
        #expect(Session.reading([]) == nil)
    }

    @Test("no invoice in the frame: ambiguous beats not on this device, which beats not an invoice code; among equals, the first")
    func noticeRanking() {
        let barcode = Self.rejected("a product barcode (ean13)")
        #expect(Session.reading([barcode, Self.notCached("INV/9"), Self.ambiguous("INV-2")]) == .notice(.ambiguous("INV-2")))
        #expect(Session.reading([barcode, Self.notCached("INV/9")]) == .notice(.notInCache("INV/9")))
        #expect(Session.reading([Self.notCached("INV/9"), barcode]) == .notice(.notInCache("INV/9")))
        #expect(Session.reading([Self.notCached("INV/8"), Self.notCached("INV/9")]) == .notice(.notInCache("INV/8")))
        #expect(
            Session.reading([barcode, Self.rejected("a URL of another site")])
                == .notice(.notInvoiceCode("not an invoice code: a product barcode (ean13)")))
    }

    @Test("an invoice found with nothing outstanding is the already-paid notice, even beside another code; a part-paid one is shown")
    func alreadyPaid() {
        let paid = Self.cached("INV/3", outstanding: "0.00", total: "900.00")
        #expect(Session.reading([Self.found(paid)]) == .notice(.alreadyPaid("INV/3")))
        #expect(Session.reading([Self.rejected("a UPI payment QR"), Self.found(paid), Self.notCached("INV/9")]) == .notice(.alreadyPaid("INV/3")))
        let part = Self.cached("INV/4", outstanding: "0.01", total: "900.00")
        guard case .invoice(let cached, let shown) = Session.reading([Self.found(part)]) else {
            Issue.record("a part-paid invoice is not shown")
            return
        }
        #expect(cached == part)
        #expect(shown.outstanding == Money(paise: 1))
        #expect(shown.view.paid == "899.99")
    }

    @Test(
        "a cheque typed with a bad number, no bank or a bad date is refused with its sentence; the first thing wrong is said",
        arguments: [
            ("12", "HDFC", "2026-11-30", "a cheque number is the 6 digits printed at the bottom of the cheque"),
            ("00451", "HDFC", "2026-11-30", "a cheque number is the 6 digits printed at the bottom of the cheque"),
            ("00451234567", "HDFC", "2026-11-30", "a cheque number is the 6 digits printed at the bottom of the cheque"),
            ("0045A2", "HDFC", "2026-11-30", "a cheque number is the 6 digits printed at the bottom of the cheque"),
            ("००४५१२", "HDFC", "2026-11-30", "a cheque number is the 6 digits printed at the bottom of the cheque"),
            ("12", "", "soon", "a cheque number is the 6 digits printed at the bottom of the cheque"),
            ("004512", "", "2026-11-30", "say which bank the cheque is drawn on"),
            ("004512", "   ", "soon", "say which bank the cheque is drawn on"),
            ("004512", "HDFC", "soon", "the cheque date must be a date like 2026-11-30 or 30/11/2026"),
            ("004512", "HDFC", "2026-02-30", "the cheque date must be a date like 2026-11-30 or 30/11/2026"),
            ("004512", "HDFC", "", "the cheque date must be a date like 2026-11-30 or 30/11/2026"),
        ])
    func chequeRefused(number: String, bank: String, date: String, refusal: String) {
        #expect(throws: Session.Refusal(refusal)) { try Session.cheque(number: number, bank: bank, date: date) }
    }

    @Test("a good cheque: 6 to 10 digits, a bank, a date in either form; spaces around each are dropped")
    func chequeAccepted() throws {
        let day = LocalDate(year: 2026, month: 11, day: 30)!
        #expect(try Session.cheque(number: " 004512 ", bank: " HDFC Bank ", date: " 30/11/2026 ") == Session.Cheque(number: "004512", bank: "HDFC Bank", date: day))
        #expect(try Session.cheque(number: "0045123456", bank: "SBI", date: "2026-11-30") == Session.Cheque(number: "0045123456", bank: "SBI", date: day))
    }

    @Test("a cheque tender with a bad number or no bank is refused by the session too, and nothing is recorded")
    func chequeTenderRefused() throws {
        let day = LocalDate(year: 2026, month: 11, day: 30)!
        let amount = try Money(parsing: "700.00")
        for (tender, refusal) in [
            (Session.Tender.cheque(amount, number: "12", bank: "HDFC", date: day), "a cheque number is the 6 digits printed at the bottom of the cheque"),
            (.cheque(amount, number: "004512", bank: "", date: day), "say which bank the cheque is drawn on"),
        ] {
            var session = Session()
            session.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "no merchant"), now: Self.t0)
            #expect(session.handle(.pay(tender), now: Self.t0).isEmpty)
            #expect(session.message == refusal)
            #expect(session.screen == .invoice(Self.shown(), qrRefused: "no merchant"))
        }
        var session = Session()
        session.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "no merchant"), now: Self.t0)
        let good = Session.Tender.cheque(amount, number: "004512", bank: "HDFC", date: day)
        #expect(session.handle(.pay(good), now: Self.t0) == [.record(invoice: "INV/1", method: .cheque, amount: amount, tender: good, upiReference: nil, utr: nil)])
        #expect(session.message == nil)
    }

    @Test("a no-QR invoice left alone is put away at exactly the put-away time by the time passed in, not before")
    func putAway() {
        var session = Session(displaySeconds: 5, putAwaySeconds: 60)
        let shown = Session.Screen.invoice(Self.shown(), qrRefused: "above the UPI limit")
        session.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "above the UPI limit"), now: Self.t0)
        // The clock's own ticks are not a touch: the time still counts from the scan.
        for seconds in [1.0, 30, 59, 59.999] {
            let time = Self.t0.addingTimeInterval(seconds)
            session.handle(.tick(time), now: time)
            #expect(session.screen == shown, "at \(seconds) s")
        }
        let time = Self.t0.addingTimeInterval(60)
        session.handle(.tick(time), now: time)
        #expect(session.screen == .cancelled(Self.shown(), until: Self.t0.addingTimeInterval(65)))
        session.handle(.tick(Self.t0.addingTimeInterval(65)), now: Self.t0.addingTimeInterval(65))
        #expect(session.screen == .idle)
    }

    @Test("the put-away time counts from the last touch (a refused button, a stray scan); a QR on screen is left to expire by its own time")
    func putAwayAfterTouch() throws {
        var session = Session(displaySeconds: 5, putAwaySeconds: 60)
        let shown = Session.Screen.invoice(Self.shown(), qrRefused: "above the UPI limit")
        session.handle(.invoiceFound(Self.shown(), prompt: nil, qrRefused: "above the UPI limit"), now: Self.t0)
        session.handle(.pay(.cash(try Money(parsing: "1500.01"))), now: Self.t0.addingTimeInterval(30))  // refused: over what is owed
        #expect(session.screen == shown)
        session.handle(.tick(Self.t0.addingTimeInterval(60)), now: Self.t0.addingTimeInterval(60))
        #expect(session.screen == shown)
        session.handle(.notice(.notInvoiceCode("ean13")), now: Self.t0.addingTimeInterval(80))  // a stray code in view
        session.handle(.tick(Self.t0.addingTimeInterval(139)), now: Self.t0.addingTimeInterval(139))
        #expect(session.screen == shown)
        session.handle(.tick(Self.t0.addingTimeInterval(140)), now: Self.t0.addingTimeInterval(140))
        #expect(session.screen == .cancelled(Self.shown(), until: Self.t0.addingTimeInterval(145)))

        // An invoice with its QR is not this timer's: it expires when its QR does.
        var awaiting = Session(displaySeconds: 5, putAwaySeconds: 60)
        awaiting.handle(.invoiceFound(Self.shown(), prompt: Self.prompt(), qrRefused: nil), now: Self.t0)
        awaiting.handle(.tick(Self.t0.addingTimeInterval(60)), now: Self.t0.addingTimeInterval(60))
        #expect(awaiting.screen == .awaitingPayment(Self.shown(), Self.prompt()))
    }
}
