import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import InvoiceImport

#if canImport(Glibc)
    import Glibc
#endif

struct InvoicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoices",
        abstract: "Load and list the invoices this device holds.",
        subcommands: [ImportInvoices.self, ListInvoices.self, DigestInvoices.self]
    )
}

struct ImportInvoices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load invoices from a CSV or JSON file into the device's cache.",
        discussion: """
            CSV: a header row names the columns (case, spaces and underscores do not matter; common ERP \
            names are understood): invoice_number, invoice_date, due_date, customer_name and/or customer_code, \
            total; optional paid, outstanding, currency (INR only), seller_gstin, buyer_gstin, payee_vpa, irn, \
            region, phone. Commas, semicolons or tabs; dates as yyyy-mm-dd or dd/mm/yyyy; amounts as 1234.50 \
            or ₹1,23,456.50. JSON: an array of objects with the same names, {"invoices": [...]}, or JSON Lines.

            An invoice already in the cache is updated. Rows that cannot be read are rejected with their line \
            number and the reason; they never stop the others. The good rows are applied in one transaction: \
            all of them, or (on a crash or a disk error) none.

            Exit status: 0 all rows imported; 5 imported, but some rows were rejected; 2 the file could not be \
            read; 6 the database could not be written.
            """
    )

    @Argument(help: "The file to import; `-` for standard input.")
    var file: String

    @Option(help: "csv, json or jsonl; default: told by the name, else by the content.")
    var format: InvoiceFileReader.Format?

    @Flag(help: "Print the summary and every rejected row as one JSON object.")
    var json = false

    @Flag(help: "Show progress even when standard error is not a terminal.")
    var progress = false

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let reader: InvoiceFileReader
        do { reader = try InvoiceFileReader(path: file, format: format) } catch {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        }
        let bar = ProgressBar(total: reader.totalBytes, enabled: progress || isatty(STDERR_FILENO) == 1)
        let start = monotonicNanos()
        let summary: ImportSummary
        do {
            summary = try database.importInvoices(from: reader, payees: profile.upi?.payees) { rows, bytes in bar.update(rows: rows, bytes: bytes) }
        } catch {
            bar.finish()
            printError("\(error.message); nothing was imported [\(error.codeString)]")
            throw ExitCode(ExitStatus.storeFailed)
        }
        bar.finish()
        let seconds = Double(monotonicNanos() - start) / 1e9
        if json {
            struct Output: Encodable {
                let file: String
                let added: Int
                let updated: Int
                let customersAdded: Int
                let rejected: [Rejection]
                let seconds: Double
                enum CodingKeys: String, CodingKey {
                    case file, added, updated, rejected, seconds
                    case customersAdded = "customers_added"
                }
            }
            emit(InvoicePresenter.encode(Output(
                file: file, added: summary.added, updated: summary.updated, customersAdded: summary.customers,
                rejected: summary.rejected, seconds: (seconds * 1000).rounded() / 1000)))
        } else {
            let shown = 20
            for rejection in summary.rejected.prefix(shown) {
                emit("line \(rejection.line)\(rejection.invoiceNumber.map { " (\($0))" } ?? ""): \(rejection.reason)")
            }
            if summary.rejected.count > shown {
                emit("… and \(summary.rejected.count - shown) more rejected rows (--json lists them all)")
            }
            let rows = summary.added + summary.updated + summary.rejected.count
            emit(
                "\(file): \(summary.added) added, \(summary.updated) updated, \(summary.rejected.count) rejected"
                    + " (\(summary.customers) new customers; \(rows) rows in \(String(format: "%.2f", seconds)) s)")
            emit("database: \(profile.databasePath)")
        }
        if !summary.rejected.isEmpty { throw ExitCode(ExitStatus.partlyDone) }
    }
}

extension InvoiceFileReader.Format: ExpressibleByArgument {}

