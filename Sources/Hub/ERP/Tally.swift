import AsyncHTTPClient
import FieldPayCore
import Foundation
import NIOCore

/// `[erp.tally]`: TallyPrime's XML-over-HTTP server (F1 Help → Settings → Connectivity: "TallyPrime acts as
/// Server", port 9000).
public struct TallySettings: Sendable, Equatable {
    /// Tally's HTTP server. Tally speaks plain HTTP only: keep it on this machine or a trusted LAN or VPN.
    public var url = "http://127.0.0.1:9000"
    /// The company vouchers go to, exactly as Tally names it (`SVCURRENTCOMPANY`).
    public var company: String
    /// The bank or cash ledger debited, by payment method; each must exist in the company with exactly this name.
    public var upiLedger: String
    public var cashLedger = "Cash"
    public var chequeLedger: String
    public var voucherType = "Receipt"
    public var timeout: Duration = .seconds(30)
    /// Vouchers per import request; a request Tally refuses in part is sent again one voucher at a time.
    public var batchSize = 25

    public init(company: String, upiLedger: String, chequeLedger: String) {
        self.company = company
        self.upiLedger = upiLedger
        self.chequeLedger = chequeLedger
    }

    public func ledger(for method: String) -> String {
        switch method {
        case "upi": upiLedger
        case "cheque": chequeLedger
        default: cashLedger
        }
    }
}

/// What Tally answered to an import: it answers HTTP 200 even when the import failed, so success is read from
/// the counts: `ERRORS` 0, `EXCEPTIONS` 0 and no `LINEERROR`.
public struct TallyImportResult: Sendable, Equatable {
    public var created = 0
    public var altered = 0
    public var ignored = 0
    public var errors = 0
    public var exceptions = 0
    public var cancelled = 0
    public var lastVoucherID: String?
    public var lineErrors: [String] = []

    public var isClean: Bool { errors == 0 && exceptions == 0 && lineErrors.isEmpty }

    /// Reads TallyPrime's `<ENVELOPE>…<IMPORTRESULT>` and Tally.ERP 9's `<RESPONSE>` alike; nil when the body
    /// is not an import result at all.
    public static func parse(_ data: Data) -> TallyImportResult? {
        guard let root = XMLTree.parse(data) else { return nil }
        func count(_ name: String) -> Int? { root.first(name).flatMap { Int($0) } }
        guard count("CREATED") != nil || count("ERRORS") != nil || !root.all("LINEERROR").isEmpty else { return nil }
        var result = TallyImportResult()
        result.created = count("CREATED") ?? 0
        result.altered = count("ALTERED") ?? 0
        result.ignored = count("IGNORED") ?? 0
        result.errors = count("ERRORS") ?? 0
        result.exceptions = count("EXCEPTIONS") ?? 0
        result.cancelled = count("CANCELLED") ?? 0
        result.lastVoucherID = root.first("LASTVCHID").flatMap { $0.isEmpty || $0 == "0" ? nil : $0 }
        result.lineErrors = root.all("LINEERROR").map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        return result
    }
}

/// Tally's XML: amounts, dates, the import envelope for Receipt vouchers, and the two exports.
public enum TallyXML {
    /// `20261207`
    public static func date(_ day: LocalDate) -> String {
        let (y, m, d) = day.components
        return String(format: "%04d%02d%02d", y, m, d)
    }

    /// Tally's signed amount: a debit is negative, a credit positive (`-1180.00`, `1180.00`).
    public static func amount(_ money: Money) -> String { money.plainString }

