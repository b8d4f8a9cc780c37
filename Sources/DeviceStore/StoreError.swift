import FieldPayCore
import GRDB

/// A database failure, in words a person can act on. GRDB's `DatabaseError` is mapped by result code.
public enum StoreErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case cannotOpen = "store.cannot-open"
        case notADatabase = "store.not-a-database"
        case corrupt = "store.corrupt"
        case diskFull = "store.disk-full"
        case ioError = "store.io-error"
        case readOnly = "store.read-only"
        case busy = "store.busy"
        case newerSchema = "store.newer-schema"
        case constraint = "store.constraint"
        case other = "store.error"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        switch code {
        case .cannotOpen: return "cannot open the device database: \(detail)"
        case .notADatabase: return "\(detail) is not a FieldPay database (or it is encrypted)"
        case .corrupt:
            return "the device database is damaged: \(detail). Invoices can be synced again; keep the file for payments"
        case .diskFull: return "the disk is full: nothing was written (\(detail))"
        case .ioError: return "the disk failed to read or write: nothing was written (\(detail))"
        case .readOnly: return "the device database is read-only: \(detail)"
        case .busy: return "the device database is locked by another process: \(detail)"
        case .newerSchema: return "the device database was written by a newer FieldPay (\(detail)); update this one"
        case .constraint: return "refused by the database: \(detail)"
        case .other: return "database error: \(detail)"
        }
    }
}

public typealias StoreError = CodedError<StoreErrors>

extension CodedError where Domain == StoreErrors {
    /// Maps any error thrown by GRDB; other errors pass through as `.other`.
    static func from(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return StoreError(.other, "\(error)") }
        let detail = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_CANTOPEN: return StoreError(.cannotOpen, "\(path): \(detail)")
        case .SQLITE_NOTADB: return StoreError(.notADatabase, path)
        case .SQLITE_CORRUPT: return StoreError(.corrupt, detail)
        case .SQLITE_FULL: return StoreError(.diskFull, detail)
        case .SQLITE_IOERR: return StoreError(.ioError, detail)
        case .SQLITE_READONLY: return StoreError(.readOnly, "\(path): \(detail)")
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError(.busy, detail)
        case .SQLITE_CONSTRAINT: return StoreError(.constraint, detail)
        default: return StoreError(.other, detail)
        }
    }
}
