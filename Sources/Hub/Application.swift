import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HubAPI
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import ServiceLifecycle

/// How a hub runs: where its data lives, where it listens, the payment providers it takes webhooks from.
public struct HubConfiguration: Sendable {
    public var dataDirectory: String
    public var host = "127.0.0.1"
    public var port = 8080
    public var logLevel: Logger.Level = .info
    /// The providers behind `POST /v1/webhooks/{name}` (and their pollers), from `[psp.NAME]` sections.
    public var providers: PaymentProviders
    /// How often an idle event stream gets a comment line.
    public var eventKeepAlive: Duration = .seconds(15)
    /// Largest request body accepted (payments and webhooks are small).
    public var maximumBodyBytes = 256 * 1024
    /// What a device's upload may be: recorded within a window around now, and at most a maximum amount.
    public var uploadLimits = UploadLimits()
    /// A signed webhook event older than this is a replay and is not applied (Razorpay retries for 24 hours).
    public var webhookReplayWindow: TimeInterval = 7 * 86_400
    /// The customer messaging channels (`[messaging]`); without a channel, messages wait in the outbox.
    public var messaging = MessagingConfiguration()
    /// `[erp.tally]` and the other accounting connectors: payments pushed, bills pulled.
    public var erp = ERPConfiguration()
    /// TLS (`[hub] tls_cert`, `tls_key`): with it the hub serves HTTPS only, and dashboard cookies are `Secure`.
    public var tls: TLSConfiguration?
    /// Plain HTTP on a non-loopback address (`[hub] allow_plaintext`): only behind a TLS proxy on this host.
    public var allowPlaintext = false
    /// The dashboard's cookie `Secure` with the `__Host-` prefix though the hub serves plain HTTP
    /// (`[hub] secure_cookies`: a TLS proxy in front). Always so under the hub's own TLS.
    public var secureCookies = false
    /// How long a connection may sit idle (`[hub] idle_timeout_seconds`); a request body has 30 s to arrive.
    public var idleTimeout: Duration = .seconds(75)
    /// The bearer token `/metrics` takes besides a manager's (`[hub] metrics_token_file`); without either, 401.
    public var metricsToken: String?
    /// How long `/metrics` reuses the book's gauges (they scan whole tables).
    public var metricsSnapshotMaxAge: Duration = .seconds(15)
    /// Event streams and long-polls one device may hold open at once.
    public var maximumStreamsPerDevice = 4
    /// Failed enrollments, token checks and sign-ins allowed per source address and per account in a minute.
    public var failureLimiter = FailureLimiter(limit: 10, window: .seconds(60))

    public init(dataDirectory: String, providers: PaymentProviders = []) {
        self.dataDirectory = dataDirectory
        self.providers = providers
    }

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("hub.sqlite") }
}

/// Every error the hub answers, as RFC 9457 problem JSON.
struct ProblemError: HTTPResponseError {
    let status: HTTPResponse.Status
    let detail: String
    /// More headers for the answer (`Retry-After` on a 429).
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let problem = Problem(type: "about:blank", title: status.reasonPhrase, status: status.code, detail: detail)
        let data = try JSONEncoder().encode(problem)
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A store's refusal in words that no route mapped itself (a report whose stored amounts cannot add up) is a
/// 422 with that sentence, never a bare 500.
extension ReportInputError: HTTPResponseError {
    public var status: HTTPResponse.Status { .unprocessableContent }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try ProblemError(status: status, detail: message).response(from: request, context: context)
    }
}

extension ChangesPage: ResponseEncodable {}

/// The hub as a Hummingbird application: the device protocol, webhooks and health. Tested with
/// `app.test(.router)`; `fieldpay-hub serve` runs it.
public func buildApplication(_ configuration: HubConfiguration, store: some HubStorage) -> some ApplicationProtocol {
    let router = buildRouter(configuration, store: store, metrics: HubMetrics(snapshotMaxAge: configuration.metricsSnapshotMaxAge))
    var logger = Logger(label: "fieldpay-hub")
    logger.logLevel = configuration.logLevel
    return Application(
        router: router, server: hubServer(configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fieldpay-hub"),
        logger: logger)
}

/// HTTP/1.1, over TLS when the configuration has it. An idle connection is closed (a client holding sockets open
/// cannot exhaust the hub); long-polls and event streams are requests in progress, not idle.
public func hubServer(_ configuration: HubConfiguration) -> HTTPServerBuilder {
    let http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000))
    guard let tls = configuration.tls else { return .http1(configuration: http1) }
    return HTTPServerBuilder { responder in try TLSChannel(HTTP1Channel(responder: responder, configuration: http1), tlsConfiguration: tls) }
}

/// How long any request body may take to arrive (a client trickling a body byte by byte holds a connection).
let bodyDeadline: Duration = .seconds(30)

