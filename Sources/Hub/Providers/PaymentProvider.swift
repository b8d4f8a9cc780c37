import Crypto
import FieldPayCore
import Foundation

/// What the hub did with one webhook delivery.
public enum WebhookOutcome: String, Sendable, Equatable {
    case badSignature = "bad-signature"
    case duplicateEvent = "duplicate-event"
    case ignored
    case confirmedPayment = "confirmed-payment"
    case creditedInvoice = "credited-invoice"
    case duplicateCredit = "duplicate-credit"
    case duplicateUTR = "duplicate-utr"
    /// The credit carries the UTR a device claimed for a payment, but another amount: it does not confirm the
    /// payment; both wait on the reconciliation list.
    case amountMismatch = "amount-mismatch"
    case unmatched
    case malformed
    /// Signed, but made longer ago than the hub's replay window: a replayed delivery, not applied.
    case staleEvent = "stale-event"
}

/// A credit to the merchant's account, from whichever feed saw it: a PSP webhook, a bank-statement line.
public struct CreditNotice: Sendable, Equatable {
    public var provider: String
    /// The provider's id for the credit (for a statement line, its UTR): a credit is applied once per id.
    public var providerPaymentID: String
    public var amount: Money
    public var utr: String?
    /// The QR's `tr`.
    public var reference: String?
    /// webhook or statement.
    public var source: String

    public init(provider: String, providerPaymentID: String, amount: Money, utr: String?, reference: String?, source: String) {
        self.provider = provider
        self.providerPaymentID = providerPaymentID
        self.amount = amount
        self.utr = utr
        self.reference = reference
        self.source = source
    }
}

/// What a PSP's webhook body says.
public enum WebhookContent: Sendable, Equatable {
    case credit(CreditNotice)
    case ignored
    case malformed
}

/// A payment service provider whose webhooks the hub takes at `POST /v1/webhooks/{name}`. Adding Paytm,
/// PhonePe or a bank's collect API is one more conformance.
public protocol PaymentProvider: Sendable {
    var name: String { get }
    /// True when the delivery is signed by the provider (checked in constant time).
    func verify(body: Data, headers: HTTPFieldsView) -> Bool
    /// The provider's id for this delivery, for de-duplicating retries.
    func deliveryID(headers: HTTPFieldsView) -> String?
    func parse(body: Data) -> WebhookContent
    /// When the provider made the event, as its signed body says (nil: it does not say).
    func createdAt(body: Data) -> Date?
}

extension PaymentProvider {
    public func createdAt(body: Data) -> Date? { nil }
}

/// The few headers a provider looks at, without tying providers to an HTTP library.
public struct HTTPFieldsView: Sendable {
    let fields: [String: String]
    public init(_ fields: [String: String]) {
        self.fields = Dictionary(fields.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }
    public subscript(_ name: String) -> String? { fields[name.lowercased()] }
}

/// A provider's own record of the credits it took, asked for a window of time: the hub's safety net for a
/// webhook that never came (`CreditPoller`).
public protocol CreditSource: Sendable {
    /// The provider's name, as in `[psp.NAME]`.
    var provider: String { get }
    func credits(from: Date, to: Date) async throws -> [CreditNotice]
}

/// One provider as this hub is configured to take it: the webhook it verifies and parses, and whether (and how
/// often) it is also polled.
public struct ConfiguredProvider: Sendable {
    public var webhook: any PaymentProvider
    public var poller: (any CreditSource)?
    public var pollInterval: Duration
    /// False when the provider has no webhook secret: its webhooks are then all refused (and recorded).
    public var canVerify: Bool

    public init(webhook: any PaymentProvider, poller: (any CreditSource)? = nil, pollInterval: Duration = .seconds(300), canVerify: Bool = true) {
        self.webhook = webhook
        self.poller = poller
        self.pollInterval = pollInterval
        self.canVerify = canVerify
    }

    public var name: String { webhook.name }
}

/// A kind of payment provider the hub can be configured with: its name (the `[psp.NAME]` section of
/// `hub.toml` and the `/v1/webhooks/NAME` route), the settings its section takes, and how to build it from them.
/// Adding PhonePe or Paytm is one conformance, listed in `PaymentProviders.kinds`.
public protocol PaymentProviderKind: Sendable {
    static var name: String { get }
    static var settings: [String] { get }
    /// Builds the provider from its section (nil: the file has none). A kind that can run without a section
    /// (from the environment) returns a provider; otherwise nil.
    static func configure(_ section: ConfigSection?, environment: [String: String]) throws -> ConfiguredProvider?
}

/// The payment providers a hub takes webhooks from, by name.
public struct PaymentProviders: Sendable, ExpressibleByArrayLiteral {
    /// Every kind the hub knows, in the order their sections are read.
    public static let kinds: [any PaymentProviderKind.Type] = [RazorpayKind.self]

    private var byName: [String: ConfiguredProvider] = [:]

    public init(_ providers: [ConfiguredProvider] = []) {
        for provider in providers { byName[provider.name] = provider }
    }

    public init(arrayLiteral providers: ConfiguredProvider...) { self.init(providers) }

    public subscript(_ name: String) -> ConfiguredProvider? {
        get { byName[name] }
        set { byName[name] = newValue }
    }

    /// Sorted by name.
    public var all: [ConfiguredProvider] { byName.keys.sorted().compactMap { byName[$0] } }
}
