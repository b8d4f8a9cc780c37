import Foundation
import FieldPayCore
import Hub
import HubAPI

/// The store backends the hub's tests run on. Every test that creates its hub with `TestHub(backend:)` and takes
/// `backend` as its argument runs once per case: a second backend (PostgreSQL) is one more case here and one more
/// `makeStore`, and the whole suite runs against it.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite

    var description: String { rawValue }

    /// A new, empty store whose data lives under `folder`.
    func makeStore(folder: String) throws -> any HubStorage {
        switch self {
        case .sqlite: try SQLiteHubStore(path: folder + "/hub.sqlite")
        }
    }
}

// The defaults the tests call the store with, for every backend (protocol requirements take no defaults).
/// The test devices' receipt key: every test device enrolls with it, so that `uploadSigned` makes uploads the hub
/// checks as it checks a handheld's.
let testSigner = UploadSigner()

extension DeviceRegistry {
    func createEnrollmentCode(rep: String) throws -> String { try createEnrollmentCode(rep: rep, hours: 72) }
    /// Enrolls with the test key; every device shares code DEMO01 unless told (the same key is the same device).
    func enroll(code: String, deviceName: String, deviceCode: String = "DEMO01") throws -> EnrollOutcome {
        try enroll(code: code, deviceName: deviceName, publicKey: testSigner.publicKeyBase64, deviceCode: deviceCode)
    }
    func enroll(code: String, deviceName: String, publicKey: String) throws -> EnrollOutcome {
        try enroll(code: code, deviceName: deviceName, publicKey: publicKey, deviceCode: "DEMO01")
    }
}

extension InvoiceBook {
    func invoices(openOnly: Bool, limit: Int) throws -> [InvoiceRow] { try invoices(number: nil, openOnly: openOnly, limit: limit) }
}

extension PaymentLedger {
    /// Uploads `payment` under `id` (a new one by default), signed by the test key as a device signs it.
    func uploadSigned(deviceID: String, body: Data = Data(), payment: PaymentUpload, id: String = UUID().uuidString.lowercased()) throws -> UploadOutcome {
        try upload(paymentID: id, deviceID: deviceID, body: body, payment: testSigner.sign(payment, paymentID: id))
    }

    func paymentStatus(_ id: String) throws -> (status: String, utr: String?)? { try paymentStatus(id, deviceID: nil) }
    func recentPayments() throws -> [PaymentRow] { try recentPayments(limit: 50) }
    func importStatement(path: String) throws -> StatementImport { try importStatement(path: path, bank: "bank") }

    /// A Razorpay delivery as the webhook route hands it over: its signature and event id headers.
    func receiveRazorpay(body: Data, signature: String?, eventID: String?, secret: String) throws -> WebhookOutcome {
        var headers: [String: String] = [:]
        if let signature { headers["X-Razorpay-Signature"] = signature }
        if let eventID { headers["x-razorpay-event-id"] = eventID }
        return try receiveWebhook(RazorpayProvider(secret: secret), body: body, headers: HTTPFieldsView(headers), notBefore: nil)
    }
}

extension ReportStore {
    func aging(asOf: LocalDate, edges: AgingEdges, perPage: Int?) throws -> AgingReport { try aging(asOf: asOf, edges: edges, page: 1, perPage: perPage) }
    func aging(asOf: LocalDate, page: Int, perPage: Int?) throws -> AgingReport { try aging(asOf: asOf, edges: .standard, page: page, perPage: perPage) }
    func aging(asOf: LocalDate, perPage: Int?) throws -> AgingReport { try aging(asOf: asOf, edges: .standard, page: 1, perPage: perPage) }
    func customerAging(_ code: String, asOf: LocalDate, edges: AgingEdges, perPage: Int?) throws -> CustomerAging? {
        try customerAging(code, asOf: asOf, edges: edges, page: 1, perPage: perPage)
    }
    func customerAging(_ code: String, asOf: LocalDate) throws -> CustomerAging? {
        try customerAging(code, asOf: asOf, edges: .standard, page: 1, perPage: 100)
    }
    func customerHistory(_ code: String) throws -> CustomerHistory? { try customerHistory(code, limit: 200) }
    func register(from: LocalDate, to: LocalDate) throws -> CollectionRegister { try register(from: from, to: to, page: 1, perPage: 100) }
    func register(from: LocalDate, to: LocalDate, perPage: Int?) throws -> CollectionRegister { try register(from: from, to: to, page: 1, perPage: perPage) }
    func productivity(from: LocalDate, to: LocalDate) throws -> ProductivityReport { try productivity(from: from, to: to, page: 1, perPage: 100) }
}

extension CollectionsWork {
    func followUps(list: String, rep: String?, asOf: LocalDate) throws -> FollowUpList {
        try followUps(list: list, rep: rep, asOf: asOf, page: 1, perPage: 100)
    }
    func reminders() throws -> [Reminder] { try reminders(state: "queued", customer: nil, limit: 500) }
    func disputes() throws -> [Dispute] { try disputes(openOnly: true) }
}
