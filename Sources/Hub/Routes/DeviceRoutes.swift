import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// The device protocol: enrollment, the invoice change feed, payment uploads and their status, a UTR typed on
/// the device. Every route but enrollment takes the device's bearer token.
func deviceRoutes(_ configuration: HubConfiguration, store: some HubStorage) -> RouteCollection<HubRequestContext> {
    let limit = configuration.maximumBodyBytes
    let limits = configuration.uploadLimits
    let routes = RouteCollection(context: HubRequestContext.self)
    routes.post("/v1/devices/enroll") { request, _ -> Response in
        let enroll = try decode(EnrollRequest.self, try await body(request, limit: limit))
        // Every receipt a device uploads is checked against the key it enrolled with, and every QR reference
        // against its code: a device without them cannot enroll (an older fieldpay sends no code: update it).
        guard let publicKey = enroll.publicKey else {
            throw ProblemError(status: .badRequest, detail: "public_key is missing: a device enrolls with its Ed25519 receipt key (fieldpay receipts key)")
        }
        guard let deviceCode = enroll.deviceCode else {
            throw ProblemError(status: .badRequest, detail: "device_code is missing: a device enrolls with its profile's [device] code (update fieldpay)")
        }
        switch try store.enroll(code: enroll.code, deviceName: enroll.deviceName, publicKey: publicKey, deviceCode: deviceCode) {
        case .enrolled(let response):
            return try json(response, status: .created)
        case .unknownCode: throw ProblemError(status: .forbidden, detail: "unknown enrollment code")
        case .used: throw ProblemError(status: .forbidden, detail: "this enrollment code was already used")
        case .expired: throw ProblemError(status: .forbidden, detail: "this enrollment code has expired; ask for a new one")
        case .invalidKey: throw ProblemError(status: .badRequest, detail: "public_key must be the device's 32-byte Ed25519 key in base64")
        case .invalidDeviceCode: throw ProblemError(status: .badRequest, detail: "device_code must be 2 to 16 capital letters and digits")
        case .deviceCodeTaken(let detail): throw ProblemError(status: .conflict, detail: detail)
        }
    }

    routes.get("/v1/invoices/changes") { request, context -> ChangesPage in
        let device = try deviceID(request, store: store)
        let cursorText = request.uri.queryParameters.get("cursor") ?? "0"
        guard let cursor = Int64(cursorText), cursor >= 0 else { throw ProblemError(status: .badRequest, detail: "cursor \(cursorText) is not one this hub gave") }
        let limitText = request.uri.queryParameters.get("limit") ?? "1000"
        guard let pageSize = Int(limitText), (1...10_000).contains(pageSize) else {
            throw ProblemError(status: .badRequest, detail: "limit must be 1 to 10000")
        }
        let scope = request.uri.queryParameters.get("scope") ?? "rep"
        guard ["rep", "region"].contains(scope) else {
            throw ProblemError(status: .badRequest, detail: "scope must be rep or region (the profile's [hub] scope)")
        }
        // Older devices still ask for their rep's region; the manager's scope decides, so the answer is the same.
        return try store.changes(after: cursor, limit: pageSize, deviceID: device)
    }

    routes.put("/v1/payments/:uuid") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid")
        guard let uuid = UUID(uuidString: id) else { throw ProblemError(status: .badRequest, detail: "\(id) is not a UUID") }
        let data = try await body(request, limit: limit)
        // Checked once, here at the edge, with the hub's limits, before anything is stored: a payment outside them
        // never reaches a report.
        let valid: ValidUpload
        switch try decode(PaymentUpload.self, data).validated() {
        case .success(let checked): valid = checked
        case .failure(let problem): throw ProblemError(status: .unprocessableContent, detail: problem.message)
        }
        var totals: [String: Money] = [:]
        for part in valid.allocations {
            totals[part.invoice] = try store.invoices(number: part.invoice, openOnly: false, limit: 1).first?.total
        }
        if let problem = limits.problem(valid, now: Date(), totals: totals) { throw ProblemError(status: .unprocessableContent, detail: problem) }
        switch try store.upload(paymentID: uuid.uuidString.lowercased(), deviceID: device, body: data, valid: valid) {
        case .created(let result): return try json(result, status: .created)
        case .repeated(let result): return try json(result, status: .ok)
        case .conflict(let detail): throw ProblemError(status: .conflict, detail: detail)
        case .invalid(let detail): throw ProblemError(status: .unprocessableContent, detail: detail)
        }
    }

    routes.get("/v1/payments/:uuid") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid").lowercased()
        // A device sees its own payments only.
        guard let (status, utr) = try store.paymentStatus(id, deviceID: device) else {
            throw ProblemError(status: .notFound, detail: "no payment \(id) from this device at this hub")
        }
        return try json(PaymentStatusResponse(paymentID: id, status: PaymentStatus(rawValue: status), utr: utr), status: .ok)
    }

    routes.put("/v1/payments/:uuid/utr") { request, context -> Response in
        let device = try deviceID(request, store: store)
        let id = try context.parameters.require("uuid").lowercased()
        let body = try decode(UTRBody.self, try await body(request, limit: limit))
        guard isUTR(body.utr) else {
            throw ProblemError(status: .unprocessableContent, detail: "a UTR is 12 digits")
        }
        switch try store.confirmUTR(paymentID: id, deviceID: device, utr: body.utr) {
        case .confirmed: return try json(PaymentResult(paymentID: id, status: PaymentStatus.confirmed.rawValue, flaggedForReview: false), status: .ok)
        case .claimed: return try json(PaymentResult(paymentID: id, status: PaymentStatus.utrClaimed.rawValue, flaggedForReview: false), status: .ok)
        case .notFound: throw ProblemError(status: .notFound, detail: "no UPI payment \(id) from this device; upload it first")
        case .conflict(let detail): throw ProblemError(status: .conflict, detail: detail)
        }
    }
    return routes
}
