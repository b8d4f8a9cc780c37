import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// `GET /v1/audit`: the audit log, newest first (admins only); JSON, or CSV with `format=csv`.
func auditRoutes(store: some HubStorage) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    routes.get("/v1/audit") { request, _ -> Response in
        try managerID(request, store: store, admin: true)
        let query = ReportQuery(request)
        let limit = try query.integer("limit", default: 200, range: 1...10_000)
        let before = try query.value("before").map { text -> Int64 in
            guard let id = Int64(text), id > 0 else { throw ProblemError(status: .badRequest, detail: "before must be an audit line's id") }
            return id
        }
        let entries = try store.auditLog(limit: limit, before: before)
        guard try query.format() == .csv else { return try reportJSON(AuditPage(entries: entries)) }
        return auditCSV(entries).response(filename: "audit.csv")
    }
    return routes
}

struct AuditPage: Encodable {
    let entries: [AuditEntry]
}

func auditCSV(_ entries: [AuditEntry]) -> CSVWriter {
    var csv = CSVWriter(header: ["id", "at", "actor", "action", "target", "detail", "source", "outcome"])
    for entry in entries {
        csv.add(
            text: [], numbers: [String(entry.id), auditTime(entry.atMillis)],
            moreText: [entry.actor, entry.action, entry.target ?? "", entry.detail ?? "", entry.source ?? ""], moreNumbers: [entry.outcome])
    }
    return csv
}

/// The audit log as CSV text (`fieldpay-hub audit --csv`).
public func auditCSVText(_ entries: [AuditEntry]) -> String { auditCSV(entries).text }

/// A line's time, UTC, to the second (ISO 8601).
public func auditTime(_ millis: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
}
