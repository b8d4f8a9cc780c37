import ArgumentParser
import AsyncHTTPClient
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import Logging
import QRRender
#if canImport(Glibc)
    import Glibc
#endif
import NIOCore
import NIOSSL

@main
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldpay-hub",
        abstract: "The FieldPay hub: invoices down to devices, payments up, UPI credits confirmed.",
        subcommands: [
            Serve.self, HubInvoices.self, HubDevices.self, HubPayments.self, HubStatements.self, HubCredits.self, HubManagers.self, HubReports.self, HubCollections.self,
            HubMessages.self, HubCustomers.self, HubAudit.self, HubERP.self, FakePSP.self,
        ]
    )
}

struct HubOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The hub's data folder (database). Default: $FIELDPAY_HUB_DATA, else ./hub-data.", valueName: "dir"))
    var data: String?

    init() {}
    init(data: String) { self.data = data }

    var dataDirectory: String {
        data ?? ProcessInfo.processInfo.environment["FIELDPAY_HUB_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "hub-data"
    }

    func store() throws -> SQLiteHubStore {
        do { return try SQLiteHubStore(path: (dataDirectory as NSString).appendingPathComponent("hub.sqlite")) } catch {
            FileHandle.standardError.write(Data("fieldpay-hub: cannot open the hub database in \(dataDirectory): \(error)\n".utf8))
            throw ExitCode(6)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the hub (HTTP on 127.0.0.1:8080 by default, HTTPS with --tls-cert/--tls-key) until SIGTERM or Ctrl-C.",
        discussion: """
            Settings come from --config hub.toml (see hub.example.toml), then the options here. The Razorpay \
            webhook secret comes from the file's [psp.razorpay] webhook_secret_file, --razorpay-secret-file or \
            $FIELDPAY_RAZORPAY_SECRET; without one, webhooks are refused (recorded as bad signatures). With \
            [psp.razorpay] key_id and key_secret_file the hub also polls Razorpay for credits whose webhook never \
            came. With [messaging.whatsapp] or [messaging.sms] it sends customers their receipts and reminders. \
            The server, the pollers, the hourly collections run and the message sender stop together on SIGTERM \
            or Ctrl-C. Plain HTTP is served on a loopback address only: any other --host needs TLS ([hub] tls_cert \
            and tls_key, or --tls-cert and --tls-key), or --allow-plaintext behind a TLS proxy on the same host.
            """
    )

    @Option(help: ArgumentHelp("The hub's configuration file (TOML).", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("The hub's data folder. Default: the config's, $FIELDPAY_HUB_DATA, else ./hub-data.", valueName: "dir"))
    var data: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080).") var port: Int?
    @Option(help: ArgumentHelp("A file holding the Razorpay webhook secret.", valueName: "file")) var razorpaySecretFile: String?
    @Option(help: ArgumentHelp("Serve HTTPS with this certificate chain (PEM; the hub's certificate first).", valueName: "file"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("The private key of --tls-cert (PEM, readable by its owner only).", valueName: "file")) var tlsKey: String?
    @Flag(help: "Serve plain HTTP on a non-loopback address (only behind a TLS proxy on this host; tokens cross in clear otherwise).")
    var allowPlaintext = false

    func run() async throws {
        var configuration: HubConfiguration
        do {
            if let config {
                configuration = try HubConfiguration.load(path: config)
            } else {
                let environment = ProcessInfo.processInfo.environment
                let folder = environment["FIELDPAY_HUB_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "hub-data"
                configuration = HubConfiguration(dataDirectory: folder)
                for kind in PaymentProviders.kinds {
                    configuration.providers[kind.name] = try kind.configure(nil, environment: environment)
                }
            }
        } catch let error as HubConfigError {
            FileHandle.standardError.write(Data("fieldpay-hub: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        if let data { configuration.dataDirectory = data }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let razorpaySecretFile {
            guard let text = try? String(contentsOfFile: razorpaySecretFile, encoding: .utf8) else {
                throw ValidationError("cannot read \(razorpaySecretFile)")
            }
            let old = configuration.providers[RazorpayKind.name]
            configuration.providers[RazorpayKind.name] = .razorpay(
                webhookSecret: text.trimmingCharacters(in: .whitespacesAndNewlines), api: old?.poller as? RazorpayAPI,
                pollInterval: old?.pollInterval ?? .seconds(300))
        }
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case (let cert?, let key?):
            do { configuration.tls = try HubTransport.serverTLS(certificate: cert, key: key) } catch {
                FileHandle.standardError.write(Data("fieldpay-hub: \(error.description)\n".utf8))
                throw ExitCode(2)
            }
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
        if allowPlaintext { configuration.allowPlaintext = true }
        if let problem = configuration.servingProblem {
            FileHandle.standardError.write(Data("fieldpay-hub: \(problem)\n".utf8))
            throw ExitCode(2)
        }
        let store = try HubOptions(data: configuration.dataDirectory).store()
        var logger = Logger(label: "fieldpay-hub")
        logger.logLevel = configuration.logLevel
        if configuration.tls == nil, !HubTransport.isLoopback(host: configuration.host) {
            logger.warning(
                "serving PLAIN HTTP on \(configuration.host):\(configuration.port) (allow_plaintext): device and manager tokens cross the network in clear unless a TLS proxy on this host is in front")
        }
        try await HubServices.run(configuration, store: store, logger: logger)
    }
}

struct HubInvoices: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "invoices", abstract: "Load invoices for the devices.", subcommands: [HubImport.self, HubList.self, HubDelete.self, HubDigest.self])
}

struct HubImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import invoices (CSV or JSON, as `fieldpay invoices import` reads them).")

    @Argument var file: String
    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        let reader: InvoiceFileReader
        do { reader = try InvoiceFileReader(path: file) } catch {
            FileHandle.standardError.write(Data("fieldpay-hub: \(error.message) [\(error.codeString)]\n".utf8))
            throw ExitCode(2)
        }
        let (written, rejected) = try store.importInvoices(from: reader)
        for rejection in rejected.prefix(20) {
            print("line \(rejection.line)\(rejection.invoiceNumber.map { " (\($0))" } ?? ""): \(rejection.reason)")
        }
        print("\(file): \(written) invoices written, \(rejected.count) rejected")
        if !rejected.isEmpty { throw ExitCode(5) }
    }
}

struct HubList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The hub's live invoices with their outstanding, by number.",
        discussion: "Exit 0, or 4 when nothing matches.")

    @Option(help: "Only this invoice number.") var invoice: String?
    @Flag(help: "Only invoices with something outstanding.") var open = false
    @Option(help: "At most this many.") var limit = 200
    @OptionGroup var options: HubOptions

    func run() throws {
        let invoices = try options.store().invoices(number: invoice, openOnly: open, limit: limit)
        for row in invoices {
            print([row.number, row.customer, row.dueDate.indianString, row.total.displayString, row.outstanding.isPositive ? row.outstanding.displayString + " due" : "paid"].joined(separator: "\t"))
        }
        if invoices.isEmpty {
            FileHandle.standardError.write(Data("fieldpay-hub: no invoices match\n".utf8))
            throw ExitCode(4)
        }
    }
}

