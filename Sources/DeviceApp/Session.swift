import DeviceStore
import FieldPayCore
import Foundation
import InvoiceCodes

/// The payment screen's state machine: idle → invoice shown (with its UPI QR: awaiting payment) → recording →
/// paid, or cancelled / expired, and back to idle. Pure: it is fed events (a scan looked up, a button, a
/// credit from the hub, the clock) and answers with effects for the daemon to carry out (record a payment);
/// the outcome of an effect comes back as an event. Nothing here touches the camera, the database or the
/// network, so every transition is unit-tested. The rules about what a scan or a typed cheque comes to live here
/// too (`reading(_:)`, `cheque(number:bank:date:)`), for the daemon to ask before it sends the event.
public struct Session: Sendable, Equatable {
    /// An invoice as the screen shows it.
    public struct Shown: Sendable, Equatable {
        public var view: InvoiceView
        public var number: String
        public var outstanding: Money

        public init(view: InvoiceView, number: String, outstanding: Money) {
            self.view = view
            self.number = number
            self.outstanding = outstanding
        }
    }

    /// The UPI QR on screen: its `upi://pay` text, its `tr`, the amount, and when it stops being offered.
    public struct Prompt: Sendable, Equatable {
        public var uri: String
        public var reference: String
        public var amount: Money
        public var expiresAt: Date

        public init(uri: String, reference: String, amount: Money, expiresAt: Date) {
            self.uri = uri
            self.reference = reference
            self.amount = amount
            self.expiresAt = expiresAt
        }
    }

    /// A recorded payment, for the "Paid" screen.
    public struct Paid: Sendable, Equatable {
        public var receiptNumber: String
        public var amount: Money
        public var method: PaymentMethod
        /// The receipt's verification QR text.
        public var receiptQR: String
        public var invoice: String

        public init(receiptNumber: String, amount: Money, method: PaymentMethod, receiptQR: String, invoice: String) {
            self.receiptNumber = receiptNumber
            self.amount = amount
            self.method = method
            self.receiptQR = receiptQR
            self.invoice = invoice
        }
    }

    /// Screens that say why there is nothing to pay.
    public enum Notice: Sendable, Equatable {
        /// A code that is not an invoice's, with the reason.
        case notInvoiceCode(String)
        /// An invoice number this device does not hold.
        case notInCache(String)
        case alreadyPaid(String)
        /// Two cached invoices answer to the code.
        case ambiguous(String)
    }

    public enum Screen: Sendable, Equatable {
        case idle
        /// Cash and cheque only (no QR: no merchant set up, or above the UPI limit), with the reason. Left
        /// alone for `putAwaySeconds` it is put away (cancelled).
        case invoice(Shown, qrRefused: String)
        case awaitingPayment(Shown, Prompt)
        /// A payment is being written; the screen waits for the receipt.
        case recording(Shown, PaymentMethod)
        case paid(Paid, until: Date)
        case cancelled(Shown, until: Date)
        case expired(Shown, until: Date)
        case notice(Notice, until: Date)
    }

    /// How the rep (or the hub) pays the invoice on screen.
    public enum Tender: Sendable, Equatable {
        case cash(Money)
        case cheque(Money, number: String, bank: String, date: LocalDate)
        /// The payer's UTR, typed by the rep after seeing the payer's phone.
        case upiReference(utr: String)
    }

    public enum Event: Sendable, Equatable {
        /// A scanned code whose invoice was found with something outstanding; `prompt` is its QR, or nil
        /// with the reason it could not be made.
        case invoiceFound(Shown, prompt: Prompt?, qrRefused: String?)
        case notice(Notice)
        /// The rep asked for a part of the amount: the new QR.
        case amountChanged(Prompt)
        case pay(Tender)
        /// The hub heard from the PSP: a credit for the QR with this `tr`.
        case credit(reference: String, utr: String?, amount: Money)
        case recorded(Paid)
        case recordFailed(String)
        case cancel
        case tick(Date)
    }

