import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation

struct FollowUpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "followup",
        abstract: "Record the next action on an invoice (or a customer) and any payment promised; `fieldpay sync` sends it to the hub.",
        discussion: """
            Examples:
              fieldpay followup --invoice INV/2026-27/004512 --visit 2026-12-02 --note "owner away till Wednesday"
              fieldpay followup --customer PUN-001 --call 2026-12-01 --promised 2026-12-05 --amount 5000
              fieldpay followup --list            # what this device recorded, and whether the hub has it

            Exit status: 0 recorded; 2 bad input (an invoice not in the cache, a date not like 2026-12-02); 6 the \
            database could not be used.
            """)

    @Option(help: "The invoice it is about.") var invoice: String?
    @Option(help: "The customer it is about (for all their invoices).") var customer: String?
    @Option(help: ArgumentHelp("Visit on this day (yyyy-mm-dd).", valueName: "date")) var visit: String?
    @Option(help: ArgumentHelp("Call on this day (yyyy-mm-dd).", valueName: "date")) var call: String?
    @Option(help: ArgumentHelp("The day the customer promised to pay.", valueName: "date")) var promised: String?
    @Option(help: ArgumentHelp("The amount promised, in rupees (default: all that is owed).", valueName: "rupees")) var amount: String?
    @Option(help: "A note for the rep and the manager (up to 500 characters).") var note: String?
    @Flag(help: "List the follow-ups recorded here instead.") var list = false
    @OptionGroup var device: DeviceOptions

    func validate() throws {
        if list { return }
        guard (visit == nil) != (call == nil) else { throw ValidationError("give one of --visit DATE or --call DATE") }
        guard (invoice == nil) != (customer == nil) else { throw ValidationError("give one of --invoice or --customer") }
        if amount != nil, promised == nil { throw ValidationError("--amount needs --promised DATE") }
    }

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        if list {
            let all = try store { () throws(StoreError) in try database.followUps() }
            for followUp in all {
                let d = followUp.draft
                emit(
                    [d.dueDate.isoString, d.action, d.invoiceNumber ?? "customer \(followUp.customerCode)",
                     d.promisedDate.map { "promised \($0.isoString)" + (d.promisedAmount.map { " " + $0.displayString } ?? "") } ?? "", d.note ?? "",
                     followUp.state + (followUp.lastError.map { " (\($0))" } ?? "")].joined(separator: "\t"))
            }
            emit("\(all.count) follow-up\(all.count == 1 ? "" : "s")")
            return
        }
        func day(_ text: String, _ option: String) throws -> LocalDate {
            guard let date = LocalDate(parsing: text), date.isoString == text else {
                printError("\(option) \(text) is not a date like 2026-12-02")
                throw ExitCode(ExitStatus.badInput)
            }
            return date
        }
        var money: Money?
        if let amount {
            guard let parsed = try? Money(parsing: amount), parsed.isPositive else {
                printError("--amount \(amount) is not an amount like 5000 or 5000.50")
                throw ExitCode(ExitStatus.badInput)
            }
            money = parsed
        }
        let draft = FollowUpDraft(
            invoiceNumber: invoice, customerCode: customer, action: visit != nil ? "visit" : "call", dueDate: try day(visit ?? call!, visit != nil ? "--visit" : "--call"),
            note: note, promisedDate: try promised.map { try day($0, "--promised") }, promisedAmount: money)
        do {
            let stored = try database.recordFollowUp(draft)
            emit("follow-up \(stored.id.uuidString.lowercased()): \(draft.action) \(stored.draft.invoiceNumber ?? "customer \(stored.customerCode)") on \(draft.dueDate.isoString); queued for the hub")
        } catch let error as FollowUpError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        } catch let error as StoreError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.storeFailed)
        }
    }
}
