import FieldPayCore
import Foundation
import TOMLKit

extension ConfigSection {
    public func bool(_ key: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw fail(key, "true or false") }
        return flag
    }

    /// A secret from `<key>_file` (a private file), else from the environment variable `variable`.
    func secret(_ key: String, variable: String, environment: [String: String], required: Bool) throws -> String? {
        if let file = try string(key + "_file") { return try secret(file, key: key + "_file") }
        if let value = environment[variable], !value.isEmpty { return value }
        if required { throw error("\(key)_file is missing (or set $\(variable))") }
        return nil
    }
}

extension MessagingConfiguration {
    static let settings = ["public_url", "upi_vpa", "payee_name", "fallback_to_sms", "quiet_start", "quiet_end", "max_attempts", "whatsapp", "sms"]
    static let whatsappSettings = [
        "api_base", "api_version", "phone_number_id", "access_token_file", "app_secret_file", "verify_token_file", "receipt_template", "reminder_template",
        "statement_template", "timeout_seconds",
    ]
    static let smsSettings: [String] = {
        var keys = ["api_base", "userid", "password_file", "entity_id", "sender", "report_token_file"]
        for kind in MessageKind.allCases {
            keys += ["\(kind.rawValue)_template_id", "\(kind.rawValue)_text", "\(kind.rawValue)_template_id_hi", "\(kind.rawValue)_text_hi"]
        }
        return keys
    }()

    /// Reads `[messaging]` and its `[messaging.whatsapp]` and `[messaging.sms]` sections:
    ///
    ///     [messaging]
    ///     public_url = "https://pay.example.in"   # receipt links: public_url/r/<token>
    ///     upi_vpa = "merchant@okaxis"              # reminders carry a upi://pay link for what is overdue
    ///     payee_name = "Sharma Distributors"
    ///     fallback_to_sms = true                   # WhatsApp cannot carry it → SMS
    ///     quiet_start = 21                         # no reminders or statements 21:00–09:00 India time
    ///     quiet_end = 9
    ///     max_attempts = 8
    ///
    ///     [messaging.whatsapp]                     # Meta's WhatsApp Business Cloud API
    ///     phone_number_id = "1234567890"
    ///     access_token_file = "secrets/whatsapp-token"     # or $FIELDPAY_WHATSAPP_TOKEN
    ///     app_secret_file = "secrets/whatsapp-app-secret"  # X-Hub-Signature-256 ($FIELDPAY_WHATSAPP_APP_SECRET)
    ///     verify_token_file = "secrets/whatsapp-verify"    # hub.verify_token ($FIELDPAY_WHATSAPP_VERIFY_TOKEN)
    ///     receipt_template = "fieldpay_receipt"
    ///
    ///     [messaging.sms]                          # Gupshup Enterprise SMS, DLT registered
    ///     userid = "2000123456"
    ///     password_file = "secrets/sms-password"           # or $FIELDPAY_SMS_PASSWORD
    ///     entity_id = "1101234567890123456"                # DLT principal entity id
    ///     sender = "SHRMAD"                                # 6-letter header
    ///     receipt_template_id = "1107161234567890123"
    ///     receipt_text = "Dear {#var#}, we received {#var#}. Receipt {#var#}: https://pay.example.in/r/{#var#} - Sharma"
    ///     report_token_file = "secrets/sms-dlr-token"      # the DLR URL's ?token= ($FIELDPAY_SMS_REPORT_TOKEN)
    static func load(_ messaging: ConfigSection, environment: [String: String]) throws -> MessagingConfiguration {
        var configuration = MessagingConfiguration()
        if let url = try messaging.string("public_url") {
            guard let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme ?? ""), parsed.host != nil, parsed.query == nil else {
                throw messaging.fail("public_url", "the hub's address as phones reach it, like \"https://pay.example.in\"")
            }
            configuration.publicURL = url
        }
        if let vpa = try messaging.string("upi_vpa") {
            guard VPA.isValid(vpa) else { throw messaging.fail("upi_vpa", "a UPI address (name@bank)") }
            configuration.upiVPA = vpa
        }
        configuration.payeeName = try messaging.string("payee_name")
        if let flag = try messaging.bool("fallback_to_sms") { configuration.fallBackToSMS = flag }
        if let hour = try messaging.integer("quiet_start", 0...23) { configuration.quietHours.startHour = hour }
        if let hour = try messaging.integer("quiet_end", 0...23) { configuration.quietHours.endHour = hour }
        if let count = try messaging.integer("max_attempts", 1...50) { configuration.maxAttempts = count }