    /// What one frame's codes come to, once the daemon has looked each of them up (see `reading(_:)`).
    public enum Reading: Sendable, Equatable {
        /// An invoice with something outstanding: the daemon makes its QR and sends `.invoiceFound`.
        case invoice(CachedInvoice, Shown)
        /// Nothing to pay: the daemon sends `.notice` with this.
        case notice(Notice)
    }

    /// A cheque's details as the rep typed them, checked (see `cheque(number:bank:date:)`).
    public struct Cheque: Sendable, Equatable {
        public var number: String
        public var bank: String
        public var date: LocalDate

        public init(number: String, bank: String, date: LocalDate) {
            self.number = number
            self.bank = bank
            self.date = date
        }
    }

    /// Why what the rep typed is refused, in a sentence for the screen.
    public struct Refusal: Error, Sendable, Equatable {
        public let message: String

        public init(_ message: String) { self.message = message }
    }

    public enum Effect: Sendable, Equatable {
        /// Record a payment for `invoice` (the ledger's one transaction); answer with `.recorded` or `.recordFailed`.
        case record(invoice: String, method: PaymentMethod, amount: Money, tender: Tender?, upiReference: String?, utr: String?)
    }

    public private(set) var screen: Screen = .idle
    /// The last refusal or failure, for a line under the invoice (cleared by the next screen change).
    public private(set) var message: String?
    /// How long paid, cancelled, expired and notice screens stay before idle.
    public var displaySeconds: TimeInterval = 8
    /// How long an invoice with no QR (cash and cheque only) stays on screen untouched before it is put away,
    /// so a kiosk does not show one customer's invoice all day: the daemon gives it the QR's life.
    public var putAwaySeconds: TimeInterval = 300
    /// When the current no-QR invoice screen began, or last had an event other than the clock's.
    private var invoiceSince: Date?

    public init(displaySeconds: TimeInterval = 8, putAwaySeconds: TimeInterval = 300) {
        self.displaySeconds = displaySeconds
        self.putAwaySeconds = putAwaySeconds
    }

    /// A refusal found before the session saw the event (an amount that does not parse): shown like its own.
    public mutating func setMessage(_ text: String?) {
        message = text
    }

    /// The invoice the screen is busy with, if any.
    public var current: Shown? {
        switch screen {
        case .invoice(let shown, _), .awaitingPayment(let shown, _), .recording(let shown, _): return shown
        default: return nil
        }
    }

    /// Applies one event at time `now` (a tick carries its own time); returns what must be done.
    @discardableResult
    public mutating func handle(_ event: Event, now: Date) -> [Effect] {
        let before = screen
        let effects = transition(event, now: now)
        // The no-QR invoice's put-away time counts from its screen's start or from its last event (a button,
        // even a refused one, a stray scan); the clock's own ticks do not count as a touch.
        if case .invoice = screen {
            if case .invoice = before, case .tick = event {} else { invoiceSince = now }
        } else {
            invoiceSince = nil
        }
        return effects
    }