    /// A date as Tally exports it: `20261207`, or `7-Dec-2026` / `7-Dec-26` in a report's text.
    public static func parseDate(_ text: String) -> LocalDate? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 8, trimmed.allSatisfy(\.isASCII), let value = Int(trimmed) {
            return LocalDate(year: value / 10_000, month: value / 100 % 100, day: value % 100)
        }
        let parts = trimmed.split(separator: "-")
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard parts.count == 3, let day = Int(parts[0]), let month = months.firstIndex(of: parts[1].lowercased()), var year = Int(parts[2]) else {
            return nil
        }
        if parts[2].count == 2 { year += 2000 }
        return LocalDate(year: year, month: month + 1, day: day)
    }

    /// An amount as Tally exports it (`-1180.00`, `1180`, `1,180.00 Dr`), exactly, in paise; nil for anything
    /// finer than a paisa or not a number. A `Dr` suffix is negative (a debit), `Cr` positive.
    public static func parseAmount(_ text: String) -> Money? {
        var body = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        var sign: Int64 = 1
        if body.hasSuffix(" Dr") || body.hasSuffix("Dr") {
            sign = -1
            body = String(body.dropLast(2)).trimmingCharacters(in: .whitespaces)
        } else if body.hasSuffix("Cr") {
            body = String(body.dropLast(2)).trimmingCharacters(in: .whitespaces)
        }
        if body.hasPrefix("-") {
            sign = -sign
            body.removeFirst()
        } else if body.hasPrefix("+") {
            body.removeFirst()
        }
        let pieces = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), !pieces[0].isEmpty, pieces[0].count <= 15, pieces[0].allSatisfy({ $0.isASCII && $0.isNumber }),
            let rupees = Int64(pieces[0])
        else { return nil }
        var paise: Int64 = 0
        if pieces.count == 2 {
            let fraction = pieces[1]
            guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.dropFirst(2).allSatisfy({ $0 == "0" }) else { return nil }
            let two = String((fraction + "00").prefix(2))
            paise = Int64(two) ?? 0
        }
        return Money(paise: sign * (rupees * 100 + paise))
    }

    static func staticVariables(_ settings: TallySettings, _ extra: String = "") -> String {
        "<STATICVARIABLES><SVCURRENTCOMPANY>\(XMLTree.escape(settings.company))</SVCURRENTCOMPANY>\(extra)</STATICVARIABLES>"
    }

    /// One import request for `vouchers`: each a Receipt with `REMOTEID` = the payment's UUID (a resend alters it,
    /// never a second voucher); the party's line a credit (`ISDEEMEDPOSITIVE` No, positive) split bill-wise, one
    /// `Agst Ref` per invoice and `On Account` for the rest; the bank or cash line the matching debit.
    public static func importEnvelope(_ vouchers: [ERPVoucher], settings: TallySettings) -> String {
        var xml = """
            <ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER><BODY><IMPORTDATA><REQUESTDESC>\
            <REPORTNAME>Vouchers</REPORTNAME>\(staticVariables(settings))</REQUESTDESC><REQUESTDATA>
            """
        for voucher in vouchers {
            let party = XMLTree.escape(voucher.ledger)
            let type = XMLTree.escape(settings.voucherType)
            xml += """
                <TALLYMESSAGE xmlns:UDF="TallyUDF"><VOUCHER REMOTEID="\(XMLTree.escape(voucher.paymentID))" VCHTYPE="\(type)" ACTION="Create" \
                OBJVIEW="Accounting Voucher View"><DATE>\(date(voucher.date))</DATE><EFFECTIVEDATE>\(date(voucher.date))</EFFECTIVEDATE>\
                <VOUCHERTYPENAME>\(type)</VOUCHERTYPENAME><PARTYLEDGERNAME>\(party)</PARTYLEDGERNAME>\
                <REFERENCE>\(XMLTree.escape(voucher.receiptNumber))</REFERENCE><NARRATION>\(XMLTree.escape(voucher.narration))</NARRATION>\
                <ALLLEDGERENTRIES.LIST><LEDGERNAME>\(party)</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><ISPARTYLEDGER>Yes</ISPARTYLEDGER>\
                <AMOUNT>\(amount(voucher.amount))</AMOUNT>
                """
            for part in voucher.allocations {
                xml += "<BILLALLOCATIONS.LIST><NAME>\(XMLTree.escape(part.invoice))</NAME><BILLTYPE>Agst Ref</BILLTYPE><AMOUNT>\(amount(part.amount))</AMOUNT></BILLALLOCATIONS.LIST>"
            }
            if voucher.onAccount.isPositive {
                xml += "<BILLALLOCATIONS.LIST><BILLTYPE>On Account</BILLTYPE><AMOUNT>\(amount(voucher.onAccount))</AMOUNT></BILLALLOCATIONS.LIST>"
            }
            xml += """
                </ALLLEDGERENTRIES.LIST><ALLLEDGERENTRIES.LIST><LEDGERNAME>\(XMLTree.escape(settings.ledger(for: voucher.method)))</LEDGERNAME>\
                <ISDEEMEDPOSITIVE>Yes</ISDEEMEDPOSITIVE><AMOUNT>\(amount(-voucher.amount))</AMOUNT></ALLLEDGERENTRIES.LIST></VOUCHER></TALLYMESSAGE>
                """
        }
        return xml + "</REQUESTDATA></IMPORTDATA></BODY></ENVELOPE>"
    }

    /// One import request cancelling the vouchers booked for `vouchers` (found by `REMOTEID`, the payment's UUID,
    /// never by voucher number): Tally keeps a cancelled voucher, with its number, and takes away its effect.
    public static func cancelEnvelope(_ vouchers: [ERPVoucher], settings: TallySettings) -> String {
        var xml = """
            <ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER><BODY><IMPORTDATA><REQUESTDESC>\
            <REPORTNAME>Vouchers</REPORTNAME>\(staticVariables(settings))</REQUESTDESC><REQUESTDATA>
            """
        for voucher in vouchers {
            let type = XMLTree.escape(settings.voucherType)
            let why = "Reversed at the FieldPay hub" + (voucher.reversalReason.map { ": \($0)" } ?? "") + ". " + voucher.narration
            xml += """
                <TALLYMESSAGE xmlns:UDF="TallyUDF"><VOUCHER REMOTEID="\(XMLTree.escape(voucher.paymentID))" VCHTYPE="\(type)" ACTION="Cancel">\
                <DATE>\(date(voucher.date))</DATE><VOUCHERTYPENAME>\(type)</VOUCHERTYPENAME><NARRATION>\(XMLTree.escape(why))</NARRATION>\
                </VOUCHER></TALLYMESSAGE>
                """
        }
        return xml + "</REQUESTDATA></IMPORTDATA></BODY></ENVELOPE>"
    }

    /// The company's outstanding bills receivable: a collection of Bills of every Sundry Debtor, with a
    /// non-zero closing balance.
    public static func billsRequest(settings: TallySettings) -> String {
        """
        <ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Collection</TYPE><ID>FieldPayBills</ID></HEADER>\
        <BODY><DESC>\(staticVariables(settings, "<SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT>"))<TDL><TDLMESSAGE>\
        <COLLECTION NAME="FieldPayBills" ISMODIFY="No"><TYPE>Bills</TYPE><CHILDOF>$$GroupSundryDebtors</CHILDOF><BELONGSTO>Yes</BELONGSTO>\
        <FETCH>Name, Parent, BillDate, BillCreditPeriod, ClosingBalance</FETCH><FILTER>FieldPayOpenBill</FILTER></COLLECTION>\
        <SYSTEM TYPE="Formulae" NAME="FieldPayOpenBill">NOT $$IsZero:$ClosingBalance</SYSTEM>\
        </TDLMESSAGE></TDL></DESC></BODY></ENVELOPE>
        """
    }

    /// The company's vouchers of the receipt type dated `day`.
    public static func receiptsRequest(day: LocalDate, settings: TallySettings) -> String {
        let when = date(day)
        return """
            <ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Collection</TYPE><ID>FieldPayReceipts</ID></HEADER>\
            <BODY><DESC>\(staticVariables(settings, "<SVFROMDATE>\(when)</SVFROMDATE><SVTODATE>\(when)</SVTODATE><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT>"))\
            <TDL><TDLMESSAGE><COLLECTION NAME="FieldPayReceipts" ISMODIFY="No"><TYPE>Voucher</TYPE>\
            <FETCH>Date, VoucherTypeName, VoucherNumber, PartyLedgerName, Amount, IsCancelled, GUID, RemoteID</FETCH>\
            <FILTER>FieldPayReceiptType</FILTER></COLLECTION>\
            <SYSTEM TYPE="Formulae" NAME="FieldPayReceiptType">$VoucherTypeName = "\(XMLTree.escape(settings.voucherType))"</SYSTEM>\
            </TDLMESSAGE></TDL></DESC></BODY></ENVELOPE>
            """
    }

    /// The bills of a `FieldPayBills` export. A debit balance (receivable) is negative in Tally's XML; a credit
    /// balance (an advance against a bill) is returned with a negative `pending` for the caller to skip.
    public static func parseBills(_ root: XMLTreeElement) throws -> [ERPBill] {
        var bills: [ERPBill] = []
        for element in root.all("BILL") {
            guard let name = element.attributes["NAME"] ?? element.value("NAME"), !name.isEmpty else { continue }
            guard let party = element.value("PARENT"), !party.isEmpty else { throw ERPError("Tally's bill \(name) has no party (PARENT)") }
            guard let dateText = element.value("BILLDATE"), let billDate = parseDate(dateText) else {
                throw ERPError("Tally's bill \(name) of \(party) has no bill date Tally's way (BILLDATE \(element.value("BILLDATE") ?? "missing"))")
            }
            guard let balanceText = element.value("CLOSINGBALANCE"), let balance = parseAmount(balanceText) else {
                throw ERPError("Tally's bill \(name) of \(party) has a closing balance that is not an amount: \(element.value("CLOSINGBALANCE") ?? "missing")")
            }
            var due = billDate
            if let period = element.child("BILLCREDITPERIOD") {
                let text = period.text.trimmingCharacters(in: .whitespaces)
                if let date = parseDate(text) {
                    due = date
                } else if let days = Int(text.lowercased().replacingOccurrences(of: "days", with: "").replacingOccurrences(of: "day", with: "")
                    .trimmingCharacters(in: .whitespaces))
                {
                    due = billDate.adding(days: days)
                } else if let p = period.attributes["P"], let date = parseDate(p) {
                    due = date
                }
            }
            bills.append(ERPBill(party: party, reference: name, date: billDate, dueDate: due, pending: Money(paise: -balance.paise)))
        }
        return bills
    }

    public static func parseReceipts(_ root: XMLTreeElement) throws -> [ERPRecord] {
        try root.all("VOUCHER").map { element in
            let party = element.value("PARTYLEDGERNAME") ?? ""
            guard let text = element.value("AMOUNT"), let amount = parseAmount(text) else {
                throw ERPError("Tally's voucher \(element.value("VOUCHERNUMBER") ?? "?") of \(party) has no amount")
            }
            let remote = element.attributes["REMOTEID"].flatMap { $0.isEmpty ? nil : $0 } ?? element.value("REMOTEID").flatMap { $0.isEmpty ? nil : $0 }
                ?? element.value("GUID").flatMap { UUID(uuidString: $0) != nil ? $0 : nil }
            return ERPRecord(
                paymentID: remote?.lowercased(), number: element.value("VOUCHERNUMBER"), party: party, amount: Money(paise: abs(amount.paise)),
                cancelled: element.value("ISCANCELLED") == "Yes")
        }
    }
}

