import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Imaging
import QRRender
import Scanning
import UPI

/// The invoice a payment command names, from the cache; exits 4 when it is not there.
func cachedInvoice(_ number: String, database: AppDatabase) throws -> CachedInvoice {
    let ref = InvoiceRef(source: .plain, invoiceNumber: number)
    switch try store({ () throws(StoreError) in try database.invoice(matching: ref) }) {
    case .found(let cached): return cached
    case .notFound:
        printError("invoice \(number) is not in this device's cache [ledger.invoice-not-found]")
        throw ExitCode(ExitStatus.nothingFound)
    case .ambiguous(let candidates):
        printError("\(number) matches \(candidates.map(\.invoice.number).joined(separator: ", ")); give the exact number")
        throw ExitCode(ExitStatus.badInput)
    }
}

func parseAmount(_ text: String?, option: String) throws -> Money? {
    guard let text else { return nil }
    do { return try Money(parsing: text) } catch { throw ValidationError("\(option): \(error.message)") }
}

struct QRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qr",
        abstract: "Show the UPI payment QR for an invoice (what is outstanding, or --amount of it).",
        discussion: """
            Builds a upi://pay request from the profile's [upi] section (pa, pn, mc, mode, purpose) and the invoice \
            (amount, a transaction reference tr unique to this device, invoice and second, the note, invoiceNo, \
            invoiceDate, gstIn) and shows it as a QR in the terminal. --out writes it as SVG or PNG (by the name).

            Refused with exit 2: an invoice already paid, an amount that is zero, negative, more than what is \
            outstanding or above the UPI limit, a profile without a valid merchant VPA. Exit 4: the invoice is not \
            in the cache.
            """
    )

    @Option(help: "The invoice number.")
    var invoice: String

    @Option(help: "Ask for this much instead of all that is outstanding (a part payment).")
    var amount: String?

    @Option(help: ArgumentHelp("Also write the QR to this file: .svg or .png.", valueName: "file"))
    var out: String?

    @Flag(help: "Print only the upi:// link.")
    var uri = false

    @Flag(help: "Light modules on dark: for terminals with a dark background that cameras must read.")
    var inverted = false

    @OptionGroup var device: DeviceOptions

    func validate() throws {
        _ = try parseAmount(amount, option: "--amount")
        if let out, !(out.lowercased().hasSuffix(".svg") || out.lowercased().hasSuffix(".png")) {
            throw ValidationError("--out must name a .svg or .png file")
        }
    }

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let cached = try cachedInvoice(invoice, database: database)
        let desk = PaymentDesk(profile: profile, database: database)
        let request: UPIPaymentRequest
        let code: QRCode
        do {
            request = try desk.paymentRequest(for: cached, amount: try parseAmount(amount, option: "--amount"))
            code = try PaymentDesk.qr(for: request)
        } catch let error as UPIError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        }
        if uri {
            emit(request.uri)
        } else {
            emit("Pay \(request.amount!.displayString) to \(request.payeeName) (\(request.payeeVPA)) for invoice \(cached.invoice.number), \(cached.customer.name)")
            emit(code.terminal(inverted: inverted))
            emit(request.uri)
        }
        if let out {
            do {
                if out.lowercased().hasSuffix(".svg") {
                    try code.svg(title: "UPI payment for invoice \(cached.invoice.number)").write(toFile: out, atomically: true, encoding: .utf8)
                } else {
                    let (side, pixels) = code.bitmap(moduleSize: 8)
                    try Data(PNGWriter.encode(Frame(width: side, height: side, pixels: pixels))).write(to: URL(fileURLWithPath: out), options: .atomic)
                }
            } catch {
                printError("cannot write \(out): \(error.localizedDescription)")
                throw ExitCode(ExitStatus.badInput)
            }
            printError("wrote \(out)")
        }
    }
}

