import AsyncHTTPClient
import Crypto
import FieldPayCore
import Foundation
import NIOSSL
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

/// Razorpay's webhook: `X-Razorpay-Signature` is the hex HMAC-SHA256 of the raw body with the webhook secret;
/// `x-razorpay-event-id` names the delivery; `qr_code.credited` and `payment.captured` carry the payment
/// (`payload.payment.entity`: id, amount in paise, `acquirer_data.rrn` as the UTR, notes).
public enum Razorpay {
    public static func signature(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.hexString
    }

    public static func verify(body: Data, signature: String, secret: String) -> Bool {
        constantTimeEqual(Array(Razorpay.signature(body: body, secret: secret).utf8), Array(signature.lowercased().utf8))
    }
}

/// Razorpay: `X-Razorpay-Signature` is the hex HMAC-SHA256 of the raw body with the webhook secret;
/// `x-razorpay-event-id` names the delivery; `qr_code.credited` and `payment.captured` carry the payment
/// (`payload.payment.entity`: id, amount in paise, `acquirer_data.rrn` as the UTR, notes), and the QR's
/// notes carry our `tr`.
public struct RazorpayProvider: PaymentProvider {
    public let secret: String
    public var name: String { "razorpay" }

    public init(secret: String) { self.secret = secret }

    public func verify(body: Data, headers: HTTPFieldsView) -> Bool {
        guard !secret.isEmpty, let signature = headers["X-Razorpay-Signature"] else { return false }
        return Razorpay.verify(body: body, signature: signature, secret: secret)
    }

    public func deliveryID(headers: HTTPFieldsView) -> String? { headers["x-razorpay-event-id"] }

    /// The event's `created_at` (Unix seconds), inside the signed body.
    public func createdAt(body: Data) -> Date? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let seconds = (object["created_at"] as? NSNumber)?.doubleValue, seconds.isFinite
        else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    public func parse(body: Data) -> WebhookContent {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let event = object["event"] as? String else {
            return .malformed
        }
        guard event == "qr_code.credited" || event == "payment.captured" else { return .ignored }
        let payload = object["payload"] as? [String: Any]
        guard let payment = (payload?["payment"] as? [String: Any])?["entity"] as? [String: Any],
            let providerID = payment["id"] as? String, let amount = (payment["amount"] as? NSNumber)?.int64Value, amount > 0
        else { return .malformed }
        let utr = (payment["acquirer_data"] as? [String: Any])?["rrn"] as? String
        let qrNotes = ((payload?["qr_code"] as? [String: Any])?["entity"] as? [String: Any])?["notes"] as? [String: Any]
        let reference = (qrNotes?["tr"] as? String) ?? ((payment["notes"] as? [String: Any])?["tr"] as? String)
        return .credit(
            CreditNotice(
                provider: name, providerPaymentID: providerID, amount: Money(paise: amount), utr: utr.flatMap { isUTR($0) ? $0 : nil },
                reference: reference, source: "webhook"))
    }
}

extension RazorpayAPI: CreditSource {
    public var provider: String { RazorpayKind.name }
    public func credits(from: Date, to: Date) async throws -> [CreditNotice] { try await credits(from: from, to: to, pages: 10) }
}

