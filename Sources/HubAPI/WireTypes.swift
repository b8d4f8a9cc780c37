import FieldPayCore

// The hub protocol's bodies, shared by the hub and the device. `openapi.yaml` beside this file is the spec;
// JSON keys are snake_case, money is a decimal string in rupees ("1234.50"), dates are ISO (yyyy-mm-dd).

public struct EnrollRequest: Codable, Sendable, Equatable {
    public var code: String
    public var deviceName: String
    /// The device's Ed25519 receipt key (32 bytes, base64): the hub checks every uploaded receipt with it.
    /// Required (optional in the type only so that a request without it is answered in words).
    public var publicKey: String?
    /// The profile's `[device] code`: the prefix of the device's receipt numbers and of its QRs' `tr`. Required.
    public var deviceCode: String?

    public init(code: String, deviceName: String, publicKey: String? = nil, deviceCode: String? = nil) {
        self.code = code
        self.deviceName = deviceName
        self.publicKey = publicKey
        self.deviceCode = deviceCode
    }

    enum CodingKeys: String, CodingKey {
        case code
        case deviceName = "device_name"
        case publicKey = "public_key"
        case deviceCode = "device_code"
    }
}

/// A device code as profiles write it: 2 to 16 capital letters and digits.
public func isDeviceCode(_ text: String) -> Bool {
    (2...16).contains(text.utf8.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }
}

/// The part of a device code that starts its QRs' `tr` (`PaymentDesk.transactionReference` keeps 8 characters).
public func transactionPrefix(ofDeviceCode code: String) -> String { String(code.prefix(8)) }

public struct EnrollResponse: Codable, Sendable, Equatable {
    public var deviceID: String
    /// Shown once; the hub keeps only its SHA-256. Requests carry `Authorization: Bearer <device_id>.<secret>`.
    public var secret: String
    public var rep: String

    public init(deviceID: String, secret: String, rep: String) {
        self.deviceID = deviceID
        self.secret = secret
        self.rep = rep
    }

    enum CodingKeys: String, CodingKey {
        case secret, rep
        case deviceID = "device_id"
    }
}

/// One entry of the invoice change feed: the invoice as it now is, or a tombstone.
public struct InvoiceChange: Codable, Sendable, Equatable {
    public var number: String
    public var deleted: Bool
    public var customerCode: String?
    public var customerName: String?
    public var invoiceDate: String?
    public var dueDate: String?
    public var total: String?
    public var outstanding: String?
    public var sellerGstin: String?
    public var buyerGstin: String?
    public var irn: String?
    public var payeeVPA: String?
    public var version: Int64

    public init(number: String, deleted: Bool, version: Int64) {
        self.number = number
        self.deleted = deleted
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case number, deleted, total, outstanding, irn, version
        case customerCode = "customer_code", customerName = "customer_name", invoiceDate = "invoice_date"
        case dueDate = "due_date", sellerGstin = "seller_gstin", buyerGstin = "buyer_gstin", payeeVPA = "payee_vpa"
    }
}

public struct ChangesPage: Codable, Sendable, Equatable {
    public var changes: [InvoiceChange]
    public var nextCursor: String
    public var more: Bool
    /// True when what this device may hold changed (its rep's scope or regions) since its cursor: it starts
    /// over from `next_cursor` ("0") and drops every cached invoice the new pass does not send. Absent otherwise.
    public var reset: Bool?

    public init(changes: [InvoiceChange], nextCursor: String, more: Bool, reset: Bool? = nil) {
        self.changes = changes
        self.nextCursor = nextCursor
        self.more = more
        self.reset = reset
    }

    enum CodingKeys: String, CodingKey {
        case changes, more, reset
        case nextCursor = "next_cursor"
    }
}

public struct AllocationBody: Codable, Sendable, Equatable {
    public var invoice: String
    public var amount: String

    public init(invoice: String, amount: String) {
        self.invoice = invoice
        self.amount = amount
    }
}

