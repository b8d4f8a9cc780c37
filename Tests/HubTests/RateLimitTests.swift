import FieldPayCore
import Foundation
import HTTPTypes
import HubAPI
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hub

/// Failed proofs of identity are limited per account and per source address: guessing stops at ten a minute.
@Suite("Rate limits on enrollment, tokens and sign-in")
struct RateLimitTests {
    @Test("security: ten wrong secrets for one device id, then even the right one waits (429 with Retry-After); other devices are not held up")
    func perAccount() async throws {
        let hub = try TestHub()
        let token = try hub.enrolledToken()
        let other = try hub.enrolledToken(deviceCode: "DEMO01")
        let id = String(token.split(separator: ".")[0])
        try await hub.app.test(.router) { client in
            for n in 0..<10 {
                try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(id).wrong\(n)"]) {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .tooManyRequests)
                let wait = Int(response.headers[.retryAfter] ?? "") ?? 0
                #expect((1...60).contains(wait), "Retry-After \(wait)")
            }
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(other)"]) {
                #expect($0.status == .ok)
            }
            // Routes that check no token are not held up by a stray header naming the locked account.
            try await client.execute(uri: "/healthz", method: .get, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .ok) }
        }
    }

    @Test("security: ten wrong dashboard sign-ins for one manager, then the right token waits too")
    func signIn() async throws {
        let hub = try TestHub()
        let manager = try hub.store.addManager(name: "Asha")
        try await hub.app.test(.router) { client in
            func signIn(_ token: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/manage/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"],
                    body: ByteBuffer(string: "token=" + token))
            }
            for n in 0..<10 {
                let response = try await signIn("\(manager.id).guess\(n)")
                #expect(response.status == .seeOther && response.headers[.location]?.contains("error=") == true)
                #expect(response.headers[HTTPField.Name("X-FieldPay-Failed-Account")!] == nil)  // internal: never sent out
            }
            #expect(try await signIn(manager.token).status == .tooManyRequests)
        }
    }

    @Test("security: one address failing enrollment codes is held back, whatever it tries next")
    func perAddress() async throws {
        let hub = try TestHub()
        let token = try hub.enrolledToken()
        var configuration = hub.configuration
        configuration.failureLimiter = FailureLimiter(limit: 10, window: .seconds(60), countLoopback: true)
        configuration.port = 0
        let app = buildApplication(configuration, store: hub.store)
        try await app.test(.live) { client in
            let guess = EnrollRequest(code: "AAAA-BBBB-CCCC-DDDD", deviceName: "x", publicKey: testSigner.publicKeyBase64, deviceCode: "GUESS1")
            for _ in 0..<10 {
                try await client.execute(uri: "/v1/devices/enroll", method: .post, body: json(guess)) { #expect($0.status == .forbidden) }
            }
            try await client.execute(uri: "/v1/devices/enroll", method: .post, body: json(guess)) { #expect($0.status == .tooManyRequests) }
            try await client.execute(uri: "/v1/invoices/changes", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .tooManyRequests)
            }
        }
    }

    @Test("failures count by address only off loopback (a proxy on this host makes every client 127.0.0.1), and by account always")
    func keys() throws {
        let limiter = FailureLimiter(limit: 2, window: .seconds(60))
        let outside = try SocketAddress(ipAddress: "203.0.113.7", port: 4000)
        let local = try SocketAddress(ipAddress: "127.0.0.1", port: 4000)
        #expect(limiter.keys(address: outside, account: "account:dev_a") == ["address:203.0.113.7", "account:dev_a"])
        #expect(limiter.keys(address: local, account: "account:dev_a") == ["account:dev_a"])
        #expect(FailureLimiter(countLoopback: true).keys(address: local, account: nil) == ["address:127.0.0.1"])
        limiter.fail(limiter.keys(address: outside, account: "account:dev_a"))
        limiter.fail(limiter.keys(address: outside, account: "account:dev_b"))
        #expect(limiter.retryAfter(["address:203.0.113.7"]) != nil)
        #expect(limiter.retryAfter(["account:dev_a"]) == nil && limiter.retryAfter(["address:198.51.100.1"]) == nil)
    }
}
