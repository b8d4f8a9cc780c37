import ArgumentParser

@main
struct FieldPayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldpay",
        abstract: "Collect invoice payments on a Linux handheld or kiosk.",
        discussion: """
            FieldPay reads invoice barcodes and QR codes, finds the invoice, shows a UPI payment QR and \
            records the payment. Start with `fieldpay scan FILE` to decode the codes in an image.
            """,
        subcommands: [ScanCommand.self, DevicesCommand.self, BenchCommand.self]
    )
}

/// Exit statuses shared by every subcommand.
enum ExitStatus {
    static let found: Int32 = 0
    static let badInput: Int32 = 2
    static let deviceFailed: Int32 = 3
    static let nothingFound: Int32 = 4
}
