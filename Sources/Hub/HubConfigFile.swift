import Foundation
import HubAPI
import FieldPayCore
import TOMLKit

/// A hub configuration file (`fieldpay-hub serve --config hub.toml`) that cannot be used, with the file,
/// section and key at fault.
public struct HubConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// One section of `hub.toml`, with readers that name the file, section and key in their errors. Relative
/// paths are relative to the file.
public struct ConfigSection {
    let table: TOMLTable
    public let name: String
    let path: String
    let folder: String

    public func error(_ text: String) -> HubConfigError { HubConfigError(description: "\(path): [\(name)] \(text)") }

    public func fail(_ key: String, _ expected: String) -> HubConfigError { error("\(key) must be \(expected)") }

    public func string(_ key: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string, !text.isEmpty else { throw fail(key, "a non-empty string in quotes") }
        return text
    }

    public func integer(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int, range.contains(number) else { throw fail(key, "a whole number from \(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    /// An outside service's base URL: https (plain http only to this machine), without a trailing slash.
    public func apiBase(_ key: String) throws -> String? {
        guard let text = try string(key) else { return nil }
        if let problem = HubTransport.apiBaseProblem(text) { throw fail(key, problem) }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    public func resolve(_ file: String) -> String {
        file.hasPrefix("/") || folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file)
    }

    /// The trimmed contents of a secret file named by `key`; refused when others may read it.
    public func secret(_ file: String, key: String) throws -> String {
        let resolved = resolve(file)
        if let exposure = PrivateFile.exposure(of: resolved) { throw error("\(key): \(exposure)") }
        guard let text = try? String(contentsOfFile: resolved, encoding: .utf8) else { throw error("\(key): cannot read \(resolved)") }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw error("\(key): \(resolved) is empty") }
        return trimmed
    }
}

extension HubConfiguration {
    /// Reads `hub.toml`. Every key is optional:
    ///
    ///     [hub]
    ///     data = "hub-data"                  # the data folder (database)
    ///     host = "127.0.0.1"
    ///     port = 8080
    ///     max_body_kib = 256
    ///     event_keepalive_seconds = 15
    ///     upload_past_days = 400             # payments recorded up to this long ago are taken
    ///     upload_future_days = 1             # … and up to this far ahead of the hub's clock
    ///     max_payment = "10000000.00"        # the most one payment may be
    ///     max_advance = "100000.00"          # the most of it no invoice absorbs
    ///     tls_cert = "tls/hub.pem"           # serve HTTPS: the certificate chain, then its key (mode 0600)
    ///     tls_key = "tls/hub.key"
    ///     allow_plaintext = false            # plain HTTP on a non-loopback address (behind a TLS proxy only)
    ///     secure_cookies = false             # the dashboard cookie Secure anyway (a TLS proxy in front)
    ///     metrics_token_file = "secrets/metrics-token"   # the bearer token Prometheus sends to /metrics
    ///     idle_timeout_seconds = 75          # an idle connection is closed
    ///     auth_failure_limit = 10            # failed proofs of identity a minute per account and address, then 429
    ///
    ///     [messaging]                        # receipts and reminders to customers (see MessagingConfiguration.load)
    ///
    ///     [erp.tally]                        # payments to TallyPrime, bills from it (see ERPConfiguration.loadTally)
    ///
    ///     [psp.razorpay]                     # one section per payment provider (see RazorpayKind)
    ///     webhook_secret_file = "secrets/razorpay-webhook"
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HubConfiguration {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw HubConfigError(description: "cannot read the hub configuration \(path)")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw HubConfigError(description: "\(path): line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        func section(_ name: String, _ value: TOMLValueConvertible?, _ known: [String]) throws -> ConfigSection? {
            guard let value else { return nil }
            guard let inner = value.table else { throw HubConfigError(description: "\(path): \(name) must be a section, [\(name)]") }
            for key in inner.keys where !known.contains(key) {
                throw HubConfigError(description: "\(path): [\(name)] has no setting \"\(key)\" (known: \(known.joined(separator: ", ")))")
            }
            return ConfigSection(table: inner, name: name, path: path, folder: folder)
        }
        let kinds = PaymentProviders.kinds
        let legacy = kinds.map { $0.name }  // [razorpay], as hubs before [psp.NAME] wrote it
        for key in table.keys where !(["hub", "psp", "messaging", "erp"] + legacy).contains(key) {
            throw HubConfigError(
                description: "\(path): unknown section [\(key)] (known: hub, messaging, erp.tally, erp.zoho, \(kinds.map { "psp.\($0.name)" }.joined(separator: ", ")))")
        }
        let psp = table["psp"]
        if let psp {
            guard let providers = psp.table else { throw HubConfigError(description: "\(path): psp must hold sections, like [psp.razorpay]") }
            for name in providers.keys where !kinds.contains(where: { $0.name == name }) {
                throw HubConfigError(
                    description: "\(path): [psp.\(name)]: this hub knows no payment provider \"\(name)\" (known: \(kinds.map { $0.name }.joined(separator: ", ")))")
            }
        }

        // The data folder: the file's `data`, else $FIELDPAY_HUB_DATA, else hub-data beside the file (never the
        // working directory, which a service manager may set anywhere).
        let defaultData = environment["FIELDPAY_HUB_DATA"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (folder.isEmpty ? "hub-data" : (folder as NSString).appendingPathComponent("hub-data"))
        var configuration = HubConfiguration(dataDirectory: defaultData)
        if let hub = try section(
            "hub", table["hub"], ["data", "host", "port", "max_body_kib", "event_keepalive_seconds", "upload_past_days", "upload_future_days", "max_payment", "max_advance", "webhook_max_age_days", "tls_cert", "tls_key",
                "allow_plaintext", "metrics_token_file", "idle_timeout_seconds", "auth_failure_limit", "secure_cookies"])
        {
            if let data = try hub.string("data") { configuration.dataDirectory = hub.resolve(data) }
            if let host = try hub.string("host") { configuration.host = host }
            if let port = try hub.integer("port", 1...65535) { configuration.port = port }
            if let kib = try hub.integer("max_body_kib", 4...65536) { configuration.maximumBodyBytes = kib * 1024 }
            if let seconds = try hub.integer("event_keepalive_seconds", 1...300) { configuration.eventKeepAlive = .seconds(seconds) }
            switch (try hub.string("tls_cert"), try hub.string("tls_key")) {
            case (nil, nil): break
            case (let cert?, let key?):
                do { configuration.tls = try HubTransport.serverTLS(certificate: hub.resolve(cert), key: hub.resolve(key)) } catch {
                    throw hub.error(error.description)
                }
            default: throw hub.error("tls_cert and tls_key go together: the certificate chain (PEM) and its private key (PEM, mode 0600)")
            }
            if let plain = try hub.bool("allow_plaintext") { configuration.allowPlaintext = plain }
            if let secure = try hub.bool("secure_cookies") { configuration.secureCookies = secure }
            if let file = try hub.string("metrics_token_file") { configuration.metricsToken = try hub.secret(file, key: "metrics_token_file") }
            if let seconds = try hub.integer("idle_timeout_seconds", 5...3600) { configuration.idleTimeout = .seconds(seconds) }
            if let limit = try hub.integer("auth_failure_limit", 3...1_000_000) { configuration.failureLimiter = FailureLimiter(limit: limit) }
            if let days = try hub.integer("upload_past_days", 1...3650) { configuration.uploadLimits.pastDays = days }
            if let days = try hub.integer("upload_future_days", 0...30) { configuration.uploadLimits.futureDays = days }
            if let days = try hub.integer("webhook_max_age_days", 1...365) { configuration.webhookReplayWindow = TimeInterval(days) * 86_400 }
            if let text = try hub.string("max_payment") {
                guard let amount = wireMoney(text), amount.isPositive, amount <= Money(rupees: 1_000_000_000) else {
                    throw hub.fail("max_payment", "an amount like \"10000000.00\" (at most 1000000000.00)")
                }
                configuration.uploadLimits.maximumPayment = amount
            }
            if let text = try hub.string("max_advance") {
                guard let amount = wireMoney(text), amount <= Money(rupees: 1_000_000_000) else {
                    throw hub.fail("max_advance", "an amount like \"100000.00\" (0.00 takes no advance)")
                }
                configuration.uploadLimits.maximumAdvance = amount
            }
        }
        if let messaging = try section("messaging", table["messaging"], MessagingConfiguration.settings) {
            configuration.messaging = try MessagingConfiguration.load(messaging, environment: environment)
        }
        if let erp = table["erp"] {
            guard let connectors = erp.table else { throw HubConfigError(description: "\(path): erp must hold sections, like [erp.tally]") }
            for name in connectors.keys where !ERPConfiguration.connectorNames.contains(name) {
                throw HubConfigError(
                    description: "\(path): [erp.\(name)]: this hub has no connector \"\(name)\" (known: \(ERPConfiguration.connectorNames.joined(separator: ", ")))")
            }
            if let tally = try section("erp.tally", connectors["tally"], ERPConfiguration.tallySettings) {
                configuration.erp.tally = try ERPConfiguration.loadTally(tally)
            }
            if let zoho = try section("erp.zoho", connectors["zoho"], ERPConfiguration.zohoSettings) {
                configuration.erp.zoho = try ERPConfiguration.loadZoho(zoho, environment: environment)
            }
        }
        for kind in kinds {
            let modern = psp?.table?[kind.name]
            let old = table[kind.name]
            if modern != nil && old != nil {
                throw HubConfigError(description: "\(path): both [psp.\(kind.name)] and [\(kind.name)]: keep [psp.\(kind.name)] only")
            }
            let found =
                try section("psp.\(kind.name)", modern, kind.settings) ?? section(kind.name, old, kind.settings)
            configuration.providers[kind.name] = try kind.configure(found, environment: environment)
        }
        return configuration
    }
}
