import AsyncHTTPClient
#if canImport(Glibc)
    import Glibc
#endif
import DeviceStore
import FieldPayCore
import Foundation
import HubAPI
import NIOCore
import NIOHTTP1
import NIOSSL

/// What a device keeps after enrolling: the hub and its credentials, in a 0600 file.
public struct HubCredentials: Codable, Sendable, Equatable {
    public var hubURL: String
    public var deviceID: String
    public var secret: String
    /// The certificates (PEM) this device trusts for its hub instead of the system's roots (`fieldpay enroll
    /// --ca-file`): a private CA, or the hub's own self-signed certificate. A hub whose certificate they did not
    /// issue is refused.
    public var trustedCertificates: String?

    public init(hubURL: String, deviceID: String, secret: String, trustedCertificates: String? = nil) {
        self.hubURL = hubURL
        self.deviceID = deviceID
        self.secret = secret
        self.trustedCertificates = trustedCertificates
    }

    /// A client for this hub with these credentials and trust.
    public func client() throws -> HubClient {
        try HubClient(baseURL: hubURL, token: "\(deviceID).\(secret)", trusting: trustedCertificates)
    }

    public static func load(path: String) throws -> HubCredentials? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try JSONDecoder().decode(HubCredentials.self, from: data)
    }

    public func save(path: String) throws {
        let data = try JSONEncoder().encode(self)
        // Private from the first byte, then renamed into place: never a half-written or readable secret.
        do { try PrivateFile.write(data, to: path) } catch { throw SyncError(message: error.description, refused: true) }
    }
}

public struct SyncError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The hub answered and refused (4xx): retrying will not help.
    public let refused: Bool
    public var description: String { message }

    public init(message: String, refused: Bool) {
        self.message = message
        self.refused = refused
    }
}

/// The device's side of the hub protocol (`Sources/HubAPI/openapi.yaml`), over AsyncHTTPClient.
public struct HubClient: Sendable {
    public let baseURL: String
    public let token: String?
    let client: HTTPClient
    /// TLS trusting only the enrolled certificates, when the device was given some.
    let tls: TLSConfiguration?

    /// The device's HTTP client: a connection the hub refuses fails the request at once (after at most 5 s to
    /// connect), instead of AsyncHTTPClient's default of retrying until the connect timeout: the sync loop
    /// does its own retrying with backoff, and the screen must say "offline" when the hub is down, not later.
    public static let deviceHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(baseURL: String, token: String? = nil, client: HTTPClient = HubClient.deviceHTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
        tls = nil
    }

    /// A client that trusts only `trusting` (PEM certificates) for the hub's TLS, or the system's roots when nil.
    public init(baseURL: String, token: String? = nil, trusting pem: String?, client: HTTPClient = HubClient.deviceHTTPClient) throws {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
        tls = try pem.map(HubClient.trustConfiguration)
    }

