import FieldPayCore
import Foundation

/// The accounting connectors this hub runs.
public struct ERPConfiguration: Sendable, Equatable {
    public var tally: TallySettings?
    public init() {}

    public static let connectorNames = ["tally"]
    static let tallySettings = ["url", "company", "upi_ledger", "cash_ledger", "cheque_ledger", "voucher_type", "timeout_seconds", "batch_size"]

    public var isEnabled: Bool { tally != nil }

    /// The configured connectors, each over `client`'s connections.
    public func connectors() -> [any ERPConnector] {
        var made: [any ERPConnector] = []
        if let tally { made.append(TallyConnector(settings: tally)) }
        return made
    }

    /// Reads `[erp.tally]`:
    ///
    ///     [erp.tally]
    ///     url = "http://127.0.0.1:9000"      # TallyPrime's HTTP server (plain HTTP: this machine, a LAN or a VPN)
    ///     company = "Sharma Distributors"    # exactly as Tally names it
    ///     upi_ledger = "HDFC Bank"           # the ledger debited for UPI payments
    ///     cash_ledger = "Cash"
    ///     cheque_ledger = "HDFC Bank"
    ///     voucher_type = "Receipt"
    ///     timeout_seconds = 30
    ///     batch_size = 25                    # vouchers per import request
    static func loadTally(_ section: ConfigSection) throws -> TallySettings {
        guard let company = try section.string("company") else { throw section.error("company is missing: the Tally company, exactly as Tally names it") }
        guard let upi = try section.string("upi_ledger") else { throw section.error("upi_ledger is missing: the bank ledger UPI payments reach") }
        guard let cheque = try section.string("cheque_ledger") else { throw section.error("cheque_ledger is missing: the bank ledger cheques are deposited in") }
        var settings = TallySettings(company: company, upiLedger: upi, chequeLedger: cheque)
        if let url = try section.string("url") {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil, parsed.query == nil else {
                throw section.fail("url", "Tally's HTTP server, like \"http://192.168.1.20:9000\"")
            }
            settings.url = url
        }
        if let cash = try section.string("cash_ledger") { settings.cashLedger = cash }
        if let type = try section.string("voucher_type") { settings.voucherType = type }
        if let seconds = try section.integer("timeout_seconds", 1...600) { settings.timeout = .seconds(seconds) }
        if let size = try section.integer("batch_size", 1...500) { settings.batchSize = size }
        return settings
    }
}
