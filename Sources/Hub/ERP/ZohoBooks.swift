import AsyncHTTPClient
import FieldPayCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// `[erp.zoho]`: Zoho Books API v3, India data centre by default.
public struct ZohoSettings: Sendable, Equatable {
    public var apiBase = "https://www.zohoapis.in/books/v3"
    public var accountsBase = "https://accounts.zoho.in"
    public var organizationID: String
    public var clientID: String
    public var clientSecret: String
    public var refreshToken: String
    /// Zoho's `payment_mode` for each method.
    public var upiMode = "banktransfer"
    public var cashMode = "cash"
    public var chequeMode = "check"
    /// The account payments are deposited to (`account_id`); Zoho's default when nil.
    public var depositAccountID: String?
    public var timeout: Duration = .seconds(30)
    /// Zoho's cap: 100 requests a minute per organisation.
    public var requestsPerMinute = 100
    public var perPage = 200
    /// Where the access token is kept between runs (mode 0600, in the hub's data folder): a hub restarted
    /// often must not spend Zoho's 10 new tokens in 10 minutes. Nil: in memory only.
    public var tokenFile: String?

    public init(organizationID: String, clientID: String, clientSecret: String, refreshToken: String) {
        self.organizationID = organizationID
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
    }

    public func mode(for method: String) -> String {
        switch method {
        case "upi": upiMode
        case "cheque": chequeMode
        default: cashMode
        }
    }
}

/// Zoho Books over its REST API. No idempotency key exists there: before creating a payment the connector looks
/// for one with its receipt number (`reference_number`) and our payment id in its description, so a reply lost
/// after Zoho made the payment never makes a second. One access token is shared by every call and renewed
/// before its hour ends, at most 10 times in 10 minutes (Zoho's limit); a 401 renews it once and tries again.
public final class ZohoBooksConnector: ERPConnector, Sendable {
    public let settings: ZohoSettings
    let client: HTTPClient
    public var name: String { "zoho" }
    public var batchSize: Int { 1 }
    /// A voucher's search, look-ups and create, each up to the timeout.
    public var claimLease: Duration { settings.timeout * 4 + .seconds(5) }

    struct Token {
        var value: String?
        var expiresAt: ContinuousClock.Instant = .now
        var refreshes: [ContinuousClock.Instant] = []
    }
    let token = Mutex(Token())
    /// One refresh at a time: callers that find the token stale wait for the same refresh.
    let refreshing = AsyncLock()
    let limiter: RequestLimiter
    /// Zoho's ids by invoice number and by contact name, learnt from its answers.
    let ids = Mutex<(invoices: [String: (id: String, customer: String)], contacts: [String: String])>(([:], [:]))

    public init(settings: ZohoSettings, client: HTTPClient = .shared) {
        self.settings = settings
        self.client = client
        limiter = RequestLimiter(perMinute: settings.requestsPerMinute)
    }

    // MARK: Token

