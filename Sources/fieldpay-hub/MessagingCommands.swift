import ArgumentParser
import FieldPayCore
import Foundation
import Hub
import HubAPI

/// `fieldpay-hub messages`: the customer message outbox.
struct HubMessages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages", abstract: "Receipts, reminders and statements sent to customers: list, show one, send one again.",
        discussion: """
            Messages are queued by the hub itself (a payment uploaded, a UPI payment confirmed, the collections \
            run) and sent by `fieldpay-hub serve` through [messaging.whatsapp] and [messaging.sms] in hub.toml.
            """,
        subcommands: [MessageList.self, MessageShow.self, MessageRetry.self], defaultSubcommand: MessageList.self)
}

struct MessageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Messages, newest first.")

    @Option(help: "Only messages in this state (queued, sending, sent, delivered, read, failed, unconfirmed, held, expired).") var state: String?
    @Option(help: "Only this customer's messages.") var customer: String?
    @Option(help: "At most this many.") var limit = 50
    @OptionGroup var options: HubOptions

    func validate() throws {
        if let state, MessageState(rawValue: state) == nil {
            throw ValidationError("--state must be one of \(MessageState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...5000).contains(limit) else { throw ValidationError("--limit must be from 1 to 5000") }
    }

    func run() throws {
        let messages = try options.store().messages(state: state, customer: customer, limit: limit)
        guard !messages.isEmpty else {
            print("no messages\(state.map { " \($0)" } ?? "")\(customer.map { " for \($0)" } ?? "")")
            return
        }
        var rows = [["id", "kind", "customer", "phone", "channel", "state", "tries", "why"]]
        for message in messages {
            rows.append([
                String(message.id), message.kind, message.customerCode, message.phone, message.channel, message.state, String(message.attempts),
                String((message.failure ?? "").prefix(70)),
            ])
        }
        printTable(rows, right: 0)
    }
}

struct MessageShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One message: its text and every attempt.")

    @Argument(help: "The message's id (from `messages list`).") var id: Int64
    @OptionGroup var options: HubOptions

    func run() throws {
        guard let message = try options.store().message(id) else { throw refusal("no message \(id) at this hub") }
        print("\(message.kind) \(message.key) to \(message.customerCode) (\(message.phone)) on \(message.channel): \(message.state)")
        if let failure = message.failure { print("why: \(failure)") }
        print("text: \(message.text)")
        for attempt in message.history {
            let time = Date(timeIntervalSince1970: Double(attempt.at) / 1000).ISO8601Format()
            print("  \(time)  \(attempt.channel)  \(attempt.outcome)\(attempt.providerId.map { "  \($0)" } ?? "")\(attempt.detail.map { "  \($0)" } ?? "")")
        }
    }
}

struct MessageRetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Send a failed, unconfirmed, held or expired message again (the running hub sends it).",
        discussion: "A held message (the customer opted out) is sent because a manager asked for it. An unconfirmed one may have reached the customer already: check with them first.")

    @Argument(help: "The message's id.") var id: Int64
    @OptionGroup var options: HubOptions

    func run() throws {
        switch try options.store().retryMessage(id, now: Date().millisecondsSince1970) {
        case .queued: print("message \(id) queued again")
        case .notFound: throw refusal("no message \(id) at this hub")
        case .refused(let state): throw refusal("message \(id) is \(state.rawValue): only failed, unconfirmed, held and expired messages are sent again")
        }
    }
}

/// `fieldpay-hub customers`: a customer's messaging settings.
struct HubCustomers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers", abstract: "Customers' messaging settings: language, channel, opt-out.",
        subcommands: [CustomerSet.self, CustomerShow.self, CustomerStatement.self])
}

struct CustomerShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A customer's phone, language, channel and opt-out.")

    @Argument(help: "The customer's code.") var code: String
    @OptionGroup var options: HubOptions

    func run() throws {
        guard let customer = try options.store().customerMessaging(code) else { throw refusal("no customer \(code) at this hub") }
        print(describe(customer))
    }
}

func describe(_ customer: CustomerMessaging) -> String {
    let optedOut = customer.optedOutAt.map { at in
        "opted out \(Date(timeIntervalSince1970: Double(at) / 1000).ISO8601Format()) by \(customer.optedOutBy ?? "?")"
    } ?? "not opted out"
    return "\(customer.code) \(customer.name): phone \(customer.phone ?? "none"), language \(customer.language), channel \(customer.channel ?? "the reminder policy's"), \(optedOut)"
}

