import AsyncHTTPClient
import Crypto
import FieldPayCore
import Foundation
import NIOCore

/// WhatsApp Business Cloud API settings (`[messaging.whatsapp]`).
public struct WhatsAppSettings: Sendable, Equatable {
    public var apiURL = "https://graph.facebook.com"
    public var apiVersion = "v21.0"
    public var phoneNumberID: String
    public var accessToken: String
    /// The Meta app's secret: `X-Hub-Signature-256` of every webhook is made with it.
    public var appSecret: String?
    /// What the webhook verification GET (`hub.verify_token`) must carry.
    public var verifyToken: String?
    /// Approved template names, per message kind.
    public var templates: [MessageKind: String] = [.receipt: "fieldpay_receipt", .reminder: "fieldpay_reminder", .statement: "fieldpay_statement"]
    /// How long one send may take before it counts as unknown (the request may have arrived).
    public var timeout: Duration = .seconds(20)

    public init(phoneNumberID: String, accessToken: String) {
        self.phoneNumberID = phoneNumberID
        self.accessToken = accessToken
    }
}

/// Meta's WhatsApp Business Cloud API: business-initiated messages are approved templates
/// (`POST /{version}/{phone-number-id}/messages`, `type: template`, body parameters in the template's order),
/// with our idempotency key in `biz_opaque_callback_data` so a status report names the message even when the
/// send's reply was lost. Errors are Graph API errors (`{"error": {"code", "message", "error_data"}}`), sorted
/// by code into retry, fall back to SMS, fail, or stop the channel.
public struct WhatsAppCloud: MessageChannel {
    public let settings: WhatsAppSettings
    let client: HTTPClient
    public var name: ChannelName { .whatsapp }

    public init(settings: WhatsAppSettings, client: HTTPClient = .shared) {
        self.settings = settings
        self.client = client
    }

    /// The template's body parameters, in order.
    public static func parameters(_ message: OutboundMessage, link: String?) -> [String] {
        let values = message.values
        switch message.kind {
        case .receipt: return [values.customer, values.amount.displayString, values.invoiceList, values.receiptNumber ?? "", link ?? ""]
        case .reminder: return [values.customer, values.amount.displayString, values.invoiceList, values.rep ?? "our representative", values.upiLink ?? ""]
        case .statement: return [values.customer, values.asOf ?? "", values.amount.displayString, link ?? ""]
        }
    }

    /// The request body for one template message.
    public func body(_ message: OutboundMessage, link: String?) -> Data {
        let parameters = Self.parameters(message, link: link).map { ["type": "text", "text": $0] }
        let object: [String: Any] = [
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.phone.digits,
            "type": "template",
            "biz_opaque_callback_data": message.key,
            "template": [
                "name": settings.templates[message.kind] ?? "fieldpay_\(message.kind.rawValue)",
                "language": ["code": message.language.whatsappCode],
                "components": [["type": "body", "parameters": parameters]],
            ] as [String: Any],
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    public func send(_ message: OutboundMessage, link: String?) async -> SendOutcome {
        var request = HTTPClientRequest(url: "\(settings.apiURL)/\(settings.apiVersion)/\(settings.phoneNumberID)/messages")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(settings.accessToken)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body(message, link: link)))
        do {
            let response = try await client.execute(request, timeout: settings.timeout.timeAmount)
            var buffer = try await response.body.collect(upTo: 1 << 20)
            let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
            return Self.outcome(status: Int(response.status.code), body: data)
        } catch {
            return SendFailure.classify(error, provider: "WhatsApp")
        }
    }

    /// What an answer of the Cloud API means.
    public static func outcome(status: Int, body: Data) -> SendOutcome {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        if (200..<300).contains(status) {
            guard let messages = object?["messages"] as? [[String: Any]], let id = messages.first?["id"] as? String, !id.isEmpty else {
                return .unknown("WhatsApp answered \(status) without a message id")
            }
            return .accepted(providerID: id)
        }
        guard let error = object?["error"] as? [String: Any], let code = (error["code"] as? NSNumber)?.intValue else {
            return status >= 500 || status == 429
                ? .retry("WhatsApp answered \(status)", after: nil) : .rejected("WhatsApp answered \(status) with no Graph error", fallBack: true)
        }
        let details = ((error["error_data"] as? [String: Any])?["details"] as? String) ?? (error["message"] as? String) ?? ""
        return outcome(code: code, reason: "WhatsApp error \(code): \(details.prefix(200))", status: status)
    }