struct PayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay",
        abstract: "Record a payment (UPI, cash or cheque) against one or more invoices and print its receipt.",
        discussion: """
            The payment, its allocation to the invoices (in the order given, each up to what it owes), the \
            invoices' new balances, the next receipt number and the outbox row for the hub are written in one \
            transaction, flushed to disk before the receipt is printed: a receipt is never printed for a payment \
            that was not stored. More than is outstanding is refused unless --allow-advance. A UPI payment \
            without --utr stays "awaiting confirmation" until the hub confirms it or `fieldpay receipts confirm` \
            enters the UTR.

            Exit status: 0 recorded; 2 refused (bad details, overpayment, already paid); 4 the invoice is not \
            cached; 6 the database could not be written (nothing was recorded).
            """
    )

    @Option(help: "The invoice(s) paid; repeat for several of one customer's invoices.")
    var invoice: [String]

    @Option(help: "The amount received, e.g. 1234.50.")
    var amount: String

    @Flag(help: "Paid by UPI.")
    var upi = false

    @Flag(help: "Paid in cash.")
    var cash = false

    @Option(help: ArgumentHelp("Paid by cheque: its number.", valueName: "number"))
    var cheque: String?

    @Option(help: "UPI: the payer's 12-digit UTR (confirms the payment).")
    var utr: String?

    @Option(help: ArgumentHelp("UPI: the tr of the QR the payer paid.", valueName: "tr"))
    var reference: String?

    @Option(help: "Cheque: the bank.")
    var bank: String?

    @Option(name: .customLong("cheque-date"), help: ArgumentHelp("Cheque: its date.", valueName: "yyyy-mm-dd"))
    var chequeDate: String?

    @Flag(help: "Keep what is more than the outstanding as an advance instead of refusing it.")
    var allowAdvance = false

    @Flag(help: "Print the receipt as JSON.")
    var json = false

    @OptionGroup var device: DeviceOptions

    func validate() throws {
        let methods = [upi, cash, cheque != nil].filter { $0 }.count
        guard methods == 1 else { throw ValidationError("give exactly one of --upi, --cash, --cheque NUMBER") }
        _ = try parseAmount(amount, option: "--amount")
        if utr != nil || reference != nil, !upi { throw ValidationError("--utr and --reference are for --upi payments") }
        if let utr, !(utr.count == 12 && utr.allSatisfy(\.isNumber)) { throw ValidationError("--utr must be the 12-digit UPI reference") }
        if cheque != nil {
            guard let bank, !bank.isEmpty else { throw ValidationError("a cheque needs --bank") }
            guard let chequeDate, LocalDate(parsing: chequeDate) != nil else { throw ValidationError("a cheque needs --cheque-date yyyy-mm-dd") }
        } else if bank != nil || chequeDate != nil {
            throw ValidationError("--bank and --cheque-date are for cheques")
        }
    }

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        var draft = PaymentDraft(method: upi ? .upi : cash ? .cash : .cheque, amount: try parseAmount(amount, option: "--amount")!, invoiceNumbers: invoice)
        draft.allowAdvance = allowAdvance
        draft.utr = utr
        draft.upiReference = reference
        draft.chequeNumber = cheque
        draft.bank = bank
        draft.chequeDate = chequeDate.flatMap { LocalDate(parsing: $0) }
        let receipt: Receipt
        do {
            receipt = try PaymentDesk(profile: profile, database: database).record(draft)
        } catch let error as LedgerError {
            printError("\(error.message); nothing was recorded [\(error.codeString)]")
            throw ExitCode(error.code == .invoiceNotFound ? ExitStatus.nothingFound : ExitStatus.badInput)
        } catch let error as FieldPayError {
            printError("\(error.message); nothing was recorded [\(error.codeString)]")
            throw ExitCode(ExitStatus.storeFailed)
        }
        if json {
            emit(InvoicePresenter.encode(ReceiptView(receipt)))
        } else {
            ReceiptPresenter.lines(receipt, timeZone: profile.timeZone).forEach(emit)
            if let code = try? QRCode(receipt.verificationPayload, correction: .low) { emit(code.terminal()) }
        }
    }
}