/// TallyPrime over its XML HTTP server.
public struct TallyConnector: ERPConnector {
    public let settings: TallySettings
    let client: HTTPClient
    public var name: String { "tally" }
    public var batchSize: Int { settings.batchSize }
    /// A resend only alters (REMOTEID): the lease just keeps two processes from sending the same batch at once.
    public var claimLease: Duration { settings.timeout + .seconds(5) }

    public init(settings: TallySettings, client: HTTPClient = .shared) {
        self.settings = settings
        self.client = client
    }

    /// Posts one XML request; the body of Tally's answer.
    func post(_ xml: String, limit: Int = 256 << 20) async throws -> Data {
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "text/xml; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: xml))
        let response: HTTPClientResponse
        do { response = try await client.execute(request, timeout: settings.timeout.timeAmount) } catch {
            throw ERPError("Tally is not answering at \(settings.url) (\(error)): is TallyPrime open, with the company loaded and its HTTP server on (F1 Help → Settings → Connectivity, port 9000)?")
        }
        guard response.status == .ok else {
            throw ERPError("Tally at \(settings.url) answered HTTP \(response.status.code)")
        }
        var buffer = try await response.body.collect(upTo: limit)
        return buffer.readData(length: buffer.readableBytes) ?? Data()
    }

    public func push(_ vouchers: [ERPVoucher]) async -> [ERPPushOutcome] {
        guard !vouchers.isEmpty else { return [] }
        let data: Data
        do { data = try await post(TallyXML.importEnvelope(vouchers, settings: settings), limit: 1 << 20) } catch {
            return vouchers.map { _ in .retry("\(error)") }
        }
        guard let result = TallyImportResult.parse(data) else {
            let shown = String(decoding: data.prefix(200), as: UTF8.self)
            return vouchers.map { _ in .retry("Tally answered something that is not an import result: \(shown)") }
        }
        if result.isClean, result.ignored == 0, result.created + result.altered == vouchers.count {
            if vouchers.count == 1 { return [.accepted(reference: result.lastVoucherID, created: result.created == 1)] }
            return vouchers.map { _ in .accepted(reference: nil, created: result.created > 0) }
        }
        // Refused in part: which voucher Tally means is not said, so each goes again alone. The ones it booked
        // are altered in place (same REMOTEID), never booked twice.
        if vouchers.count > 1 {
            var outcomes: [ERPPushOutcome] = []
            for voucher in vouchers { outcomes += await push([voucher]) }
            return outcomes
        }
        return [.rejected(refusal(result, vouchers[0]))]
    }

