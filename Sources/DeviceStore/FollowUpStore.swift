import FieldPayCore
import Foundation
import GRDB

/// A follow-up the rep records on the device: the next action on an invoice (or its customer), and the
/// payment the customer promised, if any.
public struct FollowUpDraft: Sendable, Equatable {
    public var invoiceNumber: String?
    public var customerCode: String?
    public var action: String
    public var dueDate: LocalDate
    public var note: String?
    public var promisedDate: LocalDate?
    public var promisedAmount: Money?

    public init(
        invoiceNumber: String?, customerCode: String? = nil, action: String, dueDate: LocalDate, note: String? = nil, promisedDate: LocalDate? = nil,
        promisedAmount: Money? = nil
    ) {
        self.invoiceNumber = invoiceNumber
        self.customerCode = customerCode
        self.action = action
        self.dueDate = dueDate
        self.note = note
        self.promisedDate = promisedDate
        self.promisedAmount = promisedAmount
    }
}

public struct StoredFollowUp: Sendable, Equatable {
    public var id: UUID
    public var draft: FollowUpDraft
    public var customerCode: String
    public var state: String
    public var attempts: Int
    public var lastError: String?
}

/// Why a follow-up cannot be recorded, in words for the rep.
public struct FollowUpError: FieldPayError, Equatable {
    public let message: String
    public var codeString: String { "followup.invalid" }
    public init(_ message: String) { self.message = message }
}

extension AppDatabase {
    /// Records a follow-up and queues it for the hub, in one transaction. An invoice must be in the cache
    /// (its customer is taken from it); a customer's follow-up names the customer.
    public func recordFollowUp(_ draft: FollowUpDraft, now: Date = Date()) throws -> StoredFollowUp {
        guard ["call", "visit"].contains(draft.action) else { throw FollowUpError("the next action is call or visit, not \(draft.action)") }
        if let note = draft.note, note.count > 500 { throw FollowUpError("a note is at most 500 characters") }
        if draft.promisedAmount != nil, draft.promisedDate == nil { throw FollowUpError("a promised amount needs the date it was promised for") }
        if let amount = draft.promisedAmount, !amount.isPositive { throw FollowUpError("a promised amount must be more than zero") }
        let id = UUID()
        // The cache's answer decides; a refusal is said after the transaction (guarded turns errors into StoreError).
        let outcome: Result<String, FollowUpError> = try guarded {
            try pool.write { db -> Result<String, FollowUpError> in
                var customer = draft.customerCode
                if let number = draft.invoiceNumber {
                    guard let code = try String.fetchOne(db, sql: "SELECT customerCode FROM invoice WHERE number = ?", arguments: [number]) else {
                        return .failure(FollowUpError("invoice \(number) is not in this device's cache"))
                    }
                    customer = code
                }
                guard let customer, !customer.isEmpty else { return .failure(FollowUpError("name an invoice or a customer")) }
                try db.execute(
                    sql: """
                        INSERT INTO followup (id, invoiceNumber, customerCode, action, dueDate, note, promisedDate, promisedPaise, createdAt)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id.uuidString.lowercased(), draft.invoiceNumber, customer, draft.action, draft.dueDate.dayNumber, draft.note,
                        draft.promisedDate?.dayNumber, draft.promisedAmount?.paise, now.millisecondsSince1970,
                    ])
                return .success(customer)
            }
        }
        let customer = try outcome.get()
        return StoredFollowUp(id: id, draft: draft, customerCode: customer, state: "pending", attempts: 0, lastError: nil)
    }

    /// Follow-ups by state (nil: all), oldest first.
    public func followUps(state: String? = nil, limit: Int = 500) throws(StoreError) -> [StoredFollowUp] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, invoiceNumber, customerCode, action, dueDate, note, promisedDate, promisedPaise, state, attempts, lastError
                        FROM followup WHERE (:state IS NULL OR state = :state) ORDER BY createdAt, id LIMIT :limit
                        """, arguments: ["state": state, "limit": limit]
                ).map { row in
                    StoredFollowUp(
                        id: UUID(uuidString: row[0])!,
                        draft: FollowUpDraft(
                            invoiceNumber: row[1], customerCode: row[2], action: row[3], dueDate: LocalDate(dayNumber: row[4]), note: row[5],
                            promisedDate: (row[6] as Int32?).map { LocalDate(dayNumber: $0) }, promisedAmount: (row[7] as Int64?).map { Money(paise: $0) }),
                        customerCode: row[2], state: row[8], attempts: row[9], lastError: row[10])
                }
            }
        }
    }

    /// Follow-ups still to send (pending or retrying).
    public func followUpsDue(limit: Int = 100) throws(StoreError) -> [StoredFollowUp] {
        try followUps(state: "pending", limit: limit) + followUps(state: "retrying", limit: limit)
    }

    public func markFollowUp(_ id: UUID, state: String, error: String? = nil) throws(StoreError) {
        try guarded {
            try pool.write { db in
                try db.execute(
                    sql: "UPDATE followup SET state = ?, attempts = attempts + 1, lastError = ? WHERE id = ?",
                    arguments: [state, error, id.uuidString.lowercased()])
            }
        }
    }
}
