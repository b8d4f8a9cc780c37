import AsyncHTTPClient
import FieldPayCore
import Foundation
import NIOCore

/// One DLT-registered SMS template: the id TRAI's DLT platform gave it and its text exactly as registered,
/// with `{#var#}` where a value goes (at most 30 characters each). Only the variables may differ from the
/// registered text, or operators drop the message.
public struct SMSTemplate: Sendable, Equatable {
    public var id: String
    public var text: String

    public static let variable = "{#var#}"
    public static let variableLimit = 30

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }

    public var variableCount: Int { text.components(separatedBy: Self.variable).count - 1 }

    /// The registered text with `values` in its slots, each cut to 30 characters; nil when the counts differ.
    public func fill(_ values: [String]) -> String? {
        let pieces = text.components(separatedBy: Self.variable)
        guard pieces.count - 1 == values.count else { return nil }
        var out = pieces[0]
        for (value, piece) in zip(values, pieces.dropFirst()) {
            let clean = value.replacingOccurrences(of: "\n", with: " ")
            out += clean.count > Self.variableLimit ? String(clean.prefix(Self.variableLimit - 1)) + "…" : clean
            out += piece
        }
        return out
    }

    /// The values each kind's template takes, in order. Receipt and statement links: the template holds the
    /// hub's address (`https://pay.example.in/r/{#var#}`, whitelisted with DLT) and the variable is the token.
    public static func values(_ message: OutboundMessage) -> [String] {
        let values = message.values
        switch message.kind {
        case .receipt: return [values.customer, values.amount.displayString, values.receiptNumber ?? "", values.token ?? ""]
        case .reminder: return [values.customer, values.amount.displayString, values.invoiceList, values.rep ?? "our representative"]
        case .statement: return [values.customer, values.asOf ?? "", values.amount.displayString, values.token ?? ""]
        }
    }

    /// How many variables each kind's registered text must have.
    public static func expectedVariables(_ kind: MessageKind) -> Int { 4 }
}

/// SMS gateway settings (`[messaging.sms]`): Gupshup's Enterprise SMS API, as DLT rules require it: the
/// principal entity id, a 6-letter sender header, and one registered template per message kind and language.
public struct SMSSettings: Sendable, Equatable {
    public var apiURL = "https://enterprise.smsgupshup.com/GatewayAPI/rest"
    public var userID: String
    public var password: String
    public var entityID: String
    public var sender: String
    public var templates: [MessageKind: [MessageLanguage: SMSTemplate]] = [:]
    /// The secret the delivery-report URL carries (`GET /v1/messaging/sms/dlr?token=…`).
    public var reportToken: String?
    public var timeout: Duration = .seconds(20)

    public init(userID: String, password: String, entityID: String, sender: String) {
        self.userID = userID
        self.password = password
        self.entityID = entityID
        self.sender = sender
    }

    /// The template for a message: its language's, else English.
    public func template(_ kind: MessageKind, _ language: MessageLanguage) -> SMSTemplate? {
        templates[kind]?[language] ?? templates[kind]?[.en]
    }
}

/// Gupshup Enterprise SMS: `POST GatewayAPI/rest` with a form (`method=SendMessage`, `send_to`, `msg`,
/// `msg_type` TEXT or Unicode_Text, `userid`, `password`, `auth_scheme=plain`, `v=1.1`, `format=text`,
/// `principalEntityId`, `dltTemplateId`, `mask`). It answers a line of text: `success | 919822000101 | <id>`
/// or `error | <code> | <words>`. Delivery reports come later to our DLR URL (`externalId`, `status`, `cause`).
public struct GupshupSMS: MessageChannel {
    public let settings: SMSSettings
    let client: HTTPClient
    public var name: ChannelName { .sms }

    public init(settings: SMSSettings, client: HTTPClient = .shared) {
        self.settings = settings
        self.client = client
    }

    static func formEncode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
            .replacingOccurrences(of: "%20", with: "+")
    }

    /// The form for one message, or why there can be none.
    public func form(_ message: OutboundMessage) -> Result<[(String, String)], SMSFormProblem> {
        guard let template = settings.template(message.kind, message.language) else {
            return .failure(SMSFormProblem(description: "no DLT template for \(message.kind.rawValue) messages in [messaging.sms]"))
        }
        guard let text = template.fill(SMSTemplate.values(message)) else {
            return .failure(SMSFormProblem(description: "the \(message.kind.rawValue) template \(template.id) does not have \(SMSTemplate.expectedVariables(message.kind)) {#var#} slots"))
        }
        let unicode = !text.unicodeScalars.allSatisfy(\.isASCII)
        return .success([
            ("method", "SendMessage"), ("send_to", message.phone.digits), ("msg", text), ("msg_type", unicode ? "Unicode_Text" : "TEXT"),
            ("userid", settings.userID), ("password", settings.password), ("auth_scheme", "plain"), ("v", "1.1"), ("format", "text"),
            ("principalEntityId", settings.entityID), ("dltTemplateId", template.id), ("mask", settings.sender),
        ])
    }

    public func send(_ message: OutboundMessage, link: String?) async -> SendOutcome {
        let fields: [(String, String)]
        switch form(message) {
        case .success(let form): fields = form
        case .failure(let problem): return .rejected(problem.description, fallBack: false)
        }
        var request = HTTPClientRequest(url: settings.apiURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: Self.formEncode(fields)))
        do {
            let response = try await client.execute(request, timeout: settings.timeout.timeAmount)
            var buffer = try await response.body.collect(upTo: 64 << 10)
            let text = String(decoding: buffer.readBytes(length: buffer.readableBytes) ?? [], as: UTF8.self)
            return Self.outcome(status: Int(response.status.code), body: text)
        } catch {
            return SendFailure.classify(error, provider: "the SMS gateway")
        }
    }

    /// What Gupshup's one-line answer means.
    public static func outcome(status: Int, body: String) -> SendOutcome {
        if status == 429 || status >= 500 { return .retry("the SMS gateway answered \(status)", after: nil) }
        let parts = body.split(separator: "|").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard parts.count >= 3 else { return .unknown("the SMS gateway answered \(status): \(body.prefix(120))") }
        if parts[0].lowercased() == "success", !parts[2].isEmpty { return .accepted(providerID: parts[2]) }
        let code = Int(parts[1]) ?? 0
        let reason = "SMS gateway error \(parts[1]): \(parts[2].prefix(200))"
        switch code {
        case 101, 102, 103, 104, 106, 175, 176: return .channelDown(reason)  // credentials, account, entity, header
        case 105, 107, 108, 322: return .rejected(reason, fallBack: false)  // the number, the text, the template
        case 100, 111, 112: return .retry(reason, after: .seconds(30))  // throttled, busy
        default: return .rejected(reason, fallBack: false)
        }
    }

    /// A delivery report (`GET …/dlr?externalId=&status=&cause=&errCode=`): SUCCESS is delivered, anything
    /// else failed with its cause.
    public static func deliveryReport(_ query: [String: String]) -> StatusReport? {
        guard let id = query["externalId"], !id.isEmpty, let status = query["status"]?.uppercased() else { return nil }
        if status == "SUCCESS" || status == "DELIVRD" { return StatusReport(channel: .sms, providerID: id, status: .delivered) }
        let cause = [query["errCode"], query["cause"]].compactMap { $0 }.joined(separator: " ")
        return StatusReport(channel: .sms, providerID: id, status: .failed, error: "SMS \(status.lowercased()): \(cause.prefix(200))")
    }
}

public struct SMSFormProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
}