struct HubDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Withdraw invoices (cancelled, written off): devices drop them at their next sync.",
        discussion: "Exit 0 when every number was withdrawn, 4 when some were not live invoices at this hub.")

    @Argument(help: "Invoice numbers.") var numbers: [String]
    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        var missing: [String] = []
        for number in numbers where try !store.deleteInvoice(number) { missing.append(number) }
        print("\(numbers.count - missing.count) invoices withdrawn" + (missing.isEmpty ? "" : "; not live here: \(missing.joined(separator: ", "))"))
        if !missing.isEmpty { throw ExitCode(4) }
    }
}

struct HubDigest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest", abstract: "Print the count and SHA-256 digest of the live invoices, as `fieldpay invoices digest` does on a device.")

    @OptionGroup var options: HubOptions

    func run() throws {
        let (count, digest) = try options.store().invoiceDigest()
        print("\(count) invoices sha256:\(digest.hexString)")
    }
}

struct HubDevices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Enroll and revoke devices.", subcommands: [HubEnroll.self, HubRevoke.self])
}

struct HubEnroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll", abstract: "Print a one-time enrollment code for a rep's device (valid 72 hours).",
        discussion: """
            On a terminal the code is also drawn as a QR for a handheld to scan; --qr forces it, --no-qr leaves it out. \
            A rep new to the hub gets the scope "assigned" (their devices carry only the invoices allocated to them); \
            --scope sets the rep's scope as PUT /v1/reps/{name} does: "region" for their regions' customers, "all" for \
            the whole book (a depot kiosk).
            """)

    @Option(help: "The rep the device belongs to.") var rep: String
    @Option(help: "Hours the code stays valid.") var hours = 72
    @Option(help: ArgumentHelp("Set the rep's scope: assigned, region or all.", valueName: "scope")) var scope: String?
    @Flag(inversion: .prefixedNo, help: "Draw the code as a QR too.") var qr: Bool?
    @OptionGroup var options: HubOptions

    func validate() throws {
        if rep.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--rep must name the rep") }
        if !(1...24 * 30).contains(hours) { throw ValidationError("--hours must be 1 to 720") }
        if let scope, !["assigned", "region", "all"].contains(scope) { throw ValidationError("--scope must be assigned, region or all") }
    }

    func run() throws {
        let store = try options.store()
        let code = try store.createEnrollmentCode(rep: rep, hours: hours)
        if let scope { _ = try store.setRep(rep, RepSettings(scope: scope)) }
        auditCLI(store, "devices enroll", target: "a code for \(rep)" + (scope.map { ", scope \($0)" } ?? ""))
        print(code)
        if qr ?? (isatty(STDOUT_FILENO) == 1) {
            print(try QRCode(code).terminal())
            print("fieldpay enroll --hub URL --code \(code)    (for \(rep), valid \(hours) hours)")
        }
    }
}

