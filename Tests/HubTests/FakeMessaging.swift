import Foundation
import HTTPTypes
import Hub
import Hummingbird
import NIOCore
import Synchronization

/// Stand-ins for Meta's WhatsApp Cloud API and Gupshup's Enterprise SMS API on 127.0.0.1, answering as the
/// real services document: Graph API errors (190 bad token, 100 unknown phone number id, 132001 template
/// missing in that language, 132000 parameter count, 131056 pair rate limit), `success | … | id` and
/// `error | code | words` lines, DLT template matching. What they accepted is recorded; their status
/// webhooks and delivery reports are made here for the test to post to the hub.
final class FakeMessaging: Sendable {
    static let token = "EAAG-test-token"
    static let phoneNumberID = "106540352242922"
    static let appSecret = "app-secret-for-tests"
    static let smsUser = "2000190000"
    static let smsPassword = "sms-pass"
    static let entityID = "1101234567890123456"
    static let sender = "SHRMAD"
    /// Approved WhatsApp templates: name → languages and body parameter count.
    static let templates: [String: (languages: Set<String>, parameters: Int)] = [
        "fieldpay_receipt": (["en", "hi"], 5), "fieldpay_reminder": (["en", "hi"], 5), "fieldpay_statement": (["en"], 4),
    ]
    static let smsTemplates: [String: String] = [
        "1107160000000000001": "Dear {#var#}, we received {#var#}. Receipt {#var#}: https://pay.example.in/r/{#var#} - Sharma Distributors",
        "1107160000000000002": "Dear {#var#}, {#var#} is overdue on {#var#}. Please pay by UPI or to {#var#}. - Sharma Distributors",
    ]

    struct WhatsAppMessage: Sendable {
        var id: String
        var to: String
        var template: String
        var language: String
        var parameters: [String]
        var key: String?
    }

    struct SMS: Sendable {
        var id: String
        var to: String
        var text: String
        var templateID: String
    }

    /// What the next requests get instead of the normal answer (one entry each, in order).
    enum Scripted: Sendable {
        case graphError(status: Int, code: Int, message: String)
        case http(Int)
        /// Take the message, then answer only after `seconds` (past the client's timeout).
        case slowAccept(seconds: Double)
    }

    struct State {
        var whatsapp: [WhatsAppMessage] = []
        var sms: [SMS] = []
        var script: [Scripted] = []
        var requests = 0
        /// Numbers that are not WhatsApp users: the send is taken, a failed status (131026) follows.
        var notOnWhatsApp: Set<String> = []
        var lastSendTo: [String: Date] = [:]
        var pairRateSeconds: Double = 0
    }

    let state = Mutex(State())

    var whatsapp: [WhatsAppMessage] { state.withLock { $0.whatsapp } }
    var sms: [SMS] { state.withLock { $0.sms } }
    func script(_ steps: Scripted...) { state.withLock { $0.script += steps } }