/// `PUT /v1/payments/{uuid}`: a payment as the device recorded it.
public struct PaymentUpload: Codable, Sendable, Equatable {
    public var receiptNumber: String
    public var method: String
    public var amount: String
    public var allocations: [AllocationBody]
    public var advance: String
    public var customerCode: String
    public var recordedAtMillis: Int64
    public var utr: String?
    public var chequeNumber: String?
    public var bank: String?
    public var chequeDate: String?
    public var upiReference: String?
    /// The receipt's Ed25519 signature (base64url) over its signed text.
    public var signature: String
    /// The text the device signed (`FPR2|…`, `SignedReceiptText`); the hub checks it states what the upload
    /// says, every field of it (an older device's `FPR1|…` states fewer, and is checked as far as it goes).
    public var signedText: String?

    public init(
        receiptNumber: String, method: String, amount: String, allocations: [AllocationBody], advance: String,
        customerCode: String, recordedAtMillis: Int64, signature: String
    ) {
        self.receiptNumber = receiptNumber
        self.method = method
        self.amount = amount
        self.allocations = allocations
        self.advance = advance
        self.customerCode = customerCode
        self.recordedAtMillis = recordedAtMillis
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case method, amount, allocations, advance, utr, bank, signature
        case receiptNumber = "receipt_number", customerCode = "customer_code", recordedAtMillis = "recorded_at_ms"
        case chequeNumber = "cheque_number", chequeDate = "cheque_date", upiReference = "upi_reference"
        case signedText = "signed_text"
    }
}

public struct PaymentResult: Codable, Sendable, Equatable {
    public var paymentID: String
    public var status: String
    /// True when the invoices were already paid (another device, a PSP credit): kept, and flagged for review.
    public var flaggedForReview: Bool

    public init(paymentID: String, status: String, flaggedForReview: Bool) {
        self.paymentID = paymentID
        self.status = status
        self.flaggedForReview = flaggedForReview
    }

    enum CodingKeys: String, CodingKey {
        case status
        case paymentID = "payment_id"
        case flaggedForReview = "flagged_for_review"
    }
}

/// RFC 9457 problem details: every error the hub answers.
public struct Problem: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String

    public init(type: String, title: String, status: Int, detail: String) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }
}

/// `PUT /v1/payments/{uuid}/utr`: the payer's UTR, entered on the device after the payment was uploaded.
public struct UTRBody: Codable, Sendable, Equatable {
    public var utr: String
    public init(utr: String) { self.utr = utr }
}

/// One event on `GET /v1/events` (Server-Sent Events, `event: credit`, `id:` = `id`): a UPI credit the hub
/// matched, to this device's payment (`payment_id`) or straight to an invoice (`invoice`, when the device
/// had not uploaded a payment for that QR yet). `reference` is the QR's `tr`.
public struct HubEvent: Codable, Sendable, Equatable {
    public var id: Int64
    public var type: String
    public var reference: String?
    public var utr: String?
    public var amount: String
    public var invoice: String?
    public var paymentID: String?
    /// What confirmed it: webhook, statement (a bank-statement import) or device (a UTR typed on a device).
    public var source: String

    public init(
        id: Int64, type: String, reference: String?, utr: String?, amount: String, invoice: String?, paymentID: String?, source: String
    ) {
        self.id = id
        self.type = type
        self.reference = reference
        self.utr = utr
        self.amount = amount
        self.invoice = invoice
        self.paymentID = paymentID
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case id, type, reference, utr, amount, invoice, source
        case paymentID = "payment_id"
    }
}

/// `GET /v1/events` without `Accept: text/event-stream`: the events after `since`, and the `since` to ask with next.
public struct EventsPage: Codable, Sendable, Equatable {
    public var events: [HubEvent]
    public var next: Int64

    public init(events: [HubEvent], next: Int64) {
        self.events = events
        self.next = next
    }
}

/// `GET /v1/payments/{uuid}`: the hub's view of one of this device's payments.
public struct PaymentStatusResponse: Codable, Sendable, Equatable {
    public var paymentID: String
    /// Nil for a status this device does not know (a later hub's): it is then not confirmed here.
    public var status: PaymentStatus?
    /// The UTR, once confirmed.
    public var utr: String?

    public init(paymentID: String, status: PaymentStatus?, utr: String?) {
        self.paymentID = paymentID
        self.status = status
        self.utr = utr
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        paymentID = try container.decode(String.self, forKey: .paymentID)
        status = PaymentStatus(rawValue: try container.decode(String.self, forKey: .status))
        utr = try container.decodeIfPresent(String.self, forKey: .utr)
    }

    enum CodingKeys: String, CodingKey {
        case status, utr
        case paymentID = "payment_id"
    }
}
