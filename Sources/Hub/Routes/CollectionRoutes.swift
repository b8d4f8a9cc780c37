import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// Follow-ups (managers and devices), disputes, reminders and escalations, productivity, day sheets and
/// handovers (managers). Invoice numbers hold '/', so routes name an invoice in the query (`?invoice=`).
func collectionRoutes(store: some HubStorage, bodyLimit: Int) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    routes.put("/v1/followups/:uuid") { request, context -> Response in
        let (actor, deviceRep) = try managerOrDevice(request, store: store)
        let id = try uuidParameter(context)
        let followUp = try decodeReport(FollowUpRequest.self, try await body(request, limit: bodyLimit))
        switch try unprocessable({ try store.putFollowUp(id: id, followUp, actor: actor, deviceRep: deviceRep) }) {
        case .created(let value): return try reportJSON(value, status: .created)
        case .repeated(let value): return try reportJSON(value)
        case .conflict(let detail): throw ProblemError(status: .conflict, detail: detail)
        }
    }

    routes.post("/v1/followups/:uuid/close") { request, context -> Response in
        let (_, deviceRep) = try managerOrDevice(request, store: store)
        let id = try uuidParameter(context)
        let close = try decodeReport(FollowUpClose.self, try await body(request, limit: bodyLimit))
        guard let followUp = try unprocessable({ try store.closeFollowUp(id, close, deviceRep: deviceRep) }) else {
            throw ProblemError(status: .notFound, detail: "no follow-up \(id) at this hub")
        }
        return try reportJSON(followUp)
    }

    routes.get("/v1/followups") { request, _ -> Response in
        try managerID(request, store: store)
        let query = ReportQuery(request)
        let asOf = try query.date("as_of", default: LocalDate.today())
        let paging = try query.paging()
        let list = query.value("list") ?? "due"
        let rep = query.value("rep")
        return try reportJSON(try badRequest { try store.followUps(list: list, rep: rep, asOf: asOf, page: paging.page, perPage: paging.perPage) })
    }

    routes.post("/v1/disputes") { request, _ -> Response in
        let manager = try managerID(request, store: store)
        let invoice = try ReportQuery(request).required("invoice")
        let dispute = try decodeReport(DisputeRequest.self, try await body(request, limit: bodyLimit))
        return try reportJSON(try unprocessable { try store.openDispute(invoice, dispute, actor: manager) }, status: .created)
    }

    routes.post("/v1/disputes/resolve") { request, _ -> Response in
        let manager = try managerID(request, store: store)
        let invoice = try ReportQuery(request).required("invoice")
        let resolution = try decodeReport([String: String].self, try await body(request, limit: bodyLimit))["resolution"] ?? ""
        guard let dispute = try unprocessable({ try store.resolveDispute(invoice, resolution: resolution, actor: manager) }) else {
            throw ProblemError(status: .notFound, detail: "invoice \(invoice) has no open dispute")
        }
        return try reportJSON(dispute)
    }

    routes.get("/v1/disputes") { request, _ -> Response in
        try managerID(request, store: store)
        return try reportJSON(["disputes": try store.disputes(openOnly: ReportQuery(request).value("all") != "true")])
    }

    routes.get("/v1/reminder-policies") { request, _ -> Response in
        try managerID(request, store: store)
        return try reportJSON(["policies": try store.reminderPolicies()])
    }

    routes.put("/v1/reminder-policies/:group") { request, context -> Response in
        try managerID(request, store: store)
        var policy = try decodeReport(ReminderPolicy.self, try await body(request, limit: bodyLimit))
        policy.group = try context.parameters.require("group")
        try unprocessable { try store.setReminderPolicy(policy) }
        return try reportJSON(policy)
    }

    routes.put("/v1/reminder-groups/:group") { request, context -> Response in
        try managerID(request, store: store)
        let group = try context.parameters.require("group")
        let customers = try decodeReport([String: [String]].self, try await body(request, limit: bodyLimit))["customers"] ?? []
        guard (1...100_000).contains(customers.count) else { throw ProblemError(status: .badRequest, detail: "customers must list 1 to 100000 codes") }
        return try reportJSON(["changed": try unprocessable { try store.setReminderGroup(group, customers: customers) }])
    }

    routes.post("/v1/collections/run") { request, _ -> Response in
        try managerID(request, store: store)
        let asOf = try ReportQuery(request).date("as_of", default: LocalDate.today())
        return try reportJSON(try store.runCollections(asOf: asOf))
    }

    routes.get("/v1/reminders") { request, _ -> Response in
        try managerID(request, store: store)
        let query = ReportQuery(request)
        let state = query.value("state") ?? "queued"
        guard ["queued", "sent", "failed", "all"].contains(state) else {
            throw ProblemError(status: .badRequest, detail: "state must be queued, sent, failed or all")
        }
        let limit = try query.integer("limit", default: 500, range: 1...5000)
        return try reportJSON(["reminders": try store.reminders(state: state == "all" ? nil : state, customer: query.value("customer"), limit: limit)])
    }

    routes.get("/v1/escalations") { request, _ -> Response in
        try managerID(request, store: store)
        return try reportJSON(["escalations": try store.escalations()])
    }

    routes.get("/v1/reports/productivity") { request, _ -> Response in
        try managerID(request, store: store)
        let query = ReportQuery(request)
        let to = try query.date("to", default: LocalDate.today())
        let from = try query.date("from", default: to.adding(days: -29))
        try query.checkRange(from: from, to: to)
        let format = try query.format()
        let paging = try query.paging()
        let report = try store.productivity(from: from, to: to, page: paging.page, perPage: format == .csv ? nil : paging.perPage)
        guard format == .csv else { return try reportJSON(report) }
        var csv = CSVWriter(header: [
            "rep", "allocated_invoices", "to_collect", "collected_on_allocated", "invoices_paid", "hit_rate", "payments", "collected", "visits",
            "disputed_excluded",
        ])
        for row in report.rows + [report.totals] {
            csv.add(
                text: [row.rep],
                numbers: [
                    String(row.allocatedInvoices), row.toCollect, row.collectedOnAllocated, String(row.invoicesPaid), row.hitRate.map { String($0) } ?? "",
                    String(row.payments), row.collected, String(row.visits), String(row.disputedExcluded),
                ])
        }
        return csv.response(filename: "productivity-\(report.from)-\(report.to).csv")
    }

    routes.get("/v1/reports/day-sheet") { request, _ -> Response in
        try managerID(request, store: store)
        let query = ReportQuery(request)
        let rep = try query.required("rep")
        let day = try query.date("day", default: LocalDate.today())
        guard let sheet = try store.daySheet(rep: rep, day: day) else { throw ProblemError(status: .notFound, detail: "no rep \(rep) at this hub") }
        return try reportJSON(sheet)
    }

    routes.post("/v1/handovers") { request, _ -> Response in
        let cashier = try managerID(request, store: store)
        let handover = try decodeReport(HandoverRequest.self, try await body(request, limit: bodyLimit))
        return try reportJSON(try unprocessable { try store.recordHandover(handover, receivedBy: cashier) }, status: .created)
    }

    routes.post("/v1/handovers/:id/deposit") { request, context -> Response in
        try managerID(request, store: store)
        guard let id = Int64(try context.parameters.require("id")) else { throw ProblemError(status: .badRequest, detail: "a handover id is a number") }
        let reference = try decodeReport([String: String].self, try await body(request, limit: bodyLimit))["reference"] ?? ""
        guard let handover = try unprocessable({ try store.recordDeposit(handover: id, reference: reference) }) else {
            throw ProblemError(status: .notFound, detail: "no handover \(id)")
        }
        return try reportJSON(handover)
    }
    return routes
}

