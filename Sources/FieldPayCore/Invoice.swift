/// A customer of the distributor: a shop, a pharmacy, a dealer.
public struct Customer: Hashable, Sendable, Codable {
    /// The distributor's own code for the customer (the key).
    public var code: String
    public var name: String
    public var gstin: GSTIN?
    public var phone: String?
    public var region: String?

    public init(code: String, name: String, gstin: GSTIN? = nil, phone: String? = nil, region: String? = nil) {
        self.code = code
        self.name = name
        self.gstin = gstin
        self.phone = phone
        self.region = region
    }
}

/// An invoice as the device caches it: enough to show what is owed and to build the payment QR.
public struct Invoice: Hashable, Sendable, Codable {
    public var number: String
    public var customerCode: String
    public var invoiceDate: LocalDate
    public var dueDate: LocalDate
    public var total: Money
    public var outstanding: Money
    public var sellerGstin: GSTIN?
    public var buyerGstin: GSTIN?
    /// The GST e-invoice reference number (64 hex characters), when the invoice was registered.
    public var irn: String?
    /// Where UPI payments for this invoice go, when it differs from the profile's merchant VPA.
    public var payeeVPA: String?

    public init(
        number: String, customerCode: String, invoiceDate: LocalDate, dueDate: LocalDate, total: Money,
        outstanding: Money, sellerGstin: GSTIN? = nil, buyerGstin: GSTIN? = nil, irn: String? = nil,
        payeeVPA: String? = nil
    ) {
        self.number = number
        self.customerCode = customerCode
        self.invoiceDate = invoiceDate
        self.dueDate = dueDate
        self.total = total
        self.outstanding = outstanding
        self.sellerGstin = sellerGstin
        self.buyerGstin = buyerGstin
        self.irn = irn
        self.payeeVPA = payeeVPA
    }

    public var paid: Money { total - outstanding }
    public var isSettled: Bool { !outstanding.isPositive }

    public func aging(today: LocalDate) -> Aging { Aging(dueDate: dueDate, today: today) }
}

/// The key an invoice number is looked up by: upper-cased letters and digits only, so that `inv-2024/0042`
/// printed on paper and `INV/2024/0042` in the ledger meet. Separators carry no meaning on their own; when
/// two numbers of one book differ only in separators, the exact text decides (see `InvoiceCache`).
public func normalizedInvoiceKey(_ number: some StringProtocol) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in number.unicodeScalars {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A: scalars.append(scalar)
        case 0x61...0x7A: scalars.append(Unicode.Scalar(scalar.value - 0x20)!)
        default: continue
        }
    }
    return String(scalars)
}

/// What a barcode payload says about an invoice: its number at least, and whatever else the code carries
/// (the amount printed in it, the date, the e-invoice IRN and GSTINs).
public struct InvoiceRef: Hashable, Sendable, Codable {
    /// Which kind of code it came from.
    public enum Source: String, Sendable, Codable {
        case plain, pattern, url, gstEInvoice = "gst-e-invoice", gs1
    }

    /// Whether the code's signature was checked.
    public enum Signature: Hashable, Sendable, Codable {
        /// The code carries no signature.
        case none
        /// Signed, but no public key is configured to check it with.
        case unchecked
        /// Verified with the configured key of this name.
        case verified(keyName: String)
    }

    public var source: Source
    public var invoiceNumber: String
    public var amount: Money?
    public var invoiceDate: LocalDate?
    public var irn: String?
    public var sellerGstin: GSTIN?
    public var buyerGstin: GSTIN?
    /// GS1 payment slips: the payee's GLN (AI 415).
    public var payeeGLN: String?
    public var documentType: String?
    public var itemCount: Int?
    public var mainHSNCode: String?
    public var signature: Signature

    public init(
        source: Source, invoiceNumber: String, amount: Money? = nil, invoiceDate: LocalDate? = nil, irn: String? = nil,
        sellerGstin: GSTIN? = nil, buyerGstin: GSTIN? = nil, payeeGLN: String? = nil, documentType: String? = nil,
        itemCount: Int? = nil, mainHSNCode: String? = nil, signature: Signature = .none
    ) {
        self.source = source
        self.invoiceNumber = invoiceNumber
        self.amount = amount
        self.invoiceDate = invoiceDate
        self.irn = irn
        self.sellerGstin = sellerGstin
        self.buyerGstin = buyerGstin
        self.payeeGLN = payeeGLN
        self.documentType = documentType
        self.itemCount = itemCount
        self.mainHSNCode = mainHSNCode
        self.signature = signature
    }

    public var key: String { normalizedInvoiceKey(invoiceNumber) }
}

/// A UPI virtual payment address, `name@handle`. Checked for shape only: whether it exists is the bank's to say.
public enum VPA {
    /// True for `local@handle` with a 2–256 character local part of letters, digits, `.`, `-`, `_` and a
    /// handle of 2–64 letters and digits starting with a letter.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0].utf8
        let handle = parts[1].utf8
        let isAlnum = { (b: UInt8) in (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        guard (2...256).contains(local.count), local.allSatisfy({ isAlnum($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F })
        else { return false }
        guard (2...64).contains(handle.count), let first = handle.first, isAlnum(first), !(0x30...0x39).contains(first),
            handle.allSatisfy(isAlnum)
        else { return false }
        return true
    }
}

/// Which UPI addresses an invoice may name as its payee: the merchant's own, and those the device profile
/// allows (`[upi] allowed_payees`, a distributor's second account). A payee from outside — an altered feed, a
/// bad ERP export — is refused where the invoice comes in (import, sync) and no QR is ever made for it.
public struct PayeePolicy: Sendable, Equatable {
    public let merchant: String
    public let allowed: [String]

    public init(merchant: String, allowed: [String] = []) {
        self.merchant = merchant
        self.allowed = allowed
    }

    /// UPI addresses compare without regard to case (payer apps lower-case them).
    public func allows(_ vpa: String) -> Bool {
        let wanted = vpa.lowercased()
        return wanted == merchant.lowercased() || allowed.contains { $0.lowercased() == wanted }
    }

    /// Why `invoice` cannot be taken, or nil when its payee (if any) is allowed.
    public func refusal(_ invoice: Invoice) -> String? {
        guard let payee = invoice.payeeVPA, !allows(payee) else { return nil }
        return "invoice \(invoice.number) names the payee \(payee), which is neither this merchant's UPI address nor in [upi] allowed_payees: refused (no QR will pay it)"
    }
}
