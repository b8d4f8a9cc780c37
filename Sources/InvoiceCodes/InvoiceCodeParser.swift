import FieldPayCore
import Foundation

/// How a device recognises its distributor's invoice codes; part of the device profile.
public struct PayloadRules: Sendable {
    /// A distributor format: a regular expression over the whole payload with a named group `invoice` and,
    /// optionally, `amount` (rupees, `1234.50`) and `date` (`dd/mm/yyyy` or `yyyy-mm-dd`).
    public struct Pattern: Sendable {
        public var name: String
        public var regex: String
        public init(name: String, regex: String) {
            self.name = name
            self.regex = regex
        }
    }

    public var patterns: [Pattern]
    /// Query parameters that carry an invoice number in a URL (`https://…/pay?invoice=INV-42`); case-insensitive.
    public var urlParameters: [String]
    /// Whether a bare invoice number in a linear code (Code 128, Code 39, Code 93, Codabar, ITF) counts.
    public var plainNumbers: Bool
    /// What a bare invoice number may look like.
    public var plainRegex: String
    /// Trusted GST e-invoice signing keys; when any is set, e-invoice QRs must verify with one of them.
    public var eInvoiceKeys: [EInvoiceKey]

    public init(
        patterns: [Pattern] = [], urlParameters: [String] = PayloadRules.defaultURLParameters, plainNumbers: Bool = true,
        plainRegex: String = PayloadRules.defaultPlainRegex, eInvoiceKeys: [EInvoiceKey] = []
    ) {
        self.patterns = patterns
        self.urlParameters = urlParameters
        self.plainNumbers = plainNumbers
        self.plainRegex = plainRegex
        self.eInvoiceKeys = eInvoiceKeys
    }

    public static let defaultURLParameters = ["invoice", "invoiceNo", "invoice_no", "inv", "invno", "bill"]
    /// 3 to 40 letters, digits and `/ - _ .`, starting with a letter or digit and holding at least one digit.
    public static let defaultPlainRegex = #"^(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9/_.\-]{2,39}$"#
}

/// Turns a decoded payload into an invoice reference, or says why it is not one. Pure: no I/O, no clock
/// beyond the date it is given; safe to share between threads.
public struct InvoiceCodeParser: Sendable {
    public let rules: PayloadRules
    private let patterns: [(name: String, regex: CompiledRegex)]
    private let plain: CompiledRegex
    private let urlParameters: Set<String>

    /// Compiles the rules; a pattern that does not compile or has no `invoice` group is a `.badRule` error.
    public init(rules: PayloadRules = PayloadRules()) throws(PayloadError) {
        self.rules = rules
        var compiled: [(name: String, regex: CompiledRegex)] = []
        for pattern in rules.patterns {
            guard pattern.regex.contains("(?<invoice>") else {
                throw PayloadError(.badRule, "pattern \"\(pattern.name)\" has no named group (?<invoice>…)")
            }
            compiled.append((pattern.name, try CompiledRegex(pattern.regex, name: pattern.name)))
        }
        patterns = compiled
        plain = try CompiledRegex(rules.plainRegex, name: "plain")
        urlParameters = Set(rules.urlParameters.map { $0.lowercased() })
    }

    /// Symbologies whose payload may be a bare invoice number. Product codes (EAN, UPC) never are.
    static let linearSymbologies: Set<String> = ["code128", "code39", "code93", "codabar", "i25"]

    /// Parses `payload` as scanned. `symbology` is zbar's name (`qr`, `code128`…) or nil when typed in;
    /// `today` resolves GS1's two-digit years.
    public func parse(_ payload: String, symbology: String? = nil, today: LocalDate = .today()) throws(PayloadError)
        -> InvoiceRef
    {
        let text = String(payload.trimmingSpaces)
        guard !text.isEmpty else { throw PayloadError(.notInvoiceCode, "the code is empty") }
        guard text.utf8.count <= 8_192 else { throw PayloadError(.notInvoiceCode, "\(text.utf8.count) bytes is longer than any invoice code") }

        if EInvoiceQR.looksLikeJWS(text) { return try EInvoiceQR.parse(text, keys: rules.eInvoiceKeys) }

        let explicitGS1 = ["]C1", "]Q3", "]d2", "]e0", "]J1", "(", "\u{1D}"].contains { text.hasPrefix($0) }
            || (text.utf8.contains(GS1.groupSeparator) && text.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } == true)
        if explicitGS1, text.hasPrefix("(") == false || text.range(of: #"^\(\d{2,4}\)"#, options: .regularExpression) != nil {
            if let ref = try GS1.invoiceRef(text, explicit: true, today: today) { return ref }
        }