    public func cancel(_ vouchers: [ERPVoucher]) async -> [ERPPushOutcome] {
        guard !vouchers.isEmpty else { return [] }
        let data: Data
        do { data = try await post(TallyXML.cancelEnvelope(vouchers, settings: settings), limit: 1 << 20) } catch {
            return vouchers.map { _ in .retry("\(error)") }
        }
        guard let result = TallyImportResult.parse(data) else {
            let shown = String(decoding: data.prefix(200), as: UTF8.self)
            return vouchers.map { _ in .retry("Tally answered something that is not an import result: \(shown)") }
        }
        if result.isClean, result.cancelled == vouchers.count { return vouchers.map { _ in .accepted(reference: nil, created: false) } }
        if vouchers.count > 1 {
            var outcomes: [ERPPushOutcome] = []
            for voucher in vouchers { outcomes += await cancel([voucher]) }
            return outcomes
        }
        // Tally holds no voucher under this REMOTEID (never booked, or deleted there by hand): nothing to undo.
        if result.cancelled == 0, result.exceptions == 0, result.lineErrors.count == 1,
            result.lineErrors[0].localizedCaseInsensitiveContains("does not exist"), result.lineErrors[0].contains(vouchers[0].paymentID)
        {
            return [.accepted(reference: nil, created: false)]
        }
        if result.isClean, result.cancelled == 1 { return [.accepted(reference: nil, created: false)] }
        return [.rejected("cancelling it: " + refusal(result, vouchers[0]))]
    }

