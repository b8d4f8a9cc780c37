import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// The managers' reports: JSON by default, CSV with `format=csv` (or `Accept: text/csv`). Every route needs
/// a manager's token (`fieldpay-hub managers add`); a device's token is refused.
func reportRoutes(store: some HubStorage, bodyLimit: Int) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)

    routes.get("/v1/reports/aging") { request, _ -> Response in
        let account = try managerAccess(request, store: store, regional: true)
        let query = ReportQuery(request)
        let asOf = try query.date("as_of", default: LocalDate.today())
        let edges = try query.edges()
        let format = try query.format()
        let paging = try query.paging()
        let report = try aging(for: account, store: store, asOf: asOf, edges: edges, page: paging.page, perPage: format == .csv ? nil : paging.perPage)
        guard format == .csv else { return try reportJSON(report) }
        return agingCSV(report).response(filename: "aging-\(report.asOf).csv")
    }

    routes.get("/v1/reports/aging/customers/:code") { request, context -> Response in
        let code = try context.parameters.require("code")
        try regionalAccess(request, store: store, customer: code)
        let query = ReportQuery(request)
        let asOf = try query.date("as_of", default: LocalDate.today())
        let edges = try query.edges()
        let format = try query.format()
        let paging = try query.paging()
        guard let report = try store.customerAging(code, asOf: asOf, edges: edges, page: paging.page, perPage: format == .csv ? nil : paging.perPage)
        else { throw ProblemError(status: .notFound, detail: "no customer \(code) at this hub") }
        guard format == .csv else { return try reportJSON(report) }
        var csv = CSVWriter(header: ["invoice", "invoice_date", "due_date", "total", "outstanding", "days_past_due", "bucket"])
        for row in report.invoices {
            csv.add(text: [row.number], numbers: [row.invoiceDate, row.dueDate, row.total, row.outstanding, String(row.daysPastDue), row.bucket])
        }
        return csv.response(filename: "aging-\(code)-\(report.asOf).csv")
    }

    routes.get("/v1/reports/dso") { request, _ -> Response in
        try managerID(request, store: store)
        let query = ReportQuery(request)
        let to = try query.date("to", default: LocalDate.today())
        let from = try query.date("from", default: to.adding(days: -29))
        try query.checkRange(from: from, to: to)
        return try reportJSON(try store.dso(from: from, to: to))
    }

    routes.get("/v1/reports/register") { request, _ -> Response in
        let account = try managerAccess(request, store: store, regional: true)
        let query = ReportQuery(request)
        let to = try query.date("to", default: LocalDate.today())
        let from = try query.date("from", default: to)
        try query.checkRange(from: from, to: to)
        let format = try query.format()
        let paging = try query.paging()
        let report = try store.register(
            from: from, to: to, page: paging.page, perPage: format == .csv ? nil : paging.perPage, regions: account.isRegionLimited ? account.regions : nil)
        guard format == .csv else { return try reportJSON(report) }
        return registerCSV(report).response(filename: "register-\(report.from)-\(report.to).csv")
    }

    routes.get("/v1/customers/:code/history") { request, context -> Response in
        let code = try context.parameters.require("code")
        try regionalAccess(request, store: store, customer: code)
        let query = ReportQuery(request)
        let limit = try query.integer("limit", default: 200, range: 1...5000)
        let format = try query.format()
        guard let history = try store.customerHistory(code, limit: limit) else {
            throw ProblemError(status: .notFound, detail: "no customer \(code) at this hub")
        }
        guard format == .csv else { return try reportJSON(history) }
        // One row per allocation: what was paid against which invoice, when, how and by whom.
        var csv = CSVWriter(header: ["day", "receipt", "method", "rep", "status", "payment_amount", "invoice", "allocated"])
        for payment in history.payments {
            let parts = payment.allocations.isEmpty ? [HistoryAllocation(invoice: "", amount: "")] : payment.allocations
            for part in parts {
                csv.add(
                    text: [payment.day, payment.receiptNumber ?? "", payment.method, payment.rep ?? "", payment.status],
                    numbers: [payment.amount], moreText: [part.invoice], moreNumbers: [part.amount])
            }
        }
        return csv.response(filename: "history-\(code).csv")
    }
    return routes
}

/// The manager a request's `Authorization: Bearer mgr_<id>.<secret>` names (401/403 in problem JSON otherwise),
/// checked against their role: a viewer reads only (any method but GET
/// and HEAD is refused), an admin-only route (`admin`) refuses the rest.
@discardableResult
func managerID(_ request: Request, store: some DeviceRegistry & ManagerDirectory, admin: Bool = false) throws -> String {
    try managerAccess(request, store: store, admin: admin).id
}