func body(_ request: Request, limit: Int) async throws -> Data {
    let collect: @Sendable () async throws -> Data = {
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ProblemError(status: .contentTooLarge, detail: "the request body is larger than \(limit) bytes")
        }
    }
    return try await withThrowingTaskGroup(of: Data?.self) { group in
        group.addTask { try await collect() }
        group.addTask {
            try await Task.sleep(for: bodyDeadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let data = first else {
            throw ProblemError(status: .requestTimeout, detail: "the request body did not arrive within \(bodyDeadline.components.seconds) s")
        }
        return data
    }
}

func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
    do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
        throw ProblemError(status: .badRequest, detail: "the body is not a valid \(type): \(describe(error))")
    } catch {
        throw ProblemError(status: .badRequest, detail: "the body is not JSON")
    }
}

/// A decoding error in words a client can act on: which field, what was wrong.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "the body" : keys.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
        return "\(path(context) == "the body" ? "" : path(context) + ".")\(key.stringValue) is missing"
    case .typeMismatch(let type, let context): return "\(path(context)) should be \(type)"
    case .valueNotFound(let type, let context): return "\(path(context)) should be \(type), not null"
    case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not JSON" : "\(path(context)) is not valid"
    @unknown default: return "not valid"
    }
}

/// `/metrics` takes `Authorization: Bearer <metrics token>` (`[hub] metrics_token_file`) or a manager's token.
func metricsAccess(_ request: Request, token: String?, store: some DeviceRegistry & ManagerDirectory) throws {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw ProblemError(status: .unauthorized, detail: "/metrics needs Authorization: Bearer with the metrics token ([hub] metrics_token_file) or a manager's token")
    }
    let presented = String(header.dropFirst("Bearer ".count))
    if let token, constantTimeEqual(Array(presented.utf8), Array(token.utf8)) { return }
    guard case .manager(let id) = try store.authenticate(presented) else {
        throw ProblemError(status: .unauthorized, detail: "not the metrics token nor a manager's token")
    }
    // The book's totals cover every region.
    if try store.managerAccount(id)?.isRegionLimited != false {
        throw ProblemError(status: .forbidden, detail: "the metrics cover every region: not for an account limited to some")
    }
}

func deviceID(_ request: Request, store: some DeviceRegistry) throws -> String {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw ProblemError(status: .unauthorized, detail: "enroll the device first; requests need Authorization: Bearer <device_id>.<secret>")
    }
    switch try store.authenticate(String(header.dropFirst("Bearer ".count))) {
    case .device(let id): return id
    case .manager: throw ProblemError(status: .forbidden, detail: "a manager's token is for the reports; devices use their own token")
    case .unknown: throw ProblemError(status: .unauthorized, detail: "unknown device or wrong secret")
    case .revoked: throw ProblemError(status: .forbidden, detail: "this device was revoked at the hub; enroll it again")
    case .expired: throw ProblemError(status: .unauthorized, detail: "this token has expired")
    }
}

/// Anything the handlers did not expect becomes a logged 500 in problem JSON, not an empty answer.
struct UnexpectedErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let error as HTTPResponseError {
            throw error
        } catch {
            context.logger.error("unexpected error on \(request.method) \(request.uri.path): \(error)")
            throw ProblemError(status: .internalServerError, detail: "the hub could not handle this request; it has been logged")
        }
    }
}

public func buildRouter(_ configuration: HubConfiguration, store: some HubStorage, metrics: HubMetrics = HubMetrics()) -> Router<HubRequestContext> {
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: UnexpectedErrorMiddleware())
    router.add(middleware: metrics)
    router.add(middleware: FailureLimitMiddleware(limiter: configuration.failureLimiter))
    router.add(middleware: AuditMiddleware(store: store, bodyLimit: configuration.maximumBodyBytes))
    let limit = configuration.maximumBodyBytes

    router.get("/healthz") { _, _ in "ok\n" }

    router.addRoutes(deviceRoutes(configuration, store: store))
    router.addRoutes(webhookRoutes(configuration, store: store, metrics: metrics))
    router.addRoutes(eventRoutes(configuration, store: store))
    router.addRoutes(messagingRoutes(configuration, store: store, metrics: metrics))

    router.addRoutes(reportRoutes(store: store, bodyLimit: limit))
    router.addRoutes(assignmentRoutes(store: store, bodyLimit: limit))
    router.addRoutes(collectionRoutes(store: store, bodyLimit: limit))
    router.addRoutes(auditRoutes(store: store))
    router.addRoutes(dashboardRoutes(store: store, bodyLimit: limit, secureCookies: configuration.tls != nil || configuration.secureCookies, limiter: configuration.failureLimiter))

    // The book's totals are the business's: Prometheus sends the metrics token, a person a manager's token.
    router.get("/metrics") { request, _ -> Response in
        try metricsAccess(request, token: configuration.metricsToken, store: store)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: try metrics.render(store: store))))
    }
    return router
}
