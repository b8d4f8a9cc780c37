import ArgumentParser

@main
struct FieldPayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldpay",
        abstract: "Collect invoice payments on a Linux handheld or kiosk.",
        discussion: """
            FieldPay reads invoice barcodes and QR codes, finds the invoice, shows a UPI payment QR and \
            records the payment. Start with `fieldpay invoices import FILE` to load invoices, then \
            `fieldpay scan --lookup PHOTO` or `fieldpay lookup PAYLOAD` to find one.
            """,
        subcommands: [
            RunCommand.self, ScanCommand.self, LookupCommand.self, InvoicesCommand.self, QRCommand.self, PayCommand.self,
            ReceiptsCommand.self, QueueCommand.self, FollowUpCommand.self, EnrollCommand.self, SyncCommand.self, DoctorCommand.self, DevicesCommand.self, BenchCommand.self,
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