/// The aging report an account may read: the whole book, or for an account held to regions, every customer's row
/// read, those of other regions dropped, the totals added up again from what is left, then paged.
func aging(for account: ManagerAccount, store: some ReportStore, asOf: LocalDate, edges: AgingEdges, page: Int, perPage: Int?) throws -> AgingReport {
    guard account.isRegionLimited else { return try store.aging(asOf: asOf, edges: edges, page: page, perPage: perPage) }
    var report = try regional(store.aging(asOf: asOf, edges: edges, page: 1, perPage: nil), account)
    let size = perPage ?? max(report.rows.count, 1)
    report.page = PageInfo(page: page, perPage: size, rows: report.rows.count)
    report.rows = Array(report.rows.dropFirst((page - 1) * size).prefix(size))
    return report
}

/// An aging report cut to the account's regions, its totals added up again (checked: stored amounts that cannot
/// add up are said, never trapped on).
func regional(_ report: AgingReport, _ account: ManagerAccount) throws -> AgingReport {
    var cut = report
    cut.rows = report.rows.filter { account.covers(region: $0.region) }
    var buckets = [Int64](repeating: 0, count: report.buckets.count)
    var invoices = 0
    for row in cut.rows {
        for (index, text) in row.amounts.buckets.enumerated() where index < buckets.count {
            buckets[index] = try StoredPaise.add(buckets[index], wireMoney(text)?.paise ?? 0)
        }
        invoices += row.amounts.invoices
    }
    cut.totals = BucketAmounts(
        buckets: buckets.map { Money(paise: $0).plainString }, outstanding: Money(paise: try StoredPaise.sum(buckets)).plainString, invoices: invoices)
    cut.customers = cut.rows.count
    return cut
}

/// A manager limited to regions may use the routes that name one customer of theirs (`customer`), and the aging
/// report and the register cut to their regions; the other reports and lists over the whole book are not open to them (they would
/// show every region). Any other customer is answered as unknown.
func regionalAccess(_ request: Request, store: some DeviceRegistry & ManagerDirectory & InvoiceBook, customer: String) throws -> ManagerAccount {
    let account = try managerAccess(request, store: store, regional: true)
    guard account.isRegionLimited else { return account }
    guard let region = try store.customerRegion(customer), account.covers(region: region) else {
        throw ProblemError(status: .notFound, detail: "no customer \(customer.prefix(40)) in your regions")
    }
    return account
}

func managerAccess(_ request: Request, store: some DeviceRegistry & ManagerDirectory, admin: Bool = false, regional: Bool = false) throws -> ManagerAccount {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw ProblemError(status: .unauthorized, detail: "reports need Authorization: Bearer <manager token> (fieldpay-hub managers add)")
    }
    switch try store.authenticate(String(header.dropFirst("Bearer ".count))) {
    case .manager(let id):
        guard let account = try store.managerAccount(id) else { throw ProblemError(status: .unauthorized, detail: "unknown manager") }
        try authorize(account, request, admin: admin)
        if account.isRegionLimited, !regional {
            throw ProblemError(
                status: .forbidden,
                detail: "this covers every region and your account is limited to \(account.regions.joined(separator: ", ")): open a customer of yours, or ask an admin")
        }
        return account
    case .device: throw ProblemError(status: .forbidden, detail: "a device's token cannot read reports; use a manager's token")
    case .unknown: throw ProblemError(status: .unauthorized, detail: "unknown manager or wrong secret")
    case .revoked: throw ProblemError(status: .forbidden, detail: "this token was revoked at the hub")
    case .expired: throw ProblemError(status: .unauthorized, detail: "this manager token has expired: ask an admin for a new one (fieldpay-hub managers rotate)")
    }
}

/// What a role may do with a request: viewers read, admins alone manage the hub's managers and read its audit log.
func authorize(_ account: ManagerAccount, _ request: Request, admin: Bool) throws {
    if admin, account.role != .admin { throw ProblemError(status: .forbidden, detail: "only an admin may do this (you are a \(account.role.rawValue))") }
    if !account.role.mayAct, request.method != .get, request.method != .head {
        throw ProblemError(status: .forbidden, detail: "a viewer reads only: this change needs a manager or an admin")
    }
}

