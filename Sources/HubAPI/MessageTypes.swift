/// `GET /v1/messages`: one message to a customer, where it is, and every attempt (snake_case through
/// `ReportCoding`).
public struct MessageEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var key: String
    /// receipt, reminder, statement
    public var kind: String
    public var customerCode: String
    public var phone: String
    /// The channel it is (or was last) on: whatsapp, sms.
    public var channel: String
    public var language: String
    /// queued, sending, sent, delivered, read, failed, unconfirmed, held, expired
    public var state: String
    public var attempts: Int
    public var failure: String?
    public var providerId: String?
    public var text: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var history: [MessageAttemptEntry]

    public init(
        id: Int64, key: String, kind: String, customerCode: String, phone: String, channel: String, language: String, state: String,
        attempts: Int, failure: String?, providerId: String?, text: String, createdAt: Int64, updatedAt: Int64, history: [MessageAttemptEntry]
    ) {
        self.id = id
        self.key = key
        self.kind = kind
        self.customerCode = customerCode
        self.phone = phone
        self.channel = channel
        self.language = language
        self.state = state
        self.attempts = attempts
        self.failure = failure
        self.providerId = providerId
        self.text = text
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.history = history
    }
}

public struct MessageAttemptEntry: Codable, Sendable, Equatable {
    public var channel: String
    public var at: Int64
    /// accepted, retry, rejected, unknown, channel-down, or a status report: sent, delivered, read, failed
    public var outcome: String
    public var providerId: String?
    public var detail: String?

    public init(channel: String, at: Int64, outcome: String, providerId: String?, detail: String?) {
        self.channel = channel
        self.at = at
        self.outcome = outcome
        self.providerId = providerId
        self.detail = detail
    }
}

/// `PUT /v1/customers/{code}/messaging`: a customer's language, channel and opt-out, each optional.
public struct CustomerMessagingRequest: Codable, Sendable, Equatable {
    public var language: String?
    public var channel: String?
    public var optedOut: Bool?

    public init(language: String? = nil, channel: String? = nil, optedOut: Bool? = nil) {
        self.language = language
        self.channel = channel
        self.optedOut = optedOut
    }
}
