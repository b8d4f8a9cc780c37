/// A family of errors: its codes and how each reads. One `CodedError<Domain>` type serves every family, so
/// each declares only what differs: the codes (`store.disk-full`…) and the sentences.
public protocol ErrorDomain: Sendable {
    associatedtype Code: RawRepresentable, Hashable, Sendable where Code.RawValue == String
    /// The sentence for `code`, given the detail the error was made with.
    static func message(_ code: Code, _ detail: String) -> String
}

/// An error with a stable, searchable code and a detail (the input, the file, the cause).
public struct CodedError<Domain: ErrorDomain>: FieldPayError, Equatable {
    public typealias Code = Domain.Code
    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var codeString: String { code.rawValue }
    public var message: String { Domain.message(code, detail) }
}
