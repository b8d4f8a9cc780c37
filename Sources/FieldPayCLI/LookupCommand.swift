import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Show the invoice a scanned code refers to, from the device's cache (no network).",
        discussion: """
            PAYLOAD is the text of a barcode or QR code: a plain invoice number, a link with an invoice \
            parameter, a GST e-invoice signed QR, a GS1 payment slip, or the distributor's own format from the \
            profile's [[payloads.pattern]]. Prints the customer, dates, days overdue, aging bucket, total and \
            outstanding.

            Exit status: 0 found; 4 an invoice code whose invoice is not in the cache; 2 not an invoice code, or \
            a broken or forged one; 6 the database could not be used.
            """
    )

    @Argument(help: "The scanned text.")
    var payload: String

    @Option(help: ArgumentHelp("The symbology it was read from (code128, qr, …); plain numbers count only from linear codes.", valueName: "name"))
    var symbology: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let lookup: InvoiceLookup
        do { lookup = try InvoiceLookup(profile: profile, database: database) } catch {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        }
        let outcome = try store { () throws(StoreError) in try lookup.lookup(payload, symbology: symbology, today: device.today(profile)) }
        if json {
            emit(InvoicePresenter.json(outcome))
        } else {
            InvoicePresenter.text(outcome).forEach(emit)
        }
        switch outcome {
        case .found: return
        case .notCached, .ambiguous: throw ExitCode(ExitStatus.nothingFound)
        case .rejected: throw ExitCode(ExitStatus.badInput)
        }
    }
}
