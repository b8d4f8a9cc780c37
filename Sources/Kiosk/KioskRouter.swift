import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The kiosk's HTTP side, served on loopback to the Chromium on the same device:
/// - `GET /` the page, `/kiosk.js`, `/kiosk.css`;
/// - `GET /state` the current `KioskState` as JSON; `GET /events` the same as Server-Sent Events, one
///   `state` event per change, with a keep-alive comment every `keepAlive`;
/// - `POST /actions/cash|cheque|utr|amount|cancel` the rep's buttons (JSON bodies);
/// - `GET /metrics` Prometheus text; `GET /healthz`.
///
/// Actions are refused unless they are JSON from a page this daemon served: a page from elsewhere open in the
/// same browser cannot post a cash payment (a cross-origin JSON post needs a preflight that is never granted,
/// an `Origin` or `Host` that is not this loopback server is refused, and every action carries the per-boot
/// token that only this daemon's page holds).
public func buildKioskRouter(
    desk: Desk, metrics: DeviceMetrics, keepAlive: Duration = .seconds(15), actionToken: String = KioskActionToken.make(),
    gauges: @escaping @Sendable () -> [(String, [String: String], Double)] = { [] }
) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: KioskErrorMiddleware())
    router.add(middleware: LoopbackHostMiddleware())
    @Sendable func asset(_ text: String, _ type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    // The page carries this boot's action token; only a page this daemon served can read it (the Host check and
    // the same-origin policy keep it from other sites), and every action must send it back.
    let page = Page.html.replacingOccurrences(
        of: "<meta charset=\"utf-8\">", with: "<meta charset=\"utf-8\">\n<meta name=\"kiosk-token\" content=\"\(actionToken)\">")
    router.get("/") { _, _ in
        var response = asset(page, "text/html; charset=utf-8")
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
        return response
    }
    router.get("/kiosk.js") { _, _ in asset(Page.javascript, "text/javascript; charset=utf-8") }
    router.get("/kiosk.css") { _, _ in asset(Page.css, "text/css; charset=utf-8") }
    router.get("/healthz") { _, _ in asset("ok\n", "text/plain; charset=utf-8") }
    router.get("/state") { _, _ in try json(await desk.state()) }
    router.get("/metrics") { _, _ in
        asset(metrics.render(extra: gauges()), "text/plain; version=0.0.4; charset=utf-8")
    }
    router.get("/events") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: .init { writer in
                let (id, states) = await desk.subscribe()
                let encoder = JSONEncoder()
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (out, emit) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(4))
                    group.addTask {
                        for await state in states {
                            let data = try encoder.encode(state)
                            emit.yield(ByteBuffer(string: "id: \(state.version)\nevent: state\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                        }
                        emit.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: keepAlive)
                            emit.yield(ByteBuffer(string: ": keep-alive\n\n"))
                        }
                    }
                    group.addTask {
                        // The daemon is stopping: end the stream (the page reconnects to the next one).
                        try? await gracefulShutdown()
                        emit.finish()
                    }
                    defer { group.cancelAll() }
                    for await chunk in out { try await writer.write(chunk) }
                }
                await desk.unsubscribe(id)
                try await writer.finish(nil)
            })
    }
    router.post("/actions/:action") { request, context in
        try checkSameOrigin(request)
        try checkActionToken(request, actionToken)
        guard let action = context.parameters.get("action") else { throw HTTPError(.notFound) }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let fields: ActionBody
        do {
            fields = body.readableBytes == 0 ? ActionBody() : try JSONDecoder().decode(ActionBody.self, from: Data(buffer: body))
        } catch {
            throw KioskProblem(status: .badRequest, detail: "the body must be a JSON object of strings")
        }
        let kioskAction: KioskAction
        switch action {
        case "cash": kioskAction = .cash(amount: fields.amount)
        case "cheque":
            kioskAction = .cheque(amount: fields.amount, number: fields.number ?? "", bank: fields.bank ?? "", date: fields.date ?? "")
        case "utr": kioskAction = .utr(fields.utr ?? "")
        case "amount": kioskAction = .amount(fields.amount ?? "")
        case "cancel": kioskAction = .cancel
        default: throw KioskProblem(status: .notFound, detail: "no action \"\(action)\" (cash, cheque, utr, amount, cancel)")
        }
        if let refusal = await desk.act(kioskAction) {
            throw KioskProblem(status: .unprocessableContent, detail: refusal)
        }
        return try json(await desk.state())
    }
    return router
}

struct ActionBody: Decodable {
    var amount: String?
    var number: String?
    var bank: String?
    var date: String?
    var utr: String?
}

/// The token a kiosk page of this boot holds (`X-Kiosk-Token` on every action): 128 random bits, base64url.
public enum KioskActionToken {
    public static let header = HTTPField.Name("X-Kiosk-Token")!

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var words = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeBytes(of: &words) { Data($0).base64EncodedString() }
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// An action must carry this boot's token, compared in constant time.
func checkActionToken(_ request: Request, _ token: String) throws {
    let sent = Array((request.headers[KioskActionToken.header] ?? "").utf8)
    let expected = Array(token.utf8)
    var difference = UInt8(sent.count == expected.count ? 0 : 1)
    for (a, b) in zip(sent, expected) { difference |= a ^ b }
    guard difference == 0 else {
        throw KioskProblem(status: .forbidden, detail: "actions need the token of the page this daemon served: reload the page")
    }
}

/// Actions come from this server's own page only.
func checkSameOrigin(_ request: Request) throws {
    guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
        throw KioskProblem(status: .unsupportedMediaType, detail: "actions are JSON (Content-Type: application/json)")
    }
    let host = request.head.authority ?? ""
    guard isLoopback(host: host) else { throw KioskProblem(status: .forbidden, detail: "the kiosk answers to 127.0.0.1 only") }
    if let origin = request.headers[.origin], origin != "http://" + host {
        throw KioskProblem(status: .forbidden, detail: "actions are taken from the kiosk page only")
    }
}

/// A `Host` that names this loopback server (with any port).
func isLoopback(host: String) -> Bool {
    let name = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }.dropFirst()) : String(host.prefix { $0 != ":" })
    return ["127.0.0.1", "localhost", "::1"].contains(name)
}

/// Every route answers only to a loopback `Host`: a page on a hostile name that resolves to 127.0.0.1 (DNS
/// rebinding) cannot read the customer on screen from `/state` or `/events`, nor post an action.
struct LoopbackHostMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A browser always sends Host; a request without one cannot come from a page.
        if let host = request.head.authority, !isLoopback(host: host) {
            throw KioskProblem(status: .forbidden, detail: "the kiosk answers to 127.0.0.1 only")
        }
        return try await next(request, context)
    }
}

func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONEncoder().encode(value)
    return Response(
        status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A refusal, answered as problem JSON (`detail` is shown on the page).
struct KioskProblem: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let detail: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ["title": status.reasonPhrase, "status": String(status.code), "detail": detail]
        var response = try json(body, status: status)
        response.headers[.contentType] = "application/problem+json"
        return response
    }
}

/// Anything unexpected becomes a 500 problem that says so, instead of an empty reply.
struct KioskErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            throw KioskProblem(status: .internalServerError, detail: "the daemon failed: \(error)")
        }
    }
}
