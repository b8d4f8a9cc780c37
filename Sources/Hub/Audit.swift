import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Writes the audit log: every change a manager asks for, over the API (a manager's bearer token) or the
/// dashboard (a session cookie), and every dashboard sign-in, with who, what (method and path), which (the query),
/// the request's fields (secrets blanked), the source address and the answer's status. Reads are not logged.
struct AuditMiddleware<Store: DeviceRegistry & ManagerDirectory>: RouterMiddleware {
    typealias Context = HubRequestContext
    let store: Store
    let bodyLimit: Int

    /// Who the request is from, when it is a manager (or a sign-in, whose account is only a claim).
    func actor(_ request: Request) throws -> String? {
        if request.uri.path == "/manage/login" { return "sign-in" }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer mgr_") {
            let token = String(header.dropFirst("Bearer ".count))
            let id = String(token.prefix { $0 != "." }.prefix(40))
            guard case .manager = try store.authenticate(token), let account = try store.managerAccount(id) else { return id + " (not signed)" }
            return "\(account.id) (\(account.name), \(account.role.rawValue))"
        }
        for name in ["__Host-fp_session", "fp_session"] {
            if let cookie = request.cookies[name]?.value, !cookie.isEmpty, let account = try store.sessionManager(cookie) {
                return "\(account.id) (\(account.name), \(account.role.rawValue))"
            }
        }
        return nil
    }

    /// The request's fields with secrets blanked, for the log.
    static func detail(_ body: ByteBuffer, contentType: String?) -> String? {
        guard body.readableBytes > 0 else { return nil }
        let text = String(buffer: body)
        let secret: (String) -> Bool = { ["token", "password", "code", "secret"].contains($0.lowercased()) }
        if contentType?.hasPrefix("application/x-www-form-urlencoded") == true {
            return text.split(separator: "&").map { pair -> String in
                let parts = pair.split(separator: "=", maxSplits: 1)
                let key = String(parts.first ?? "")
                return secret(key.removingPercentEncoding ?? key) ? key + "=•••" : String(pair)
            }.joined(separator: "&").removingPercentEncoding.map { String($0.prefix(2000)) }
        }
        if var object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
            for key in object.keys where secret(key) { object[key] = "•••" }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) { return String(decoding: data.prefix(2000), as: UTF8.self) }
        }
        return String(text.prefix(2000))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, let actor = try actor(request) else { return try await next(request, context) }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: bodyLimit) } catch {
            throw ProblemError(status: .contentTooLarge, detail: "the request body is larger than \(bodyLimit) bytes")
        }
        var fields = Self.detail(body, contentType: request.headers[.contentType])
        let target = request.uri.query.map { request.uri.path + "?" + ($0.removingPercentEncoding ?? $0) } ?? request.uri.path
        let source = context.remoteAddress?.ipAddress
        func log(_ status: Int, who: String) {
            let entry = AuditEntry(
                actor: who, action: request.method.rawValue + " " + request.uri.path, target: target, detail: fields, source: source, outcome: String(status))
            do { try store.record(entry) } catch { context.logger.error("audit log: \(error)") }
        }
        do {
            let response = try await next(request, context)
            var who = actor
            if actor == "sign-in" {
                // The account named (the name, or the token's id), and whether it worked.
                who = "sign-in: " + (fields?.split(separator: "&").first { $0.hasPrefix("name=") }.map { String($0.dropFirst(5)) } ?? "token")
                let signedIn = response.headers[.location] == "/manage"
                fields = nil
                log(signedIn ? 200 : 401, who: who)
            } else {
                log(Int(response.status.code), who: who)
            }
            return response
        } catch let error as HTTPResponseError {
            log(Int(error.status.code), who: actor)
            throw error
        }
    }
}