        for (name, regex) in patterns {
            guard let groups = regex.wholeMatch(text) else { continue }
            return try patternRef(groups, patternName: name)
        }

        if let ref = try urlRef(text) { return ref }

        // A digits-only payload starting 415 may be an unbracketed GS1 slip from a scanner that drops FNC1.
        if text.hasPrefix("415"), text.utf8.count > 16, let ref = try? GS1.invoiceRef(text, explicit: false, today: today) {
            return ref
        }

        if rules.plainNumbers, symbology.map(InvoiceCodeParser.linearSymbologies.contains) ?? true, plain.wholeMatch(text) != nil {
            return InvoiceRef(source: .plain, invoiceNumber: text)
        }
        throw PayloadError(.notInvoiceCode, notInvoiceReason(text, symbology: symbology))
    }

    private func patternRef(_ groups: [String: String], patternName: String) throws(PayloadError) -> InvoiceRef {
        guard let number = groups["invoice"], !number.isEmpty else {
            throw PayloadError(.notInvoiceCode, "pattern \"\(patternName)\" matched but its invoice group is empty")
        }
        var ref = InvoiceRef(source: .pattern, invoiceNumber: number)
        if let text = groups["amount"], !text.isEmpty {
            do { ref.amount = try Money(parsing: text) } catch { throw PayloadError(.badAmount, error.message) }
        }
        if let text = groups["date"], !text.isEmpty {
            guard let date = LocalDate(parsing: text) else { throw PayloadError(.badDate, "\"\(text)\" is not a date") }
            ref.invoiceDate = date
        }
        return ref
    }

    private func urlRef(_ text: String) throws(PayloadError) -> InvoiceRef? {
        let lower = text.prefix(8).lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("upi://") else { return nil }
        guard let components = URLComponents(string: text) else { return nil }
        for item in components.queryItems ?? [] where urlParameters.contains(item.name.lowercased()) {
            guard let value = item.value?.trimmingSpaces, !value.isEmpty else { continue }
            var ref = InvoiceRef(source: .url, invoiceNumber: String(value))
            // Our own UPI QR (and many others) carry the amount in `am`.
            if let amount = components.queryItems?.first(where: { $0.name == "am" })?.value {
                do { ref.amount = try Money(parsing: amount) } catch { throw PayloadError(.badAmount, "am=\(amount): \(error.message)") }
            }
            return ref
        }
        return nil
    }

    private func notInvoiceReason(_ text: String, symbology: String?) -> String {
        let lower = text.prefix(8).lowercased()
        if lower.hasPrefix("upi://") { return "a UPI payment QR without an invoice number, \(excerpt(text))" }
        if lower.hasPrefix("http") { return "a web address without an invoice parameter (\(rules.urlParameters.joined(separator: ", "))), \(excerpt(text))" }
        if let symbology, !InvoiceCodeParser.linearSymbologies.contains(symbology), symbology != "qr" {
            return "a product barcode (\(symbology)), \(excerpt(text))"
        }
        return "\(excerpt(text)) matches none of the device's invoice formats"
    }
}

/// NSRegularExpression with the whole-string match and named groups we need.
struct CompiledRegex: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented as safe to use from several threads.
    let regex: NSRegularExpression
    let groupNames: [String]

    init(_ pattern: String, name: String) throws(PayloadError) {
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            throw PayloadError(.badRule, "pattern \"\(name)\" does not compile: \(pattern)")
        }
        groupNames = CompiledRegex.namedGroups(in: pattern)
    }

    /// The named groups' values when the regex matches all of `text`, else nil.
    func wholeMatch(_ text: String) -> [String: String]? {
        let range = NSRange(text.startIndex..., in: text)
        guard let match = regex.firstMatch(in: text, options: [.anchored], range: range), match.range == range else {
            return nil
        }
        var groups: [String: String] = [:]
        for name in groupNames {
            let groupRange = match.range(withName: name)
            if groupRange.location != NSNotFound, let swiftRange = Range(groupRange, in: text) {
                groups[name] = String(text[swiftRange])
            }
        }
        return groups
    }

    static func namedGroups(in pattern: String) -> [String] {
        var names: [String] = []
        var rest = Substring(pattern)
        while let start = rest.range(of: "(?<") {
            let after = rest[start.upperBound...]
            if let close = after.firstIndex(of: ">"), after.first != "=", after.first != "!" {
                names.append(String(after[..<close]))
            }
            rest = after
        }
        return names
    }
}
