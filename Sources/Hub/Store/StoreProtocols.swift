import FieldPayCore
import Foundation
import HubAPI
import InvoiceImport

// The hub's storage seams: one protocol per concern. Routes and services take these, never a backend's type;
// `SQLiteHubStore` implements them all (`Sources/Hub/SQLite`), and a second backend (PostgreSQL) is one more
// type conforming to `HubStorage`, with its own ordered migrations. Every method is one transaction: a caller
// never holds a database handle.

/// Devices and their enrollment: one-time codes, device tokens, revocation, the rep a device works for.
public protocol DeviceRegistry: Sendable {
    /// A new single-use code for enrolling one device of `rep`, valid `hours`.
    func createEnrollmentCode(rep: String, hours: Int) throws -> String
    /// Exchanges a code for a device id and secret, once. The device's receipt key and its code (the prefix of its
    /// receipt numbers and of its QRs' `tr`) are bound to it for good.
    func enroll(code: String, deviceName: String, publicKey: String, deviceCode: String) throws -> EnrollOutcome
    /// Who a bearer token is: a device, a manager, or nobody.
    func authenticate(_ token: String) throws -> Authentication
    func revoke(deviceID: String) throws -> Bool
    func deviceRep(_ id: String) throws -> String?
}

/// The invoice book and the devices' change feed over it.
public protocol InvoiceBook: Sendable {
    func importInvoices(from reader: InvoiceFileReader) throws -> (written: Int, rejected: [Rejection])
    func deleteInvoice(_ number: String) throws -> Bool
    /// A page of the change feed after `cursor`, scoped by the device's rep when `deviceID` is given.
    func changes(after cursor: Int64, limit: Int, deviceID: String?) throws -> ChangesPage
    func invoiceDigest() throws -> (count: Int, digest: [UInt8])
    func invoiceOutstanding(_ number: String) throws -> Money?
    /// A customer's region: nil when the hub has no such customer, `.some(nil)` for one without a region.
    func customerRegion(_ code: String) throws -> String??
    func invoices(number: String?, openOnly: Bool, limit: Int) throws -> [InvoiceRow]
}

/// Payments uploaded by devices, and the credits that confirm them (webhooks, polls, statements, UTRs).
public protocol PaymentLedger: Sendable {
    /// Stores an upload already checked at the edge (`PaymentUpload.validated()`); `body` is kept as sent.
    func upload(paymentID: String, deviceID: String, body: Data, valid: ValidUpload) throws -> UploadOutcome
    func confirmUTR(paymentID: String, deviceID: String, utr: String) throws -> UTROutcome
    /// A payment's status and UTR; with `deviceID`, only if that device uploaded it.
    func paymentStatus(_ id: String, deviceID: String?) throws -> (status: String, utr: String?)?
    func recentPayments(limit: Int) throws -> [PaymentRow]
    func paymentCount() throws -> Int
    /// Records a webhook delivery (verified or not) and applies the credit it carries; a signed event the
    /// provider made before `notBefore` is a replay: recorded as `staleEvent`, not applied.
    func receiveWebhook(_ provider: some PaymentProvider, body: Data, headers: HTTPFieldsView, notBefore: Date?) throws -> WebhookOutcome
    func applyCredit(_ credit: CreditNotice) throws -> WebhookOutcome
    func unreconciledCredits() throws -> [(providerPaymentID: String, amount: Money, utr: String?, state: String)]
    func webhookOutcomes() throws -> [String]
    func importStatement(path: String, bank: String) throws -> StatementImport
    /// Reverses a received or confirmed payment (by UUID or receipt number): the invoices owe again from `now`,
    /// and the accounting systems that may hold it are queued its cancellation.
    func reversePayment(_ reference: String, reason: String, actor: String, now: Int64) throws -> ReversalOutcome
}

/// Confirmations for the devices: read back by id, and a broadcaster that wakes the listeners.
public protocol EventFeed: Sendable {
    var broadcaster: EventBroadcaster { get }
    func events(deviceID: String, since: Int64, limit: Int) throws -> [HubEvent]
}

/// Managers: roles and regions, API tokens (expiring, rotated), dashboard passwords with optional TOTP, sessions,
/// and the append-only audit log.
public protocol ManagerDirectory: Sendable {
    func addManager(name: String, role: ManagerRole, regions: [String], expiresInDays: Int?) throws -> (id: String, token: String)
    func managers() throws -> [(id: String, name: String, revoked: Bool)]
    func managerAccounts() throws -> [ManagerAccount]
    func managerAccount(_ id: String) throws -> ManagerAccount?
    func revokeManager(id: String) throws -> Bool
    /// A new API token; the old one stops now and the manager's sessions end. Nil: no such active manager.
    func rotateManagerToken(id: String, expiresInDays: Int?) throws -> String?
    func setManagerPassword(id: String, password: String) throws -> Bool
    /// TOTP on: the secret (base32) for an authenticator app.
    func enableManagerTOTP(id: String) throws -> String?
    /// A session from an API token: only for a manager without a password yet.
    func openSession(token: String) throws -> (cookie: String, manager: String)?
    func openSession(name: String, password: String, code: String?) throws -> SignInOutcome
    func sessionManager(_ cookie: String) throws -> ManagerAccount?
    func closeSession(_ cookie: String) throws
    func record(_ entry: AuditEntry) throws
    func auditLog(limit: Int, before: Int64?) throws -> [AuditEntry]
}