    /// TLS that trusts exactly these certificates (a private CA, or the hub's self-signed certificate), with the
    /// host name checked as usual.
    public static func trustConfiguration(_ pem: String) throws -> TLSConfiguration {
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)) } catch {
            throw SyncError(message: "the trusted certificates are not PEM certificates: \(error)", refused: true)
        }
        guard !certificates.isEmpty else { throw SyncError(message: "no certificate in the trusted certificates", refused: true) }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(certificates)
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// Why the device must not talk to a hub at `url`: tokens never cross a network in clear, so plain http is for
    /// a hub on this machine only (127.0.0.1, localhost, ::1).
    public static func addressProblem(_ url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host else {
            return "\(url) is not a hub address like https://hub.example.in"
        }
        if scheme == "https" { return nil }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let loopback = bare == "localhost" || bare == "::1" || (bare.hasPrefix("127.") && bare.split(separator: ".").count == 4)
        if scheme == "http" && loopback { return nil }
        return "refusing \(url): the hub must be reached over https:// (plain http only to a hub on this machine), so that this device's token never crosses the network in clear"
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, timeout: TimeAmount = .seconds(30)) async throws -> (status: Int, body: Data) {
        if let problem = HubClient.addressProblem(baseURL) { throw SyncError(message: problem, refused: true) }
        var request = HTTPClientRequest(url: baseURL + path)
        request.tlsConfiguration = tls
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do { response = try await client.execute(request, timeout: timeout) } catch {
            throw SyncError(message: "cannot reach the hub at \(baseURL): \(error)", refused: false)
        }
        var buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer.readBytes(length: buffer.readableBytes) ?? []))
    }

    static func problem(_ status: Int, _ body: Data) -> SyncError {
        let detail = (try? JSONDecoder().decode(Problem.self, from: body))?.detail ?? String(decoding: body.prefix(200), as: UTF8.self)
        return SyncError(message: "hub answered \(status): \(detail)", refused: (400..<500).contains(status))
    }

    /// Enrolls with a one-time code, sending the device's receipt key and its code, which the hub binds to it.
    public func enroll(code: String, deviceName: String, publicKey: String, deviceCode: String) async throws -> EnrollResponse {
        let request = EnrollRequest(code: code, deviceName: deviceName, publicKey: publicKey, deviceCode: deviceCode)
        let (status, body) = try await send(.POST, "/v1/devices/enroll", body: try JSONEncoder().encode(request))
        guard status == 201 else { throw HubClient.problem(status, body) }
        return try JSONDecoder().decode(EnrollResponse.self, from: body)
    }

    public func changes(after cursor: String, limit: Int, scope: String? = nil) async throws -> ChangesPage {
        let asked = scope.flatMap { $0 == "rep" ? nil : "&scope=\($0)" } ?? ""
        let (status, body) = try await send(.GET, "/v1/invoices/changes?cursor=\(cursor)&limit=\(limit)\(asked)")
        guard status == 200 else { throw HubClient.problem(status, body) }
        return try JSONDecoder().decode(ChangesPage.self, from: body)
    }

    /// The hub's view of a payment: its status and, once confirmed, the UTR.
    public func paymentStatus(_ id: UUID) async throws -> PaymentStatusResponse {
        let (status, body) = try await send(.GET, "/v1/payments/\(id.uuidString.lowercased())")
        guard status == 200 else { throw HubClient.problem(status, body) }
        return try JSONDecoder().decode(PaymentStatusResponse.self, from: body)
    }

    public func sendUTR(_ id: UUID, utr: String) async throws -> PaymentResult {
        let (status, body) = try await send(.PUT, "/v1/payments/\(id.uuidString.lowercased())/utr", body: try JSONEncoder().encode(UTRBody(utr: utr)))
        guard status == 200 else { throw HubClient.problem(status, body) }
        return try JSONDecoder().decode(PaymentResult.self, from: body)
    }

    /// Confirmations after event `since`, waiting up to `wait` seconds for one (the hub's long-poll).
    public func events(since: Int64, wait: Int) async throws -> EventsPage {
        let (status, body) = try await send(.GET, "/v1/events?since=\(since)&wait=\(wait)", timeout: .seconds(Int64(wait) + 30))
        guard status == 200 else { throw HubClient.problem(status, body) }
        return try JSONDecoder().decode(EventsPage.self, from: body)
    }

    /// A follow-up recorded on the device; the same id with the same body is answered the same.
    public func putFollowUp(_ id: UUID, _ followUp: FollowUpRequest) async throws {
        let (status, body) = try await send(.PUT, "/v1/followups/\(id.uuidString.lowercased())", body: try ReportCoding.encoder.encode(followUp))
        guard status == 200 || status == 201 else { throw HubClient.problem(status, body) }
    }

    public func upload(_ id: UUID, _ payment: PaymentUpload) async throws -> PaymentResult {
        let (status, body) = try await send(.PUT, "/v1/payments/\(id.uuidString.lowercased())", body: try JSONEncoder().encode(payment))
        guard status == 200 || status == 201 else { throw HubClient.problem(status, body) }
        return try JSONDecoder().decode(PaymentResult.self, from: body)
    }
}