/// A manager's token, or a device's: (the actor, and the device's rep for a device).
func managerOrDevice(_ request: Request, store: some DeviceRegistry & ManagerDirectory) throws -> (String, String?) {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
        throw ProblemError(status: .unauthorized, detail: "requests need Authorization: Bearer <device or manager token>")
    }
    switch try store.authenticate(String(header.dropFirst("Bearer ".count))) {
    case .manager(let id):
        guard let account = try store.managerAccount(id) else { throw ProblemError(status: .unauthorized, detail: "unknown manager") }
        try authorize(account, request, admin: false)
        if account.isRegionLimited {
            throw ProblemError(status: .forbidden, detail: "follow-ups over the API are not open to an account limited to regions yet; ask an admin")
        }
        return (id, nil)
    case .expired: throw ProblemError(status: .unauthorized, detail: "this manager token has expired")
    case .device(let id): return (id, try store.deviceRep(id))
    case .unknown: throw ProblemError(status: .unauthorized, detail: "unknown token")
    case .revoked: throw ProblemError(status: .forbidden, detail: "this token was revoked at the hub")
    }
}

func uuidParameter(_ context: HubRequestContext) throws -> String {
    let text = try context.parameters.require("uuid")
    guard let uuid = UUID(uuidString: text) else { throw ProblemError(status: .badRequest, detail: "\(text.prefix(40)) is not a UUID") }
    return uuid.uuidString.lowercased()
}

/// A query the store refused as malformed (an unknown list name): 400 with the store's words.
func badRequest<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ReportInputError {
        throw ProblemError(status: .badRequest, detail: error.message)
    }
}

extension ReportQuery {
    func required(_ name: String) throws -> String {
        guard let text = value(name), !text.isEmpty else { throw ProblemError(status: .badRequest, detail: "\(name) is required") }
        return text
    }
}