extension ReportStore {
    /// The register over every region.
    public func register(from: LocalDate, to: LocalDate, page: Int, perPage: Int?) throws -> CollectionRegister {
        try register(from: from, to: to, page: page, perPage: perPage, regions: nil)
    }
}

extension ManagerDirectory {
    /// An admin whose token never expires.
    public func addManager(name: String) throws -> (id: String, token: String) {
        try addManager(name: name, role: .admin, regions: [], expiresInDays: nil)
    }
}

/// Reps, their scopes, and who holds which overdue invoice (by rule or by hand).
public protocol AllocationStore: Sendable {
    func reps() throws -> [RepSummary]
    func setRep(_ name: String, _ settings: RepSettings) throws -> RepSummary
    func assign(_ numbers: [String], to rep: String?, actor: String, reason: String?) throws -> AssignmentResult
    func assignmentHistory(_ number: String) throws -> [AssignmentChange]?
    func allocationRules() throws -> [AllocationRule]
    func setAllocationRules(_ rules: [AllocationRule]) throws
    func applyAllocationRules(asOf: LocalDate, actor: String) throws -> RuleRun
    func unassignedOverdue(asOf: LocalDate, limit: Int) throws -> (rows: [UnassignedInvoice], count: Int, outstanding: Money)
    func assignedInvoices(rep: String, asOf: LocalDate, limit: Int) throws -> [UnassignedInvoice]
}

/// The collection reports, read-only: aging as of a date, DSO, the register, histories, productivity.
public protocol ReportStore: Sendable {
    func aging(asOf: LocalDate, edges: AgingEdges, page: Int, perPage: Int?) throws -> AgingReport
    func customerAging(_ code: String, asOf: LocalDate, edges: AgingEdges, page: Int, perPage: Int?) throws -> CustomerAging?
    func dso(from: LocalDate, to: LocalDate) throws -> DSOReport
    /// `regions`: only payments of customers in these regions (a manager held to them); nil: every payment.
    func register(from: LocalDate, to: LocalDate, page: Int, perPage: Int?, regions: [String]?) throws -> CollectionRegister
    func customerHistory(_ code: String, limit: Int) throws -> CustomerHistory?
    func productivity(from: LocalDate, to: LocalDate, page: Int, perPage: Int?) throws -> ProductivityReport
    func daySheet(rep: String, day: LocalDate) throws -> DaySheet?
}

/// The work of collecting: follow-ups and promises, disputes, reminder policies and their outbox,
/// escalations, and the cash a rep hands over.
public protocol CollectionsWork: Sendable {
    func putFollowUp(id: String, _ request: FollowUpRequest, actor: String, deviceRep: String?) throws -> FollowUpOutcome
    /// `deviceRep`: a device's rep, who may close only their own follow-ups (nil: a manager).
    func closeFollowUp(_ id: String, _ close: FollowUpClose, deviceRep: String?) throws -> FollowUp?
    func followUp(_ id: String, asOf: LocalDate) throws -> FollowUp?
    func followUps(list: String, rep: String?, asOf: LocalDate, page: Int, perPage: Int) throws -> FollowUpList
    func customerFollowUps(_ code: String, asOf: LocalDate) throws -> [FollowUp]
    func openDispute(_ number: String, _ request: DisputeRequest, actor: String) throws -> Dispute
    func resolveDispute(_ number: String, resolution: String, actor: String) throws -> Dispute?
    func disputes(openOnly: Bool) throws -> [Dispute]
    func reminderPolicies() throws -> [ReminderPolicy]
    func setReminderPolicy(_ policy: ReminderPolicy) throws
    func setReminderGroup(_ group: String, customers: [String]) throws -> Int
    /// The daily run: due reminders queued, broken promises escalated. Repeating it for a day changes nothing.
    func runCollections(asOf: LocalDate) throws -> CollectionsRun
    func reminders(state: String?, customer: String?, limit: Int) throws -> [Reminder]
    func escalations() throws -> [Escalation]
    func recordHandover(_ request: HandoverRequest, receivedBy: String) throws -> Handover
    func recordDeposit(handover id: Int64, reference: String) throws -> Handover?
}

/// The book's totals for `/metrics`.
public protocol BookMetrics: Sendable {
    func bookSnapshot() throws -> BookSnapshot
}

