import FieldPayCore
import Foundation
import InvoiceImport

#if canImport(Glibc)
    import Glibc
#endif

extension SQLiteHubStore {
    public func importStatement(path: String, bank: String = "bank") throws -> StatementImport {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StatementError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var reader = CSVReader(fd: fd)
        do {
            try reader.start()
            guard let header = try reader.next() else { throw StatementError(description: "\(path) is empty") }
            let names = header.fields.map { $0.lowercased().filter { $0.isLetter } }
            // The first candidate present wins (a "Credit" column before a plain "Amount").
            func column(_ candidates: [String]) -> Int? { candidates.lazy.compactMap { names.firstIndex(of: $0) }.first }
            let utrColumn = column(["utr", "rrn", "utrno", "utrnumber", "refno", "referenceno", "reference", "chqrefno", "transactionid"])
            guard let amountColumn = column(["credit", "creditamount", "deposit", "deposits", "depositamt", "cr", "amount"]) else {
                throw StatementError(description: "\(path): no credit/deposit/amount column in the header line")
            }
            // A lone "Amount" column holds debits as well as credits: only with a Dr/Cr column saying which.
            let generic = names[amountColumn] == "amount"
            let directionColumn = column(["drcr", "crdr", "creditdebit", "debitcredit", "type", "transactiontype"])
            if generic && directionColumn == nil {
                throw StatementError(
                    description: "\(path): its only money column is Amount, which holds debits too; export the statement with Debit and Credit columns, or with a Dr/Cr column")
            }
            let narrationColumn = column(["narration", "description", "remarks", "particulars", "details"])
            let trColumn = column(["tr", "qrreference", "upireference"])
            guard utrColumn != nil || narrationColumn != nil else {
                throw StatementError(description: "\(path): needs a UTR/RRN column or a narration to find the UTR in")
            }
            var result = StatementImport()
            while let (line, fields) = try reader.next() {
                result.lines += 1
                func cell(_ index: Int?) -> String? {
                    guard let index, index < fields.count else { return nil }
                    let text = fields[index].trimmingCharacters(in: .whitespaces)
                    return text.isEmpty ? nil : text
                }
                let narration = cell(narrationColumn) ?? ""
                let tokens = narration.split(whereSeparator: { "/ -:|".contains($0) }).map(String.init)
                if generic, cell(directionColumn)?.uppercased().hasPrefix("C") != true {
                    result.outcomes["not-a-credit", default: 0] += 1  // a debit (Dr) line
                    continue
                }
                guard let amountText = cell(amountColumn) else {
                    result.outcomes["not-a-credit", default: 0] += 1  // a debit line: nothing to do
                    continue
                }
                guard let amount = try? Money(parsing: amountText), amount.isPositive else {
                    result.rejected.append((line, "\(amountText) is not a credit amount"))
                    continue
                }
                guard let utr = cell(utrColumn).flatMap({ isUTR($0) ? $0 : nil }) ?? tokens.first(where: isUTR) else {
                    result.rejected.append((line, "no 12-digit UTR on this line"))
                    continue
                }
                let reference = cell(trColumn) ?? tokens.first { token in
                    token.count >= 10 && !isUTR(token) && !token.contains("@") && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
                        && token.contains(where: \.isNumber) && token.contains(where: \.isLetter)
                }
                let outcome = try applyCredit(
                    CreditNotice(provider: bank, providerPaymentID: utr, amount: amount, utr: utr, reference: reference, source: "statement"))
                result.outcomes[outcome.rawValue, default: 0] += 1
            }
            return result
        } catch let error as ImportError {
            throw StatementError(description: "\(path): \(error.message)")
        }
    }
}