/// Pull and push, one round. Either side may die at any point: the pull saves each page with its cursor,
/// and the push repeats uploads by UUID, which the hub answers the same.
public struct SyncService: Sendable {
    public let database: AppDatabase
    public let client: HubClient
    public var pageSize = 5000
    /// The profile's `[hub] scope`: nil or "rep", or "region" (the rep's whole region as well).
    public var scope: String?
    /// The payees an invoice from the hub may name (the profile's merchant and `[upi] allowed_payees`); an
    /// invoice naming another is refused: not cached (dropped if it was), and said in `Report.refusedPayees`.
    /// Nil: the device makes no QRs (no `[upi]`), so any payee is harmless.
    public var payees: PayeePolicy?

    public init(database: AppDatabase, client: HubClient) {
        self.database = database
        self.client = client
    }

    public struct Report: Sendable, Equatable {
        public var pulled = 0
        public var pages = 0
        public var uploaded = 0
        public var rejected = 0
        public var retrying = 0
        public var confirmed = 0
        /// Follow-ups sent.
        public var followUps = 0
        /// Invoices refused for a payee the profile does not allow, each in words.
        public var refusedPayees: [String] = []
        public init() {}
    }

    /// `beforeApplying` runs before each non-empty page of invoice changes is written, after it was fetched.
    public func runOnce(progress: (Int) -> Void = { _ in }, beforeApplying: (() async throws -> Void)? = nil) async throws -> Report {
        var report = Report()
        var pushError: SyncError?
        // Push first: what the rep collected matters more than what the hub changed.
        for (entry, receipt) in try database.uploadsDue() {
            do {
                let result =
                    entry.kind == "utr"
                    ? try await client.sendUTR(receipt.payment.id, utr: receipt.payment.utr ?? "")
                    : try await client.upload(receipt.payment.id, SyncService.upload(receipt))
                try database.markUpload(entry.id, state: .sent, hubStatus: result.status)
                report.uploaded += 1
            } catch let error as SyncError where error.refused {
                try database.markUpload(entry.id, state: .rejected, error: error.message)
                report.rejected += 1
            } catch let error as SyncError {
                // Keep going: one lost reply must not hold back the rest of the queue. Uploads are idempotent.
                try database.markUpload(entry.id, state: .retrying, error: error.message)
                report.retrying += 1
                pushError = pushError ?? error
            }
        }
        // Follow-ups the rep recorded: after the payments, with the same rules (refused: kept, marked).
        for followUp in try database.followUpsDue() {
            do {
                try await client.putFollowUp(followUp.id, SyncService.request(followUp))
                try database.markFollowUp(followUp.id, state: "sent")
                report.followUps += 1
            } catch let error as SyncError where error.refused {
                try database.markFollowUp(followUp.id, state: "rejected", error: error.message)
                report.rejected += 1
            } catch let error as SyncError {
                try database.markFollowUp(followUp.id, state: "retrying", error: error.message)
                report.retrying += 1
                pushError = pushError ?? error
            }
        }
        // UPI payments the hub has but had not confirmed: ask again (a PSP credit may have come since).
        for payment in try database.unconfirmedUploadedUPI() {
            let answer = try await client.paymentStatus(payment)
            if answer.status == .confirmed {
                try database.confirmFromHub(paymentID: payment, utr: answer.utr)
                report.confirmed += 1
            }
        }
        // The next page is fetched while this one is written: the hub encodes as the device commits.
        let client = self.client
        let size = pageSize
        let scope = self.scope
        try database.useFeedScope(scope ?? "rep")
        var page = try await client.changes(after: try database.syncCursor() ?? "0", limit: size, scope: scope)
        while true {
            try Task.checkCancellation()  // a cancelled round stops between pages (the page applied is whole)
            let cursor = page.nextCursor
            let next = page.more ? Task { try await client.changes(after: cursor, limit: size, scope: scope) } : nil
            do {
                if !page.changes.isEmpty { try await beforeApplying?() }
                var changes: [CacheChange] = []
                for change in page.changes {
                    guard let cached = SyncService.cacheChange(change) else { continue }
                    if case .upsert(let invoice, _) = cached, let refusal = payees?.refusal(invoice) {
                        report.refusedPayees.append(refusal)
                        changes.append(.delete(number: invoice.number))
                        continue
                    }
                    changes.append(cached)
                }
                try database.applyChanges(changes, cursor: page.nextCursor, reset: page.reset == true, complete: !page.more)
            } catch {
                next?.cancel()
                throw error
            }
            report.pulled += page.changes.count
            report.pages += 1
            progress(report.pulled)
            guard let next else { break }
            page = try await next.value
        }
        if let pushError { throw pushError }
        return report
    }