/// The message outbox (receipts, reminders, statements) and the customers' messaging settings. Messages are
/// queued by the store itself, in the transaction of what causes them (an upload, a confirmation, the
/// collections run); `MessageSender` claims them (`sending` before the channel is called), records what the
/// channel said, and status reports settle them.
public protocol MessageOutbox: Sendable {
    /// Poked after a transaction that queued a message commits.
    var messageSignal: MessageSignal { get }
    /// Takes up to `limit` messages due by `now` (receipts only unless `promotional`): marks them `sending`.
    func claimMessages(now: Int64, promotional: Bool, limit: Int) throws -> [OutboundMessage]
    /// What the channel said to one attempt. `retryAt`: when a retryable message is due again; `fallback`: the
    /// channel a rejected message moves to when the rejection allows it.
    func recordSend(_ id: Int64, channel: ChannelName, outcome: SendOutcome, now: Int64, retryAt: Int64, fallback: ChannelName?, maxAttempts: Int) throws
    /// A provider's status report; false when it names no message of ours or changes nothing.
    func applyStatus(_ report: StatusReport, fallback: ChannelName?, now: Int64) throws -> Bool
    /// At start: messages left `sending` by a hub that stopped become `unconfirmed` (never resent by themselves).
    func recoverInterruptedSends(now: Int64) throws -> Int
    func messages(state: String?, customer: String?, limit: Int) throws -> [MessageEntry]
    func message(_ id: Int64) throws -> MessageEntry?
    /// A manager sends a failed, unconfirmed, held or expired message again.
    func retryMessage(_ id: Int64, now: Int64) throws -> MessageRetry
    /// STOP (or START) from a number: every customer with that phone. Returns their codes.
    func setOptOut(phone: PhoneNumber, optedOut: Bool, by actor: String, now: Int64) throws -> [String]
    func setCustomerMessaging(_ code: String, _ request: CustomerMessagingRequest, actor: String, now: Int64) throws -> CustomerMessaging?
    func customerMessaging(_ code: String) throws -> CustomerMessaging?
    /// The receipt behind a link token, its signature checked now; nil for any other text.
    func receipt(token: String) throws -> ReceiptView?
    /// A customer's statement of account for a period (nil: no such customer).
    func statement(_ code: String, from: LocalDate, to: LocalDate) throws -> AccountStatement?
    /// Queues a statement message with its own link, under the daily cap.
    func queueStatement(_ code: String, from: LocalDate, to: LocalDate, now: Int64) throws -> StatementSend
    /// The statement behind a link token, as the books stand now.
    func statement(token: String) throws -> AccountStatement?
}

/// Everything the hub stores: what `buildRouter` and the hub's services are given.
/// The accounting outbox (`Sources/Hub/ERP/ERP.swift`): one row per connector and payment, queued by the store in
/// the transaction that makes the payment one the books should hold; and the pull that makes an ERP's bills the
/// invoice book.
public protocol ERPLedger: Sendable {
    /// Poked after a transaction that queued a payment for the books commits.
    var erpSignal: MessageSignal { get }
    /// Payments stored from now on are queued for `name` too (idempotent: the first call's time stays).
    func enableConnector(_ name: String, now: Int64) throws
    func enabledConnectors() throws -> [(name: String, enabledAt: Int64)]
    /// Up to `limit` due vouchers for `connector`, each customer's oldest first (FIFO per customer). Each is not
    /// due again for `leaseMillis` unless its outcome is recorded first: a process killed mid-push leaves its
    /// request time to finish before another sends the voucher again (and, for Zoho, searches for it).
    func claimERP(connector: String, now: Int64, limit: Int, leaseMillis: Int64) throws -> [ERPVoucher]
    /// What the connector said: sent, parked with its reason, or due again at `retryAt`.
    func recordERP(_ id: Int64, action: ERPAction, outcome: ERPPushOutcome, now: Int64, retryAt: Int64) throws
    func erpQueue(connector: String?, state: ERPState?, limit: Int) throws -> [ERPQueueEntry]
    func erpCounts() throws -> [ERPQueueCounts]
    /// Parked rows (all, or one) pending again; returns how many.
    func retryParkedERP(connector: String, id: Int64?, now: Int64) throws -> Int
    /// Payments stored since `since` that have no row for `connector`, queued.
    func queueERPBackfill(connector: String, since: LocalDate, now: Int64) throws -> Int
    /// These payments sent again (a voucher deleted in the ERP by hand).
    func requeueERP(connector: String, paymentIDs: [String], now: Int64) throws -> Int
    func erpHubPayments(connector: String, day: LocalDate) throws -> [ERPHubPayment]
    func saveReconcile(_ report: ERPReconcileReport) throws
    func lastReconcile(connector: String) throws -> ERPReconcileReport?
    /// The ERP's outstanding bills as the invoice book, all or nothing (`ERPPullRefused`).
    func importERPBills(connector: String, bills: [ERPBill], closeMissing: Bool) throws -> ERPPullOutcome
}

public typealias HubStorage = DeviceRegistry & InvoiceBook & PaymentLedger & EventFeed & ManagerDirectory & AllocationStore
    & ReportStore & CollectionsWork & BookMetrics & MessageOutbox & ERPLedger

extension PaymentLedger {
    /// Checks an upload's fields and stores it: what is wrong with them is `.invalid`, in words.
    public func upload(paymentID: String, deviceID: String, body: Data, payment: PaymentUpload) throws -> UploadOutcome {
        switch payment.validated() {
        case .success(let valid): try upload(paymentID: paymentID, deviceID: deviceID, body: body, valid: valid)
        case .failure(let problem): .invalid(problem.message)
        }
    }
}