    /// The code that wins among the lookups of one frame's codes, and what it comes to. An invoice found in the
    /// cache beats an ambiguous number, which beats an invoice number this device does not hold, which beats a
    /// code that is not an invoice's; among equals the first in the frame wins. A printed invoice often carries
    /// a UPI QR or a product barcode beside its own code, and those must not flash "not an invoice code". An
    /// invoice with nothing outstanding is the already-paid notice. Nil when the frame had no codes.
    public static func reading(_ outcomes: [InvoiceLookup.Outcome]) -> Reading? {
        func rank(_ outcome: InvoiceLookup.Outcome) -> Int {
            switch outcome {
            case .found: 0
            case .ambiguous: 1
            case .notCached: 2
            case .rejected: 3
            }
        }
        guard let outcome = outcomes.enumerated().min(by: { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) })?.element else {
            return nil
        }
        switch outcome {
        case .found(_, let cached, let aging):
            guard cached.invoice.outstanding.isPositive else { return .notice(.alreadyPaid(cached.invoice.number)) }
            let shown = Shown(view: InvoiceView(cached, aging: aging), number: cached.invoice.number, outstanding: cached.invoice.outstanding)
            return .invoice(cached, shown)
        case .notCached(let ref):
            return .notice(.notInCache(ref.invoiceNumber))
        case .ambiguous(let ref, _):
            return .notice(.ambiguous(ref.invoiceNumber))
        case .rejected(let error):
            return .notice(.notInvoiceCode(error.message))
        }
    }

    /// Checks a cheque as typed (spaces around each field dropped): its number is the 6 digits at the bottom of
    /// the cheque (up to 10 taken), the bank is named, the date is a date. The first thing wrong is refused.
    public static func cheque(number: String, bank: String, date: String) throws(Refusal) -> Cheque {
        let number = number.trimmingCharacters(in: .whitespaces)
        let bank = bank.trimmingCharacters(in: .whitespaces)
        if let refusal = chequeRefusal(number: number, bank: bank) { throw refusal }
        guard let day = LocalDate(parsing: date.trimmingCharacters(in: .whitespaces)) else {
            throw Refusal("the cheque date must be a date like 2026-11-30 or 30/11/2026")
        }
        return Cheque(number: number, bank: bank, date: day)
    }

    /// The refusal of a cheque's number and bank, if any: checked when typed and again on the tender paid.
    private static func chequeRefusal(number: String, bank: String) -> Refusal? {
        guard (6...10).contains(number.count), number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber) else {
            return Refusal("a cheque number is the 6 digits printed at the bottom of the cheque")
        }
        guard !bank.isEmpty else { return Refusal("say which bank the cheque is drawn on") }
        return nil
    }

    private mutating func transition(_ event: Event, now: Date) -> [Effect] {
        switch (screen, event) {
        case (_, .tick(let time)):
            tick(time)
            return []

        // A new scan starts a session only when none is in progress: a stray code in the camera's view must not
        // replace the invoice a customer is paying. The same invoice scanned again changes nothing.
        case (.idle, .invoiceFound(let shown, let prompt, let refused)), (.paid, .invoiceFound(let shown, let prompt, let refused)),
            (.cancelled, .invoiceFound(let shown, let prompt, let refused)), (.expired, .invoiceFound(let shown, let prompt, let refused)),
            (.notice, .invoiceFound(let shown, let prompt, let refused)):
            message = nil
            if let prompt {
                screen = .awaitingPayment(shown, prompt)
            } else {
                screen = .invoice(shown, qrRefused: refused ?? "no UPI QR for this invoice")
            }
            return []
        // "Paid" stays for its display time: a stray code (the paid invoice still in view) does not hide it;
        // a new invoice does replace it (the rep has moved on to the next customer).
        case (.idle, .notice(let notice)), (.cancelled, .notice(let notice)), (.expired, .notice(let notice)),
            (.notice, .notice(let notice)):
            message = nil
            screen = .notice(notice, until: now.addingTimeInterval(displaySeconds))
            return []
        case (.invoice, .invoiceFound), (.awaitingPayment, .invoiceFound), (.recording, .invoiceFound), (.invoice, .notice),
            (.awaitingPayment, .notice), (.recording, .notice), (.paid, .notice):
            return []

        case (.awaitingPayment(let shown, _), .amountChanged(let prompt)), (.invoice(let shown, _), .amountChanged(let prompt)):
            guard prompt.amount.isPositive, prompt.amount <= shown.outstanding else {
                message = "\(prompt.amount.displayString) is not between ₹0.01 and the \(shown.outstanding.displayString) outstanding"
                return []
            }
            message = nil
            screen = .awaitingPayment(shown, prompt)
            return []

        case (.awaitingPayment(let shown, let prompt), .pay(let tender)):
            return pay(shown, tender, reference: prompt.reference, upiAmount: prompt.amount)
        case (.invoice(let shown, _), .pay(let tender)):
            if case .upiReference = tender {
                message = "there is no UPI QR on screen to confirm"
                return []
            }
            return pay(shown, tender, reference: nil, upiAmount: nil)

        // The PSP's credit for the QR on screen: recorded as a confirmed UPI payment of what was credited.
        case (.awaitingPayment(let shown, let prompt), .credit(let reference, let utr, let amount)) where reference == prompt.reference:
            guard amount.isPositive else { return [] }
            message = nil
            screen = .recording(shown, .upi)
            return [.record(invoice: shown.number, method: .upi, amount: min(amount, shown.outstanding), tender: nil, upiReference: reference, utr: utr)]
        case (_, .credit):
            return []  // another QR's credit: the hub keeps it; this screen is not about it

        case (.recording, .recorded(let paid)):
            message = nil
            screen = .paid(paid, until: now.addingTimeInterval(displaySeconds))
            return []
        case (.recording(let shown, _), .recordFailed(let reason)):
            // Nothing was written (the ledger's transaction rolled back): back to the invoice, saying why.
            message = reason
            screen = .invoice(shown, qrRefused: "the payment was not recorded")
            return []
        case (_, .recorded), (_, .recordFailed):
            return []

        case (.invoice(let shown, _), .cancel), (.awaitingPayment(let shown, _), .cancel):
            message = nil
            screen = .cancelled(shown, until: now.addingTimeInterval(displaySeconds))
            return []
        case (.paid, .cancel), (.cancelled, .cancel), (.expired, .cancel), (.notice, .cancel):
            message = nil
            screen = .idle
            return []
        case (.recording, .cancel):
            return []  // a payment being written is not cancelled half-way

        case (.idle, _), (.paid, _), (.cancelled, _), (.expired, _), (.notice, _), (.recording, _):
            return []
        }
    }

    private mutating func pay(_ shown: Shown, _ tender: Tender, reference: String?, upiAmount: Money?) -> [Effect] {
        if case .cheque(_, let number, let bank, _) = tender, let refusal = Session.chequeRefusal(number: number, bank: bank) {
            message = refusal.message
            return []
        }
        switch tender {
        case .cash(let amount), .cheque(let amount, _, _, _):
            guard amount.isPositive, amount <= shown.outstanding else {
                message = "\(amount.displayString) is not between ₹0.01 and the \(shown.outstanding.displayString) outstanding"
                return []
            }
            message = nil
            let method: PaymentMethod = if case .cash = tender { .cash } else { .cheque }
            screen = .recording(shown, method)
            return [.record(invoice: shown.number, method: method, amount: amount, tender: tender, upiReference: nil, utr: nil)]
        case .upiReference(let utr):
            guard isUTR(utr) else {
                message = "a UTR is the 12 digits on the payer's UPI app"
                return []
            }
            message = nil
            screen = .recording(shown, .upi)
            return [.record(invoice: shown.number, method: .upi, amount: upiAmount ?? shown.outstanding, tender: tender, upiReference: reference, utr: utr)]
        }
    }

    private mutating func tick(_ now: Date) {
        switch screen {
        case .invoice(let shown, _):
            guard let since = invoiceSince, now.timeIntervalSince(since) >= putAwaySeconds else { break }
            message = nil
            screen = .cancelled(shown, until: now.addingTimeInterval(displaySeconds))
        case .awaitingPayment(let shown, let prompt) where now >= prompt.expiresAt:
            message = nil
            screen = .expired(shown, until: now.addingTimeInterval(displaySeconds))
        case .paid(_, let until) where now >= until, .cancelled(_, let until) where now >= until, .expired(_, let until) where now >= until,
            .notice(_, let until) where now >= until:
            message = nil
            screen = .idle
        default:
            break
        }
    }
}
