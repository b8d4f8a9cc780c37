import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Imaging
import QRRender
import Scanning

/// How a receipt reads on a terminal, in SVG and in JSON.
enum ReceiptPresenter {
    static func time(_ millis: Int64, _ timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = timeZone
        formatter.locale = Locale(identifier: "en_IN")
        formatter.dateFormat = "dd/MM/yyyy HH:mm:ss"
        let zone = timeZone.identifier == "Asia/Kolkata" ? "IST" : (timeZone.abbreviation() ?? timeZone.identifier)
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000)) + " " + zone
    }

    static func lines(_ receipt: Receipt, timeZone: TimeZone) -> [String] {
        let payment = receipt.payment
        var lines = [
            "RECEIPT \(payment.receiptNumber)   \(time(payment.recordedAtMillis, timeZone))",
            "Received from \(payment.customerName) (\(payment.customerCode))",
            "  \(payment.amount.displayString) by \(method(payment))   [\(payment.status.rawValue)]",
        ]
        for allocation in payment.allocations {
            lines.append("  invoice \(allocation.invoiceNumber): \(allocation.amount.displayString) paid, \(allocation.balanceAfter.displayString) still due")
        }
        if payment.advance.isPositive { lines.append("  advance kept on account: \(payment.advance.displayString)") }
        lines.append("  payment \(payment.id.uuidString.lowercased()); signed by device \(payment.deviceCode)")
        return lines
    }

    static func method(_ payment: Payment) -> String {
        switch payment.method {
        case .cash: return "cash"
        case .upi: return "UPI" + (payment.utr.map { ", UTR \($0)" } ?? "")
        case .cheque:
            return "cheque \(payment.chequeNumber ?? "")" + (payment.bank.map { ", \($0)" } ?? "")
                + (payment.chequeDate.map { ", dated \($0.indianString)" } ?? "")
        }
    }

    /// A printable SVG receipt: the text and the verification QR; the payload is also kept in <desc> so that
    /// `fieldpay receipts verify receipt.svg` can read it back.
    static func svg(_ receipt: Receipt, timeZone: TimeZone) throws -> String {
        let text = lines(receipt, timeZone: timeZone)
        let code = try QRCode(receipt.verificationPayload, correction: .low)
        let moduleSize = 3
        let qrSide = (code.size + 2 * QRCode.quietZone) * moduleSize
        let width = 640
        let height = 30 + text.count * 22 + qrSide + 20
        var body = ""
        for (index, line) in text.enumerated() {
            body += "<text x=\"20\" y=\"\(34 + index * 22)\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"\(index == 0 ? 16 : 14)\">\(escape(line))</text>"
        }
        let qr = code.svg(moduleSize: moduleSize)
        let inner = qr[qr.range(of: "<rect")!.lowerBound..<qr.range(of: "</svg>")!.lowerBound]
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)"><desc>\(escape(receipt.verificationPayload))</desc>\
            <rect width="\(width)" height="\(height)" fill="#fff"/>\(body)\
            <g transform="translate(20,\(30 + text.count * 22)) scale(\(moduleSize))">\(inner)</g></svg>
            """
    }

    static func escape(_ text: String) -> String { text.markupEscaped }
}

struct ReceiptView: Encodable {
    var receipt_number: String
    var payment_id: String
    var device: String
    var method: String
    var status: String
    var amount: String
    var advance: String
    var customer_code: String
    var customer_name: String
    var recorded_at_ms: Int64
    var allocations: [[String: String]]
    var utr: String?
    var cheque_number: String?
    var bank: String?
    var cheque_date: String?
    var signature: String
    var verification: String

    init(_ receipt: Receipt) {
        let p = receipt.payment
        receipt_number = p.receiptNumber
        payment_id = p.id.uuidString.lowercased()
        device = p.deviceCode
        method = p.method.rawValue
        status = p.status.rawValue
        amount = p.amount.plainString
        advance = p.advance.plainString
        customer_code = p.customerCode
        customer_name = p.customerName
        recorded_at_ms = p.recordedAtMillis
        allocations = p.allocations.map { ["invoice": $0.invoiceNumber, "amount": $0.amount.plainString, "balance_after": $0.balanceAfter.plainString] }
        utr = p.utr
        cheque_number = p.chequeNumber
        bank = p.bank
        cheque_date = p.chequeDate?.isoString
        signature = Base64URL.encode(receipt.signature)
        verification = receipt.verificationPayload
    }
}

struct ReceiptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts",
        abstract: "Show, list, verify and confirm receipts; print the device's public key.",
        subcommands: [ShowReceipt.self, ListReceipts.self, VerifyReceipt.self, ConfirmReceipt.self, ReceiptKey.self]
    )
}

struct ShowReceipt: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a receipt with its verification QR.")

    @Argument(help: "The receipt number, e.g. DEMO01-000042.")
    var number: String

    @Option(help: ArgumentHelp("Also write a printable receipt: .svg (text and QR) or .png (the QR).", valueName: "file"))
    var out: String?

    @Flag(help: "Print it as JSON.")
    var json = false

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        guard let receipt = try store({ () throws(StoreError) in try database.receipt(number: number) }) else {
            printError("no receipt \(number) on this device")
            throw ExitCode(ExitStatus.nothingFound)
        }
        if json {
            emit(InvoicePresenter.encode(ReceiptView(receipt)))
        } else {
            ReceiptPresenter.lines(receipt, timeZone: profile.timeZone).forEach(emit)
            emit(try QRCode(receipt.verificationPayload, correction: .low).terminal())
        }
        if let out {
            if out.lowercased().hasSuffix(".svg") {
                try ReceiptPresenter.svg(receipt, timeZone: profile.timeZone).write(toFile: out, atomically: true, encoding: .utf8)
            } else if out.lowercased().hasSuffix(".png") {
                let (side, pixels) = try QRCode(receipt.verificationPayload, correction: .low).bitmap(moduleSize: 4)
                try Data(PNGWriter.encode(Frame(width: side, height: side, pixels: pixels))).write(to: URL(fileURLWithPath: out), options: .atomic)
            } else {
                throw ValidationError("--out must name a .svg or .png file")
            }
            printError("wrote \(out)")
        }
    }
}

struct ListReceipts: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Receipts, newest first.")

    @Option(help: "Only this customer's (code).")
    var customer: String?

    @Option(help: "Only those paying this invoice.")
    var invoice: String?

    @Option(help: "At most this many.")
    var limit = 50

    @Flag(help: "One JSON object per receipt.")
    var json = false

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let receipts = try store { () throws(StoreError) in try database.receipts(customer: customer, invoice: invoice, limit: limit) }
        if json {
            receipts.forEach { emit(InvoicePresenter.encode(ReceiptView($0))) }
        } else if !receipts.isEmpty {
            var rows = [["RECEIPT", "WHEN", "CUSTOMER", "METHOD", "AMOUNT", "STATUS", "INVOICES"]]
            for receipt in receipts {
                let p = receipt.payment
                rows.append([
                    p.receiptNumber, ReceiptPresenter.time(p.recordedAtMillis, profile.timeZone), String(p.customerName.prefix(24)),
                    p.method.rawValue, p.amount.displayString, p.status.rawValue, p.allocations.map(\.invoiceNumber).joined(separator: " "),
                ])
            }
            table(rows, rightAligned: [4]).forEach(emit)
        }
        if receipts.isEmpty { throw ExitCode(ExitStatus.nothingFound) }
    }
}

struct VerifyReceipt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a receipt's signature: its verification text, a file holding it, or a photo of its QR.",
        discussion: """
            RECEIPT is the text of the receipt's QR (FPR2|…, or FPR1|… from before), a file holding it (an SVG receipt from `receipts \
            show --out`, or a text file), or an image (PNG, JPEG) of the QR, which is scanned. The signature is \
            checked against --public-key (base64, or a file holding it, such as DEVICE.key.pub), else this \
            device's own key. Exit 0 valid; 1 the signature does not match (altered, or another device's); 2 \
            not a readable receipt.
            """
    )

    @Argument(help: "The receipt text, or a file.")
    var receipt: String

    @Option(name: .customLong("public-key"), help: ArgumentHelp("The signing device's public key.", valueName: "base64|file"))
    var publicKey: String?

    @OptionGroup var device: DeviceOptions

    /// A receipt's text starts `FPR2|` (or `FPR1|`, made before version 2).
    static func isReceiptText(_ text: some StringProtocol) -> Bool { text.hasPrefix("FPR2|") || text.hasPrefix("FPR1|") }

    func payload() throws -> String {
        if Self.isReceiptText(receipt) { return receipt }
        guard FileManager.default.fileExists(atPath: receipt) else {
            printError("\(receipt) is neither a receipt's text (FPR2|…) nor a file")
            throw ExitCode(ExitStatus.badInput)
        }
        if let data = FileManager.default.contents(atPath: receipt), let text = String(data: data, encoding: .utf8) {
            if let range = text.range(of: "FPR2|") ?? text.range(of: "FPR1|") {
                let rest = text[range.lowerBound...]
                let end = rest.firstIndex(where: { $0 == "<" || $0.isNewline }) ?? rest.endIndex
                return String(rest[..<end])
            }
        }
        do {
            let frame = try ImageLoader().load(path: receipt)
            let symbols = StillImageScanner(options: DecoderOptions(symbologies: [.qr])).scan(frame, exhaustive: true).symbols
            if let found = symbols.first(where: { Self.isReceiptText($0.text) }) { return found.text }
        } catch {}
        printError("no FieldPay receipt found in \(receipt)")
        throw ExitCode(ExitStatus.badInput)
    }

    func run() throws {
        let text = try payload()
        var keyBytes: Data
        if let publicKey {
            let source = FileManager.default.fileExists(atPath: publicKey)
                ? (String(data: FileManager.default.contents(atPath: publicKey) ?? Data(), encoding: .utf8) ?? "") : publicKey
            guard let data = Data(base64Encoded: source.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                printError("--public-key is not base64 (or a file holding it)")
                throw ExitCode(ExitStatus.badInput)
            }
            keyBytes = data
        } else {
            let profile = try device.loadProfile()
            do {
                guard let key = try DeviceKey.load(path: profile.resolvedKeyPath) else {
                    printError("this device has no key yet (\(profile.resolvedKeyPath)); give --public-key")
                    throw ExitCode(ExitStatus.badInput)
                }
                keyBytes = key.publicKey
            } catch let error as KeyError {
                printError("\(error.message) [\(error.codeString)]")
                throw ExitCode(ExitStatus.badInput)
            }
        }
        let outcome: ReceiptVerifier.Outcome
        do { outcome = try ReceiptVerifier.verify(text, publicKey: keyBytes) } catch {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        }
        switch outcome {
        case .valid(let verified):
            emit("VALID: receipt \(verified.receiptNumber), \(verified.amount.displayString) by \(verified.method), "
                + verified.allocations.map { "\($0.0) \($0.1.displayString) (\($0.2.displayString) still due)" }.joined(separator: ", "))
        case .invalidSignature:
            emit("INVALID: the signature does not match: the receipt was altered or signed by another device")
            throw ExitCode(1)
        case .malformed(let reason):
            printError("not a readable receipt: \(reason)")
            throw ExitCode(ExitStatus.badInput)
        }
    }
}

struct ConfirmReceipt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm", abstract: "Enter the payer's UTR for a UPI payment awaiting confirmation.")

    @Argument(help: "The receipt number.")
    var number: String

    @Option(help: "The 12-digit UTR from the payer's app.")
    var utr: String

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        do {
            let receipt = try database.confirmUPI(receiptNumber: number, utr: utr)
            emit("\(receipt.payment.receiptNumber): UPI payment confirmed with UTR \(utr); queued for the hub")
        } catch let error as LedgerError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(error.code == .receiptNotFound ? ExitStatus.nothingFound : ExitStatus.badInput)
        } catch let error as FieldPayError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.storeFailed)
        }
    }
}

struct ReceiptKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Print this device's public key (base64), making the key if there is none.")

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        do {
            let key = try DeviceKey.loadOrCreate(path: profile.resolvedKeyPath)
            emit(key.publicKeyBase64)
        } catch {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.storeFailed)
        }
    }
}

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "What is waiting to be uploaded to the hub, and why.",
        discussion: "States: pending (never uploaded), retrying (with the last error), rejected (with the hub's reason). Exit 0, or 4 when nothing waits."
    )

    @Flag(help: "Include what was already sent.")
    var all = false

    @Flag(help: "One JSON object per entry.")
    var json = false

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let entries = try store { () throws(StoreError) in try database.outbox(includeSent: all) }
        if json {
            for entry in entries {
                struct View: Encodable {
                    let id: Int64, payment_id: String, receipt_number: String, kind: String, state: String, attempts: Int
                    let last_error: String?, amount: String, method: String
                }
                emit(InvoicePresenter.encode(View(
                    id: entry.id, payment_id: entry.paymentID.uuidString.lowercased(), receipt_number: entry.receiptNumber,
                    kind: entry.kind, state: entry.state.rawValue, attempts: entry.attempts, last_error: entry.lastError,
                    amount: entry.amount.plainString, method: entry.method.rawValue)))
            }
        } else if !entries.isEmpty {
            var rows = [["RECEIPT", "WHAT", "AMOUNT", "STATE", "WHY"]]
            for entry in entries {
                let why: String
                switch entry.state {
                case .pending: why = "never uploaded"
                case .retrying: why = "attempt \(entry.attempts) failed: \(entry.lastError ?? "?")"
                case .rejected: why = "hub refused: \(entry.lastError ?? "?")"
                case .sent: why = "sent"
                }
                rows.append([entry.receiptNumber, entry.kind == "utr" ? "UTR" : "\(entry.method.rawValue) payment", entry.amount.displayString, entry.state.rawValue, why])
            }
            table(rows, rightAligned: [2]).forEach(emit)
            emit("\(entries.filter { $0.state != .sent }.count) waiting for the hub")
        }
        if entries.isEmpty {
            if !json { emit("nothing waiting for the hub") }
            throw ExitCode(ExitStatus.nothingFound)
        }
    }
}
