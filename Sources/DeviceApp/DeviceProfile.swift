import FieldPayCore
import Foundation
import InvoiceCodes
import TOMLKit
import UPI

/// A device's settings, read from a TOML profile (`devices/demo.toml`, `/etc/fieldpay/device.toml`). Paths in
/// it are relative to the profile's folder. Every key has a default, so an empty profile is a working one.
public struct DeviceProfile: Sendable {
    /// Where the profile was read from; nil for the built-in defaults.
    public var source: String?
    /// Short code of this device: receipt numbers start with it.
    public var deviceCode = "DEV001"
    public var deviceName = "FieldPay device"
    /// The zone "today" is taken in, for due dates and aging.
    public var timeZone: TimeZone = .india
    /// The device database.
    public var databasePath: String
    public var payloadRules = PayloadRules()
    /// The distributor's UPI merchant details, for payment QRs; nil when the profile has no [upi] section.
    public var upi: UPISettings?
    /// The device's receipt-signing key; by default `device.key` next to the database.
    public var keyPath: String?
    /// What `fieldpay run` reads: [camera], [kiosk], [hub] and [demo].
    public var daemon = DaemonSettings()

    /// The hub this device enrolled with and its credentials (0600), beside the device key.
    public var credentialsPath: String {
        ((resolvedKeyPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("hub.json")
    }

    public var resolvedKeyPath: String {
        keyPath
            ?? ((databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("device.key")
    }

    /// Built-in defaults: the database under `$XDG_DATA_HOME/fieldpay` (or `~/.local/share/fieldpay`).
    public init() {
        databasePath = DeviceProfile.defaultDatabasePath()
    }

    public static func defaultDatabasePath(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let path = environment["FIELDPAY_DB"], !path.isEmpty { return path }
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? "/tmp") + "/.local/share")
        return base + "/fieldpay/device.sqlite"
    }

    /// Sections later parts of FieldPay read; accepted here so that one profile serves every version.
    static let reservedSections: Set<String> = ["sync", "log"]

    /// Reads and checks a profile. Unknown keys in known sections are errors (a typo must not pass silently).
    public static func load(path: String) throws(ProfileError) -> DeviceProfile {
        guard FileManager.default.fileExists(atPath: path) else { throw ProfileError(.notFound, path) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ProfileError(.unreadable, path)
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String) throws(ProfileError) -> DeviceProfile {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ProfileError(
                .syntax,
                "\(source): line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ProfileError(.syntax, "\(source): \(error)")
        }
        let folder = (source as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
        }
        var profile = DeviceProfile()
        profile.source = source
        let reader = TableReader(source: source, text: text)
        for key in table.keys {
            guard ["device", "store", "payloads", "upi", "receipts", "scanner", "camera", "kiosk", "hub", "demo"].contains(key) || reservedSections.contains(key)
            else {
                throw ProfileError(.badValue, "\(source): unknown section [\(key)]")
            }
        }
        if let device = try reader.table(table, "device") {
            try reader.only(device, "device", ["code", "name", "timezone"])
            if let code = try reader.string(device, "device", "code") {
                guard (2...16).contains(code.count),
                    code.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) })
                else {
                    throw ProfileError(
                        .badValue,
                        "\(source): [device] code must be 2 to 16 capital letters and digits, not \"\(code)\"")
                }
                profile.deviceCode = code
            }
            if let name = try reader.string(device, "device", "name") { profile.deviceName = name }
            if let zone = try reader.string(device, "device", "timezone") {
                guard let timeZone = TimeZone(identifier: zone) else {
                    throw ProfileError(
                        .badValue,
                        "\(source): [device] timezone \"\(zone)\" is not a time zone name such as Asia/Kolkata")
                }
                profile.timeZone = timeZone
            }
        }
        if let store = try reader.table(table, "store") {
            try reader.only(store, "store", ["path"])
            if let path = try reader.string(store, "store", "path") { profile.databasePath = resolve(path) }
        }
        if let payloads = try reader.table(table, "payloads") {
            try reader.only(
                payloads, "payloads", ["plain_numbers", "plain_regex", "url_parameters", "einvoice_keys", "pattern"])
            var rules = PayloadRules()
            if let value = try reader.bool(payloads, "payloads", "plain_numbers") { rules.plainNumbers = value }
            if let value = try reader.string(payloads, "payloads", "plain_regex") { rules.plainRegex = value }
            if let value = try reader.strings(payloads, "payloads", "url_parameters") { rules.urlParameters = value }
            for (index, item) in try reader.tables(payloads, "payloads", "pattern").enumerated() {
                let where_ = "[[payloads.pattern]] #\(index + 1)"
                try reader.only(item, where_, ["name", "regex"])
                guard let regex = try reader.string(item, where_, "regex") else {
                    throw ProfileError(.badValue, "\(source): \(where_) has no regex")
                }
                rules.patterns.append(
                    .init(name: try reader.string(item, where_, "name") ?? "pattern \(index + 1)", regex: regex))
            }
            for keyPath in try reader.strings(payloads, "payloads", "einvoice_keys") ?? [] {
                let resolved = resolve(keyPath)
                guard let data = FileManager.default.contents(atPath: resolved),
                    let pem = String(data: data, encoding: .utf8)
                else {
                    throw ProfileError(.badValue, "\(source): [payloads] einvoice_keys: cannot read \(resolved)")
                }
                do {
                    rules.eInvoiceKeys.append(
                        try EInvoiceKey(
                            name: ((keyPath as NSString).lastPathComponent as NSString).deletingPathExtension, pem: pem)
                    )
                } catch { throw ProfileError(.badValue, "\(source): \(error.message)") }
            }
            // Compile now, so that a broken pattern is reported when the profile is read, not at the first scan.
            do { _ = try InvoiceCodeParser(rules: rules) } catch {
                throw ProfileError(.badValue, "\(source): \(error.message)")
            }
            profile.payloadRules = rules
        }
        if let upi = try reader.table(table, "upi") {
            try reader.only(upi, "upi", ["vpa", "name", "merchant_code", "limit", "mode", "purpose", "allowed_payees"])
            guard let vpa = try reader.string(upi, "upi", "vpa"), VPA.isValid(vpa) else {
                throw ProfileError(
                    .badValue, "\(source): [upi] vpa must be the merchant's UPI address, like shop@okhdfcbank")
            }
            guard let name = try reader.string(upi, "upi", "name"), !name.isEmpty else {
                throw ProfileError(.badValue, "\(source): [upi] name must be the payee name payers see")
            }
            var settings = UPISettings(vpa: vpa, name: name)
            settings.merchantCode = try reader.string(upi, "upi", "merchant_code")
            if let text = try reader.string(upi, "upi", "limit") {
                guard let limit = try? Money(parsing: text), limit.isPositive else {
                    throw ProfileError(.badValue, "\(source): [upi] limit must be an amount like \"100000.00\"")
                }
                settings.limit = limit
            }
            for payee in try reader.strings(upi, "upi", "allowed_payees") ?? [] {
                guard VPA.isValid(payee) else {
                    throw ProfileError(.badValue, "\(reader.place("upi", "allowed_payees")): [upi] allowed_payees: \"\(payee)\" is not a UPI address, like shop@okhdfcbank")
                }
                settings.allowedPayees.append(payee)
            }
            settings.mode = try reader.string(upi, "upi", "mode")
            settings.purpose = try reader.string(upi, "upi", "purpose")
            do { try settings.request(amount: nil).validate() } catch {
                throw ProfileError(.badValue, "\(source): [upi] \(error.message)")
            }
            profile.upi = settings
        }
        if let receipts = try reader.table(table, "receipts") {
            try reader.only(receipts, "receipts", ["key"])
            if let key = try reader.string(receipts, "receipts", "key") { profile.keyPath = resolve(key) }
        }
        profile.daemon = try DaemonSettings.parse(table, reader: reader, resolve: resolve)
        return profile
    }
}

