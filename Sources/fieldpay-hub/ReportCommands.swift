import ArgumentParser
import FieldPayCore
import Foundation
import Hub
import HubAPI
#if canImport(Glibc)
    import Glibc
#endif

struct HubManagers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "managers", abstract: "Managers: their roles and regions, API tokens, dashboard passwords and TOTP.",
        subcommands: [ManagerAdd.self, ManagerList.self, ManagerRevoke.self, ManagerRotate.self, ManagerPassword.self, ManagerTOTP.self])
}

/// What the hub's command line did, in the audit log (its actor is `cli`: whoever can run it owns the hub).
func auditCLI(_ store: some ManagerDirectory, _ action: String, target: String?, outcome: String = "ok") {
    try? store.record(AuditEntry(actor: "cli", action: action, target: target, outcome: outcome))
}

struct ManagerAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a manager and print their API token (shown once; the hub keeps only its hash).",
        discussion: """
            Roles: admin (everything, every region, the audit log), manager (reads and acts within their regions), viewer \
            (reads only, within their regions); no --region means every region. The token is `Authorization: Bearer <token>` \
            on /v1/… and signs in to the dashboard until a password is set (`managers password`).
            """)

    @Option(help: "Who the account is for (also their dashboard sign-in name).") var name: String
    @Option(help: "admin, manager or viewer.") var role = "admin"
    @Option(help: ArgumentHelp("A region they may see and act in (repeat for several).", valueName: "region")) var region: [String] = []
    @Option(help: ArgumentHelp("The token stops working after this many days.", valueName: "days")) var expiresDays: Int?
    @OptionGroup var options: HubOptions

    func validate() throws {
        if ManagerRole(rawValue: role) == nil { throw ValidationError("--role must be admin, manager or viewer") }
    }

    func run() throws {
        do {
            let store = try options.store()
            let (id, token) = try store.addManager(name: name, role: ManagerRole(rawValue: role)!, regions: region, expiresInDays: expiresDays)
            auditCLI(store, "managers add", target: "\(id) (\(name), \(role)\(region.isEmpty ? "" : ", " + region.joined(separator: ", ")))")
            print(token)
        } catch let error as ReportInputError {
            throw ValidationError(error.message)
        }
    }
}

struct ManagerList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Managers by id, with role, regions and token expiry (never a secret).")

    @OptionGroup var options: HubOptions

    func run() throws {
        let managers = try options.store().managerAccounts()
        let dates = DateFormatter()
        dates.dateFormat = "yyyy-MM-dd"
        for manager in managers {
            print(
                [
                    manager.id, manager.name, manager.role.rawValue, manager.regions.isEmpty ? "all regions" : manager.regions.joined(separator: ","),
                    manager.revoked ? "revoked" : "active",
                    manager.tokenExpiresAt.map { "token expires " + dates.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "token never expires",
                    manager.hasPassword ? (manager.hasTOTP ? "password+totp" : "password") : "token sign-in",
                ].joined(separator: "\t"))
        }
        print("\(managers.count) manager\(managers.count == 1 ? "" : "s")")
    }
}

struct ManagerRotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Give a manager a new API token (printed once); the old one stops now and their sessions end.")

    @Argument(help: "The manager's id (mgr_…).") var id: String
    @Option(help: ArgumentHelp("The new token stops working after this many days.", valueName: "days")) var expiresDays: Int?
    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        let token: String?
        do { token = try store.rotateManagerToken(id: id, expiresInDays: expiresDays) } catch let error as ReportInputError {
            throw ValidationError(error.message)
        }
        guard let token else {
            FileHandle.standardError.write(Data("fieldpay-hub: no active manager \(id)\n".utf8))
            throw ExitCode(4)
        }
        auditCLI(store, "managers rotate", target: id)
        print(token)
    }
}

struct ManagerPassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password", abstract: "Set a manager's dashboard password (read from standard input, 12 characters or more).",
        discussion: "From then on they sign in to the dashboard with their name and this password, and their token is for the API only.")

    @Argument(help: "The manager's id (mgr_…).") var id: String
    @OptionGroup var options: HubOptions

    func run() throws {
        if isatty(STDIN_FILENO) == 1 { FileHandle.standardError.write(Data("password (12 characters or more), then Enter: ".utf8)) }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
        let store = try options.store()
        do {
            guard try store.setManagerPassword(id: id, password: line) else {
                FileHandle.standardError.write(Data("fieldpay-hub: no active manager \(id)\n".utf8))
                throw ExitCode(4)
            }
        } catch let error as ReportInputError {
            throw ValidationError(error.message)
        }
        auditCLI(store, "managers password", target: id)
        print("\(id): password set; their dashboard sessions ended")
    }
}

struct ManagerTOTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totp", abstract: "Turn on a second factor for a manager's sign-in: prints the secret for an authenticator app.")

    @Argument(help: "The manager's id (mgr_…).") var id: String
    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        guard let account = try store.managerAccount(id), let secret = try store.enableManagerTOTP(id: id) else {
            FileHandle.standardError.write(Data("fieldpay-hub: no active manager \(id)\n".utf8))
            throw ExitCode(4)
        }
        auditCLI(store, "managers totp", target: id)
        let label = account.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "manager"
        print(secret)
        print("otpauth://totp/FieldPay:\(label)?secret=\(secret)&issuer=FieldPay&algorithm=SHA1&digits=6&period=30")
    }
}

struct ManagerRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Refuse a manager's token and sessions from now on.")

    @Argument(help: "The manager's id (mgr_…).") var id: String
    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        guard try store.revokeManager(id: id) else {
            FileHandle.standardError.write(Data("fieldpay-hub: no manager token \(id)\n".utf8))
            throw ExitCode(4)
        }
        auditCLI(store, "managers revoke", target: id)
        print("\(id) revoked")
    }
}

struct HubAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log, newest first: who did what to which invoice, payment, device or manager, from where.")

    @Option(help: "At most this many lines.") var limit = 50
    @Flag(help: "CSV instead of lines.") var csv = false
    @OptionGroup var options: HubOptions

    func run() throws {
        let entries = try options.store().auditLog(limit: limit, before: nil)
        if csv {
            print(auditCSVText(entries), terminator: "")
            return
        }
        for entry in entries {
            print([auditTime(entry.atMillis), entry.actor, entry.action, entry.target ?? "", entry.outcome, entry.source ?? ""].joined(separator: "\t"))
        }
        print("\(entries.count) line\(entries.count == 1 ? "" : "s")")
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
