import FieldPayCore

/// Why a whole file could not be imported. Nothing of it is applied.
public enum ImportErrors: ErrorDomain {
    public enum Code: String, Sendable {
        case notFound = "import.not-found"
        case unreadable = "import.unreadable"
        case empty = "import.empty"
        case tooLarge = "import.too-large"
        case missingColumns = "import.missing-columns"
        case malformedJSON = "import.malformed-json"
        case malformedCSV = "import.malformed-csv"
    }

    public static func message(_ code: Code, _ detail: String) -> String {
        switch code {
        case .notFound: return "no such file: \(detail)"
        case .unreadable: return "cannot read \(detail)"
        case .empty: return "\(detail) holds no invoices"
        case .tooLarge: return "\(detail)"
        case .missingColumns: return "\(detail)"
        case .malformedJSON: return "not valid JSON: \(detail)"
        case .malformedCSV: return "not valid CSV: \(detail)"
        }
    }
}

public typealias ImportError = CodedError<ImportErrors>

/// A row that was left out, with the line it starts on and why.
public struct Rejection: Error, Hashable, Sendable, Codable {
    public let line: Int
    public let invoiceNumber: String?
    public let reason: String

    public init(line: Int, invoiceNumber: String?, reason: String) {
        self.line = line
        self.invoiceNumber = invoiceNumber
        self.reason = reason
    }
}

/// One good row: the invoice and its customer.
public struct ImportRecord: Hashable, Sendable {
    public let line: Int
    public let customer: Customer
    public let invoice: Invoice
}

/// A row read from a file, before validation: a cell per known column.
public struct RawRow: Sendable {
    public let line: Int
    var cells: [String?]

    public init(line: Int) {
        self.line = line
        cells = Array(repeating: nil, count: Column.allCases.count)
    }

    public subscript(column: Column) -> String? {
        get { cells[column.position] }
        set { cells[column.position] = newValue }
    }
}
