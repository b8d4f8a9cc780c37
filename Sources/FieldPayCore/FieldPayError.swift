/// Every FieldPay error: a stable code people can search for and a sentence they can act on.
/// Command-line tools print `error: <message> [<code>]`; the hub turns them into problem JSON.
public protocol FieldPayError: Error, CustomStringConvertible, Sendable {
    /// Stable, dotted, lower-case: `image.corrupt`, `money.malformed`. Never reworded once released.
    var codeString: String { get }
    /// One sentence for a person: what is wrong and, where it helps, what to do.
    var message: String { get }
}

extension FieldPayError {
    public var description: String { "\(message) [\(codeString)]" }
}