extension Razorpay {
    /// A webhook event as Razorpay sends it for a paid QR (`qr_code.credited`, or `payment.captured`): the envelope
    /// and the fields the hub reads. For the demo's payer, `fieldpay-hub fake-psp`, the benchmarks and tests.
    public static func creditEvent(
        _ event: String = "qr_code.credited", paymentID: String, amountPaise: Int64, utr: String, reference: String?, createdAt: Date = Date()
    ) -> Data {
        struct Envelope: Encodable {
            struct Payload: Encodable {
                struct PaymentEntity: Encodable {
                    struct Acquirer: Encodable { let rrn: String }
                    let id: String
                    let amount: Int64
                    let currency = "INR"
                    let status = "captured"
                    let method = "upi"
                    let acquirer_data: Acquirer
                }
                struct QREntity: Encodable {
                    let id: String
                    let notes: [String: String]
                }
                struct Entity<T: Encodable>: Encodable { let entity: T }
                let payment: Entity<PaymentEntity>
                let qr_code: Entity<QREntity>
            }
            let entity = "event"
            let event: String
            let contains = ["qr_code", "payment"]
            let payload: Payload
            let created_at: Int
        }
        let envelope = Envelope(
            event: event,
            payload: .init(
                payment: .init(entity: .init(id: paymentID, amount: amountPaise, acquirer_data: .init(rrn: utr))),
                qr_code: .init(entity: .init(id: "qr_" + paymentID.replacingOccurrences(of: "pay_", with: ""), notes: reference.map { ["tr": $0] } ?? [:]))),
            created_at: Int(createdAt.timeIntervalSince1970))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(envelope)) ?? Data()
    }

    /// Posts a webhook body to a hub as Razorpay does (signed with `secret`, named by `eventID`); returns the
    /// hub's status code and body.
    public static func deliver(
        _ body: Data, to hub: String, secret: String, eventID: String, client: HTTPClient = .shared, tls: TLSConfiguration? = nil
    ) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: hub + "/v1/webhooks/" + RazorpayKind.name)
        request.tlsConfiguration = tls
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Razorpay-Signature", value: signature(body: body, secret: secret))
        request.headers.add(name: "x-razorpay-event-id", value: eventID)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        var buffer = try await response.body.collect(upTo: 1 << 16)
        return (response.status.code, buffer.readString(length: buffer.readableBytes) ?? "")
    }
}

/// `[psp.razorpay]` in hub.toml (`[razorpay]` is read as the same section, as earlier hubs wrote it):
///
///     [psp.razorpay]
///     webhook_secret_file = "secrets/razorpay-webhook"   # else $FIELDPAY_RAZORPAY_SECRET
///     key_id = "rzp_live_…"                               # for status polling (hooks that never came)
///     key_secret_file = "secrets/razorpay-key"
///     api_base = "https://api.razorpay.com"
///     poll_seconds = 300                                  # 0: no polling
///
/// Razorpay is always configured, so a hub with only $FIELDPAY_RAZORPAY_SECRET takes its webhooks; with no
/// secret at all every delivery is refused as badly signed (and recorded).
public enum RazorpayKind: PaymentProviderKind {
    public static let name = "razorpay"
    public static let settings = ["webhook_secret_file", "key_id", "key_secret_file", "api_base", "poll_seconds"]
    public static let secretEnvironment = "FIELDPAY_RAZORPAY_SECRET"

    public static func configure(_ section: ConfigSection?, environment: [String: String]) throws -> ConfiguredProvider? {
        var secret = environment[secretEnvironment] ?? ""
        var api: RazorpayAPI?
        var interval = Duration.seconds(300)
        if let section {
            if let file = try section.string("webhook_secret_file") { secret = try section.secret(file, key: "webhook_secret_file") }
            let keyID = try section.string("key_id")
            let keyFile = try section.string("key_secret_file")
            guard (keyID == nil) == (keyFile == nil) else {
                throw section.error("key_id and key_secret_file go together (both for status polling, or neither)")
            }
            if let keyID, let keyFile {
                var configured = RazorpayAPI(keyID: keyID, keySecret: try section.secret(keyFile, key: "key_secret_file"))
                if let base = try section.apiBase("api_base") { configured.baseURL = base }
                api = configured
            }
            if let seconds = try section.integer("poll_seconds", 0...86_400) { interval = .seconds(seconds) }
        }
        return .razorpay(webhookSecret: secret, api: api, pollInterval: interval)
    }
}

extension ConfiguredProvider {
    /// Razorpay with this webhook secret, polled through `api` every `pollInterval` when given.
    public static func razorpay(webhookSecret: String, api: RazorpayAPI? = nil, pollInterval: Duration = .seconds(300)) -> ConfiguredProvider {
        ConfiguredProvider(webhook: RazorpayProvider(secret: webhookSecret), poller: api, pollInterval: pollInterval, canVerify: !webhookSecret.isEmpty)
    }
}