    /// A token good for at least 5 more minutes.
    func accessToken(forceRefresh stale: String? = nil) async throws -> String {
        try await refreshing.run {
            var current = token.withLock { $0 }
            if current.value == nil, let saved = loadToken(), saved.value != stale {
                // The token an earlier run of this hub got, if it has more than 5 minutes left.
                current.value = saved.value
                current.expiresAt = saved.expiresAt
                token.withLock {
                    $0.value = saved.value
                    $0.expiresAt = saved.expiresAt
                }
            }
            if let value = current.value, value != stale, current.expiresAt > .now + .seconds(300) { return value }
            let now = ContinuousClock.now
            let recent = current.refreshes.filter { now - $0 < .seconds(600) }
            guard recent.count < 10 else {
                throw ZohoRetry("Zoho allows 10 access tokens in 10 minutes and this hub has had them: waiting", after: .seconds(60))
            }
            var request = HTTPClientRequest(url: settings.accountsBase + "/oauth/v2/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let form = [("refresh_token", settings.refreshToken), ("client_id", settings.clientID), ("client_secret", settings.clientSecret),
                ("grant_type", "refresh_token")].map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: form))
            let (status, body) = try await send(request, what: "Zoho's accounts server")
            let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            guard status == 200, let value = json["access_token"] as? String, !value.isEmpty else {
                let error = json["error"] as? String ?? "HTTP \(status)"
                if status == 429 || error.lowercased().contains("too many") || error == "Access Denied" {
                    throw ZohoRetry("Zoho refused a new access token for now: \(error)", after: .seconds(60))
                }
                // The hub's credentials, not a voucher's fault: every voucher waits (and says why) until they are fixed.
                throw ZohoRetry(
                    "Zoho would not renew the access token (\(error)): check [erp.zoho] client_id, the client secret and the refresh token",
                    after: .seconds(600))
            }
            let seconds = (json["expires_in"] as? Int) ?? 3600
            token.withLock {
                $0.value = value
                $0.expiresAt = now + .seconds(seconds)
                $0.refreshes = recent + [now]
            }
            saveToken(value, expiresAt: Date().addingTimeInterval(TimeInterval(seconds)))
            return value
        }
    }

    /// `expiry-epoch-seconds token` in `tokenFile`, converted to this process's clock.
    func loadToken() -> (value: String, expiresAt: ContinuousClock.Instant)? {
        guard let path = settings.tokenFile, PrivateFile.exposure(of: path) == nil,
            let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let epoch = Double(parts[0]), !parts[1].isEmpty else { return nil }
        let left = epoch - Date().timeIntervalSince1970
        guard left > 0 else { return nil }
        return (String(parts[1]), .now + .milliseconds(Int64(left * 1000)))
    }

    func saveToken(_ value: String, expiresAt: Date) {
        guard let path = settings.tokenFile else { return }
        let temporary = path + ".new"
        let text = "\(Int64(expiresAt.timeIntervalSince1970)) \(value)\n"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else { return }
        _ = rename(temporary, path)
    }

    // MARK: Requests

    func send(_ request: HTTPClientRequest, what: String) async throws -> (Int, Data) {
        do {
            let response = try await client.execute(request, timeout: settings.timeout.timeAmount)
            var buffer = try await response.body.collect(upTo: 64 << 20)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
            if response.status.code == 429 {
                throw ZohoRetry("\(what) is rate limiting this hub (HTTP 429)", after: .seconds(retryAfter ?? 60))
            }
            return (Int(response.status.code), buffer.readData(length: buffer.readableBytes) ?? Data())
        } catch let error as ZohoRetry { throw error } catch {
            throw ZohoRetry("\(what) is not answering at \(request.url) (\(error))", after: nil)
        }
    }

    /// A call to Books: `organization_id` on it, the shared token, one renewal on a 401. Returns the JSON body,
    /// whose `code` is 0 on success.
    func call(_ path: String, query: [(String, String)] = [], json body: String? = nil, method: HTTPMethod? = nil) async throws -> [String: Any] {
        var stale: String?
        for attempt in 0..<2 {
            let token = try await accessToken(forceRefresh: stale)
            await limiter.wait()
            let items = ([("organization_id", settings.organizationID)] + query).map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
            var request = HTTPClientRequest(url: settings.apiBase + path + "?" + items)
            request.method = method ?? (body == nil ? .GET : .POST)
            request.headers.add(name: "Authorization", value: "Zoho-oauthtoken \(token)")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let (status, data) = try await send(request, what: "Zoho Books")
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if status == 401, attempt == 0 {
                stale = token
                continue
            }
            guard let json else { throw ZohoRetry("Zoho Books answered HTTP \(status) with something that is not JSON", after: nil) }
            let code = (json["code"] as? Int) ?? -1
            if status == 401 { throw ERPError("Zoho Books refused this hub's token after renewing it (code \(code): \(json["message"] as? String ?? "")): check the client's scope (ZohoBooks.fullaccess.all)") }
            if status >= 500 { throw ZohoRetry("Zoho Books answered HTTP \(status): \(json["message"] as? String ?? "")", after: nil) }
            guard code == 0 else { throw ZohoRefusal(code: code, message: json["message"] as? String ?? "HTTP \(status)") }
            return json
        }
        throw ZohoRetry("Zoho Books refused the renewed token", after: nil)
    }

    // MARK: Push

    public func push(_ vouchers: [ERPVoucher]) async -> [ERPPushOutcome] {
        var outcomes: [ERPPushOutcome] = []
        for voucher in vouchers {
            do { outcomes.append(try await pushOne(voucher)) } catch let retry as ZohoRetry {
                outcomes.append(.retry(retry.reason, after: retry.after))
            } catch let refusal as ZohoRefusal {
                outcomes.append(.rejected("Zoho Books refused receipt \(voucher.receiptNumber): \(refusal.message) (code \(refusal.code))"))
            } catch {
                outcomes.append(.rejected("Zoho Books: receipt \(voucher.receiptNumber): \(error)"))
            }
        }
        return outcomes
    }

    /// The marker our description carries, so that the search finds our payment and reconcile its id.
    static func marker(_ paymentID: String) -> String { "FieldPay payment \(paymentID)" }

    /// Zoho's id of the customer payment this hub made for `voucher`, if Zoho holds one: by its receipt number,
    /// and our marker in its description.
    func findPayment(_ voucher: ERPVoucher) async throws -> String? {
        let found = try await call("/customerpayments", query: [("reference_number", voucher.receiptNumber)])
        for payment in found["customerpayments"] as? [[String: Any]] ?? [] {
            if (payment["description"] as? String ?? "").contains(Self.marker(voucher.paymentID)) {
                return payment["payment_id"] as? String ?? (payment["payment_id"] as? Int).map(String.init)
            }
        }
        return nil
    }

    func pushOne(_ voucher: ERPVoucher) async throws -> ERPPushOutcome {
        // A lost reply must not make a second payment: look first.
        if let id = try await findPayment(voucher) { return .accepted(reference: id, created: false) }
        var customer: String?
        var applied: [(String, Money)] = []
        for part in voucher.allocations {
            guard let invoice = try await invoice(part.invoice) else {
                throw ZohoRefusal(code: -1, message: "Zoho Books has no invoice \(part.invoice) in organisation \(settings.organizationID)")
            }
            if let customer, customer != invoice.customer {
                throw ZohoRefusal(code: -1, message: "invoice \(part.invoice) is another customer's in Zoho Books")
            }
            customer = invoice.customer
            applied.append((invoice.id, part.amount))
        }
        if customer == nil { customer = try await contact(voucher.ledger) }
        guard let customer else { throw ZohoRefusal(code: -1, message: "Zoho Books has no customer named '\(voucher.ledger)'") }
        var body = "{\"customer_id\":\(jsonString(customer)),\"payment_mode\":\(jsonString(settings.mode(for: voucher.method))),"
        body += "\"amount\":\(voucher.amount.plainString),\"date\":\(jsonString(voucher.date.isoString)),"
        body += "\"reference_number\":\(jsonString(voucher.receiptNumber)),"
        body += "\"description\":\(jsonString(Self.marker(voucher.paymentID) + ". " + voucher.narration)),"
        if let account = settings.depositAccountID { body += "\"account_id\":\(jsonString(account))," }
        body += "\"invoices\":[" + applied.map { "{\"invoice_id\":\(jsonString($0.0)),\"amount_applied\":\($0.1.plainString)}" }.joined(separator: ",") + "]}"
        let created = try await call("/customerpayments", json: body)
        let payment = created["payment"] as? [String: Any]
        return .accepted(reference: payment?["payment_id"] as? String, created: true)
    }

    func invoice(_ number: String) async throws -> (id: String, customer: String)? {
        if let known = ids.withLock({ $0.invoices[number] }) { return known }
        let json = try await call("/invoices", query: [("invoice_number", number)])
        for entry in json["invoices"] as? [[String: Any]] ?? [] where (entry["invoice_number"] as? String) == number {
            guard let id = entry["invoice_id"] as? String, let customer = entry["customer_id"] as? String else { continue }
            ids.withLock { $0.invoices[number] = (id, customer) }
            return (id, customer)
        }
        return nil
    }

    func contact(_ name: String) async throws -> String? {
        if let known = ids.withLock({ $0.contacts[name] }) { return known }
        let json = try await call("/contacts", query: [("contact_name", name)])
        let match = (json["contacts"] as? [[String: Any]] ?? []).first { ($0["contact_name"] as? String) == name }
        guard let id = match?["contact_id"] as? String else { return nil }
        ids.withLock { $0.contacts[name] = id }
        return id
    }

    // MARK: Pull and reconcile

    /// Every page of unpaid invoices (overdue and partly paid among them).
    // MARK: Cancel

    /// Deletes the customer payments made for reversed payments: Zoho Books has no cancelled state for a customer
    /// payment, and deleting one gives its amount back to the invoices it was applied to.
    public func cancel(_ vouchers: [ERPVoucher]) async -> [ERPPushOutcome] {
        var outcomes: [ERPPushOutcome] = []
        for voucher in vouchers {
            do { outcomes.append(try await cancelOne(voucher)) } catch let retry as ZohoRetry {
                outcomes.append(.retry(retry.reason, after: retry.after))
            } catch let refusal as ZohoRefusal {
                outcomes.append(.rejected("Zoho Books refused to delete the payment of reversed receipt \(voucher.receiptNumber): \(refusal.message) (code \(refusal.code))"))
            } catch {
                outcomes.append(.rejected("Zoho Books: deleting the payment of reversed receipt \(voucher.receiptNumber): \(error)"))
            }
        }
        return outcomes
    }

    func cancelOne(_ voucher: ERPVoucher) async throws -> ERPPushOutcome {
        let known = voucher.reference.flatMap { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } && !$0.isEmpty ? $0 : nil }
        var found = known
        if found == nil { found = try await findPayment(voucher) }
        guard let id = found else {
            return .accepted(reference: nil, created: false)  // Zoho holds no payment for it: nothing to undo
        }
        do { _ = try await call("/customerpayments/\(id)", method: .DELETE) } catch let refusal as ZohoRefusal {
            // Deleted already (by hand, or a reply lost after Zoho deleted it)? Then there is nothing left to undo.
            if try await findPayment(voucher) == nil { return .accepted(reference: id, created: false) }
            throw refusal
        }
        return .accepted(reference: id, created: false)
    }

    public func pullBills() async throws -> [ERPBill] {
        var bills: [ERPBill] = []
        var page = 1
        while true {
            let json = try await pages("/invoices", [("filter_by", "Status.Unpaid"), ("page", String(page)), ("per_page", String(settings.perPage))])
            for entry in json["invoices"] as? [[String: Any]] ?? [] {
                guard let number = entry["invoice_number"] as? String, let party = entry["customer_name"] as? String,
                    let date = (entry["date"] as? String).flatMap({ LocalDate(parsing: $0) }),
                    let balance = Self.money(entry["balance"])
                else { throw ERPError("Zoho Books sent an invoice without its number, customer, date or balance: \(entry["invoice_id"] ?? "?")") }
                let due = (entry["due_date"] as? String).flatMap { LocalDate(parsing: $0) } ?? date
                if let id = entry["invoice_id"] as? String, let customer = entry["customer_id"] as? String {
                    ids.withLock { $0.invoices[number] = (id, customer) }
                }
                bills.append(ERPBill(party: party, reference: number, date: date, dueDate: due, pending: balance))
            }
            let more = (json["page_context"] as? [String: Any])?["has_more_page"] as? Bool ?? false
            guard more else { return bills }
            page += 1
            guard page <= 100_000 else { throw ERPError("Zoho Books kept saying there are more pages after 100,000") }
        }
    }

    /// A list call whose rate limits are waited out here (a pull is not a voucher that can wait for the next round).
    func pages(_ path: String, _ query: [(String, String)]) async throws -> [String: Any] {
        for _ in 0..<10 {
            do { return try await call(path, query: query) } catch let retry as ZohoRetry {
                try await Task.sleep(for: retry.after ?? .seconds(2))
            } catch let refusal as ZohoRefusal {
                throw ERPError("Zoho Books refused \(path): \(refusal.message) (code \(refusal.code))")
            }
        }
        throw ERPError("Zoho Books kept refusing \(path) for now (rate limits or outages): try again later")
    }

    public func receipts(on day: LocalDate) async throws -> [ERPRecord] {
        var records: [ERPRecord] = []
        var page = 1
        while true {
            let json = try await pages(
                "/customerpayments", [("date", day.isoString), ("page", String(page)), ("per_page", String(settings.perPage))])
            for entry in json["customerpayments"] as? [[String: Any]] ?? [] where (entry["date"] as? String) == day.isoString {
                let description = entry["description"] as? String ?? ""
                let marker = description.range(of: "FieldPay payment ").map { String(description[$0.upperBound...].prefix(36)).lowercased() }
                guard let amount = Self.money(entry["amount"]) else { continue }
                records.append(
                    ERPRecord(paymentID: marker, number: entry["reference_number"] as? String, party: entry["customer_name"] as? String ?? "", amount: amount))
            }
            guard (json["page_context"] as? [String: Any])?["has_more_page"] as? Bool ?? false, page < 100_000 else { return records }
            page += 1
        }
    }

    /// A JSON amount (a number, or a string) exactly in paise: `NSNumber`'s decimal text, never a `Double` sum.
    static func money(_ value: Any?) -> Money? {
        switch value {
        case let text as String: return TallyXML.parseAmount(text)
        case let number as NSNumber:
            // Two decimals at most: 1180.5 is "1180.5" here; a binary fraction is rounded to the paisa it names.
            let text = number.decimalValue.description
            if let exact = TallyXML.parseAmount(text) { return exact }
            return TallyXML.parseAmount(String(format: "%.2f", number.doubleValue))
        default: return nil
        }
    }
}

