import ArgumentParser

/// The `fieldpay` command tree. A library so that two binaries share it: `fieldpay` (the field build) and
/// `fieldpay-demo` (the same commands, plus the demo's embedded hub for a profile's `[demo]` section).
public struct FieldPayCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "fieldpay",
        abstract: "Collect invoice payments on a Linux handheld or kiosk.",
        discussion: """
            FieldPay reads invoice barcodes and QR codes, finds the invoice, shows a UPI payment QR and \
            records the payment. Start with `fieldpay invoices import FILE` to load invoices, then \
            `fieldpay scan --lookup PHOTO` or `fieldpay lookup PAYLOAD` to find one.
            """,
        subcommands: [
            RunCommand.self, ScanCommand.self, LookupCommand.self, InvoicesCommand.self, QRCommand.self, PayCommand.self,
            ReceiptsCommand.self, QueueCommand.self, FollowUpCommand.self, EnrollCommand.self, SyncCommand.self, DoctorCommand.self, DevicesCommand.self,
            LedgerTortureCommand.self,
        ]
    )
}

/// Exit statuses shared by every subcommand.
enum ExitStatus {
    static let found: Int32 = 0
    static let badInput: Int32 = 2
    static let deviceFailed: Int32 = 3
    static let nothingFound: Int32 = 4
    static let partlyDone: Int32 = 5
    static let storeFailed: Int32 = 6
}

/// Parses the process's arguments as `Root` and runs the chosen subcommand, awaiting it when it is async, as an
/// `@main` command would; for executables whose entry is a `main.swift` (they register add-ons first).
public func runMain<Root: ParsableCommand>(_ root: Root.Type) async {
    do {
        var command = try root.parseAsRoot()
        if var asynchronous = command as? any AsyncParsableCommand {
            try await asynchronous.run()
        } else {
            try command.run()
        }
    } catch {
        root.exit(withError: error)
    }
}
