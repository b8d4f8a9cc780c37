import FieldPayCore

/// Turns a row of an invoice file into an invoice and its customer, or says why not. Column names are
/// matched loosely (case, spaces, dashes and underscores do not matter) and common ERP names are accepted.
/// The columns an invoice file may have, by their canonical names.
public enum Column: String, CaseIterable, Sendable {
    case invoiceNumber = "invoice_number", invoiceDate = "invoice_date", dueDate = "due_date"
    case customerName = "customer_name", customerCode = "customer_code", total, paid, outstanding, currency
    case sellerGstin = "seller_gstin", buyerGstin = "buyer_gstin", payeeVPA = "payee_vpa", irn, region, phone

    /// Its place in a `RawRow` (a switch: no hashing per cell).
    var position: Int {
        switch self {
        case .invoiceNumber: 0
        case .invoiceDate: 1
        case .dueDate: 2
        case .customerName: 3
        case .customerCode: 4
        case .total: 5
        case .paid: 6
        case .outstanding: 7
        case .currency: 8
        case .sellerGstin: 9
        case .buyerGstin: 10
        case .payeeVPA: 11
        case .irn: 12
        case .region: 13
        case .phone: 14
        }
    }
}

public enum InvoiceColumns {
    /// Canonical name → accepted spellings (already folded: lower case, no separators).
    static let aliases: [String: [String]] = [
        "invoice_number": ["invoicenumber", "invoiceno", "invoice", "invno", "number", "docno", "billno", "voucherno"],
        "invoice_date": ["invoicedate", "date", "docdate", "docdt", "billdate", "voucherdate"],
        "due_date": ["duedate", "due", "paymentduedate"],
        "customer_name": ["customername", "customer", "party", "partyname", "buyername", "buyer"],
        "customer_code": ["customercode", "customerid", "partycode", "ledgercode", "buyercode"],
        "total": ["total", "amount", "invoicetotal", "totinvval", "invoiceamount", "grandtotal"],
        "paid": ["paid", "amountpaid", "received", "amountreceived"],
        "outstanding": ["outstanding", "balance", "amountdue", "dueamount", "pending", "balancedue"],
        "currency": ["currency", "cur"],
        "seller_gstin": ["sellergstin", "suppliergstin"],
        "buyer_gstin": ["buyergstin", "customergstin", "gstin", "partygstin"],
        "payee_vpa": ["payeevpa", "vpa", "upiid", "upi"],
        "irn": ["irn"],
        "region": ["region", "area", "route", "beat"],
        "phone": ["phone", "mobile", "customerphone", "whatsapp"],
    ]

    static let required: [Column] = [.invoiceNumber, .invoiceDate, .dueDate, .total]

    static func fold(_ name: String) -> String {
        String(String.UnicodeScalarView(name.lowercased().unicodeScalars.filter { $0 != " " && $0 != "_" && $0 != "-" && $0 != "." }))
    }

    static let lookup: [String: Column] = {
        var lookup: [String: Column] = [:]
        for (canonical, spellings) in aliases {
            for spelling in spellings { lookup[spelling] = Column(rawValue: canonical)! }
        }
        return lookup
    }()

    /// Maps a file's column names to columns; unknown and repeated columns are ignored.
    static func columns(_ header: [String]) -> [Column?] {
        var seen = Set<Column>()
        return header.map { name in
            guard let column = lookup[fold(String(name.trimmingSpaces))], seen.insert(column).inserted else { return nil }
            return column
        }
    }

    /// Throws `.missingColumns` unless the required columns and a customer column are there.
    static func checkHeader(_ present: Set<Column>, file: String) throws(ImportError) {
        var missing = required.filter { !present.contains($0) }.map(\.rawValue)
        if !present.contains(.customerName) && !present.contains(.customerCode) { missing.append("customer_name or customer_code") }
        guard missing.isEmpty else {
            throw ImportError(.missingColumns, "\(file) has no column for \(missing.joined(separator: ", ")) (columns are matched by name: invoice_number, invoice_date, due_date, customer_name, total, …)")
        }
    }
}