/// Reps, assignments and allocation rules: what a manager changes.
func assignmentRoutes(store: some HubStorage, bodyLimit: Int) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    routes.get("/v1/reps") { request, _ -> Response in
        try managerID(request, store: store)
        return try reportJSON(["reps": try store.reps()])
    }

    routes.put("/v1/reps/:name") { request, context -> Response in
        try managerID(request, store: store)
        let name = try context.parameters.require("name")
        let settings = try decodeReport(RepSettings.self, try await body(request, limit: bodyLimit))
        return try reportJSON(try unprocessable { try store.setRep(name, settings) })
    }

    routes.post("/v1/assignments") { request, _ -> Response in
        let manager = try managerID(request, store: store)
        let assignment = try decodeReport(AssignRequest.self, try await body(request, limit: bodyLimit))
        return try reportJSON(try unprocessable { try store.assign(assignment.invoices, to: assignment.rep, actor: manager, reason: assignment.reason) })
    }

    routes.get("/v1/assignments/history") { request, _ -> Response in
        try managerID(request, store: store)
        guard let number = ReportQuery(request).value("invoice"), !number.isEmpty else {
            throw ProblemError(status: .badRequest, detail: "invoice is required: /v1/assignments/history?invoice=INV/2026-27/000123")
        }
        guard let changes = try store.assignmentHistory(number) else { throw ProblemError(status: .notFound, detail: "no invoice \(number) at this hub") }
        return try reportJSON(["changes": changes])
    }

    routes.get("/v1/allocation-rules") { request, _ -> Response in
        try managerID(request, store: store)
        return try reportJSON(AllocationRules(rules: try store.allocationRules()))
    }

    routes.put("/v1/allocation-rules") { request, _ -> Response in
        try managerID(request, store: store)
        let rules = try decodeReport(AllocationRules.self, try await body(request, limit: bodyLimit))
        try unprocessable { try store.setAllocationRules(rules.rules) }
        return try reportJSON(AllocationRules(rules: try store.allocationRules()))
    }

    routes.post("/v1/allocation-rules/apply") { request, _ -> Response in
        let manager = try managerID(request, store: store)
        let asOf = try ReportQuery(request).date("as_of", default: LocalDate.today())
        return try reportJSON(try store.applyAllocationRules(asOf: asOf, actor: manager))
    }
    return routes
}

/// A manager's request the store refused (an unknown rep, a rule out of range): 422 with the store's words.
@discardableResult
func unprocessable<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ReportInputError {
        throw ProblemError(status: .unprocessableContent, detail: error.message)
    }
}

func decodeReport<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
    do { return try ReportCoding.decoder.decode(type, from: data) } catch let error as DecodingError {
        throw ProblemError(status: .badRequest, detail: "the body is not a valid \(type): \(describe(error))")
    } catch {
        throw ProblemError(status: .badRequest, detail: "the body is not JSON")
    }
}

func reportJSON(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try ReportCoding.encoder.encode(value))))
}

enum ReportFormat { case json, csv }

/// A report's query parameters, each checked with a message that says what was expected.
struct ReportQuery {
    let request: Request

    init(_ request: Request) { self.request = request }

    func value(_ name: String) -> String? { request.uri.queryParameters[name[...]].map(String.init) }

    func date(_ name: String, default fallback: LocalDate) throws -> LocalDate {
        guard let text = value(name) else { return fallback }
        return try badRequest { try HubTime.day(text, name) }
    }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let number = Int(text), range.contains(number) else {
            throw ProblemError(status: .badRequest, detail: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func paging() throws -> (page: Int, perPage: Int) {
        (try integer("page", default: 1, range: 1...1_000_000), try integer("per_page", default: 100, range: 1...1000))
    }

    func edges() throws -> AgingEdges {
        guard let text = value("edges") else { return .standard }
        switch AgingEdges.parse(text) {
        case .success(let edges): return edges
        case .failure(let error): throw ProblemError(status: .badRequest, detail: error.message)
        }
    }

    func format() throws -> ReportFormat {
        switch value("format") {
        case nil: return request.headers[.accept]?.contains("text/csv") == true ? .csv : .json
        case "json": return .json
        case "csv": return .csv
        case let other?: throw ProblemError(status: .badRequest, detail: "format must be json or csv, not \(other.prefix(40))")
        }
    }

    func checkRange(from: LocalDate, to: LocalDate) throws {
        guard from <= to else { throw ProblemError(status: .badRequest, detail: "from (\(from)) is after to (\(to))") }
        guard from.days(until: to) < 3660 else { throw ProblemError(status: .badRequest, detail: "a report covers at most 10 years") }
    }
}

/// RFC 4180 CSV. Text cells that a spreadsheet would run as a formula (=, +, -, @ first) get a leading '.
struct CSVWriter {
    private(set) var text: String

    init(header: [String]) { text = header.map(CSVWriter.quote).joined(separator: ",") + "\r\n" }

    mutating func add(text cells: [String], numbers: [String], moreText: [String] = [], moreNumbers: [String] = []) {
        let row = cells.map(CSVWriter.safe) + numbers + moreText.map(CSVWriter.safe) + moreNumbers
        text += row.map(CSVWriter.quote).joined(separator: ",") + "\r\n"
    }

    static func safe(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }

    static func quote(_ cell: String) -> String {
        // Quoted when it holds a separator a spreadsheet may split on (comma, semicolon, tab) or a quote or line end.
        guard cell.contains(where: { ",;\t\"\n\r".contains($0) }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func response(filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