/// The merchant side of a UPI payment request.
public struct UPISettings: Sendable {
    public var vpa: String
    public var name: String
    public var merchantCode: String?
    /// The most one payment may be: UPI caps a transaction (₹1,00,000 for most merchants).
    public var limit = Money(rupees: 100_000)
    public var mode: String?
    public var purpose: String?
    /// Other UPI addresses an invoice may name as its payee (the merchant's own is always allowed).
    public var allowedPayees: [String] = []

    public init(vpa: String, name: String) {
        self.vpa = vpa
        self.name = name
    }

    /// Which payees an invoice may name.
    public var payees: PayeePolicy { PayeePolicy(merchant: vpa, allowed: allowedPayees) }

    func request(amount: Money?) -> UPIPaymentRequest {
        UPIPaymentRequest(
            payeeVPA: vpa, payeeName: name, merchantCode: merchantCode, amount: amount, mode: mode, purpose: purpose)
    }
}

/// Typed access to a TOML table with errors that name the key.
struct TableReader {
    let source: String
    var text = ""

    func fail(_ section: String, _ key: String, _ expected: String) -> ProfileError {
        ProfileError(.badValue, "\(place(section, key)): [\(section)] \(key) must be \(expected)")
    }

    /// `source:line` of `key` in `[section]` (found by reading the text: TOMLKit keeps no positions), or just
    /// `source` when it cannot be found.
    func place(_ section: String, _ key: String) -> String {
        var current = ""
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
                if let hash = current.firstIndex(of: "#") { current = String(current[..<hash]).trimmingCharacters(in: CharacterSet(charactersIn: "[] \t")) }
                continue
            }
            guard current == section.trimmingCharacters(in: CharacterSet(charactersIn: "[] #0123456789")) || current == section,
                let equals = line.firstIndex(of: "=")
            else { continue }
            let name = line[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: " \t\""))
            if name == key { return "\(source), line \(index + 1)" }
        }
        return source
    }

    func table(_ table: TOMLTable, _ key: String) throws(ProfileError) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else {
            throw ProfileError(.badValue, "\(source): \(key) must be a section [\(key)]")
        }
        return inner
    }

    func only(_ table: TOMLTable, _ section: String, _ known: Set<String>) throws(ProfileError) {
        for key in table.keys where !known.contains(key) {
            throw ProfileError(
                .badValue,
                "\(place(section, key)): [\(section)] has no setting \"\(key)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ table: TOMLTable, _ section: String, _ key: String) throws(ProfileError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw fail(section, key, "a string in quotes") }
        return text
    }

    func bool(_ table: TOMLTable, _ section: String, _ key: String) throws(ProfileError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw fail(section, key, "true or false") }
        return flag
    }

    func int(_ table: TOMLTable, _ section: String, _ key: String, in range: ClosedRange<Int>) throws(ProfileError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int, range.contains(number) else {
            throw fail(section, key, "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number (whole or not) in `range`.
    func number(_ table: TOMLTable, _ section: String, _ key: String, in range: ClosedRange<Double>) throws(ProfileError) -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init), range.contains(number) else {
            throw fail(section, key, "a number from \(String(format: "%g", range.lowerBound)) to \(String(format: "%g", range.upperBound))")
        }
        return number
    }

    func strings(_ table: TOMLTable, _ section: String, _ key: String) throws(ProfileError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw fail(section, key, "a list of strings, like [\"a\", \"b\"]") }
        var result: [String] = []
        for element in array {
            guard let text = element.string else { throw fail(section, key, "a list of strings, like [\"a\", \"b\"]") }
            result.append(text)
        }
        return result
    }

    func tables(_ table: TOMLTable, _ section: String, _ key: String) throws(ProfileError) -> [TOMLTable] {
        guard let value = table[key] else { return [] }
        guard let array = value.array else { throw fail(section, key, "a list of tables, [[\(section).\(key)]]") }
        var result: [TOMLTable] = []
        for element in array {
            guard let inner = element.table else { throw fail(section, key, "a list of tables, [[\(section).\(key)]]") }
            result.append(inner)
        }
        return result
    }
}

public enum ProfileErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case notFound = "profile.not-found"
        case unreadable = "profile.unreadable"
        case syntax = "profile.syntax"
        case badValue = "profile.bad-value"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        switch code {
        case .notFound: return "no device profile at \(detail)"
        case .unreadable: return "cannot read the device profile \(detail) (it must be UTF-8 text)"
        case .syntax: return "the device profile is not valid TOML: \(detail)"
        case .badValue: return detail
        }
    }
}

public typealias ProfileError = CodedError<ProfileErrors>
