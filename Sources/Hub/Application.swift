import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HubAPI
import NIOCore
import ServiceLifecycle

/// How a hub runs: where its data lives, where it listens, the PSP's webhook secret.
public struct HubConfiguration: Sendable {
    public var dataDirectory: String
    public var host = "127.0.0.1"
    public var port = 8080
    public var razorpayWebhookSecret: String
    public var logLevel: Logger.Level = .info
    /// Razorpay's REST API, for status polling; nil: no polling.
    public var razorpayAPI: RazorpayAPI?
    public var pollInterval: Duration = .seconds(300)
    /// How often an idle event stream gets a comment line.
    public var eventKeepAlive: Duration = .seconds(15)
    public var razorpay: RazorpayProvider { RazorpayProvider(secret: razorpayWebhookSecret) }
    /// Largest request body accepted (payments and webhooks are small).
    public var maximumBodyBytes = 256 * 1024

    public init(dataDirectory: String, razorpayWebhookSecret: String) {
        self.dataDirectory = dataDirectory
        self.razorpayWebhookSecret = razorpayWebhookSecret
    }

    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("hub.sqlite") }
}

/// Every error the hub answers, as RFC 9457 problem JSON.
struct ProblemError: HTTPResponseError {
    let status: HTTPResponse.Status
    let detail: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let problem = Problem(type: "about:blank", title: status.reasonPhrase, status: status.code, detail: detail)
        let data = try JSONEncoder().encode(problem)
        return Response(
            status: status, headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension ChangesPage: ResponseEncodable {}

/// The hub as a Hummingbird application: the device protocol, webhooks and health. Tested with
/// `app.test(.router)`; `fieldpay-hub serve` runs it.
public func buildApplication(_ configuration: HubConfiguration, store: HubStore) -> some ApplicationProtocol {
    let router = buildRouter(configuration, store: store, metrics: HubMetrics())
    var logger = Logger(label: "fieldpay-hub")
    logger.logLevel = configuration.logLevel
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fieldpay-hub"),
        logger: logger)
}

func body(_ request: Request, limit: Int) async throws -> Data {
    do {
        var buffer = try await request.body.collect(upTo: limit)
        return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
    } catch {
        throw ProblemError(status: .contentTooLarge, detail: "the request body is larger than \(limit) bytes")
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

func deviceID(_ request: Request, store: HubStore) throws -> String {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw ProblemError(status: .unauthorized, detail: "enroll the device first; requests need Authorization: Bearer <device_id>.<secret>")
    }
    switch try store.authenticate(String(header.dropFirst("Bearer ".count))) {
    case .device(let id): return id
    case .manager: throw ProblemError(status: .forbidden, detail: "a manager's token is for the reports; devices use their own token")
    case .unknown: throw ProblemError(status: .unauthorized, detail: "unknown device or wrong secret")
    case .revoked: throw ProblemError(status: .forbidden, detail: "this device was revoked at the hub; enroll it again")
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

public func buildRouter(_ configuration: HubConfiguration, store: HubStore, metrics: HubMetrics = HubMetrics()) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: UnexpectedErrorMiddleware())
    router.add(middleware: metrics)
    let limit = configuration.maximumBodyBytes

    router.get("/healthz") { _, _ in "ok\n" }

    router.post("/v1/devices/enroll") { request, _ -> Response in
        let enroll = try decode(EnrollRequest.self, try await body(request, limit: limit))
        switch try store.enroll(code: enroll.code, deviceName: enroll.deviceName, publicKey: enroll.publicKey) {
        case .enrolled(let response):
            return try json(response, status: .created)
        case .unknownCode: throw ProblemError(status: .forbidden, detail: "unknown enrollment code")
        case .used: throw ProblemError(status: .forbidden, detail: "this enrollment code was already used")
        case .expired: throw ProblemError(status: .forbidden, detail: "this enrollment code has expired; ask for a new one")
        case .invalidKey: throw ProblemError(status: .badRequest, detail: "public_key must be the device's 32-byte Ed25519 key in base64")
        }
    }

    router.get("/v1/invoices/changes") { request, context -> ChangesPage in
        let device = try deviceID(request, store: store)
        let cursorText = request.uri.queryParameters.get("cursor") ?? "0"
        guard let cursor = Int64(cursorText), cursor >= 0 else { throw ProblemError(status: .badRequest, detail: "cursor \(cursorText) is not one this hub gave") }
        let limitText = request.uri.queryParameters.get("limit") ?? "1000"
        guard let pageSize = Int(limitText), (1...10_000).contains(pageSize) else {
            throw ProblemError(status: .badRequest, detail: "limit must be 1 to 10000")
        }
        let scope = request.uri.queryParameters.get("scope") ?? "rep"
        guard ["rep", "region"].contains(scope) else {
            throw ProblemError(status: .badRequest, detail: "scope must be rep or region (the profile's [hub] scope)")
        }
        return try store.changes(after: cursor, limit: pageSize, deviceID: device, region: scope == "region")
    }

    router.put("/v1/payments/:uuid") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid")
        guard let uuid = UUID(uuidString: id) else { throw ProblemError(status: .badRequest, detail: "\(id) is not a UUID") }
        let data = try await body(request, limit: limit)
        let upload = try decode(PaymentUpload.self, data)
        switch try store.upload(paymentID: uuid.uuidString.lowercased(), deviceID: device, body: data, payment: upload) {
        case .created(let result): return try json(result, status: .created)
        case .repeated(let result): return try json(result, status: .ok)
        case .conflict(let detail): throw ProblemError(status: .conflict, detail: detail)
        case .invalid(let detail): throw ProblemError(status: .unprocessableContent, detail: detail)
        }
    }

    router.get("/v1/payments/:uuid") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid").lowercased()
        // A device sees its own payments only.
        guard let (status, utr) = try store.paymentStatus(id, deviceID: device) else {
            throw ProblemError(status: .notFound, detail: "no payment \(id) from this device at this hub")
        }
        struct Status: Encodable {
            let payment_id: String
            let status: String
            let utr: String?
        }
        return try json(Status(payment_id: id, status: status, utr: utr), status: .ok)
    }

