import ArgumentParser
import FieldPayCore
import Foundation
import Hub

/// `fieldpay-hub erp`: the accounting connectors of hub.toml's `[erp.NAME]` sections.
struct HubERP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erp", abstract: "Payments pushed to Tally Prime or Zoho Books, bills pulled from them, and the two sides reconciled.",
        discussion: """
            The connectors are hub.toml's [erp.tally] and [erp.zoho] sections (see hub.example.toml). `fieldpay-hub serve` pushes \
            every confirmed payment by itself; these commands show the queue, push now, pull the outstanding bills \
            into the invoice book, and compare a day's payments with the ERP's receipts.
            """,
        subcommands: [ERPStatus.self, ERPPush.self, ERPPull.self, ERPReconcile.self], defaultSubcommand: ERPStatus.self)
}

/// The config file, the data folder and which connector.
struct ERPOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The hub's configuration file, with its [erp.NAME] sections.", valueName: "file")) var config: String = "hub.toml"
    @Option(help: ArgumentHelp("The hub's data folder. Default: the config's.", valueName: "dir")) var data: String?
    @Option(help: ArgumentHelp("Only this connector (tally, zoho). Default: every one configured.", valueName: "name")) var connector: String?

    func load() throws -> (HubConfiguration, SQLiteHubStore, [any ERPConnector]) {
        let configuration: HubConfiguration
        do { configuration = try HubConfiguration.load(path: config) } catch let error as HubConfigError {
            throw refusal(error.description)
        }
        var connectors = configuration.erp.connectors(dataDirectory: data ?? configuration.dataDirectory)
        if let connector {
            connectors = connectors.filter { $0.name == connector }
            guard !connectors.isEmpty else { throw refusal("\(config) has no [erp.\(connector)] section") }
        }
        guard !connectors.isEmpty else {
            throw refusal("\(config) has no [erp.tally] or [erp.zoho] section: see hub.example.toml for what they take")
        }
        let store = try HubOptions(data: data ?? configuration.dataDirectory).store()
        return (configuration, store, connectors)
    }
}

func moment(_ millis: Int64?) -> String {
    guard let millis else { return "-" }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    formatter.timeZone = .india
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}

struct ERPStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Each connector's queue: pending, sent, parked with the reason, cancelled (reversed payments), and the last reconcile.")

    @OptionGroup var options: ERPOptions
    @Option(help: "List the rows in this state (pending, sent, parked, cancelled). Default: pending and parked ones.") var state: String?
    @Option(help: "At most this many rows.") var limit = 50

    func validate() throws {
        if let state, ERPState(rawValue: state) == nil { throw ValidationError("--state must be pending, sent, parked or cancelled") }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() throws {
        let (_, store, connectors) = try options.load()
        let counts = try store.erpCounts()
        for connector in connectors {
            let count = counts.first { $0.connector == connector.name } ?? ERPQueueCounts(connector: connector.name)
            print("\(connector.name): \(count.pending) pending, \(count.sent) sent, \(count.parked) parked, \(count.cancelled) cancelled; last sent \(moment(count.lastSentAt))"
                + (count.oldestPendingAt.map { "; oldest pending since \(moment($0))" } ?? ""))
            if let report = try store.lastReconcile(connector: connector.name) {
                print("  last reconcile: \(report.day.isoString) at \(moment(report.ranAt)): "
                    + (report.isClean ? "clean (\(report.hubPayments) payments)" : "\(report.lines.count) differences"))
            }
            var rows: [ERPQueueEntry] = []
            if let state {
                rows = try store.erpQueue(connector: connector.name, state: ERPState(rawValue: state), limit: limit)
            } else {
                rows = try store.erpQueue(connector: connector.name, state: .parked, limit: limit)
                rows += try store.erpQueue(connector: connector.name, state: .pending, limit: max(0, limit - rows.count))
            }
            guard !rows.isEmpty else { continue }
            var table = [["id", "receipt", "customer", "amount", "state", "tries", "why / ERP id"]]
            for row in rows {
                table.append([String(row.id), row.receiptNumber, row.customerCode, row.amount.plainString, row.stateLabel, String(row.attempts),
                    String((row.failure ?? row.reference ?? "").prefix(110))])
            }
            printTable(table, right: 0)
        }
    }
}

