import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import Mustache
import NIOCore

/// The dashboard's templates, parsed once. A template that does not parse is a programming error the tests
/// catch (`DashboardTemplateTests`), never a request's.
enum DashboardPages {
    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in DashboardTemplates.all {
            do { templates[name] = try MustacheTemplate(string: text) } catch {
                preconditionFailure("dashboard template \(name) does not parse: \(error)")
            }
        }
        return MustacheLibrary(templates: templates)
    }()

    /// What every page's frame shows, and the page's own values under `page`.
    struct Frame<Page>: Sendable where Page: Sendable {
        let title: String
        let manager: String?
        let notice: String?
        let error: String?
        let page: Page
    }

    /// A page's HTML.
    static func html<Page: Sendable>(_ template: String, title: String, manager: String?, notice: String?, error: String?, _ page: Page) -> String {
        library.render(Frame(title: title, manager: manager, notice: notice, error: error, page: page), withTemplate: template) ?? ""
    }

    /// A page as a response: HTML with a strict CSP (no script, styles from this hub only) and no caching.
    static func render<Page: Sendable>(
        _ template: String, title: String, manager: String?, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok,
        _ page: Page
    ) -> Response {
        let html = html(template, title: title, manager: manager, notice: notice, error: error, page)
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page with a sentence and, for errors inside the dashboard, a way back.
    static func message(_ title: String, manager: String?, error: String, status: HTTPResponse.Status, back: Bool) -> Response {
        struct Message: Sendable { let back: Bool }
        return render("message", title: title, manager: manager, error: error, status: status, Message(back: back))
    }
}

// MARK: The values the templates show

/// One `<option>` of a select, and whether it is the one chosen.
struct Choice: Sendable {
    let value: String
    let selected: Bool
}

struct Card: Sendable {
    let label: String
    let value: String
}

/// The aging chart's geometry: one bar per bucket, its height the bucket's share of the largest.
struct AgingChart: Sendable {
    struct Bar: Sendable {
        let label: String
        let caption: String
        let amount: String
        let colour: String
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        let middle: Int
        let amountY: Int
        let captionY: Int
    }

    let width = 720
    let height = 280
    let baseline: Int
    let bars: [Bar]

    init(_ labels: [String], _ amounts: [String]) {
        let (width, height, top, bottom) = (self.width, self.height, 30, 40)
        let paise = amounts.map { (try? Money(parsing: $0).paise) ?? 0 }
        let largest = max(paise.max() ?? 0, 1)
        let slot = width / max(labels.count, 1)
        let colours = ["#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a", "#4e342e", "#263238", "#000000", "#37474f"]
        baseline = height - bottom
        bars = labels.enumerated().map { index, label in
            let barHeight = Int(Double(height - top - bottom) * Double(paise[index]) / Double(largest))
            let x = index * slot + slot / 6
            let y = height - bottom - barHeight
            return Bar(
                label: label, caption: label == "current" ? "not yet due" : label + " days", amount: money(amounts[index]),
                colour: colours[index % colours.count], x: x, y: y, width: slot * 2 / 3, height: max(barHeight, 1), middle: x + slot / 3,
                amountY: y - 8, captionY: height - bottom + 22)
        }
    }
}

/// A customer's line in an aging table.
struct AgingLine: Sendable {
    let code: String
    let codeQuery: String
    let name: String
    let region: String
    let amounts: [String]
    let outstanding: String
    let oldest: Int

    init(_ row: AgingCustomerRow) {
        code = row.customerCode
        codeQuery = q(row.customerCode)
        name = row.customerName
        region = row.region ?? ""
        amounts = row.amounts.buckets.map(money)
        outstanding = money(row.amounts.outstanding)
        oldest = row.oldestDaysPastDue
    }
}

/// An overdue invoice on the allocation board or a rep's page.
struct BoardInvoice: Sendable {
    let number: String
    let disputed: Bool
    let customer: String
    let codeQuery: String
    let region: String
    let daysPastDue: Int
    let outstanding: String

    init(_ row: UnassignedInvoice) {
        number = row.number
        disputed = row.disputed
        customer = row.customerName
        codeQuery = q(row.customerCode)
        region = row.region ?? ""
        daysPastDue = row.daysPastDue
        outstanding = row.outstanding.displayString
    }
}

/// A promise as a follow-up table shows it: "2026-12-05 · ₹5,000.00".
func promiseText(_ followUp: FollowUp) -> String {
    followUp.promisedDate.map { "\($0)\(followUp.promisedAmount.map { " · " + money($0) } ?? "")" } ?? ""
}

/// The From/To form of a report over a period.
struct Period: Sendable {
    let action: String
    let from: String
    let to: String

    init(_ action: String, _ from: LocalDate, _ to: LocalDate) {
        self.action = action
        self.from = from.isoString
        self.to = to.isoString
    }
}
