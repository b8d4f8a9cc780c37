import ArgumentParser
import DeviceApp
import DeviceStore
import FieldPayCore

/// For the crash test: checks the ledger's invariants, then records ₹1 cash payments in a loop and prints
/// `ACK <receipt> <payment-id>` after each is stored, until killed or --count is reached.
struct LedgerTortureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-torture", abstract: "Record payments in a loop for the crash test.", shouldDisplay: false)

    @Option var invoice: String
    @Option var count = 1_000_000
    @OptionGroup var device: DeviceOptions

    func run() throws {
        let profile = try device.loadProfile()
        let database = try device.openDatabase(profile)
        let counts = try store { () throws(StoreError) in try database.ledgerCounts() }
        guard counts.payments == counts.maxSequence, counts.distinctSequences == counts.payments,
            counts.paymentOutboxRows == counts.payments
        else {
            emit("CHECK FAIL payments=\(counts.payments) maxSequence=\(counts.maxSequence) distinct=\(counts.distinctSequences) outbox=\(counts.paymentOutboxRows)")
            throw ExitCode(3)
        }
        emit("CHECK ok payments=\(counts.payments)")
        let desk = PaymentDesk(profile: profile, database: database)
        for _ in 0..<count {
            let receipt = try desk.record(PaymentDraft(method: .cash, amount: Money(rupees: 1), invoiceNumbers: [invoice]))
            emit("ACK \(receipt.payment.receiptNumber) \(receipt.payment.id.uuidString.lowercased())")
        }
    }
}
