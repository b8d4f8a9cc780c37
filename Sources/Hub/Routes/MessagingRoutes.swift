import Crypto
import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore
import QRRender

/// The messaging providers' webhooks (WhatsApp's verification GET and signed status POST, the SMS gateway's
/// delivery reports), the customers' receipt links (`GET /r/{token}`, and its PDF), and the managers'
/// message list, retry and per-customer settings.
func messagingRoutes(_ configuration: HubConfiguration, store: some HubStorage, metrics: HubMetrics) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    let messaging = configuration.messaging
    let limit = configuration.maximumBodyBytes

    // Meta's subscription check: echo hub.challenge when hub.verify_token is ours.
    routes.get("/v1/messaging/whatsapp") { request, _ -> Response in
        let query = request.uri.queryParameters
        guard let expected = messaging.whatsapp?.verifyToken else {
            throw ProblemError(status: .notFound, detail: "this hub has no WhatsApp verify token ([messaging.whatsapp] verify_token_file)")
        }
        guard query["hub.mode"] == "subscribe", let token = query["hub.verify_token"], let challenge = query["hub.challenge"],
            constantTimeEqual(Array(token.utf8), Array(expected.utf8)), challenge.utf8.count <= 128
        else { throw ProblemError(status: .forbidden, detail: "the verify token does not match") }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(substring: challenge)))
    }

    routes.post("/v1/messaging/whatsapp") { request, _ -> Response in
        guard let signature = request.headers[HTTPField.Name("X-Hub-Signature-256")!] else {
            throw ProblemError(status: .unauthorized, detail: "a WhatsApp webhook carries X-Hub-Signature-256")
        }
        guard let secret = messaging.whatsapp?.appSecret else {
            throw ProblemError(status: .notFound, detail: "this hub takes no WhatsApp webhooks ([messaging.whatsapp] app_secret_file)")
        }
        let data = try await body(request, limit: limit)
        // The signature first, in constant time: nothing of an unsigned body is parsed or stored.
        guard WhatsAppCloud.verify(body: data, signature: signature, appSecret: secret) else {
            metrics.count("fieldpay_hub_message_webhooks_total", labels: ["channel": "whatsapp", "outcome": "bad-signature"])
            throw ProblemError(status: .unauthorized, detail: "the X-Hub-Signature-256 does not match")
        }
        guard let notification = WhatsAppCloud.parseWebhook(data) else {
            metrics.count("fieldpay_hub_message_webhooks_total", labels: ["channel": "whatsapp", "outcome": "ignored"])
            return Response(status: .ok)
        }
        let now = Date().millisecondsSince1970
        for report in notification.statuses {
            let changed = try store.applyStatus(report, fallback: messaging.fallback(from: .whatsapp), now: now)
            metrics.count("fieldpay_hub_message_webhooks_total", labels: ["channel": "whatsapp", "outcome": changed ? report.status.rawValue : "no-change"])
        }
        for phone in notification.optOuts { _ = try store.setOptOut(phone: phone, optedOut: true, by: "customer (WhatsApp STOP)", now: now) }
        for phone in notification.optIns { _ = try store.setOptOut(phone: phone, optedOut: false, by: "customer (WhatsApp START)", now: now) }
        if notification.statuses.contains(where: { $0.status == .failed }) { store.messageSignal.poke() }  // a fall-back is due
        return Response(status: .ok)
    }

    routes.get("/v1/messaging/sms/dlr") { request, _ -> Response in
        guard let expected = messaging.sms?.reportToken else {
            throw ProblemError(status: .notFound, detail: "this hub takes no SMS delivery reports ([messaging.sms] report_token_file)")
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        guard let token = query["token"], constantTimeEqual(Array(token.utf8), Array(expected.utf8)) else {
            metrics.count("fieldpay_hub_message_webhooks_total", labels: ["channel": "sms", "outcome": "bad-token"])
            throw ProblemError(status: .forbidden, detail: "the delivery report's token does not match")
        }
        guard let report = GupshupSMS.deliveryReport(query) else {
            throw ProblemError(status: .badRequest, detail: "a delivery report needs externalId and status")
        }
        let changed = try store.applyStatus(report, fallback: nil, now: Date().millisecondsSince1970)
        metrics.count("fieldpay_hub_message_webhooks_total", labels: ["channel": "sms", "outcome": changed ? report.status.rawValue : "no-change"])
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }

    // The customer's receipt: the link is the only key (128 random bits); an unknown token is a plain 404
    // that says nothing about which tokens exist.
    routes.get("/r/:token") { _, context -> Response in
        let token = try context.parameters.require("token")
        guard let receipt = try store.receipt(token: token) else { throw ProblemError(status: .notFound, detail: "no such receipt") }
        return ReceiptPage.html(receipt, pdfLink: "\(token)/receipt.pdf")
    }
    routes.get("/r/:token/receipt.pdf") { _, context -> Response in
        let token = try context.parameters.require("token")
        guard let receipt = try store.receipt(token: token) else { throw ProblemError(status: .notFound, detail: "no such receipt") }
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/pdf", .cacheControl: "no-store", HTTPField.Name("Content-Disposition")!: "inline; filename=\"receipt.pdf\"",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(bytes: ReceiptPage.pdf(receipt))))
    }

    routes.get("/s/:token") { _, context -> Response in
        let token = try context.parameters.require("token")
        guard let statement = try store.statement(token: token) else { throw ProblemError(status: .notFound, detail: "no such statement") }
        return StatementPage.html(statement, pdfLink: "\(token)/statement.pdf")
    }
    routes.get("/s/:token/statement.pdf") { _, context -> Response in
        guard let statement = try store.statement(token: try context.parameters.require("token")) else {
            throw ProblemError(status: .notFound, detail: "no such statement")
        }
        return StatementPage.pdf(statement)
    }

    routes.get("/v1/messages") { request, _ -> Response in
        try managerID(request, store: store)
        let query = ReportQuery(request)
        let state = query.value("state")
        if let state, MessageState(rawValue: state) == nil {
            throw ProblemError(status: .badRequest, detail: "state must be one of \(MessageState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let count = try query.integer("limit", default: 200, range: 1...2000)
        return try reportJSON(try store.messages(state: state, customer: query.value("customer"), limit: count))
    }

    routes.post("/v1/messages/:id/retry") { request, context -> Response in
        try managerID(request, store: store)
        guard let id = Int64(try context.parameters.require("id")), id > 0 else { throw ProblemError(status: .badRequest, detail: "a message id is a number") }
        switch try store.retryMessage(id, now: Date().millisecondsSince1970) {
        case .notFound: throw ProblemError(status: .notFound, detail: "no message \(id) at this hub")
        case .refused(let state):
            throw ProblemError(status: .conflict, detail: "message \(id) is \(state.rawValue): only failed, unconfirmed, held and expired messages are sent again")
        case .queued:
            guard let entry = try store.message(id) else { throw ProblemError(status: .notFound, detail: "no message \(id) at this hub") }
            return try reportJSON(entry, status: .accepted)
        }
    }

    routes.put("/v1/customers/:code/messaging") { request, context -> Response in
        let code = try context.parameters.require("code")
        let manager = try regionalAccess(request, store: store, customer: code).id
        let change = try decodeReport(CustomerMessagingRequest.self, try await body(request, limit: limit))
        guard let settings = try unprocessable({ try store.setCustomerMessaging(code, change, actor: "manager \(manager)", now: Date().millisecondsSince1970) }) else {
            throw ProblemError(status: .notFound, detail: "no customer \(code) at this hub")
        }
        return try reportJSON(settings)
    }
    return routes
}

/// The receipt behind a link, as a page a phone shows and as a PDF. It names the customer and what was paid,
/// says whether the device's signature verified on the hub just now, and shows the verification QR the kiosk
/// showed; nothing else about the customer.
enum ReceiptPage {
    static let style = """
        body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:28rem;margin:auto;color:#111}\
        h1{font-size:1.3rem}table{width:100%;border-collapse:collapse}td{padding:.3rem 0;border-bottom:1px solid #ddd}\
        td:last-child{text-align:right}.ok{color:#075e2b;font-weight:600}.bad{color:#a00;font-weight:600}\
        .qr svg{width:100%;height:auto;max-width:18rem}a{color:#0645ad}
        """
    static let styleHash = "sha256-" + Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()

    static func rows(_ receipt: ReceiptView) -> [(String, String)] {
        var rows: [(String, String)] = [
            ("Receipt", receipt.receiptNumber), ("Received from", receipt.customerName), ("Amount", receipt.amount.displayString),
            ("Paid by", receipt.method == "upi" ? "UPI" : receipt.method.capitalized),
            ("Date", HubTime.day(ofMillis: receipt.recordedAtMillis).indianString + " " + time(receipt.recordedAtMillis)),
        ]
        if let utr = receipt.utr { rows.append(("UTR", utr)) }
        if let cheque = receipt.chequeNumber { rows.append(("Cheque", cheque)) }
        for allocation in receipt.allocations { rows.append(("Invoice " + allocation.invoice, allocation.amount.displayString)) }
        if receipt.status == "awaiting-confirmation" { rows.append(("Status", "awaiting the bank's confirmation")) }
        return rows
    }

    /// hh:mm India time.
    static func time(_ millis: Int64) -> String {
        let minutes = ((millis + 19_800_000) % 86_400_000) / 60_000
        return String(format: "%02d:%02d IST", minutes / 60, minutes % 60)
    }

    /// `pdfLink` is relative to the page (`<token>/receipt.pdf` from `/r/<token>`).
    static func html(_ receipt: ReceiptView, pdfLink: String) -> Response {
        let table = rows(receipt).map { "<tr><td>\($0.0.markupEscaped)</td><td>\($0.1.markupEscaped)</td></tr>" }.joined()
        let verdict =
            receipt.signatureVerified
            ? "<p class=\"ok\">Signature verified: this receipt was signed by the collecting device and has not been changed.</p>"
            : "<p class=\"bad\">The signature on this receipt could not be verified. Ask the distributor before relying on it.</p>"
        let qr = receipt.verificationPayload.flatMap { try? QRCode($0, correction: .low).svg(moduleSize: 4, title: "Receipt verification code") } ?? ""
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">\
            <meta name="robots" content="noindex"><title>Receipt \(receipt.receiptNumber.markupEscaped)</title><style>\(style)</style></head><body>\
            <h1>Payment receipt</h1><table>\(table)</table>\(verdict)<div class="qr">\(qr)</div>\
            <p><a href="\(pdfLink.markupEscaped)" download>Download PDF</a></p></body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src '\(styleHash)'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func pdf(_ receipt: ReceiptView) -> [UInt8] {
        OnePagePDF.make(
            title: "Payment receipt", rows: rows(receipt),
            note: receipt.signatureVerified ? "Signature verified by the hub." : "Signature NOT verified.",
            qr: receipt.verificationPayload.flatMap { try? QRCode($0, correction: .low) })
    }
}

/// A one-page A5 PDF of labelled lines and, below them, a QR code drawn as rectangles (PDF 1.4, Helvetica,
/// no fonts embedded; "Rs." for the rupee sign, which the standard fonts lack). Lines past the page are left
/// out with a line saying how many.
public enum OnePagePDF {
    /// A statement of account as a PDF.
    public static func statement(_ statement: AccountStatement) -> [UInt8] {
        make(title: "Statement of account", rows: StatementPage.rows(statement), note: nil, qr: nil)
    }

    static func text(_ value: String) -> String {
        let plain = value.replacingOccurrences(of: "₹", with: "Rs. ").replacingOccurrences(of: "–", with: "-")
        let ascii = String(String.UnicodeScalarView(plain.unicodeScalars.map { $0.isASCII ? $0 : "?" }))
        return ascii.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(").replacingOccurrences(of: ")", with: "\\)")
    }

    static func make(title: String, rows: [(String, String)], note: String?, qr: QRCode?) -> [UInt8] {
        var content = "BT /F1 16 Tf 40 560 Td (\(text(title))) Tj ET\n"
        var y = 530
        let room = qr == nil ? 30 : 18
        for (label, value) in rows.prefix(room) {
            content += "BT /F1 9 Tf 40 \(y) Td (\(text(String(label.prefix(40))))) Tj ET\nBT /F1 9 Tf 230 \(y) Td (\(text(String(value.prefix(34))))) Tj ET\n"
            y -= 15
        }
        if rows.count > room {
            content += "BT /F1 9 Tf 40 \(y) Td (\(rows.count - room) more lines: see the page) Tj ET\n"
            y -= 15
        }
        if let note {
            content += "BT /F1 9 Tf 40 \(y - 6) Td (\(text(note))) Tj ET\n"
            y -= 20
        }
        if let qr {
            let module = max(1.0, min(3.0, 200.0 / Double(qr.size)))
            let top = Double(y - 10)
            content += "0 g\n"
            for row in 0..<qr.size {
                for column in 0..<qr.size where qr[column, row] {
                    content += String(format: "%.2f %.2f %.2f %.2f re\n", 40 + Double(column) * module, top - Double(row + 1) * module, module, module)
                }
            }
            content += "f\n"
        }
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream",
        ]
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(format: "%010d 00000 n \n", offset) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Array(out.utf8)
    }
}