/// Zoho said no for a reason a person must see (`code` ≠ 0).
struct ZohoRefusal: Error {
    let code: Int
    let message: String
}

/// Not now: a rate limit, an outage; `after` is how long Zoho asked to wait.
struct ZohoRetry: Error, CustomStringConvertible {
    let reason: String
    let after: Duration?
    init(_ reason: String, after: Duration?) {
        self.reason = reason
        self.after = after
    }
    var description: String { reason }
}

/// At most `perMinute` requests in any 60 seconds, from this process.
actor RequestLimiter {
    let perMinute: Int
    var sent: [ContinuousClock.Instant] = []
    init(perMinute: Int) { self.perMinute = perMinute }

    func wait() async {
        while true {
            let now = ContinuousClock.now
            sent.removeAll { now - $0 >= .seconds(60) }
            if sent.count < perMinute {
                sent.append(now)
                return
            }
            try? await Task.sleep(until: sent[0] + .seconds(60), clock: .continuous)
        }
    }
}

/// Runs one body at a time, in order of arrival.
actor AsyncLock {
    var busy = false
    var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy { await withCheckedContinuation { waiters.append($0) } } else { busy = true }
        defer {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}

/// `application/x-www-form-urlencoded` and query values: everything but unreserved characters escaped.
func formEncode(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
}