public enum InvoiceRowValidator {
    public static func validate(_ row: RawRow) -> Result<ImportRecord, Rejection> {
        func field(_ name: Column) -> String? {
            guard let text = row[name]?.trimmingSpaces, !text.isEmpty else { return nil }
            return String(text)
        }
        let number = field(.invoiceNumber)
        func reject(_ reason: String) -> Result<ImportRecord, Rejection> {
            .failure(Rejection(line: row.line, invoiceNumber: number, reason: reason))
        }
        guard let number else { return reject("no invoice number") }
        guard number.utf8.count <= 64, normalizedInvoiceKey(number).count >= 1 else {
            return reject("invoice number \"\(number.prefix(70))\" is not a usable number (1–64 characters with a letter or digit)")
        }
        guard let dateText = field(.invoiceDate) else { return reject("no invoice date") }
        guard let invoiceDate = LocalDate(parsing: dateText) else {
            return reject("invoice date \"\(dateText)\" is not a date (yyyy-mm-dd or dd/mm/yyyy)")
        }
        guard let dueText = field(.dueDate) else { return reject("no due date") }
        guard let dueDate = LocalDate(parsing: dueText) else {
            return reject("due date \"\(dueText)\" is not a date (yyyy-mm-dd or dd/mm/yyyy)")
        }
        guard dueDate >= invoiceDate else { return reject("due date \(dueDate) is before the invoice date \(invoiceDate)") }
        if let currency = field(.currency), currency.uppercased() != "INR" {
            return reject("currency \(currency) is not INR")
        }

        func amount(_ name: Column, _ label: String) -> Result<Money?, Rejection> {
            guard let text = field(name) else { return .success(nil) }
            do {
                let money = try Money(parsing: text)
                guard !money.isNegative else {
                    return .failure(Rejection(line: row.line, invoiceNumber: number, reason: "\(label) \(text) is negative"))
                }
                return .success(money)
            } catch {
                return .failure(Rejection(line: row.line, invoiceNumber: number, reason: "\(label): \(error.message)"))
            }
        }
        let total: Money
        switch amount(.total, "total") {
        case .failure(let rejection): return .failure(rejection)
        case .success(nil): return reject("no total")
        case .success(let value?): total = value
        }
        var paid: Money?
        var outstanding: Money?
        switch amount(.paid, "amount paid") {
        case .failure(let rejection): return .failure(rejection)
        case .success(let value): paid = value
        }
        switch amount(.outstanding, "outstanding") {
        case .failure(let rejection): return .failure(rejection)
        case .success(let value): outstanding = value
        }
        switch (paid, outstanding) {
        case (nil, nil): outstanding = total
        case (let paid?, nil):
            guard paid <= total else { return reject("amount paid \(paid.plainString) is more than the total \(total.plainString)") }
            outstanding = total - paid
        case (nil, let due?):
            guard due <= total else { return reject("outstanding \(due.plainString) is more than the total \(total.plainString)") }
        case (let paid?, let due?):
            guard paid + due == total else {
                return reject("paid \(paid.plainString) + outstanding \(due.plainString) is not the total \(total.plainString)")
            }
        }

        var sellerGstin: GSTIN?
        var buyerGstin: GSTIN?
        for (name, label) in [(Column.sellerGstin, "seller GSTIN"), (.buyerGstin, "buyer GSTIN")] {
            guard let text = field(name), text.uppercased() != "URP" else { continue }
            do {
                let gstin = try GSTIN(text)
                if name == .sellerGstin { sellerGstin = gstin } else { buyerGstin = gstin }
            } catch { return reject("\(label): \(error.message)") }
        }
        let vpa = field(.payeeVPA)
        if let vpa, !VPA.isValid(vpa) { return reject("payee VPA \"\(vpa)\" is not a UPI address (name@bank)") }
        var irn = field(.irn)?.lowercased()
        if let value = irn {
            guard value.utf8.count == 64, value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                return reject("IRN is not 64 hexadecimal characters")
            }
        } else {
            irn = nil
        }

        let name = field(.customerName)
        guard let code = field(.customerCode) ?? name.map({ normalizedInvoiceKey($0) }).flatMap({ $0.isEmpty ? nil : $0 }) else {
            return reject("no customer (name or code)")
        }
        guard code.utf8.count <= 64 else { return reject("customer code is longer than 64 characters") }
        var phone: String?
        if let text = field(.phone) {
            guard let number = PhoneNumber(text) else {
                return reject("phone \"\(text)\" is not a mobile number (+91 and 10 digits, or +country and number)")
            }
            phone = number.e164
        }
        let customer = Customer(code: code, name: name ?? code, gstin: buyerGstin, phone: phone, region: field(.region))
        let invoice = Invoice(
            number: number, customerCode: code, invoiceDate: invoiceDate, dueDate: dueDate, total: total,
            outstanding: outstanding!, sellerGstin: sellerGstin, buyerGstin: buyerGstin, irn: irn, payeeVPA: vpa)
        return .success(ImportRecord(line: row.line, customer: customer, invoice: invoice))
    }
}