struct ListInvoices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List cached invoices: a customer's, the open ones, the overdue ones.",
        discussion: "Oldest due date first. Exit status 0, or 4 when nothing matches."
    )

    @Option(help: ArgumentHelp("A customer code, or part of a customer's name.", valueName: "text"))
    var customer: String?

    @Flag(help: "Only invoices past their due date with something outstanding.")
    var overdue = false

    @Flag(help: "Only invoices with something outstanding.")
    var open = false

    @Option(help: "At most this many invoices.")
    var limit = 200

    @Flag(help: "One JSON object per invoice.")
    var json = false

    @OptionGroup var device: DeviceOptions

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let today = device.today(profile)
        let invoices = try store { () throws(StoreError) in
            try database.invoices(customer: customer, overdueOn: overdue ? today : nil, openOnly: open, limit: limit)
        }
        if json {
            for cached in invoices { emit(InvoicePresenter.encode(InvoiceView(cached, aging: cached.invoice.aging(today: today)))) }
        } else if !invoices.isEmpty {
            var rows = [["INVOICE", "CUSTOMER", "DATE", "DUE", "OVERDUE", "BUCKET", "TOTAL", "OUTSTANDING"]]
            var outstanding = Money.zero
            for cached in invoices {
                let aging = cached.invoice.aging(today: today)
                outstanding = outstanding + cached.invoice.outstanding
                rows.append([
                    cached.invoice.number, String(cached.customer.name.prefix(28)), cached.invoice.invoiceDate.indianString,
                    cached.invoice.dueDate.indianString,
                    cached.invoice.isSettled ? "paid" : (aging.isOverdue ? "\(aging.daysPastDue) d" : "-"),
                    cached.invoice.isSettled ? "" : aging.bucket.rawValue, cached.invoice.total.displayString,
                    cached.invoice.outstanding.displayString,
                ])
            }
            table(rows, rightAligned: [4, 6, 7]).forEach(emit)
            emit("\(invoices.count) invoice\(invoices.count == 1 ? "" : "s"), \(outstanding.displayString) outstanding, as of \(today.indianString)"
                + (invoices.count == limit ? " (first \(limit); --limit for more)" : ""))
        }
        if invoices.isEmpty {
            if !json { printError("no invoices match") }
            throw ExitCode(ExitStatus.nothingFound)
        }
    }
}

struct DigestInvoices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the count and SHA-256 digest of the invoice cache, to compare with `fieldpay-hub invoices digest`.",
        discussion: "Equal digests mean this device holds exactly the hub's invoices: numbers, customers, dates, totals, outstanding."
    )

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let (count, digest) = try store { () throws(StoreError) in try database.invoiceDigest() }
        emit("\(count) invoices sha256:\(digest.hexString)")
    }
}

/// Columns padded to their widest cell.
func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
    var widths: [Int] = []
    for row in rows {
        for (index, cell) in row.enumerated() {
            if index >= widths.count { widths.append(0) }
            widths[index] = max(widths[index], cell.count)
        }
    }
    return rows.map { row in
        row.enumerated().map { index, cell in
            let padding = String(repeating: " ", count: widths[index] - cell.count)
            return rightAligned.contains(index) ? padding + cell : cell + padding
        }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}

/// A one-line progress bar on standard error: percent of the file, rows and rows per second.
final class ProgressBar {
    let total: Int?
    let enabled: Bool
    private var lastDraw: UInt64 = 0
    private var drawn = false
    private let start = monotonicNanos()

    init(total: Int?, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(rows: Int, bytes: Int) {
        guard enabled else { return }
        let now = monotonicNanos()
        guard now - lastDraw > 200_000_000 else { return }
        lastDraw = now
        let rate = Double(rows) / max(Double(now - start) / 1e9, 0.001)
        var line = "importing: \(rows) rows, \(Int(rate)) rows/s"
        if let total, total > 0 {
            let fraction = min(1, Double(bytes) / Double(total))
            let filled = Int(fraction * 30)
            line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
                + "\(Int(fraction * 100))%  " + line
        }
        let bytes = Array("\r\(line)\u{1B}[K".utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        drawn = true
    }

    func finish() {
        guard drawn else { return }
        let bytes = Array("\r\u{1B}[K".utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        drawn = false
    }
}
