import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The hub's request context: Hummingbird's core, and the connection's remote address (what the failure limits
/// count by).
public struct HubRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

}

extension FailureLimiter {
    /// The keys a request's failures count against: its source address (unless loopback and `countLoopback` is
    /// off: a TLS proxy on this host makes every client 127.0.0.1, and one bad client must not lock out the rest;
    /// the proxy limits by address there) and the account it names.
    func keys(address: SocketAddress?, account: String?) -> [String] {
        var keys: [String] = []
        if let ip = address?.ipAddress, countLoopback || !HubTransport.isLoopback(host: ip) { keys.append("address:" + ip) }
        if let account { keys.append(account) }
        return keys
    }
}

/// Failed attempts to prove who one is (a wrong enrollment code, an unknown or wrong token, a wrong sign-in),
/// counted per source address and per account in a sliding window: at `limit`, further attempts from that
/// address or on that account are answered 429 with `Retry-After` until the oldest failure leaves the window.
/// In memory, per hub process; a flood of distinct keys is bounded by `capacity`.
public final class FailureLimiter: Sendable {
    public let limit: Int
    public let window: Duration
    let capacity: Int
    let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    /// Whether loopback sources are counted by address too (tests; a hub with no proxy in front).
    let countLoopback: Bool

    public init(limit: Int = 10, window: Duration = .seconds(60), capacity: Int = 100_000, countLoopback: Bool = false) {
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self.countLoopback = countLoopback
    }

    /// How long before `keys` may be tried again: nil when none of them is at the limit.
    public func retryAfter(_ keys: [String], now: ContinuousClock.Instant = .now) -> Duration? {
        failures.withLock { all in
            var wait: Duration?
            for key in keys {
                guard let times = all[key] else { continue }
                let live = times.filter { $0.duration(to: now) < window }
                all[key] = live.isEmpty ? nil : live
                if live.count >= limit, let oldest = live.first {
                    wait = max(wait ?? .zero, window - oldest.duration(to: now))
                }
            }
            return wait
        }
    }

    /// One failed attempt, counted against every key.
    public func fail(_ keys: [String], now: ContinuousClock.Instant = .now) {
        failures.withLock { all in
            if all.count + keys.count > capacity {
                all = all.filter { $0.value.last.map { $0.duration(to: now) < window } ?? false }
            }
            for key in keys where all[key] != nil || all.count < capacity {
                var times = all[key, default: []]
                times.append(now)
                if times.count > limit { times.removeFirst(times.count - limit) }
                all[key] = times
            }
        }
    }

    /// The 429 for a wait, in whole seconds (at least one).
    static func refusal(_ wait: Duration) -> ProblemError {
        let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
        return ProblemError(
            status: .tooManyRequests, detail: "too many failed attempts: try again in \(seconds) s", headers: [.retryAfter: String(seconds)])
    }
}

/// A route that checked who someone is and found them wrong names the account it was about in this header; the
/// middleware counts the failure and removes the header. (A 401 names its bearer token's account by itself.)
let failedAccountHeader = HTTPField.Name("X-FieldPay-Failed-Account")!

/// Counts failed proofs of identity by source address and account, and refuses an address or an account that
/// has failed too often. A bearer token's account is its id (`dev_…`, `mgr_…`); a 401 is a failed token.
struct FailureLimitMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let limiter: FailureLimiter

    static func tokenAccount(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        let id = header.dropFirst("Bearer ".count).prefix { $0 != "." }
        return id.isEmpty ? nil : "account:" + id.prefix(64)
    }

    /// Routes that check a bearer token: the device protocol, the managers' API and `/metrics` (not the webhooks,
    /// enrollment, the customers' receipt links, the dashboard or `/healthz`, which a stray header must not block).
    static func checksToken(_ path: String) -> Bool {
        if path == "/metrics" { return true }
        guard path.hasPrefix("/v1/") else { return false }
        return !path.hasPrefix("/v1/webhooks/") && !path.hasPrefix("/v1/messaging/") && path != "/v1/devices/enroll"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let account = Self.checksToken(request.uri.path) ? Self.tokenAccount(request) : nil
        let keys = limiter.keys(address: context.remoteAddress, account: account)
        if let wait = limiter.retryAfter(keys) { throw FailureLimiter.refusal(wait) }
        do {
            var response = try await next(request, context)
            if let named = response.headers[failedAccountHeader] {
                response.headers[failedAccountHeader] = nil
                limiter.fail(limiter.keys(address: context.remoteAddress, account: "account:" + named.prefix(64)))
            }
            return response
        } catch let error as HTTPResponseError where error.status == .unauthorized || (error.status == .forbidden && request.uri.path == "/v1/devices/enroll") {
            // A wrong token, or an enrollment code that is unknown, used or expired.
            limiter.fail(keys)
            throw error
        }
    }
}
