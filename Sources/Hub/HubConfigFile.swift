import Foundation
import TOMLKit

/// A hub configuration file (`fieldpay-hub serve --config hub.toml`) that cannot be used, with the file,
/// section and key at fault.
public struct HubConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension HubConfiguration {
    /// Reads `hub.toml`. Relative paths are relative to the file. Every key is optional:
    ///
    ///     [hub]
    ///     data = "hub-data"                  # the data folder (database)
    ///     host = "127.0.0.1"
    ///     port = 8080
    ///     max_body_kib = 256
    ///     event_keepalive_seconds = 15
    ///
    ///     [razorpay]
    ///     webhook_secret_file = "secrets/razorpay-webhook"   # else $FIELDPAY_RAZORPAY_SECRET
    ///     key_id = "rzp_live_…"                               # for status polling (hooks that never came)
    ///     key_secret_file = "secrets/razorpay-key"
    ///     api_base = "https://api.razorpay.com"
    ///     poll_seconds = 300                                  # 0: no polling
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HubConfiguration {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw HubConfigError(description: "cannot read the hub configuration \(path)")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw HubConfigError(description: "\(path): line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || folder.isEmpty ? file : (folder as NSString).appendingPathComponent(file)
        }
        func fail(_ section: String, _ key: String, _ expected: String) -> HubConfigError {
            HubConfigError(description: "\(path): [\(section)] \(key) must be \(expected)")
        }
        func section(_ name: String, _ known: [String]) throws -> TOMLTable? {
            guard let value = table[name] else { return nil }
            guard let inner = value.table else { throw HubConfigError(description: "\(path): \(name) must be a section, [\(name)]") }
            for key in inner.keys where !known.contains(key) {
                throw HubConfigError(description: "\(path): [\(name)] has no setting \"\(key)\" (known: \(known.joined(separator: ", ")))")
            }
            return inner
        }
        for key in table.keys where !["hub", "razorpay"].contains(key) {
            throw HubConfigError(description: "\(path): unknown section [\(key)] (known: hub, razorpay)")
        }
        func string(_ inner: TOMLTable, _ section: String, _ key: String) throws -> String? {
            guard let value = inner[key] else { return nil }
            guard let text = value.string, !text.isEmpty else { throw fail(section, key, "a non-empty string in quotes") }
            return text
        }
        func integer(_ inner: TOMLTable, _ section: String, _ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let value = inner[key] else { return nil }
            guard let number = value.int, range.contains(number) else { throw fail(section, key, "a whole number from \(range.lowerBound) to \(range.upperBound)") }
            return number
        }
        func secret(_ file: String, _ section: String, _ key: String) throws -> String {
            let resolved = resolve(file)
            guard let text = try? String(contentsOfFile: resolved, encoding: .utf8) else {
                throw HubConfigError(description: "\(path): [\(section)] \(key): cannot read \(resolved)")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw HubConfigError(description: "\(path): [\(section)] \(key): \(resolved) is empty") }
            return trimmed
        }

        // The data folder: the file's `data`, else $FIELDPAY_HUB_DATA, else hub-data beside the file (never the
        // working directory, which a service manager may set anywhere).
        let defaultData = environment["FIELDPAY_HUB_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? resolve("hub-data")
        var configuration = HubConfiguration(dataDirectory: defaultData, razorpayWebhookSecret: environment["FIELDPAY_RAZORPAY_SECRET"] ?? "")
        if let hub = try section("hub", ["data", "host", "port", "max_body_kib", "event_keepalive_seconds"]) {
            if let data = try string(hub, "hub", "data") { configuration.dataDirectory = resolve(data) }
            if let host = try string(hub, "hub", "host") { configuration.host = host }
            if let port = try integer(hub, "hub", "port", 1...65535) { configuration.port = port }
            if let kib = try integer(hub, "hub", "max_body_kib", 4...65536) { configuration.maximumBodyBytes = kib * 1024 }
            if let seconds = try integer(hub, "hub", "event_keepalive_seconds", 1...300) { configuration.eventKeepAlive = .seconds(seconds) }
        }
        if let razorpay = try section("razorpay", ["webhook_secret_file", "key_id", "key_secret_file", "api_base", "poll_seconds"]) {
            if let file = try string(razorpay, "razorpay", "webhook_secret_file") {
                configuration.razorpayWebhookSecret = try secret(file, "razorpay", "webhook_secret_file")
            }
            let keyID = try string(razorpay, "razorpay", "key_id")
            let keyFile = try string(razorpay, "razorpay", "key_secret_file")
            guard (keyID == nil) == (keyFile == nil) else {
                throw HubConfigError(description: "\(path): [razorpay] key_id and key_secret_file go together (both for status polling, or neither)")
            }
            if let keyID, let keyFile {
                var api = RazorpayAPI(keyID: keyID, keySecret: try secret(keyFile, "razorpay", "key_secret_file"))
                if let base = try string(razorpay, "razorpay", "api_base") {
                    guard let url = URL(string: base), ["http", "https"].contains(url.scheme ?? "") else { throw fail("razorpay", "api_base", "an http(s) URL") }
                    api.baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
                }
                configuration.razorpayAPI = api
            }
            if let seconds = try integer(razorpay, "razorpay", "poll_seconds", 0...86_400) { configuration.pollInterval = .seconds(seconds) }
        }
        return configuration
    }
}