        func subsection(_ name: String, _ known: [String]) throws -> ConfigSection? {
            guard let value = messaging.table[name] else { return nil }
            guard let table = value.table else { throw messaging.error("\(name) must be a section, [messaging.\(name)]") }
            for key in table.keys where !known.contains(key) {
                throw HubConfigError(description: "\(messaging.path): [messaging.\(name)] has no setting \"\(key)\" (known: \(known.joined(separator: ", ")))")
            }
            return ConfigSection(table: table, name: "messaging.\(name)", path: messaging.path, folder: messaging.folder)
        }
        if let section = try subsection("whatsapp", whatsappSettings) {
            guard let id = try section.string("phone_number_id"), id.allSatisfy(\.isNumber) else {
                throw section.fail("phone_number_id", "the WhatsApp phone number id (digits) from Meta's app dashboard")
            }
            let token = try section.secret("access_token", variable: "FIELDPAY_WHATSAPP_TOKEN", environment: environment, required: true)!
            var settings = WhatsAppSettings(phoneNumberID: id, accessToken: token)
            if let url = try section.apiBase("api_base") { settings.apiURL = url }
            if let version = try section.string("api_version") {
                guard version.hasPrefix("v"), Double(version.dropFirst()) != nil else { throw section.fail("api_version", "a Graph API version like \"v21.0\"") }
                settings.apiVersion = version
            }
            if let seconds = try section.integer("timeout_seconds", 1...120) { settings.timeout = .seconds(seconds) }
            settings.appSecret = try section.secret("app_secret", variable: "FIELDPAY_WHATSAPP_APP_SECRET", environment: environment, required: false)
            settings.verifyToken = try section.secret("verify_token", variable: "FIELDPAY_WHATSAPP_VERIFY_TOKEN", environment: environment, required: false)
            for kind in MessageKind.allCases {
                if let name = try section.string("\(kind.rawValue)_template") {
                    guard name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else {
                        throw section.fail("\(kind.rawValue)_template", "a template name of lower-case letters, digits and _")
                    }
                    settings.templates[kind] = name
                }
            }
            configuration.whatsapp = settings
        }
        if let section = try subsection("sms", smsSettings) {
            guard let user = try section.string("userid") else { throw section.error("userid is missing") }
            let password = try section.secret("password", variable: "FIELDPAY_SMS_PASSWORD", environment: environment, required: true)!
            guard let entity = try section.string("entity_id"), (12...19).contains(entity.count), entity.allSatisfy(\.isNumber) else {
                throw section.fail("entity_id", "the DLT principal entity id (12 to 19 digits)")
            }
            guard let sender = try section.string("sender"), sender.count == 6, sender.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw section.fail("sender", "the DLT sender header: 6 letters")
            }
            var settings = SMSSettings(userID: user, password: password, entityID: entity, sender: sender.uppercased())
            if let url = try section.apiBase("api_base") { settings.apiURL = url }
            settings.reportToken = try section.secret("report_token", variable: "FIELDPAY_SMS_REPORT_TOKEN", environment: environment, required: false)
            for kind in MessageKind.allCases {
                for (language, suffix) in [(MessageLanguage.en, ""), (.hi, "_hi")] {
                    let idKey = "\(kind.rawValue)_template_id\(suffix)"
                    let textKey = "\(kind.rawValue)_text\(suffix)"
                    let id = try section.string(idKey)
                    let text = try section.string(textKey)
                    guard let id, let text else {
                        if id != nil || text != nil { throw section.error("\(idKey) and \(textKey) go together") }
                        continue
                    }
                    guard id.count == 19, id.allSatisfy(\.isNumber) else { throw section.fail(idKey, "the DLT template id (19 digits)") }
                    let template = SMSTemplate(id: id, text: text)
                    guard template.variableCount == SMSTemplate.expectedVariables(kind) else {
                        throw section.fail(textKey, "the registered text with \(SMSTemplate.expectedVariables(kind)) {#var#} slots (it has \(template.variableCount))")
                    }
                    settings.templates[kind, default: [:]][language] = template
                }
            }
            if settings.templates[.receipt]?[.en] == nil { throw section.error("receipt_template_id and receipt_text are missing: receipts are what SMS is for") }
            configuration.sms = settings
        }
        return configuration
    }
}
