import ArgumentParser
import FieldPayCore
import Foundation
import Hub
import HubAPI

struct HubManagers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "managers", abstract: "Tokens for managers: the reports over HTTP (/v1/reports/...) need one.",
        subcommands: [ManagerAdd.self, ManagerList.self, ManagerRevoke.self])
}

struct ManagerAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Make a manager's token and print it (shown once; the hub keeps only its hash).",
        discussion: "Use it as `Authorization: Bearer <token>` on /v1/reports/... and /v1/customers/{code}/history.")

    @Option(help: "Who the token is for.") var name: String
    @OptionGroup var options: HubOptions

    func run() throws {
        do {
            let (_, token) = try options.store().addManager(name: name)
            print(token)
        } catch let error as ReportInputError {
            throw ValidationError(error.message)
        }
    }
}

struct ManagerList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Managers' tokens by id (never the secret).")

    @OptionGroup var options: HubOptions

    func run() throws {
        let managers = try options.store().managers()
        for manager in managers { print([manager.id, manager.name, manager.revoked ? "revoked" : "active"].joined(separator: "\t")) }
        print("\(managers.count) manager token\(managers.count == 1 ? "" : "s")")
    }
}

struct ManagerRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Refuse a manager's token from now on.")

    @Argument(help: "The token's id (mgr_…).") var id: String
    @OptionGroup var options: HubOptions

    func run() throws {
        guard try options.store().revokeManager(id: id) else {
            FileHandle.standardError.write(Data("fieldpay-hub: no manager token \(id)\n".utf8))
            throw ExitCode(4)
        }
        print("\(id) revoked")
    }
}

struct HubReports: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Collection reports on the hub's database, as tables (the same figures as /v1/reports/...).",
        subcommands: [AgingCommand.self, RegisterCommand.self, HistoryCommand.self, DSOCommand.self])
}

func parseDate(_ text: String?, name: String, default fallback: LocalDate) throws -> LocalDate {
    guard let text else { return fallback }
    guard let date = LocalDate(parsing: text), date.isoString == text else { throw ValidationError("\(name) must be a date like 2026-11-30") }
    return date
}

/// Columns padded to their widest cell; amounts (the last `right` columns) aligned right.
func printTable(_ rows: [[String]], right: Int) {
    guard let first = rows.first else { return }
    let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        let cells = row.enumerated().map { index, cell in
            let pad = String(repeating: " ", count: widths[index] - cell.count)
            return index >= row.count - right ? pad + cell : cell + pad
        }
        print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}

struct AgingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aging", abstract: "Outstanding by customer and days past due, as of a date (default today, India time).",
        discussion: "With --customer, that customer's open invoices.")

    @Option(name: .customLong("as-of"), help: "yyyy-mm-dd.") var asOf: String?
    @Option(help: "Bucket edges in days, like 30,60,90.") var edges = "30,60,90"
    @Option(help: "One customer's invoices.") var customer: String?
    @Option(help: "Customers to list, largest outstanding first.") var limit = 20
    @OptionGroup var options: HubOptions

    func run() throws {
        let date = try parseDate(asOf, name: "--as-of", default: LocalDate.today())
        let parsed: AgingEdges
        switch AgingEdges.parse(edges) {
        case .success(let value): parsed = value
        case .failure(let error): throw ValidationError(error.message)
        }
        let store = try options.store()
        if let customer {
            guard let report = try store.customerAging(customer, asOf: date, edges: parsed, perPage: nil) else {
                FileHandle.standardError.write(Data("fieldpay-hub: no customer \(customer)\n".utf8))
                throw ExitCode(4)
            }
            print("\(report.customerName) (\(report.customerCode)), as of \(report.asOf): \(rupees(report.totals.outstanding)) outstanding")
            printTable(
                [["invoice", "due", "days", "bucket", "outstanding"]]
                    + report.invoices.map { [$0.number, $0.dueDate, String($0.daysPastDue), $0.bucket, rupees($0.outstanding)] }, right: 1)
            return
        }
        let report = try store.aging(asOf: date, edges: parsed, perPage: limit)
        print("Aging as of \(report.asOf): \(rupees(report.totals.outstanding)) outstanding on \(report.totals.invoices) invoices of \(report.customers) customers")
        printTable(
            [["customer", "name"] + report.buckets + ["outstanding"]]
                + report.rows.map { [$0.customerCode, String($0.customerName.prefix(30))] + $0.amounts.buckets.map(rupees) + [rupees($0.amounts.outstanding)] }
                + [["TOTAL", ""] + report.totals.buckets.map(rupees) + [rupees(report.totals.outstanding)]],
            right: report.buckets.count + 1)
        if report.page.more { print("(the \(limit) largest of \(report.customers); --limit for more)") }
    }
}

struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register", abstract: "The collection register: payments per day, rep and method (default today).")

    @Option(help: "First day, yyyy-mm-dd.") var from: String?
    @Option(help: "Last day, yyyy-mm-dd (default: --from, or today).") var to: String?
    @OptionGroup var options: HubOptions

    func run() throws {
        let end = try parseDate(to, name: "--to", default: try parseDate(from, name: "--from", default: LocalDate.today()))
        let start = try parseDate(from, name: "--from", default: end)
        guard start <= end else { throw ValidationError("--from is after --to") }
        let report = try options.store().register(from: start, to: end, perPage: nil)
        printTable(
            [["day", "rep", "method", "payments", "amount"]] + report.rows.map { [$0.day, $0.rep, $0.method, String($0.payments), rupees($0.amount)] }
                + [["TOTAL", "", "", String(report.payments), rupees(report.amount)]], right: 2)
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "A customer's invoices and payments, newest first.")

    @Argument(help: "The customer's code.") var customer: String
    @OptionGroup var options: HubOptions

    func run() throws {
        guard let history = try options.store().customerHistory(customer) else {
            FileHandle.standardError.write(Data("fieldpay-hub: no customer \(customer)\n".utf8))
            throw ExitCode(4)
        }
        print("\(history.customerName) (\(history.customerCode)): invoiced \(rupees(history.invoiced)), paid \(rupees(history.paid)), outstanding \(rupees(history.outstanding))")
        if let days = history.averageDaysToPay, let late = history.averageDaysLate {
            print("pays on average \(days) days after the invoice, \(late) days after the due date")
        }
        printTable(
            [["invoice", "date", "due", "total", "outstanding", "paid on"]]
                + history.invoices.map { [$0.number, $0.invoiceDate, $0.dueDate, rupees($0.total), rupees($0.outstanding), $0.paidOn ?? ""] }, right: 0)
        printTable(
            [["day", "receipt", "method", "rep", "status", "amount"]]
                + history.payments.map { [$0.day, $0.receiptNumber ?? "(PSP credit)", $0.method, $0.rep ?? "", $0.status, rupees($0.amount)] }, right: 1)
    }
}

struct DSOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dso", abstract: "Days Sales Outstanding over a period (default the 30 days to today).")

    @Option(help: "First day, yyyy-mm-dd.") var from: String?
    @Option(help: "Last day, yyyy-mm-dd.") var to: String?
    @OptionGroup var options: HubOptions

    func run() throws {
        let end = try parseDate(to, name: "--to", default: LocalDate.today())
        let start = try parseDate(from, name: "--from", default: end.adding(days: -29))
        guard start <= end else { throw ValidationError("--from is after --to") }
        let report = try options.store().dso(from: start, to: end)
        print("\(report.from) to \(report.to) (\(report.days) days): receivables \(rupees(report.receivables)), credit sales \(rupees(report.creditSales))")
        print(report.dso.map { "DSO \($0) days" } ?? "DSO not defined: no sales in the period")
    }
}

/// "1234.50" as ₹1,234.50.
func rupees(_ wire: String) -> String {
    (try? Money(parsing: wire))?.displayString ?? wire
}

struct HubCollections: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collections", abstract: "The daily collections run, and a demo book to try the dashboard on.",
        subcommands: [CollectionsRunCommand.self, DemoBookCommand.self])
}

struct CollectionsRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Queue the reminders the policies call for and open escalations, as of a day (default today).",
        discussion: "Idempotent for a day: running it twice queues nothing new. `fieldpay-hub serve` runs it by itself every hour.")

    @Option(name: .customLong("as-of"), help: "yyyy-mm-dd.") var asOf: String?
    @OptionGroup var options: HubOptions

    func run() throws {
        let day = try parseDate(asOf, name: "--as-of", default: LocalDate.today())
        let run = try options.store().runCollections(asOf: day)
        print("\(run.asOf): \(run.remindersQueued) reminders queued, \(run.skippedDisputed) held for disputes, \(run.escalations) new escalations")
        print(
            "messages: \(run.messagesQueued) customers get one reminder each; \(run.skippedOptedOut) opted out, \(run.skippedNoPhone) without a mobile number")
    }
}

struct DemoBookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-book",
        abstract: "Fill an empty hub with a demo distributor's last five months: customers, invoices, reps and devices, payments, allocation, follow-ups.",
        discussion: "Refuses a hub that already has invoices. Prints each rep's device credentials (id.secret) for `fieldpay` to sync with.")

    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        guard try store.invoices(limit: 1).isEmpty else {
            FileHandle.standardError.write(Data("fieldpay-hub: \(options.dataDirectory) already has invoices; the demo book goes into an empty hub\n".utf8))
            throw ExitCode(4)
        }
        var book = DemoBook(store: store)
        let summary = try book.write(folder: options.dataDirectory)
        print("demo book: \(summary.customers) customers, \(summary.invoices) invoices, \(summary.payments) payments, reps \(summary.reps.joined(separator: ", "))")
        for device in summary.devices { print("device \(device.rep) \(device.id).\(device.secret)") }
    }
}
