import AsyncHTTPClient
import FieldPayCore
import Foundation
import Logging
import NIOCore

/// Razorpay's REST API, for the credits whose webhook never came: "fetch all payments" between two times
/// (`GET /v1/payments?from&to&count&skip`, basic auth with the key id and secret). A captured UPI payment
/// becomes a credit; the QR's `tr` is read from the payment's notes (or its description).
public struct RazorpayAPI: Sendable {
    public var baseURL = "https://api.razorpay.com"
    public var keyID: String
    public var keySecret: String

    public init(keyID: String, keySecret: String) {
        self.keyID = keyID
        self.keySecret = keySecret
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Captured UPI payments created in [from, to], at most `pages` pages of 100.
    public func credits(from: Date, to: Date, pages: Int = 10, client: HTTPClient = .shared) async throws -> [CreditNotice] {
        var credits: [CreditNotice] = []
        for page in 0..<pages {
            var request = HTTPClientRequest(url: "\(baseURL)/v1/payments?from=\(Int(from.timeIntervalSince1970))&to=\(Int(to.timeIntervalSince1970))&count=100&skip=\(page * 100)")
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(keyID):\(keySecret)".utf8).base64EncodedString())
            let response = try await client.execute(request, timeout: .seconds(30))
            var body = try await response.body.collect(upTo: 16 << 20)
            let data = Data(body.readBytes(length: body.readableBytes) ?? [])
            guard response.status == .ok else {
                throw Failure(description: "Razorpay answered \(response.status.code): \(String(decoding: data.prefix(200), as: UTF8.self))")
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let items = object["items"] as? [[String: Any]] else {
                throw Failure(description: "Razorpay's payment list is not the expected JSON")
            }
            for item in items {
                guard item["status"] as? String == "captured", item["method"] as? String == "upi", let id = item["id"] as? String,
                    let amount = (item["amount"] as? NSNumber)?.int64Value, amount > 0
                else { continue }
                let utr = (item["acquirer_data"] as? [String: Any])?["rrn"] as? String
                let reference = ((item["notes"] as? [String: Any])?["tr"] as? String) ?? (item["description"] as? String).flatMap { text in
                    text.isEmpty || text.contains(" ") ? nil : text
                }
                credits.append(
                    CreditNotice(
                        provider: "razorpay", providerPaymentID: id, amount: Money(paise: amount), utr: utr.flatMap { isUTR($0) ? $0 : nil },
                        reference: reference, source: "polling"))
            }
            if items.count < 100 { break }
        }
        return credits
    }
}

/// Asks the PSP every `interval` for the last `window` of payments and puts each through the confirmation
/// state machine: a credit the webhook already brought is a no-op (same provider id), a missed one is
/// applied now. Runs until cancelled; a failed poll is logged and retried at the next tick.
public struct CreditPoller: Sendable {
    public let api: RazorpayAPI
    public let store: HubStore
    public var interval: Duration = .seconds(300)
    public var window: TimeInterval = 6 * 3600

    public init(api: RazorpayAPI, store: HubStore) {
        self.api = api
        self.store = store
    }

    /// One poll: returns how many credits were new to the hub.
    public func pollOnce(now: Date = Date()) async throws -> (seen: Int, applied: Int) {
        let credits = try await api.credits(from: now.addingTimeInterval(-window), to: now)
        var applied = 0
        for credit in credits {
            let outcome = try store.applyCredit(credit)
            if outcome != .duplicateCredit { applied += 1 }
        }
        return (credits.count, applied)
    }

    public func run(logger: Logger) async {
        while !Task.isCancelled {
            do {
                let (seen, applied) = try await pollOnce()
                if applied > 0 { logger.info("polled Razorpay: \(seen) UPI payments, \(applied) new to the hub") }
            } catch {
                logger.warning("polling Razorpay failed: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }
}
