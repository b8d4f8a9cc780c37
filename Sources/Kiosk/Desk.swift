import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import InvoiceCodes
import QRRender
import Synchronization
import UPI

/// The payment screen's owner: it feeds the `Session` with scans, the rep's buttons, the hub's credits and the
/// clock; carries out what the session asks (recording a payment in the ledger); and hands every new state to
/// the pages listening. One actor, so events from the camera, the page and the hub are applied one at a time.
public actor Desk {
    public let profile: DeviceProfile
    let lookup: InvoiceLookup
    let payments: PaymentDesk
    let metrics: DeviceMetrics
    let clock: @Sendable () -> Date

    var session: Session
    /// The invoice the session is about, as read from the cache (for a new QR when the amount changes).
    var cached: CachedInvoice?
    var camera = StatusLine(ok: false, text: "Camera: starting")
    var hub = StatusLine(ok: true, text: "Hub: not contacted yet")
    var version = 0
    /// Goes up each time the screen returns to idle. The scanner then forgets what it has seen, so that an
    /// invoice held in view while the screen was busy is taken as soon as it is free.
    public nonisolated let idleGeneration = Atomic<Int>(0)
    var wasIdle = true
    var subscribers: [Int: AsyncStream<KioskState>.Continuation] = [:]
    var nextSubscriber = 0
    /// Called after a payment is written (the sync loop uploads it at once).
    var onRecorded: @Sendable () -> Void = {}
    /// Called when a UPI QR goes on screen (the demo's simulated payer).
    var onPrompt: @Sendable (Session.Prompt) -> Void = { _ in }

    public init(profile: DeviceProfile, database: AppDatabase, metrics: DeviceMetrics = DeviceMetrics(), clock: @escaping @Sendable () -> Date = Date.init)
        throws(PayloadError)
    {
        self.profile = profile
        lookup = try InvoiceLookup(profile: profile, database: database)
        payments = PaymentDesk(profile: profile, database: database)
        self.metrics = metrics
        self.clock = clock
        session = Session(displaySeconds: TimeInterval(profile.daemon.displaySeconds), putAwaySeconds: TimeInterval(profile.daemon.qrSeconds))
    }

    public func setHooks(onRecorded: @escaping @Sendable () -> Void = {}, onPrompt: @escaping @Sendable (Session.Prompt) -> Void = { _ in }) {
        self.onRecorded = onRecorded
        self.onPrompt = onPrompt
    }


    // MARK: Inputs

    /// A code the camera saw (already debounced).
    public func scanned(_ text: String, symbology: String? = nil) {
        scanned([(text, symbology)])
    }

    /// The new codes in one frame, each looked up here; the session says which wins (an invoice among them wins
    /// over the rest) and what it comes to.
    public func scanned(_ codes: [(text: String, symbology: String?)]) {
        let now = clock()
        var outcomes: [InvoiceLookup.Outcome] = []
        for code in codes {
            do {
                outcomes.append(try lookup.lookup(code.text, symbology: code.symbology, today: LocalDate.today(in: profile.timeZone, now: now)))
            } catch {
                metrics.count("fieldpay_scans_total", labels: ["outcome": "error"])
                apply(.notice(.notInCache("the invoice cache could not be read (\(error.message))")), now: now)
                return
            }
        }
        guard let reading = Session.reading(outcomes) else { return }
        switch reading {
        case .invoice(let invoice, let shown):
            metrics.count("fieldpay_lookups_total", labels: ["result": "hit"])
            metrics.count("fieldpay_scans_total", labels: ["outcome": "invoice"])
            var refused: String?
            var prompt: Session.Prompt?
            do { prompt = try makePrompt(invoice, amount: nil, now: now) } catch { refused = error.message }
            let before = session.screen
            apply(.invoiceFound(shown, prompt: prompt, qrRefused: refused), now: now)
            if session.screen != before { cached = invoice }
        case .notice(let notice):
            switch notice {
            case .alreadyPaid:
                metrics.count("fieldpay_lookups_total", labels: ["result": "hit"])
                metrics.count("fieldpay_scans_total", labels: ["outcome": "already-paid"])
            case .notInCache:
                metrics.count("fieldpay_lookups_total", labels: ["result": "miss"])
                metrics.count("fieldpay_scans_total", labels: ["outcome": "not-in-cache"])
            case .ambiguous:
                metrics.count("fieldpay_lookups_total", labels: ["result": "ambiguous"])
                metrics.count("fieldpay_scans_total", labels: ["outcome": "ambiguous"])
            case .notInvoiceCode:
                metrics.count("fieldpay_scans_total", labels: ["outcome": "not-invoice"])
            }
            apply(.notice(notice), now: now)
        }
    }

    /// A button on the page. Returns the refusal, if the session refused it.
    @discardableResult
    public func act(_ action: KioskAction) -> String? {
        let now = clock()
        if action != .cancel {
            if case .recording = session.screen { return "a payment is being recorded: wait for its receipt" }
            guard session.current != nil else { return "there is no invoice on screen: scan one first" }
        }
        let outstanding = session.current?.outstanding
        func amount(_ text: String?) throws(KioskInputError) -> Money {
            guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                guard let outstanding else { throw KioskInputError("there is no invoice on screen") }
                return outstanding
            }
            do { return try Money(parsing: text.trimmingCharacters(in: .whitespaces)) } catch {
                throw KioskInputError("\"\(text)\" is not an amount (like 2500 or 2500.50)")
            }
        }
        do throws(KioskInputError) {
            switch action {
            case .cash(let text):
                apply(.pay(.cash(try amount(text))), now: now)
            case .cheque(let text, let number, let bank, let date):
                // The cheque's details are checked before its amount, as the form reads.
                let cheque: Session.Cheque
                do { cheque = try Session.cheque(number: number, bank: bank, date: date) } catch { throw KioskInputError(error.message) }
                apply(.pay(.cheque(try amount(text), number: cheque.number, bank: cheque.bank, date: cheque.date)), now: now)
            case .utr(let text):
                apply(.pay(.upiReference(utr: text.trimmingCharacters(in: .whitespaces))), now: now)
            case .amount(let text):
                guard let cached else { throw KioskInputError("there is no invoice on screen") }
                let value = try amount(text)
                do {
                    apply(.amountChanged(try makePrompt(cached, amount: value, now: now)), now: now)
                } catch {
                    throw KioskInputError(error.message)
                }
            case .cancel:
                apply(.cancel, now: now)
            }
        } catch {
            session.setMessage(error.message)
            publish()
            return error.message
        }
        return session.message
    }

    /// The hub says the QR with this `tr` was paid.
    public func credit(reference: String, utr: String?, amount: Money) {
        apply(.credit(reference: reference, utr: utr, amount: amount), now: clock())
    }

    /// The clock: expires QRs, puts away a no-QR invoice left alone, returns finished screens to idle, moves the
    /// page's countdown.
    public func tick() {
        let now = clock()
        let before = session.screen
        session.handle(.tick(now), now: now)
        if session.screen != before { publish() }
    }

    public func setCamera(_ line: StatusLine) {
        guard line != camera else { return }
        camera = line
        publish()
    }

    public func setHub(_ line: StatusLine) {
        guard line != hub else { return }
        hub = line
        publish()
    }

    // MARK: The session

    private func apply(_ event: Session.Event, now: Date) {
        let before = session.screen
        let effects = session.handle(event, now: now)
        if case .awaitingPayment(_, let prompt) = session.screen, before != session.screen {
            onPrompt(prompt)
        }
        publish()
        for effect in effects { perform(effect, now: now) }
    }

    private func perform(_ effect: Session.Effect, now: Date) {
        switch effect {
        case .record(let invoice, let method, let amount, let tender, let upiReference, let utr):
            var draft = PaymentDraft(method: method, amount: amount, invoiceNumbers: [invoice])
            draft.utr = utr
            draft.upiReference = upiReference
            if case .cheque(_, let number, let bank, let date) = tender {
                draft.chequeNumber = number
                draft.bank = bank
                draft.chequeDate = date
            }
            do {
                let receipt = try payments.record(draft)
                let confirmed = tender == nil ? "hub" : "rep"
                metrics.count("fieldpay_payments_total", labels: ["method": method.rawValue, "confirmed_by": confirmed])
                let paid = Session.Paid(
                    receiptNumber: receipt.payment.receiptNumber, amount: receipt.payment.amount, method: method,
                    receiptQR: receipt.verificationPayload, invoice: invoice)
                cached = nil
                apply(.recorded(paid), now: now)
                onRecorded()
            } catch {
                metrics.count("fieldpay_payment_failures_total")
                let reason = (error as? any FieldPayError)?.message ?? "\(error)"
                apply(.recordFailed(reason), now: now)
            }
        }
    }

    private func makePrompt(_ invoice: CachedInvoice, amount: Money?, now: Date) throws(UPIError) -> Session.Prompt {
        let request = try payments.paymentRequest(for: invoice, amount: amount, now: now)
        return Session.Prompt(
            uri: request.uri, reference: request.transactionReference ?? "", amount: request.amount ?? invoice.invoice.outstanding,
            expiresAt: now.addingTimeInterval(TimeInterval(profile.daemon.qrSeconds)))
    }

    // MARK: Listeners

    /// The current state, then every change (the newest only, if a page falls behind).
    public func subscribe() -> (id: Int, states: AsyncStream<KioskState>) {
        let (stream, continuation) = AsyncStream<KioskState>.makeStream(bufferingPolicy: .bufferingNewest(1))
        nextSubscriber += 1
        subscribers[nextSubscriber] = continuation
        continuation.yield(state())
        metrics.set("fieldpay_kiosk_clients", Double(subscribers.count))
        return (nextSubscriber, stream)
    }

    public func unsubscribe(_ id: Int) {
        subscribers.removeValue(forKey: id)?.finish()
        metrics.set("fieldpay_kiosk_clients", Double(subscribers.count))
    }

    /// Ends every page's stream (the daemon is stopping).
    public func closeAll() {
        for continuation in subscribers.values { continuation.finish() }
        subscribers = [:]
    }

    private func publish() {
        let idle = session.screen == .idle
        if idle && !wasIdle { idleGeneration.add(1, ordering: .releasing) }
        wasIdle = idle
        version += 1
        let current = state()
        for continuation in subscribers.values { continuation.yield(current) }
    }

    public func state() -> KioskState {
        let now = clock()
        var state = KioskState(
            screen: "idle", version: version, message: session.message, camera: camera, hub: hub,
            nowMillis: now.millisecondsSince1970, hindi: profile.daemon.hindi, deviceName: profile.deviceName)
        func card(_ shown: Session.Shown) -> KioskState.InvoiceCard {
            KioskState.InvoiceCard(
                number: shown.number, customerName: shown.view.customerName, customerCode: shown.view.customerCode,
                invoiceDate: Desk.display(shown.view.invoiceDate), dueDate: Desk.display(shown.view.dueDate),
                daysOverdue: shown.view.daysOverdue, agingBucket: shown.view.agingBucket, total: shown.view.total,
                outstanding: shown.outstanding.plainString, outstandingDisplay: shown.outstanding.displayString)
        }
        func until(_ date: Date) -> Int64 { date.millisecondsSince1970 }
        switch session.screen {
        case .idle:
            break
        case .invoice(let shown, let refused):
            state.screen = "invoice"
            state.invoice = card(shown)
            state.qrRefused = refused
        case .awaitingPayment(let shown, let prompt):
            state.screen = "awaiting"
            state.invoice = card(shown)
            state.qr = KioskState.QRCard(
                uri: prompt.uri, reference: prompt.reference, amount: prompt.amount.plainString, amountDisplay: prompt.amount.displayString,
                expiresAtMillis: until(prompt.expiresAt), svg: Desk.svg(prompt.uri, correction: .medium))
        case .recording(let shown, _):
            state.screen = "recording"
            state.invoice = card(shown)
        case .paid(let paid, let date):
            state.screen = "paid"
            state.untilMillis = until(date)
            state.paid = KioskState.PaidCard(
                receiptNumber: paid.receiptNumber, invoice: paid.invoice, method: paid.method.rawValue, amountDisplay: paid.amount.displayString,
                receiptSVG: Desk.svg(paid.receiptQR, correction: .low), receiptText: paid.receiptQR)
        case .cancelled(let shown, let date):
            state.screen = "cancelled"
            state.invoice = card(shown)
            state.untilMillis = until(date)
        case .expired(let shown, let date):
            state.screen = "expired"
            state.invoice = card(shown)
            state.untilMillis = until(date)
        case .notice(let notice, let date):
            state.screen = "notice"
            state.untilMillis = until(date)
            state.notice =
                switch notice {
                case .notInvoiceCode(let why): .init(kind: "not-invoice-code", title: "Not an invoice code", detail: why)
                case .notInCache(let number):
                    .init(kind: "not-in-cache", title: "Invoice not on this device", detail: "\(number) is not in this device's invoices. Sync with the hub, or check the invoice.")
                case .alreadyPaid(let number): .init(kind: "already-paid", title: "Already paid", detail: "Nothing is outstanding on \(number).")
                case .ambiguous(let number):
                    .init(kind: "ambiguous", title: "More than one invoice matches", detail: "\(number) matches several invoices here. Scan the invoice's QR code instead.")
                }
        }
        return state
    }

    /// 2026-09-13 → 13/09/2026, as Indian invoices print dates.
    static func display(_ iso: String) -> String {
        let parts = iso.split(separator: "-")
        guard parts.count == 3 else { return iso }
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    static func svg(_ text: String, correction: QRCode.Correction) -> String {
        guard let code = try? QRCode(text, correction: correction) else { return "" }
        return code.svg(moduleSize: 8)
    }
}

/// A refusal of what the rep typed.
struct KioskInputError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