    /// A refusal in words a manager can act on.
    func refusal(_ result: TallyImportResult, _ voucher: ERPVoucher) -> String {
        let company = "company '\(settings.company)'"
        if !result.lineErrors.isEmpty {
            let said = result.lineErrors.map { line in
                var text = line.hasSuffix("!") ? String(line.dropLast()) : line
                if text.contains("does not exist"), !text.contains(settings.company) { text += " in \(company)" }
                return text
            }
            return "Tally refused receipt \(voucher.receiptNumber): \(said.joined(separator: "; "))"
        }
        if result.exceptions > 0 {
            return "Tally raised an exception on receipt \(voucher.receiptNumber) in \(company): check that the voucher type '\(settings.voucherType)', ledger '\(voucher.ledger)' and ledger '\(settings.ledger(for: voucher.method))' exist, and that the date \(voucher.date.isoString) is inside the company's books"
        }
        if result.ignored > 0 {
            return "Tally ignored receipt \(voucher.receiptNumber) in \(company) (IGNORED \(result.ignored)): a voucher it will not alter, perhaps locked or in a closed period"
        }
        return "Tally did not book receipt \(voucher.receiptNumber) in \(company) (CREATED \(result.created), ALTERED \(result.altered), ERRORS \(result.errors)) and did not say why"
    }

    public func pullBills() async throws -> [ERPBill] {
        let data = try await post(TallyXML.billsRequest(settings: settings))
        let root: XMLTreeElement
        do { root = try XMLTree.parseOrExplain(data) } catch {
            throw ERPError("Tally's bills export (\(data.count) bytes) is \(error): \(String(decoding: data.prefix(120), as: UTF8.self))")
        }
        if let error = root.first("LINEERROR") { throw ERPError("Tally refused the bills export for company '\(settings.company)': \(error)") }
        return try TallyXML.parseBills(root)
    }

    public func receipts(on day: LocalDate) async throws -> [ERPRecord] {
        let data = try await post(TallyXML.receiptsRequest(day: day, settings: settings))
        let root: XMLTreeElement
        do { root = try XMLTree.parseOrExplain(data) } catch {
            throw ERPError("Tally's vouchers export (\(data.count) bytes) is \(error): \(String(decoding: data.prefix(120), as: UTF8.self))")
        }
        if let error = root.first("LINEERROR") { throw ERPError("Tally refused the vouchers export for company '\(settings.company)': \(error)") }
        return try TallyXML.parseReceipts(root).filter { !$0.cancelled }
    }
}
