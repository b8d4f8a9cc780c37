import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// How a hub runs: where its data lives, where it listens, the PSP's webhook secret.
public struct HubConfiguration: Sendable {
    public var dataDirectory: String
    public var host = "127.0.0.1"
    public var port = 8080
    public var razorpayWebhookSecret: String
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
    let router = buildRouter(configuration, store: store)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fieldpay-hub"))
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
    do { return try JSONDecoder().decode(type, from: data) } catch {
        throw ProblemError(status: .badRequest, detail: "the body is not a valid \(type): \(error)")
    }
}

func deviceID(_ request: Request, store: HubStore) throws -> String {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw ProblemError(status: .unauthorized, detail: "enroll the device first; requests need Authorization: Bearer <device_id>.<secret>")
    }
    switch try store.authenticate(String(header.dropFirst("Bearer ".count))) {
    case .device(let id): return id
    case .unknown: throw ProblemError(status: .unauthorized, detail: "unknown device or wrong secret")
    case .revoked: throw ProblemError(status: .forbidden, detail: "this device was revoked at the hub; enroll it again")
    }
}

public func buildRouter(_ configuration: HubConfiguration, store: HubStore) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let limit = configuration.maximumBodyBytes

    router.get("/healthz") { _, _ in "ok\n" }

    router.post("/v1/devices/enroll") { request, _ -> Response in
        let enroll = try decode(EnrollRequest.self, try await body(request, limit: limit))
        switch try store.enroll(code: enroll.code, deviceName: enroll.deviceName) {
        case .enrolled(let response):
            return try json(response, status: .created)
        case .unknownCode: throw ProblemError(status: .forbidden, detail: "unknown enrollment code")
        case .used: throw ProblemError(status: .forbidden, detail: "this enrollment code was already used")
        case .expired: throw ProblemError(status: .forbidden, detail: "this enrollment code has expired; ask for a new one")
        }
    }

    router.get("/v1/invoices/changes") { request, context -> ChangesPage in
        _ = try deviceID(request, store: store)
        let cursorText = request.uri.queryParameters.get("cursor") ?? "0"
        guard let cursor = Int64(cursorText), cursor >= 0 else { throw ProblemError(status: .badRequest, detail: "cursor \(cursorText) is not one this hub gave") }
        let limitText = request.uri.queryParameters.get("limit") ?? "1000"
        guard let pageSize = Int(limitText), (1...10_000).contains(pageSize) else {
            throw ProblemError(status: .badRequest, detail: "limit must be 1 to 10000")
        }
        return try store.changes(after: cursor, limit: pageSize)
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
        _ = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid").lowercased()
        guard let (status, utr) = try store.paymentStatus(id) else {
            throw ProblemError(status: .notFound, detail: "no payment \(id) at this hub")
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
        guard body.utr.count == 12, body.utr.allSatisfy(\.isNumber) else {
            throw ProblemError(status: .unprocessableContent, detail: "a UTR is 12 digits")
        }
        switch try store.confirmUTR(paymentID: id, deviceID: device, utr: body.utr) {
        case .confirmed: return try json(PaymentResult(paymentID: id, status: "confirmed", flaggedForReview: false), status: .ok)
        case .notFound: throw ProblemError(status: .notFound, detail: "no payment \(id) from this device; upload it first")
        case .claimed(let detail): throw ProblemError(status: .conflict, detail: detail)
        }
    }

    router.post("/v1/webhooks/razorpay") { request, _ -> Response in
        let data = try await body(request, limit: limit)
        let outcome = try store.receiveRazorpay(
            body: data, signature: request.headers[HTTPField.Name("X-Razorpay-Signature")!],
            eventID: request.headers[HTTPField.Name("x-razorpay-event-id")!], secret: configuration.razorpayWebhookSecret)
        // Answer fast and 2xx for everything we stored, so the provider does not retry for a day; a bad
        // signature is a 401 (recorded all the same).
        if outcome == .badSignature { throw ProblemError(status: .unauthorized, detail: "the webhook signature does not match") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"outcome\":\"\(outcome.rawValue)\"}")))
    }
    return router
}