    /// What a Graph error code means for the message.
    static func outcome(code: Int, reason: String, status: Int) -> SendOutcome {
        switch code {
        case 4, 80007, 130429, 613: return .retry(reason, after: .seconds(60))
        case 131056: return .retry(reason, after: .seconds(90))  // pair rate limit: this number, wait
        case 1, 2, 131000, 131016: return .retry(reason, after: nil)
        case 190, 10, 200, 133010, 131031, 368: return .channelDown(reason)
        case 131026, 131047, 131049: return .rejected(reason, fallBack: true)  // not on WhatsApp, or outside the window
        case 131009, 131051, 131008: return .rejected(reason, fallBack: false)
        case 132000...132999: return .rejected(reason, fallBack: true)  // our template: SMS still carries the message
        default: return status >= 500 ? .retry(reason, after: nil) : .rejected(reason, fallBack: true)
        }
    }

    // MARK: Webhooks

    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`, compared in
    /// constant time.
    public static func verify(body: Data, signature: String?, appSecret: String) -> Bool {
        guard let signature, signature.hasPrefix("sha256=") else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(appSecret.utf8))).hexString
        return constantTimeEqual(Array(mac.utf8), Array(signature.dropFirst(7).lowercased().utf8))
    }

    public static func signature(body: Data, appSecret: String) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(appSecret.utf8))).hexString
    }

    /// What one webhook delivery says: status reports, and the numbers that asked to stop (or start again).
    public struct Notification: Sendable, Equatable {
        public var statuses: [StatusReport] = []
        public var optOuts: [PhoneNumber] = []
        public var optIns: [PhoneNumber] = []
    }

    /// Words that opt a number out, and back in, when sent as a message's whole text.
    static let stopWords: Set<String> = ["stop", "unsubscribe", "stop all", "रोकें", "बंद"]
    static let startWords: Set<String> = ["start", "subscribe", "शुरू"]

    /// Parses `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{…}}]}]}`;
    /// nil when it is not such a body.
    public static func parseWebhook(_ body: Data) -> Notification? {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], object["object"] as? String == "whatsapp_business_account",
            let entries = object["entry"] as? [[String: Any]]
        else { return nil }
        var notification = Notification()
        for entry in entries {
            for change in entry["changes"] as? [[String: Any]] ?? [] where change["field"] as? String == "messages" {
                let value = change["value"] as? [String: Any] ?? [:]
                for status in value["statuses"] as? [[String: Any]] ?? [] {
                    guard let id = status["id"] as? String, let state = (status["status"] as? String).flatMap(DeliveryStatus.init) else { continue }
                    var report = StatusReport(channel: .whatsapp, providerID: id, status: state, key: status["biz_opaque_callback_data"] as? String)
                    if state == .failed {
                        let error = (status["errors"] as? [[String: Any]])?.first
                        let code = (error?["code"] as? NSNumber)?.intValue ?? 0
                        let details = ((error?["error_data"] as? [String: Any])?["details"] as? String) ?? (error?["title"] as? String) ?? "failed"
                        report.error = "WhatsApp error \(code): \(details.prefix(200))"
                        if case .rejected(_, let fallBack) = outcome(code: code, reason: "", status: 400) {
                            report.fallBack = fallBack
                        }
                    }
                    notification.statuses.append(report)
                }
                for message in value["messages"] as? [[String: Any]] ?? [] {
                    guard let from = (message["from"] as? String).flatMap({ PhoneNumber("+" + $0) }) else { continue }
                    let text = (((message["text"] as? [String: Any])?["body"] as? String) ?? ((message["button"] as? [String: Any])?["text"] as? String) ?? "")
                        .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                    if stopWords.contains(text) { notification.optOuts.append(from) }
                    if startWords.contains(text) { notification.optIns.append(from) }
                }
            }
        }
        return notification
    }
}

/// How a failed HTTP call is read: when the connection was never made nothing was sent (retry); when it
/// broke after the request was written, the provider may have the message (unknown: never sent again by
/// itself).
public enum SendFailure {
    public static func classify(_ error: any Error, provider: String) -> SendOutcome {
        let text = String(describing: error)
        let lowered = text.lowercased()
        // AsyncHTTPClient and NIO say "connection refused", "connectTimeout", "NIOConnectionError" or
        // "getaddrinfo" when no connection was made; only then is a retry known to be safe.
        let neverConnected = ["connection refused", "connecttimeout", "nioconnectionerror", "connectionerror", "getaddrinfo", "no route to host", "network is unreachable"]
        if neverConnected.contains(where: { lowered.contains($0) }) {
            return .retry("\(provider) could not be reached: \(text.prefix(160))", after: nil)
        }
        return .unknown("the connection to \(provider) broke during the request (\(text.prefix(160)))")
    }
}