/// A customer's statement of account as a page and a PDF: opening balance, each invoice, payment and
/// adjustment of the period, closing balance and its aging.
enum StatementPage {
    static func rows(_ statement: AccountStatement) -> [(String, String)] {
        var rows: [(String, String)] = [
            ("Customer", "\(statement.customerName) (\(statement.customerCode))"),
            ("Period", "\(statement.from.indianString) to \(statement.to.indianString)"),
            ("Opening balance", statement.opening.displayString),
        ]
        for line in statement.lines {
            rows.append(("\(line.day.indianString) \(line.kind) \(line.reference)", line.amount.displayString))
        }
        rows.append(("Closing balance", statement.closing.displayString))
        for (bucket, amount) in statement.aging where amount.isPositive { rows.append(("Owed: " + AccountStatement.bucketLabel(bucket), amount.displayString)) }
        return rows
    }

    static func html(_ statement: AccountStatement, pdfLink: String?) -> Response {
        let table = rows(statement).map { "<tr><td>\($0.0.markupEscaped)</td><td>\($0.1.markupEscaped)</td></tr>" }.joined()
        let download = pdfLink.map { "<p><a href=\"\($0.markupEscaped)\" download>Download PDF</a></p>" } ?? ""
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">\
            <meta name="robots" content="noindex"><title>Statement of account</title><style>\(ReceiptPage.style)</style></head><body>\
            <h1>Statement of account</h1><table>\(table)</table>\(download)</body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src '\(ReceiptPage.styleHash)'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static func pdf(_ statement: AccountStatement) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/pdf", .cacheControl: "no-store", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(bytes: OnePagePDF.statement(statement))))
    }
}