struct CustomerSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a customer's language (en, hi), channel (whatsapp, sms) or opt-out.",
        discussion: "An opted-out customer gets no reminders or statements, and receipts only when a manager sends them (`messages retry`).")

    @Argument(help: "The customer's code.") var code: String
    @Option(help: "en or hi.") var language: String?
    @Option(help: "whatsapp or sms.") var channel: String?
    @Flag(help: "The customer asked for no messages.") var optOut = false
    @Flag(help: "The customer wants messages again.") var optIn = false
    @Option(help: "Who is making the change (recorded with an opt-out).") var by = "manager (fieldpay-hub)"
    @OptionGroup var options: HubOptions

    func validate() throws {
        if optOut && optIn { throw ValidationError("--opt-out and --opt-in together: choose one") }
        if language == nil && channel == nil && !optOut && !optIn { throw ValidationError("nothing to change: give --language, --channel, --opt-out or --opt-in") }
    }

    func run() throws {
        let request = CustomerMessagingRequest(language: language, channel: channel, optedOut: optOut ? true : (optIn ? false : nil))
        do {
            guard let customer = try options.store().setCustomerMessaging(code, request, actor: by, now: Date().millisecondsSince1970) else {
                throw refusal("no customer \(code) at this hub")
            }
            print(describe(customer))
        } catch let error as ReportInputError {
            throw refusal(error.message)
        }
    }
}

/// What the hub refuses, on standard error, with exit status 4 (as the other commands).
func refusal(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("fieldpay-hub: \(message)\n".utf8))
    return ExitCode(4)
}

struct CustomerStatement: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement", abstract: "A customer's statement of account: opening balance, invoices, payments, closing balance, aging.",
        discussion: """
            The period defaults to this financial year (1 April to today). --pdf writes it as a PDF; --send queues it \
            to the customer on their channel with a link to the page (the running hub sends it; at most two \
            reminders and statements a customer a day, none to a customer who opted out).
            """)

    @Argument(help: "The customer's code.") var code: String
    @Option(help: "First day, yyyy-mm-dd (default: 1 April of this financial year).") var from: String?
    @Option(help: "Last day, yyyy-mm-dd (default: today, India time).") var to: String?
    @Option(help: ArgumentHelp("Write the statement as a PDF to this file.", valueName: "file")) var pdf: String?
    @Flag(help: "Queue it to the customer (WhatsApp or SMS) with a link.") var send = false
    @OptionGroup var options: HubOptions

    func run() throws {
        let last = try parseDate(to, name: "--to", default: LocalDate.today())
        let first = try parseDate(from, name: "--from", default: AccountStatement.financialYearStart(last))
        guard first <= last else { throw ValidationError("--from is after --to") }
        let store = try options.store()
        let statement: AccountStatement
        do {
            guard let found = try store.statement(code, from: first, to: last) else { throw refusal("no customer \(code) at this hub") }
            statement = found
        } catch let error as ReportInputError {
            throw refusal(error.message)
        }
        printTable(statementRows(statement), right: 1)
        if let pdf {
            let bytes = OnePagePDF.statement(statement)
            guard FileManager.default.createFile(atPath: pdf, contents: Data(bytes)) else { throw refusal("cannot write \(pdf)") }
            print("wrote \(pdf) (\(bytes.count) bytes)")
        }
        guard send else { return }
        switch try store.queueStatement(code, from: first, to: last, now: Date().millisecondsSince1970) {
        case .queued(let token): print("statement queued to the customer; its link is /s/\(token) on the hub's public address")
        case .alreadyQueued(let token): print("this statement was already queued today (/s/\(token)): nothing more sent")
        case .noCustomer: throw refusal("no customer \(code) at this hub")
        case .noPhone: throw refusal("customer \(code) has no mobile number: import one with their invoices")
        case .optedOut: throw refusal("customer \(code) opted out of messages (fieldpay-hub customers set \(code) --opt-in to undo)")
        case .capped: throw refusal("customer \(code) already had their reminders and statements for today; send it tomorrow")
        }
    }
}

func statementRows(_ statement: AccountStatement) -> [[String]] {
    var rows: [[String]] = []
    rows.append(["\(statement.customerName) (\(statement.customerCode)), \(statement.from.isoString) to \(statement.to.isoString)", ""])
    rows.append(["opening balance", statement.opening.displayString])
    for line in statement.lines { rows.append(["\(line.day.isoString)  \(line.kind)  \(line.reference)", line.amount.displayString]) }
    rows.append(["closing balance", statement.closing.displayString])
    for (bucket, amount) in statement.aging { rows.append(["  " + AccountStatement.bucketLabel(bucket), amount.displayString]) }
    return rows
}
