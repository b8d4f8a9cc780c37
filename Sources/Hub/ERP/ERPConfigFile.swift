import FieldPayCore
import Foundation

/// The accounting connectors this hub runs.
public struct ERPConfiguration: Sendable, Equatable {
    public var tally: TallySettings?
    public var zoho: ZohoSettings?
    public init() {}

    public static let connectorNames = ["tally", "zoho"]
    static let zohoSettings = [
        "api_base", "accounts_base", "organization_id", "client_id", "client_secret_file", "refresh_token_file", "upi_mode", "cash_mode", "cheque_mode",
        "deposit_account_id", "timeout_seconds", "requests_per_minute",
    ]
    static let tallySettings = ["url", "company", "upi_ledger", "cash_ledger", "cheque_ledger", "voucher_type", "timeout_seconds", "batch_size"]

    public var isEnabled: Bool { tally != nil || zoho != nil }

    /// The configured connectors. With the hub's data folder, Zoho's access token is kept there between runs.
    public func connectors(dataDirectory: String? = nil) -> [any ERPConnector] {
        var made: [any ERPConnector] = []
        if let tally { made.append(TallyConnector(settings: tally)) }
        if var zoho {
            if zoho.tokenFile == nil, let dataDirectory { zoho.tokenFile = (dataDirectory as NSString).appendingPathComponent("zoho-token") }
            made.append(ZohoBooksConnector(settings: zoho))
        }
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

    /// Reads `[erp.zoho]`:
    ///
    ///     [erp.zoho]
    ///     organization_id = "60012345678"
    ///     client_id = "1000.ABCDEF"                        # a Self Client of api-console.zoho.in
    ///     client_secret_file = "secrets/zoho-client-secret"  # or $FIELDPAY_ZOHO_CLIENT_SECRET
    ///     refresh_token_file = "secrets/zoho-refresh-token"  # scope ZohoBooks.fullaccess.all ($FIELDPAY_ZOHO_REFRESH_TOKEN)
    ///     api_base = "https://www.zohoapis.in/books/v3"    # India; .com, .eu, … elsewhere
    ///     accounts_base = "https://accounts.zoho.in"
    ///     upi_mode = "banktransfer"                        # Zoho's payment_mode per method
    ///     cash_mode = "cash"
    ///     cheque_mode = "check"
    ///     deposit_account_id = "460000000000358"           # where payments are deposited (Zoho's default if absent)
    ///     requests_per_minute = 100
    static func loadZoho(_ section: ConfigSection, environment: [String: String]) throws -> ZohoSettings {
        guard let organization = try section.string("organization_id") else { throw section.error("organization_id is missing: Settings → Organisation profile in Zoho Books") }
        guard let client = try section.string("client_id") else { throw section.error("client_id is missing: the client of api-console.zoho.in that made the refresh token") }
        let secret = try section.secret("client_secret", variable: "FIELDPAY_ZOHO_CLIENT_SECRET", environment: environment, required: true)!
        let refresh = try section.secret("refresh_token", variable: "FIELDPAY_ZOHO_REFRESH_TOKEN", environment: environment, required: true)!
        var settings = ZohoSettings(organizationID: organization, clientID: client, clientSecret: secret, refreshToken: refresh)
        if let base = try section.apiBase("api_base") { settings.apiBase = base }
        if let base = try section.apiBase("accounts_base") { settings.accountsBase = base }
        if let mode = try section.string("upi_mode") { settings.upiMode = mode }
        if let mode = try section.string("cash_mode") { settings.cashMode = mode }
        if let mode = try section.string("cheque_mode") { settings.chequeMode = mode }
        settings.depositAccountID = try section.string("deposit_account_id")
        if let seconds = try section.integer("timeout_seconds", 1...600) { settings.timeout = .seconds(seconds) }
        if let count = try section.integer("requests_per_minute", 1...1000) { settings.requestsPerMinute = count }
        return settings
    }
}