    static func graphError(_ status: HTTPResponse.Status, code: Int, _ message: String, type: String = "OAuthException") -> Response {
        let body: [String: Any] = ["error": ["message": message, "type": type, "code": code, "error_data": ["messaging_product": "whatsapp", "details": message], "fbtrace_id": "AbCdEf123"]]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: body))))
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post("/:version/:phone/messages") { request, context -> Response in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
            let scripted: Scripted? = self.state.withLock { state in
                state.requests += 1
                return state.script.isEmpty ? nil : state.script.removeFirst()
            }
            guard request.headers[.authorization] == "Bearer \(Self.token)" else {
                return Self.graphError(.unauthorized, code: 190, "Invalid OAuth access token - Cannot parse access token")
            }
            guard context.parameters.get("phone") == Self.phoneNumberID else {
                return Self.graphError(.badRequest, code: 100, "Unsupported post request. Object with ID does not exist", type: "GraphMethodException")
            }
            switch scripted {
            case .graphError(let status, let code, let message): return Self.graphError(HTTPResponse.Status(code: status), code: code, message)
            case .http(let status): return Response(status: HTTPResponse.Status(code: status))
            default: break
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["messaging_product"] as? String == "whatsapp",
                let to = object["to"] as? String, to.allSatisfy(\.isNumber), (10...15).contains(to.count)
            else { return Self.graphError(.badRequest, code: 131009, "Parameter value is not valid") }
            guard object["type"] as? String == "template", let template = object["template"] as? [String: Any], let name = template["name"] as? String,
                let language = (template["language"] as? [String: Any])?["code"] as? String
            else { return Self.graphError(.badRequest, code: 131047, "Re-engagement message: more than 24 hours have passed since the recipient last replied") }
            guard let approved = Self.templates[name], approved.languages.contains(language) else {
                return Self.graphError(.notFound, code: 132001, "Template name does not exist in the translation")
            }
            let parameters = ((template["components"] as? [[String: Any]])?.first(where: { $0["type"] as? String == "body" })?["parameters"] as? [[String: Any]] ?? [])
                .compactMap { $0["text"] as? String }
            guard parameters.count == approved.parameters, parameters.allSatisfy({ !$0.isEmpty }) else {
                return Self.graphError(.badRequest, code: 132000, "Number of parameters does not match the expected number of params")
            }
            let paired: Bool = self.state.withLock { state in
                defer { state.lastSendTo[to] = Date() }
                guard let last = state.lastSendTo[to] else { return false }
                return Date().timeIntervalSince(last) < state.pairRateSeconds
            }
            if paired { return Self.graphError(.badRequest, code: 131056, "(Business Account, Consumer Account) pair rate limit hit") }
            let id = "wamid.HBgM" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)
            self.state.withLock {
                $0.whatsapp.append(WhatsAppMessage(id: id, to: to, template: name, language: language, parameters: parameters, key: object["biz_opaque_callback_data"] as? String))
            }
            if case .slowAccept(let seconds) = scripted { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
            let answer: [String: Any] = ["messaging_product": "whatsapp", "contacts": [["input": to, "wa_id": to]], "messages": [["id": id]]]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: answer))))
        }

        router.post("/GatewayAPI/rest") { request, _ -> Response in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            let text = String(decoding: buffer.readBytes(length: buffer.readableBytes) ?? [], as: UTF8.self)
            var form: [String: String] = [:]
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
                form[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            func line(_ words: String) -> Response { Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: words + "\n"))) }
            let scripted: Scripted? = self.state.withLock { state in
                state.requests += 1
                return state.script.isEmpty ? nil : state.script.removeFirst()
            }
            if case .http(let status) = scripted { return Response(status: HTTPResponse.Status(code: status)) }
            guard form["method"] == "SendMessage", form["v"] == "1.1" else { return line("error | 101 | Method not supported") }
            guard form["userid"] == Self.smsUser, form["password"] == Self.smsPassword, form["auth_scheme"] == "plain" else {
                return line("error | 102 | Authentication failed due to invalid userId or password.")
            }
            guard form["principalEntityId"] == Self.entityID else { return line("error | 175 | Invalid principal entity id") }
            guard form["mask"] == Self.sender else { return line("error | 176 | Sender header not registered for this entity") }
            guard let to = form["send_to"], to.count == 12, to.hasPrefix("91"), to.allSatisfy(\.isNumber) else { return line("error | 105 | Invalid destination") }
            guard let id = form["dltTemplateId"], let registered = Self.smsTemplates[id], let message = form["msg"],
                Self.matches(message, registered)
            else { return line("error | 322 | Message content does not match the registered DLT template") }
            let unicode = !message.unicodeScalars.allSatisfy(\.isASCII)
            guard form["msg_type"] == (unicode ? "Unicode_Text" : "TEXT") else { return line("error | 107 | Invalid message type for this text") }
            let externalID = "3193203\(Int.random(in: 100_000_000...999_999_999))-\(Int.random(in: 100_000...999_999))"
            self.state.withLock { $0.sms.append(SMS(id: externalID, to: to, text: message, templateID: id)) }
            return line("success | \(to) | \(externalID)")
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Whether `text` is the registered template with each `{#var#}` replaced by at most 30 characters.
    static func matches(_ text: String, _ template: String) -> Bool {
        let pieces = template.components(separatedBy: "{#var#}").map { NSRegularExpression.escapedPattern(for: $0) }
        let pattern = "^" + pieces.joined(separator: "(.{0,30})") + "$"
        return text.range(of: pattern, options: .regularExpression) != nil
    }

    /// A status webhook as Meta sends it, signed with the app secret: (body, X-Hub-Signature-256).
    static func statusWebhook(_ id: String, _ status: String, to: String, key: String? = nil, errorCode: Int? = nil, secret: String = appSecret) -> (Data, String) {
        var entry: [String: Any] = ["id": id, "status": status, "timestamp": String(Int(Date().timeIntervalSince1970)), "recipient_id": to]
        if let key { entry["biz_opaque_callback_data"] = key }
        if let errorCode {
            entry["errors"] = [["code": errorCode, "title": "Message undeliverable", "error_data": ["details": "Message Undeliverable."]]]
        }
        return webhook(["statuses": [entry]], secret: secret)
    }

    static func inboundText(_ text: String, from: String) -> (Data, String) {
        webhook(["contacts": [["wa_id": from, "profile": ["name": "Customer"]]], "messages": [["from": from, "id": "wamid.in", "timestamp": "1", "type": "text", "text": ["body": text]]]], secret: appSecret)
    }

    static func webhook(_ value: [String: Any], secret: String) -> (Data, String) {
        var inner = value
        inner["messaging_product"] = "whatsapp"
        inner["metadata"] = ["display_phone_number": "15550000000", "phone_number_id": phoneNumberID]
        let body: [String: Any] = ["object": "whatsapp_business_account", "entry": [["id": "102290129340398", "changes": [["value": inner, "field": "messages"]]]]]
        let data = try! JSONSerialization.data(withJSONObject: body)
        return (data, WhatsAppCloud.signature(body: data, appSecret: secret))
    }

    /// The hub's messaging configuration pointing at this fake on `port`.
    static func configuration(port: Int, sms: Bool = true) -> MessagingConfiguration {
        var configuration = MessagingConfiguration()
        configuration.publicURL = "https://pay.example.in"
        configuration.upiVPA = "sharma@okaxis"
        configuration.payeeName = "Sharma Distributors"
        configuration.quietHours = QuietHours(startHour: 0, endHour: 0)  // never quiet: tests run at any hour
        configuration.firstBackoff = .zero
        var whatsapp = WhatsAppSettings(phoneNumberID: phoneNumberID, accessToken: token)
        whatsapp.apiURL = "http://127.0.0.1:\(port)"
        whatsapp.appSecret = appSecret
        whatsapp.verifyToken = "verify-me"
        whatsapp.timeout = .seconds(1)
        configuration.whatsapp = whatsapp
        if sms {
            var settings = SMSSettings(userID: smsUser, password: smsPassword, entityID: entityID, sender: sender)
            settings.apiURL = "http://127.0.0.1:\(port)/GatewayAPI/rest"
            settings.reportToken = "dlr-token"
            settings.templates[.receipt] = [.en: SMSTemplate(id: "1107160000000000001", text: smsTemplates["1107160000000000001"]!)]
            settings.templates[.reminder] = [.en: SMSTemplate(id: "1107160000000000002", text: smsTemplates["1107160000000000002"]!)]
            configuration.sms = settings
        }
        return configuration
    }
}
