import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
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
}