struct ERPPush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push what is due now (the running hub does this by itself), and optionally the past or the parked.")

    @OptionGroup var options: ERPOptions
    @Flag(help: "Send the parked vouchers again (after fixing what the ERP refused, like a missing ledger).") var retryParked = false
    @Option(help: ArgumentHelp("Also queue every payment stored since this date (YYYY-MM-DD) that the connector never had.", valueName: "date"))
    var since: String?

    func run() async throws {
        let (_, store, connectors) = try options.load()
        let start = since.flatMap { LocalDate(parsing: $0) }
        if since != nil, start == nil { throw ValidationError("--since must be a date like 2026-11-01") }
        var failed = false
        for connector in connectors {
            try store.enableConnector(connector.name, now: HubTime.nowMillis())
            if let start {
                print("\(connector.name): \(try store.queueERPBackfill(connector: connector.name, since: start, now: HubTime.nowMillis())) payments since \(start.isoString) queued")
            }
            if retryParked {
                print("\(connector.name): \(try store.retryParkedERP(connector: connector.name, id: nil, now: HubTime.nowMillis())) parked vouchers to send again")
            }
            let worker = ERPWorker(connector: connector, store: store)
            let clock = ContinuousClock.now
            let total = try await worker.drain { round in
                FileHandle.standardError.write(Data("\r\(connector.name): \(round.summary), \(round.retrying) to retry".utf8))
            }
            let seconds = Double((ContinuousClock.now - clock).components.attoseconds) / 1e18 + Double((ContinuousClock.now - clock).components.seconds)
            if total != ERPWorker.Round() { FileHandle.standardError.write(Data("\n".utf8)) }
            print("\(connector.name): \(total.summary), \(total.retrying) left to retry, in \(String(format: "%.1f", seconds)) s")
            for row in try store.erpQueue(connector: connector.name, state: .parked, limit: 20) {
                print("  parked \(row.receiptNumber): \(row.failure ?? "")")
            }
            if let reason = try store.erpQueue(connector: connector.name, state: .pending, limit: 1).first?.failure, total.retrying > 0 {
                print("  not taken now: \(reason)")
                failed = true
            }
        }
        if failed { throw ExitCode(5) }
    }
}

struct ERPPull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Make the ERP's outstanding bills the invoice book (all or nothing).",
        discussion: """
            Every outstanding bill receivable becomes an invoice (party = customer, bill reference = invoice number) \
            through the same rules as `invoices import`; one bill refused refuses the pull. An ERP balance never \
            raises an invoice above what the hub knows was paid: payments the ERP has not acknowledged yet are taken \
            off its balance. Open invoices it listed before and no longer lists are closed (paid there).
            """)

    @OptionGroup var options: ERPOptions
    @Flag(help: "Leave open the invoices the ERP no longer lists as outstanding.") var keepMissing = false

    func run() async throws {
        let (_, store, connectors) = try options.load()
        for connector in connectors {
            let clock = ContinuousClock.now
            let outcome: ERPPullOutcome
            do { outcome = try await ERPWorker(connector: connector, store: store).pull(closeMissing: !keepMissing) } catch let error as ERPPullRefused {
                throw refusal("\(connector.name): \(error.description)")
            } catch let error as ERPError {
                throw refusal("\(connector.name): \(error.description)")
            }
            let elapsed = ContinuousClock.now - clock
            print(
                "\(connector.name): \(outcome.bills) bills, \(outcome.written) invoices written, \(outcome.unchanged) unchanged, \(outcome.closed) closed (no longer outstanding there), "
                    + "\(outcome.heldDown) held below the ERP's balance by payments it has not acknowledged, \(outcome.skippedCredits) credit balances skipped, "
                    + "in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .abbreviated)))")
        }
    }
}

struct ERPReconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "A day's payments at the hub against the ERP's receipts: missing either side, amounts that differ.",
        discussion: "Exit status 0 when both agree, 3 when there are differences (listed), 4 when the ERP could not be asked.")

    @OptionGroup var options: ERPOptions
    @Option(help: ArgumentHelp("The day (YYYY-MM-DD, India time). Default: today.", valueName: "date")) var date: String?
    @Flag(help: "Queue again the payments the ERP lacks though it acknowledged them (a voucher deleted there by hand).") var resendMissing = false

    func run() async throws {
        let (_, store, connectors) = try options.load()
        let day = date.flatMap { LocalDate(parsing: $0) } ?? LocalDate.today()
        if date != nil, LocalDate(parsing: date!) == nil { throw ValidationError("--date must be a date like 2026-12-07") }
        var differences = false
        for connector in connectors {
            let report: ERPReconcileReport
            do { report = try await ERPWorker(connector: connector, store: store).reconcile(day: day) } catch let error as ERPError {
                throw refusal("\(connector.name): \(error.description)")
            }
            guard !report.isClean else {
                print("\(connector.name) \(day.isoString): clean: the hub's \(report.hubPayments) payments are the ERP's \(report.erpReceipts) receipts")
                continue
            }
            differences = true
            print("\(connector.name) \(day.isoString): \(report.lines.count) differences (hub \(report.hubPayments) payments, ERP \(report.erpReceipts) receipts)")
            var table = [["problem", "receipt", "party", "hub", "ERP", "note"]]
            for line in report.lines {
                table.append([line.problem, line.receiptNumber ?? "-", line.party ?? "-", line.hubAmount?.plainString ?? "-", line.erpAmount?.plainString ?? "-",
                    line.note ?? ""])
            }
            printTable(table, right: 0)
            if resendMissing {
                let ids = report.lines.filter { $0.problem == "missing-in-erp" }.compactMap(\.paymentID)
                print("\(connector.name): \(try store.requeueERP(connector: connector.name, paymentIDs: ids, now: HubTime.nowMillis())) queued to send again")
            }
        }
        if differences { throw ExitCode(3) }
    }
}