    /// Waits up to `wait` seconds for the hub's confirmations and applies them; returns how many there were,
    /// and whether one credited an invoice directly (then the caller pulls the change feed).
    public func listenOnce(wait: Int = 25) async throws -> (events: Int, invoiceCredited: Bool) {
        let events = try await listen(wait: wait)
        return (events.count, events.contains { $0.invoice != nil })
    }

    /// As `listenOnce`, returning the events applied. `handle` sees each event before the event cursor
    /// moves past it (the daemon hands credits for the QR on screen to its session there): until it has, a
    /// concurrent fetch from the cursor still gets the event.
    public func listen(wait: Int = 25, handle: ((HubEvent) async -> Void)? = nil) async throws -> [HubEvent] {
        let page = try await client.events(since: try database.eventCursor(), wait: wait)
        for event in page.events {
            await handle?(event)
            try database.applyHubEvent(id: event.id, paymentID: event.paymentID.flatMap(UUID.init(uuidString:)), utr: event.utr)
        }
        return page.events
    }

    static func request(_ followUp: StoredFollowUp) -> FollowUpRequest {
        let draft = followUp.draft
        return FollowUpRequest(
            customerCode: followUp.customerCode, invoice: draft.invoiceNumber, action: draft.action, dueDate: draft.dueDate.isoString, note: draft.note,
            promisedDate: draft.promisedDate?.isoString, promisedAmount: draft.promisedAmount?.plainString)
    }

    static func cacheChange(_ change: InvoiceChange) -> CacheChange? {
        if change.deleted { return .delete(number: change.number) }
        guard let code = change.customerCode, let invoiceDate = change.invoiceDate.flatMap({ LocalDate(parsing: $0) }),
            let dueDate = change.dueDate.flatMap({ LocalDate(parsing: $0) }),
            let total = change.total.flatMap({ try? Money(parsing: $0) }),
            let outstanding = change.outstanding.flatMap({ try? Money(parsing: $0) })
        else { return nil }
        let invoice = Invoice(
            number: change.number, customerCode: code, invoiceDate: invoiceDate, dueDate: dueDate, total: total,
            outstanding: outstanding, sellerGstin: change.sellerGstin.flatMap { try? GSTIN($0) },
            buyerGstin: change.buyerGstin.flatMap { try? GSTIN($0) }, irn: change.irn, payeeVPA: change.payeeVPA)
        return .upsert(invoice, Customer(code: code, name: change.customerName ?? code, gstin: invoice.buyerGstin))
    }

    static func upload(_ receipt: Receipt) -> PaymentUpload {
        let payment = receipt.payment
        var body = PaymentUpload(
            receiptNumber: payment.receiptNumber, method: payment.method.rawValue, amount: payment.amount.plainString,
            allocations: payment.allocations.map { AllocationBody(invoice: $0.invoiceNumber, amount: $0.amount.plainString) },
            advance: payment.advance.plainString, customerCode: payment.customerCode, recordedAtMillis: payment.recordedAtMillis,
            signature: Base64URL.encode(receipt.signature))
        body.utr = payment.utr
        body.chequeNumber = payment.chequeNumber
        body.bank = payment.bank
        body.chequeDate = payment.chequeDate?.isoString
        body.upiReference = payment.upiReference
        body.signedText = receipt.signedText
        return body
    }
}