    router.put("/v1/payments/:uuid/utr") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid").lowercased()
        let body = try decode(UTRBody.self, try await body(request, limit: limit))
        guard isUTR(body.utr) else {
            throw ProblemError(status: .unprocessableContent, detail: "a UTR is 12 digits")
        }
        switch try store.confirmUTR(paymentID: id, deviceID: device, utr: body.utr) {
        case .confirmed: return try json(PaymentResult(paymentID: id, status: "confirmed", flaggedForReview: false), status: .ok)
        case .notFound: throw ProblemError(status: .notFound, detail: "no payment \(id) from this device; upload it first")
        case .claimed(let detail): throw ProblemError(status: .conflict, detail: detail)
        }
    }

    let providers: [String: any PaymentProvider] = [configuration.razorpay.name: configuration.razorpay]
    router.post("/v1/webhooks/:provider") { request, context -> Response in
        let name = try context.parameters.require("provider")
        guard let provider = providers[name] else { throw ProblemError(status: .notFound, detail: "no payment provider \(name) at this hub") }
        let data = try await body(request, limit: limit)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let outcome = try store.receiveWebhook(provider, body: data, headers: HTTPFieldsView(headers))
        metrics.count("fieldpay_hub_webhooks_total", labels: ["provider": name, "outcome": outcome.rawValue])
        // Answer fast and 2xx for everything we stored, so the provider does not retry for a day; a bad
        // signature is a 401 (recorded all the same).
        if outcome == .badSignature { throw ProblemError(status: .unauthorized, detail: "the webhook signature does not match") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"outcome\":\"\(outcome.rawValue)\"}")))
    }

    // Confirmations as Server-Sent Events: what was missed since `since` (or Last-Event-ID) first, then live,
    // with a comment line every `keepAlive` so a dead connection is noticed.
    // The database is the only source of events: a credit published live is just a wake-up to read it, so
    // two credits committed close together are never delivered out of order or skipped, and credits matched by
    // another process (a statement import) reach the next reader all the same.
    router.get("/v1/events") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let token = String(request.headers[.authorization]?.dropFirst("Bearer ".count) ?? "")
        let sinceText = request.uri.queryParameters.get("since") ?? request.headers[HTTPField.Name("Last-Event-ID")!] ?? "0"
        guard let since = Int64(sinceText), since >= 0 else { throw ProblemError(status: .badRequest, detail: "since must be an event id this hub gave") }
        let keepAlive = configuration.eventKeepAlive
        guard request.headers[.accept]?.contains("text/event-stream") == true else {
            // Long-poll: the events since `since` as JSON, waiting up to `wait` seconds for one when there are none.
            let waitText = request.uri.queryParameters.get("wait") ?? "0"
            guard let wait = Int(waitText), (0...60).contains(wait) else { throw ProblemError(status: .badRequest, detail: "wait must be 0 to 60 seconds") }
            // Subscribed before reading, so a credit committed in between wakes the wait.
            let (subscription, live) = store.broadcaster.subscribe(deviceID: device)
            defer { store.broadcaster.unsubscribe(subscription) }
            var events = try store.events(deviceID: device, since: since, limit: 1000)
            if events.isEmpty && wait > 0 {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await _ in live { return }
                    }
                    group.addTask { try? await Task.sleep(for: .seconds(wait)) }
                    group.addTask {
                        // The hub is stopping: answer now rather than hold its shutdown for the rest of `wait`.
                        try? await gracefulShutdown()
                    }
                    await group.next()
                    group.cancelAll()
                }
                events = try store.events(deviceID: device, since: since, limit: 1000)
            }
            return try json(EventsPage(events: events, next: events.last?.id ?? since), status: .ok)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: .init { writer in
                let (subscription, live) = store.broadcaster.subscribe(deviceID: device)
                defer { store.broadcaster.unsubscribe(subscription) }
                var last = since
                // Everything after `last`, page by page, however much a device has missed.
                func catchUp() async throws {
                    while true {
                        let page = try store.events(deviceID: device, since: last, limit: 1000)
                        for event in page {
                            let data = try JSONEncoder().encode(event)
                            try await writer.write(
                                ByteBuffer(string: "id: \(event.id)\nevent: \(event.type)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                            last = event.id
                        }
                        if page.count < 1000 { return }
                    }
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                try await catchUp()
                // Wake-ups and keep-alives; the loop ends when the client goes away, the device is revoked, or
                // the hub stops.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (ticks, tick) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(8))
                    group.addTask {
                        for await _ in live { tick.yield(true) }
                        tick.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: keepAlive)
                            tick.yield(false)
                        }
                    }
                    group.addTask {
                        // The hub is stopping: end the stream (the device reconnects with Last-Event-ID).
                        try? await gracefulShutdown()
                        tick.finish()
                    }
                    for await wake in ticks {
                        if wake {
                            try await catchUp()
                        } else {
                            guard case .device = try store.authenticate(token) else { break }  // revoked since it connected
                            try await catchUp()  // what another process matched (a statement import)
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        }
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    addReportRoutes(to: router, store: store, bodyLimit: limit)

    router.get("/metrics") { _, _ -> Response in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: try metrics.render(store: store))))
    }
    return router
}
