import DeviceStore
import FieldPayCore
import Foundation
import GRDB
import InvoiceImport
import Testing

/// A database with two invoices of one customer and one of another.
func ledgerDatabase() throws -> (TemporaryDatabase, AppDatabase) {
    let temporary = TemporaryDatabase()
    let database = try temporary.open()
    _ = try temporary.importCSV(database, [
        "A-1,2026-10-01,2026-10-31,C1,Sharma,1000,,", "A-2,2026-10-05,2026-11-04,C1,Sharma,500,,", "B-1,2026-10-01,2026-10-31,C2,Gupta,300,,",
    ])
    return (temporary, database)
}

let fakeSigner: @Sendable (String) throws -> Data = { Data($0.utf8.prefix(64)) }

@Suite("Payment ledger")
struct LedgerTests {
    @Test("a payment allocates in order, lowers the balances, numbers the receipt and queues it, together")
    func allocation() throws {
        let (_, database) = try ledgerDatabase()
        var draft = PaymentDraft(method: .cash, amount: Money(rupees: 1200), invoiceNumbers: ["A-1", "a2"])
        draft.recordedAtMillis = 1_796_000_000_000
        let receipt = try database.recordPayment(draft, deviceCode: "DEV9", sign: fakeSigner)
        #expect(receipt.payment.receiptNumber == "DEV9-000001")
        #expect(receipt.payment.status == .received)
        #expect(receipt.payment.customerName == "Sharma")
        #expect(receipt.payment.allocations == [
            Allocation(invoiceNumber: "A-1", amount: Money(rupees: 1000), balanceAfter: .zero),
            Allocation(invoiceNumber: "A-2", amount: Money(rupees: 200), balanceAfter: Money(rupees: 300)),
        ])
        guard case .found(let a2) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "A-2")) else {
            Issue.record("A-2 missing")
            return
        }
        #expect(a2.invoice.outstanding == Money(rupees: 300))
        #expect(try database.receipt(number: "DEV9-000001") == receipt)
        let queue = try database.outbox()
        #expect(queue.map(\.receiptNumber) == ["DEV9-000001"] && queue[0].state == .pending && queue[0].kind == "payment")
        let second = try database.recordPayment(PaymentDraft(method: .upi, amount: Money(rupees: 300), invoiceNumbers: ["A-2"]), deviceCode: "DEV9", sign: fakeSigner)
        #expect(second.payment.receiptNumber == "DEV9-000002")
        #expect(second.payment.status == .awaitingConfirmation)
    }

    @Test("refusals record nothing and use no receipt number", arguments: [
        (["A-1"], Int64(1001), false, LedgerError.Code.overpayment), (["Z-9"], 10, false, .invoiceNotFound),
        (["A-1", "B-1"], 10, false, .mixedCustomers), (["A-1"], 0, false, .badAmount), (["A-1", "A-1"], 10, false, .badDetails),
    ])
    func refusals(invoices: [String], rupees: Int64, advance: Bool, code: LedgerError.Code) throws {
        let (_, database) = try ledgerDatabase()
        var draft = PaymentDraft(method: .cash, amount: Money(rupees: rupees), invoiceNumbers: invoices)
        draft.allowAdvance = advance
        let error = #expect(throws: LedgerError.self) { try database.recordPayment(draft, deviceCode: "D1", sign: fakeSigner) }
        #expect(error?.code == code)
        #expect(try database.ledgerCounts().payments == 0)
        let next = try database.recordPayment(PaymentDraft(method: .cash, amount: Money(rupees: 1), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: fakeSigner)
        #expect(next.payment.receiptNumber == "D1-000001")
    }

    @Test("an advance only when allowed; a paid invoice is refused, with an advance allowed it is kept on account")
    func advance() throws {
        let (_, database) = try ledgerDatabase()
        var draft = PaymentDraft(method: .cheque, amount: Money(rupees: 1100), invoiceNumbers: ["A-1"])
        draft.allowAdvance = true
        draft.chequeNumber = "000123"
        draft.bank = "HDFC Bank"
        draft.chequeDate = LocalDate(parsing: "2026-11-30")
        let receipt = try database.recordPayment(draft, deviceCode: "D1", sign: fakeSigner)
        #expect(receipt.payment.advance == Money(rupees: 100))
        #expect(try database.receipt(number: "D1-000001")?.payment.chequeDate == LocalDate(parsing: "2026-11-30"))
        let paid = #expect(throws: LedgerError.self) {
            try database.recordPayment(PaymentDraft(method: .cash, amount: Money(rupees: 1), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: fakeSigner)
        }
        #expect(paid?.code == .alreadyPaid)
    }

    @Test("a UTR confirms a UPI payment and queues the confirmation; cash takes none")
    func confirm() throws {
        let (_, database) = try ledgerDatabase()
        let upi = try database.recordPayment(PaymentDraft(method: .upi, amount: Money(rupees: 10), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: fakeSigner)
        let confirmed = try database.confirmUPI(receiptNumber: upi.payment.receiptNumber, utr: "412345678901")
        #expect(confirmed.payment.status == .confirmed && confirmed.payment.utr == "412345678901")
        #expect(try database.outbox().map(\.kind) == ["payment", "utr"])
        let cash = try database.recordPayment(PaymentDraft(method: .cash, amount: Money(rupees: 10), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: fakeSigner)
        #expect(throws: LedgerError.self) { try database.confirmUPI(receiptNumber: cash.payment.receiptNumber, utr: "412345678901") }
        #expect(throws: LedgerError.self) { try database.confirmUPI(receiptNumber: upi.payment.receiptNumber, utr: "12ab") }
    }

    @Test("a UTR taken after signing (typed, or from the hub) leaves the upload as signed; the UTR goes by its own entry")
    func uploadAsSigned() throws {
        let (_, database) = try ledgerDatabase()
        let upi = try database.recordPayment(PaymentDraft(method: .upi, amount: Money(rupees: 10), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: fakeSigner)
        var withUTR = PaymentDraft(method: .upi, amount: Money(rupees: 10), invoiceNumbers: ["A-1"])
        withUTR.utr = "499999999999"
        let signedWithUTR = try database.recordPayment(withUTR, deviceCode: "D1", sign: fakeSigner)
        _ = try database.confirmUPI(receiptNumber: upi.payment.receiptNumber, utr: "412345678901")
        try database.confirmFromHub(paymentID: signedWithUTR.payment.id, utr: "488888888888")  // a hub event: forward only, its UTR kept
        let due = try database.uploadsDue()
        #expect(due.map(\.0.kind) == ["payment", "payment", "utr"])
        #expect(due[0].1.payment.signedText == upi.payment.signedText && due[0].1.payment.utr == nil)
        #expect(due[1].1.payment.signedText == signedWithUTR.payment.signedText && due[1].1.payment.utr == "499999999999")
        #expect(due[2].1.payment.utr == "412345678901")  // the UTR entry carries the typed UTR
    }

    @Test("a failure after the receipt number was taken rolls it back with the payment: no gap")
    func noGapOnFailure() throws {
        let (_, database) = try ledgerDatabase()
        let failing: @Sendable (String) throws -> Data = { _ in throw StoreError(.diskFull, "injected") }
        #expect(throws: StoreError.self) {
            try database.recordPayment(PaymentDraft(method: .cash, amount: Money(rupees: 1), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: failing)
        }
        let next = try database.recordPayment(PaymentDraft(method: .cash, amount: Money(rupees: 1), invoiceNumbers: ["A-1"]), deviceCode: "D1", sign: fakeSigner)
        #expect(next.payment.receiptNumber == "D1-000001")
        let counts = try database.ledgerCounts()
        #expect(counts.payments == 1 && counts.paymentOutboxRows == 1)
    }
}