struct HubPayments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments", abstract: "The payments devices uploaded; reverse one (a bounced cheque, a refund).",
        subcommands: [PaymentList.self, PaymentReverse.self], defaultSubcommand: PaymentList.self)
}

struct PaymentList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The payments devices uploaded, newest first, with their confirmation state.")

    @Option(help: "At most this many.") var limit = 50
    @OptionGroup var options: HubOptions

    func run() throws {
        let payments = try options.store().recentPayments(limit: limit)
        for p in payments {
            let state = p.status + (p.flagged ? " (flagged)" : "") + (p.reversedAt.map { ", reversed \(HubTime.day(ofMillis: $0).isoString)" } ?? "")
            print([p.receiptNumber, p.method, p.amount.displayString, state, p.utr.map { "UTR \($0)" } ?? "", p.rep].joined(separator: "\t"))
        }
        print("\(payments.count) payment\(payments.count == 1 ? "" : "s")")
    }
}

struct PaymentReverse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reverse", abstract: "Reverse a payment: a cheque that bounced, money refunded.",
        discussion: """
            The payment stays on record, marked reversed with the reason. The invoices it paid owe that money again \
            from now on (devices are sent them at their next sync; aging on earlier days still sees them paid), and \
            every accounting system it was sent to is queued its cancellation: Tally's voucher is cancelled, Zoho \
            Books' customer payment deleted; `fieldpay-hub erp status` shows them. A UPI payment still awaiting its \
            credit cannot be reversed: there is no money yet. Exit 4 when there is no such payment, 3 when it was \
            reversed already, 2 when it cannot be reversed.
            """)

    @Argument(help: ArgumentHelp("The payment's receipt number or its id.", valueName: "receipt")) var payment: String
    @Option(help: "Why: it is kept with the payment, in the audit log and in the books' narration.") var reason: String
    @OptionGroup var options: HubOptions

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why (a bounced cheque, a refund)") }
    }

    func run() throws {
        let store = try options.store()
        switch try store.reversePayment(payment, reason: reason, actor: "cli", now: HubTime.nowMillis()) {
        case .reversed(let reversal):
            auditCLI(store, "payments reverse", target: "\(reversal.receiptNumber): \(reversal.reason)")
            print("receipt \(reversal.receiptNumber) (\(reversal.method), \(reversal.amount.displayString), customer \(reversal.customerCode)) reversed: \(reversal.reason)")
            for part in reversal.invoices { print("  \(part.invoice) owes \(part.amount.displayString) again") }
            if reversal.invoices.isEmpty { print("  it was on account: no invoice owes more") }
            for books in reversal.books {
                print("  \(books.connector): " + (books.cancelQueued ? "cancellation queued (the running hub sends it; erp push sends it now)" : "never booked there, nothing to cancel"))
            }
        case .notFound:
            FileHandle.standardError.write(Data("fieldpay-hub: no payment with receipt number or id \(payment)\n".utf8))
            throw ExitCode(4)
        case .alreadyReversed(let receipt, let at):
            FileHandle.standardError.write(Data("fieldpay-hub: receipt \(receipt) was reversed already, on \(HubTime.day(ofMillis: at).isoString)\n".utf8))
            throw ExitCode(3)
        case .refused(let why):
            FileHandle.standardError.write(Data("fieldpay-hub: \(why)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct HubRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Refuse a device from now on.")

    @Argument var deviceID: String
    @OptionGroup var options: HubOptions

    func run() throws {
        let store = try options.store()
        guard try store.revoke(deviceID: deviceID) else {
            FileHandle.standardError.write(Data("fieldpay-hub: no device \(deviceID)\n".utf8))
            throw ExitCode(4)
        }
        auditCLI(store, "devices revoke", target: deviceID)
        print("\(deviceID) revoked")
    }
}

struct HubStatements: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statements", abstract: "Confirm UPI credits from bank statements.", subcommands: [HubStatementImport.self])
}

struct HubStatementImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Apply a bank statement's credit lines (CSV) to the payments and invoices they pay.",
        discussion: """
            Columns by their usual names: UTR/RRN/Ref No, Credit/Deposit/Amount, Narration/Description/Remarks, \
            and optionally tr (else found in the narration, as in UPI/412345678901/<tr>/payer@bank). Each line \
            is applied once (keyed by its UTR): importing a statement again changes nothing. Lines that match \
            nothing go to the reconciliation list (fieldpay-hub credits). Exit 0; 5 when some lines were refused.
            """)

    @Argument var file: String
    @Option(help: "The bank's name, kept with each credit.") var bank = "bank"
    @OptionGroup var options: HubOptions

    func run() throws {
        let result: StatementImport
        do { result = try options.store().importStatement(path: file, bank: bank) } catch let error as StatementError {
            FileHandle.standardError.write(Data("fieldpay-hub: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        for (line, reason) in result.rejected.prefix(20) { print("line \(line): \(reason)") }
        let outcomes = result.outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("\(file): \(result.lines) lines; \(outcomes.isEmpty ? "nothing applied" : outcomes); \(result.rejected.count) refused")
        if !result.rejected.isEmpty { throw ExitCode(5) }
    }
}

struct HubCredits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits", abstract: "The reconciliation list: credits that matched nothing, or repeated a UTR.")

    @OptionGroup var options: HubOptions

    func run() throws {
        let credits = try options.store().unreconciledCredits()
        for credit in credits {
            print("\(credit.state)\t\(credit.providerPaymentID)\t\(credit.amount.displayString)\tUTR \(credit.utr ?? "-")")
        }
        print("\(credits.count) credit\(credits.count == 1 ? "" : "s") to reconcile")
    }
}

/// A stand-in for the payment provider, for tests and the demo: sends a correctly signed Razorpay
/// `qr_code.credited` webhook to a hub.
struct FakePSP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-psp", abstract: "Send a signed Razorpay qr_code.credited webhook to a hub (tests, demo).")

    @Option(help: ArgumentHelp("The hub's address.", valueName: "url")) var hub = "http://127.0.0.1:8080"
    @Option(help: "The webhook secret; default $FIELDPAY_RAZORPAY_SECRET.") var secret: String?
    @Option(help: "The tr of the QR that was paid.") var tr: String
    @Option(help: "The amount credited, e.g. 15110.00.") var amount: String
    @Option(help: "The UTR (RRN) of the credit.") var utr = String(Int.random(in: 100_000_000_000...999_999_999_999))
    @Option(help: "Razorpay's payment id; repeat it to simulate a retried delivery.") var paymentID = "pay_" + UUID().uuidString.prefix(14).replacingOccurrences(of: "-", with: "")
    @Option(help: ArgumentHelp("Trust only these certificates (PEM) for an https hub: its private CA.", valueName: "file")) var caFile: String?

    func run() async throws {
        guard let paise = try? Money(parsing: amount), paise.isPositive else { throw ValidationError("--amount must be a positive amount") }
        let key = secret ?? ProcessInfo.processInfo.environment[RazorpayKind.secretEnvironment] ?? ""
        let body = Razorpay.creditEvent(paymentID: paymentID, amountPaise: paise.paise, utr: utr, reference: tr)
        let eventID = "evt_" + UUID().uuidString.prefix(14).replacingOccurrences(of: "-", with: "")
        var tls: TLSConfiguration?
        if let caFile {
            do {
                var trusting = TLSConfiguration.makeClientConfiguration()
                trusting.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                tls = trusting
            } catch { throw ValidationError("--ca-file \(caFile) is not a readable PEM certificate: \(error)") }
        }
        let response = try await Razorpay.deliver(body, to: hub, secret: key, eventID: eventID, tls: tls)
        print("hub answered \(response.status): \(response.body)")
        if response.status >= 300 { throw ExitCode(1) }
    }
}
