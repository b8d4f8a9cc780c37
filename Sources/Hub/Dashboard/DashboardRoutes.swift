import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// A manager signed in to the dashboard.
typealias SignedIn = ManagerAccount

/// A form the dashboard posts: decoded by Hummingbird's `URLEncodedFormDecoder`, every field optional (a
/// missing field is said in words by the action, as a person would need), and where to go back to.
protocol DashboardForm: Decodable, Sendable {
    var back: String? { get }
}

extension Optional where Wrapped == String {
    /// The field as typed, without the spaces around it ("" when absent).
    var text: String { (self ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
    /// The field, or nil when absent or blank.
    var given: String? { text.isEmpty ? nil : text }
}

/// The managers' pages under /manage, and what they share: who is signed in (a session cookie, HttpOnly,
/// SameSite=Strict, for /manage only), that every form posts from this hub's own pages, and that every action
/// redirects back with a notice or an error in words.
struct Dashboard<Store: HubStorage>: Sendable {
    let store: Store
    let bodyLimit: Int
    /// The hub serves TLS: the session cookie is `Secure` with the `__Host-` prefix (so no other host or path,
    /// and no plain-HTTP page, can set or read it).
    var secureCookies = false
    /// The hub's count of failed sign-ins (and other proofs), per address and account.
    var limiter = FailureLimiter()
    var cookieName: String { secureCookies ? "__Host-fp_session" : "fp_session" }

    /// The session cookie (empty with `maxAge` 0 signs out): HttpOnly, SameSite=Strict; for /manage, or for the
    /// whole host under `__Host-` (which requires Path=/).
    func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: cookieName, value: value, maxAge: maxAge, path: secureCookies ? "/" : "/manage", secure: secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    /// The signed-in manager, or nil.
    func manager(_ request: Request) throws -> SignedIn? {
        guard let cookie = request.cookies[cookieName]?.value, !cookie.isEmpty else { return nil }
        return try store.sessionManager(cookie)
    }

    /// A POST from one of these pages: same origin (Origin, or Referer, must name this host).
    func sameOrigin(_ request: Request) -> Bool {
        guard let host = request.head.authority else { return false }
        let source =
            request.headers[.origin]
            ?? request.headers[.referer].flatMap { URL(string: $0) }.map { "\($0.scheme ?? "http")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" }
        guard let source, let url = URL(string: source), let sourceHost = url.host else { return false }
        return sourceHost + (url.port.map { ":\($0)" } ?? "") == host
    }

    func notices(_ request: Request) -> (notice: String?, error: String?) {
        let query = ReportQuery(request)
        return (query.value("notice"), query.value("error"))
    }

    /// A page for a signed-in manager: runs `body` or sends the browser to sign in.
    /// `regional`: the page shows an account held to regions only what is theirs (else it is refused to them).
    func signedIn(_ request: Request, regional: Bool = false, _ body: (SignedIn) throws -> Response) throws -> Response {
        guard let who = try manager(request) else { return redirect("/manage/login") }
        if who.isRegionLimited, !regional { return Self.regionLimited(who) }
        do { return try body(who) } catch let error as ProblemError {
            return DashboardPages.message("Cannot show this page", manager: who.name, error: error.detail, status: error.status, back: true)
        }
    }

    /// The dashboard's pages show every region: an account held to some regions is not let in (yet), rather than
    /// shown other regions' customers. Its API answers about its own customers.
    static func regionLimited(_ who: SignedIn) -> Response {
        DashboardPages.message(
            "Not for your account", manager: who.name,
            error: "Your account is limited to \(who.regions.joined(separator: ", ")). This page covers every region; the Aging "
                + "page shows your regions, and the API your customers (/v1/customers/CODE/history) and register. Or ask an admin.",
            status: .forbidden, back: false)
    }

    static func refused() -> Response {
        DashboardPages.message("Refused", manager: nil, error: "This form did not come from this hub's pages.", status: .forbidden, back: false)
    }

    /// A form post by a signed-in manager from this site: runs `perform`, which returns where to go and what to say.
    func action<Form: DashboardForm>(_ request: Request, _ type: Form.Type, _ perform: (SignedIn, Form) throws -> (String, String)) async throws
        -> Response
    {
        guard sameOrigin(request) else { return Self.refused() }
        guard let who = try manager(request) else { return redirect("/manage/login") }
        if who.isRegionLimited { return Self.regionLimited(who) }
        guard who.role.mayAct else {
            return DashboardPages.message(
                "Refused", manager: who.name, error: "A viewer reads only: this change needs a manager or an admin.", status: .forbidden, back: true)
        }
        let data = try await body(request, limit: bodyLimit)
        let form: Form
        do { form = try URLEncodedFormDecoder().decode(Form.self, from: String(decoding: data, as: UTF8.self)) } catch {
            return redirect("/manage?error=" + q("this form could not be read; reload the page and try again"))
        }
        let back = Self.safeBack(form.back) ?? "/manage"
        let separator = back.contains("?") ? "&" : "?"
        do {
            let (location, notice) = try perform(who, form)
            return redirect(location + (location.contains("?") ? "&" : "?") + "notice=" + q(notice))
        } catch let error as ReportInputError {
            return redirect(back + separator + "error=" + q(error.message))
        } catch let error as ProblemError {
            return redirect(back + separator + "error=" + q(error.detail))
        }
    }

    /// Where a form may send the browser back to: a page of the dashboard, never another site.
    static func safeBack(_ back: String?) -> String? {
        guard let back = back.given, back.hasPrefix("/manage"), !back.hasPrefix("//") else { return nil }
        return back
    }
}

func dashboardRoutes(store: some HubStorage, bodyLimit: Int, secureCookies: Bool = false, limiter: FailureLimiter = FailureLimiter()) -> RouteCollection<HubRequestContext> {
    let routes = RouteCollection(context: HubRequestContext.self)
    let dashboard = Dashboard(store: store, bodyLimit: bodyLimit, secureCookies: secureCookies, limiter: limiter)
    addSessionPages(routes, dashboard)
    addAgingPages(routes, dashboard)
    addCustomerPages(routes, dashboard)
    addAllocationPages(routes, dashboard)
    addCollectionPages(routes, dashboard)
    addReportPages(routes, dashboard)
    return routes
}

func redirect(_ location: String, cookie: Cookie? = nil) -> Response {
    var response = Response(status: .seeOther, headers: [.location: location])
    if let cookie { response.setCookie(cookie) }
    return response
}

// MARK: Sign-in

private struct LoginForm: DashboardForm {
    let token: String?
    let name: String?
    let password: String?
    let code: String?
    var back: String? { nil }
}

private func addSessionPages<Store>(_ routes: RouteCollection<HubRequestContext>, _ dashboard: Dashboard<Store>) {
    let store = dashboard.store
    let cookieName = dashboard.cookieName

    routes.get("/manage/style.css") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: dashboardCSS)))
    }

    routes.get("/manage/login") { request, _ -> Response in
        DashboardPages.render("login", title: "Sign in", manager: nil, error: dashboard.notices(request).error, LoginPage())
    }

    routes.post("/manage/login") { request, _ -> Response in
        guard dashboard.sameOrigin(request) else { return Dashboard<Store>.refused() }
        let data = try await body(request, limit: 4096)
        let form = try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(decoding: data, as: UTF8.self))
        let name = form?.name.text.trimmingCharacters(in: .whitespaces) ?? ""
        let token = form?.token.text ?? ""
        // The account a sign-in is for: the name, or the token's id. Too many failures on it are refused like an
        // address's.
        let account = String((name.isEmpty ? String(token.prefix { $0 != "." }) : "name:" + name).prefix(64))
        if !account.isEmpty, let wait = dashboard.limiter.retryAfter(["account:" + account]) { throw FailureLimiter.refusal(wait) }
        func refused(_ words: String) -> Response {
            var response = redirect("/manage/login?error=" + q(words))
            response.headers[failedAccountHeader] = account.isEmpty ? "-" : account
            return response
        }
        let opened: (cookie: String, manager: String)
        if !name.isEmpty {
            switch try store.openSession(name: name, password: form?.password.text ?? "", code: form?.code.given) {
            case .signedIn(let cookie, let manager): opened = (cookie, manager)
            case .needsCode: return refused("Enter the current code from your authenticator app.")
            case .refused: return refused("That name and password do not match an active manager.")
            }
        } else {
            guard let session = try store.openSession(token: token) else {
                return refused("That is not a valid manager token, or it was revoked, or its manager signs in with a password.")
            }
            opened = session
        }
        return redirect("/manage", cookie: dashboard.sessionCookie(opened.cookie, maxAge: 12 * 3600))
    }

    routes.get("/manage/audit") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            guard who.role == .admin else {
                return DashboardPages.message("Audit log", manager: who.name, error: "Only an admin reads the audit log.", status: .forbidden, back: true)
            }
            let entries = try store.auditLog(limit: 500, before: nil).map {
                AuditLine(
                    when: auditTime($0.atMillis), actor: $0.actor, action: $0.action, target: $0.target ?? "", detail: $0.detail ?? "",
                    source: $0.source ?? "", outcome: $0.outcome)
            }
            return DashboardPages.render("audit", title: "Audit log", manager: who.name, AuditLogPage(entries: entries))
        }
    }

    routes.get("/manage/audit.csv") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            guard who.role == .admin else {
                return DashboardPages.message("Audit log", manager: who.name, error: "Only an admin reads the audit log.", status: .forbidden, back: true)
            }
            return auditCSV(try store.auditLog(limit: 10_000, before: nil)).response(filename: "audit.csv")
        }
    }

    routes.post("/manage/logout") { request, _ -> Response in
        // Same origin, as every form: another site must not be able to sign a manager out.
        guard dashboard.sameOrigin(request) else { return Dashboard<Store>.refused() }
        if let cookie = request.cookies[cookieName]?.value { try store.closeSession(cookie) }
        return redirect("/manage/login", cookie: dashboard.sessionCookie("", maxAge: 0))
    }
}

// MARK: Overview and aging

private func addAgingPages<Store>(_ routes: RouteCollection<HubRequestContext>, _ dashboard: Dashboard<Store>) {
    let store = dashboard.store

    routes.get("/manage") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let asOf = try ReportQuery(request).date("as_of", default: LocalDate.today())
            let aging = try store.aging(asOf: asOf, edges: .standard, page: 1, perPage: 10)
            let dso = try store.dso(from: asOf.adding(days: -89), to: asOf)
            let due = try store.followUps(list: "due", rep: nil, asOf: asOf, page: 1, perPage: 1).page.rows
            let missed = try store.followUps(list: "missed", rep: nil, asOf: asOf, page: 1, perPage: 1).page.rows
            let unassigned = try store.unassignedOverdue(asOf: asOf, limit: 1)
            var overdue = Money.zero
            for bucket in aging.totals.buckets.dropFirst() { overdue = (try? overdue.adding(Money(parsing: bucket))) ?? overdue }
            let cards = [
                Card(label: "Outstanding", value: money(aging.totals.outstanding)), Card(label: "Overdue", value: overdue.displayString),
                Card(label: "Customers owing", value: String(aging.customers)), Card(label: "DSO, 90 days", value: dso.dso.map { "\($0) days" } ?? "—"),
                Card(label: "Overdue, no rep", value: "\(unassigned.count) · \(unassigned.outstanding.displayString)"),
                Card(label: "Follow-ups due", value: String(due)), Card(label: "Promises missed", value: String(missed)),
                Card(label: "Escalations", value: String(try store.escalations().count)),
                Card(label: "Disputes open", value: String(try store.disputes(openOnly: true).count)),
            ]
            return DashboardPages.render(
                "overview", title: "OverviewPage as of \(asOf.isoString)", manager: who.name, notice: notice, error: error,
                OverviewPage(
                    cards: cards, chart: AgingChart(aging.buckets, aging.totals.buckets), buckets: aging.buckets, rows: aging.rows.map(AgingLine.init),
                    asOf: asOf.isoString))
        }
    }

    routes.get("/manage/aging") { request, _ -> Response in
        try dashboard.signedIn(request, regional: true) { who in
            let query = ReportQuery(request)
            let asOf = try query.date("as_of", default: LocalDate.today())
            let edges = try query.edges()
            let paging = try query.paging()
            let report = try aging(for: who, store: store, asOf: asOf, edges: edges, page: paging.page, perPage: paging.perPage)
            let edgesText = edges.days.map(String.init).joined(separator: ",")
            return DashboardPages.render(
                "aging", title: "AgingPage as of \(asOf.isoString)", manager: who.name,
                AgingPage(
                    asOf: asOf.isoString, edges: edgesText, edgesQuery: q(edgesText), chart: AgingChart(report.buckets, report.totals.buckets),
                    buckets: report.buckets, rows: report.rows.map(AgingLine.init), totals: report.totals.buckets.map(money),
                    outstanding: money(report.totals.outstanding), first: (paging.page - 1) * paging.perPage + 1,
                    last: (paging.page - 1) * paging.perPage + report.rows.count, customers: report.customers,
                    next: report.page.more ? paging.page + 1 : nil))
        }
    }

    routes.get("/manage/aging.csv") { request, _ -> Response in
        guard let who = try dashboard.manager(request) else { return redirect("/manage/login") }
        let query = ReportQuery(request)
        let report = try aging(
            for: who, store: store, asOf: try query.date("as_of", default: LocalDate.today()), edges: try query.edges(), page: 1, perPage: nil)
        return agingCSV(report).response(filename: "aging-\(report.asOf).csv")
    }
}

// MARK: A customer

private struct FollowUpForm: DashboardForm {
    let invoice: String?
    let action: String?
    let due_date: String?
    let promised_date: String?
    let promised_amount: String?
    let note: String?
    let back: String?
}

private struct DisputeForm: DashboardForm {
    let invoice: String?
    let reason: String?
    let amount: String?
    let back: String?
}

private struct ResolveForm: DashboardForm {
    let invoice: String?
    let resolution: String?
    let back: String?
}

private func addCustomerPages<Store>(_ routes: RouteCollection<HubRequestContext>, _ dashboard: Dashboard<Store>) {
    let store = dashboard.store

    routes.get("/manage/customers/:code") { request, context -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let code = try context.parameters.require("code")
            let asOf = try ReportQuery(request).date("as_of", default: LocalDate.today())
            guard let aging = try store.customerAging(code, asOf: asOf, edges: .standard, page: 1, perPage: nil),
                let history = try store.customerHistory(code, limit: 100)
            else {
                throw ProblemError(status: .notFound, detail: "no customer \(code) at this hub")
            }
            let followUps = try store.customerFollowUps(code, asOf: asOf).map { f in
                CustomerFollowUpLine(
                    due: f.dueDate, action: f.action, invoice: f.invoice ?? "all", rep: f.rep ?? "", note: f.note ?? "", promise: promiseText(f), state: f.state,
                    kept: f.promiseKept == true, missed: f.promiseKept == false)
            }
            let settings = try store.customerMessaging(code)
            let page = CustomerPage(
                here: "/manage/customers/\(q(code))", asOf: asOf.isoString, tomorrow: LocalDate.today().adding(days: 1).isoString,
                outstanding: money(history.outstanding), invoiced: money(history.invoiced), paid: money(history.paid),
                daysToPay: history.averageDaysToPay.map { "\($0)" } ?? "—", region: history.region ?? "—",
                invoices: aging.invoices.map {
                    CustomerInvoice(number: $0.number, due: $0.dueDate, bucket: $0.bucket, outstanding: money($0.outstanding), daysPastDue: $0.daysPastDue)
                },
                followUps: followUps,
                disputes: try store.disputes(openOnly: true).filter { $0.customerCode == code }.map {
                    CustomerDisputeLine(invoice: $0.invoice, reason: $0.reason, amount: money($0.amount))
                },
                payments: history.payments.map {
                    CustomerPaymentLine(
                        day: $0.day, receipt: $0.receiptNumber, method: $0.method, rep: $0.rep ?? "", status: $0.status,
                        amount: money($0.amount), against: $0.allocations.map { "\($0.invoice) \(money($0.amount))" }.joined(separator: ", "))
                },
                reminders: history.reminders.map { CustomerReminderLine(day: $0.day, invoice: $0.invoice, channel: $0.channel, state: $0.state) },
                phone: settings?.phone ?? "none", language: settings?.language == "hi" ? "Hindi" : "English",
                channel: settings?.channel ?? "the reminder policy's",
                optedOut: settings?.optedOutAt.map { "\(MessageLine.time($0)) by \(settings?.optedOutBy ?? "?")" },
                messages: try store.messages(state: nil, customer: code, limit: 50).map { MessageLine($0, back: "/manage/customers/\(q(code))") },
                yearStart: AccountStatement.financialYearStart(asOf).isoString)
            return DashboardPages.render(
                "customer", title: "\(history.customerName) (\(code))", manager: who.name, notice: notice, error: error, page)
        }
    }

    routes.post("/manage/customers/:code/reverse") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await dashboard.action(request, ReverseForm.self) { who, form in
            let receipt = form.receipt.text
            switch try store.reversePayment(receipt, reason: form.reason.text, actor: who.id, now: HubTime.nowMillis()) {
            case .reversed(let reversal):
                guard reversal.customerCode == code else { throw ReportInputError("receipt \(receipt) is not this customer's") }
                let owed = reversal.invoices.map { "\($0.invoice) owes \($0.amount.displayString) again" }.joined(separator: ", ")
                let books = reversal.books.filter(\.cancelQueued).map(\.connector)
                return (
                    "/manage/customers/\(q(code))",
                    "Receipt \(reversal.receiptNumber) reversed" + (owed.isEmpty ? " (it was on account)" : ": " + owed) + "."
                        + (books.isEmpty ? "" : " Its cancellation is queued for \(books.joined(separator: " and ")).")
                )
            case .notFound: throw ReportInputError("no payment with receipt number \(receipt)")
            case .alreadyReversed(let receipt, let at): throw ReportInputError("receipt \(receipt) was reversed already, \(MessageLine.time(at))")
            case .refused(let why): throw ReportInputError(why)
            }
        }
    }

    routes.post("/manage/customers/:code/followups") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await dashboard.action(request, FollowUpForm.self) { who, form in
            let followUp = FollowUpRequest(
                customerCode: code, invoice: form.invoice.given, action: form.action.text, dueDate: form.due_date.text, note: form.note.given,
                promisedDate: form.promised_date.given, promisedAmount: form.promised_amount.given)
            _ = try store.putFollowUp(id: UUID().uuidString.lowercased(), followUp, actor: who.id, deviceRep: nil)
            return ("/manage/customers/\(q(code))", "Follow-up saved: \(followUp.action) on \(followUp.dueDate).")
        }
    }

    routes.post("/manage/customers/:code/messaging") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await dashboard.action(request, CustomerMessagingForm.self) { who, form in
            let change = CustomerMessagingRequest(language: form.language.given, channel: form.channel.given, optedOut: form.opted_out.given.map { $0 == "yes" })
            guard try store.setCustomerMessaging(code, change, actor: "manager \(who.name)", now: HubTime.nowMillis()) != nil else {
                throw ReportInputError("no customer \(code) at this hub")
            }
            return ("/manage/customers/\(q(code))", "Messaging settings saved.")
        }
    }

    routes.get("/manage/customers/:code/statement") { request, context -> Response in
        try dashboard.signedIn(request) { _ in
            let code = try context.parameters.require("code")
            let query = ReportQuery(request)
            let to = try query.date("to", default: LocalDate.today())
            let from = try query.date("from", default: AccountStatement.financialYearStart(to))
            guard from <= to else { throw ProblemError(status: .badRequest, detail: "the statement's first day is after its last") }
            guard let statement = try store.statement(code, from: from, to: to) else { throw ProblemError(status: .notFound, detail: "no customer \(code) at this hub") }
            return StatementPage.html(statement, pdfLink: nil)
        }
    }

    routes.post("/manage/customers/:code/statement") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await dashboard.action(request, StatementForm.self) { _, form in
            guard let from = LocalDate(parsing: form.from.text), let to = LocalDate(parsing: form.to.text), from <= to else {
                throw ReportInputError("the statement needs a period: from and to, yyyy-mm-dd, from before to")
            }
            let here = "/manage/customers/\(q(code))"
            switch try store.queueStatement(code, from: from, to: to, now: HubTime.nowMillis()) {
            case .queued: return (here, "Statement queued to the customer.")
            case .alreadyQueued: return (here, "This statement was already sent today.")
            case .noCustomer: throw ReportInputError("no customer \(code) at this hub")
            case .noPhone: throw ReportInputError("this customer has no mobile number: import one with their invoices")
            case .optedOut: throw ReportInputError("this customer opted out of messages")
            case .capped: throw ReportInputError("this customer already had their reminders and statements for today")
            }
        }
    }

    routes.get("/manage/messages") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let state = ReportQuery(request).value("state").flatMap { MessageState(rawValue: $0) }
            let back = "/manage/messages" + (state.map { "?state=\($0.rawValue)" } ?? "")
            return DashboardPages.render(
                "messages", title: "Messages to customers", manager: who.name, notice: notice, error: error,
                MessagesPage(
                    state: state?.rawValue, states: MessageState.allCases.map(\.rawValue),
                    messages: try store.messages(state: state?.rawValue, customer: nil, limit: 300).map { MessageLine($0, back: back) }))
        }
    }

    routes.post("/manage/messages/retry") { request, _ -> Response in
        try await dashboard.action(request, MessageRetryForm.self) { _, form in
            guard let id = Int64(form.id.text) else { throw ReportInputError("no such message") }
            switch try store.retryMessage(id, now: HubTime.nowMillis()) {
            case .queued: return (Dashboard<Store>.safeBack(form.back) ?? "/manage/messages", "Message \(id) queued again.")
            case .notFound: throw ReportInputError("no message \(id) at this hub")
            case .refused(let state): throw ReportInputError("message \(id) is \(state.rawValue): only failed, unconfirmed, held and expired messages are sent again")
            }
        }
    }

    routes.get("/manage/erp") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let connectors = try store.erpCounts().map { counts in
                var rows = try store.erpQueue(connector: counts.connector, state: .parked, limit: 200)
                rows += try store.erpQueue(connector: counts.connector, state: .pending, limit: 200)
                rows += try store.erpQueue(connector: counts.connector, state: .sent, limit: 50)
                return ERPConnectorView(counts, reconcile: try store.lastReconcile(connector: counts.connector), rows: rows)
            }
            return DashboardPages.render(
                "erp", title: "Books: payments to the accounting system", manager: who.name, notice: notice, error: error, ERPPage(connectors: connectors))
        }
    }

    routes.post("/manage/erp/retry") { request, _ -> Response in
        try await dashboard.action(request, ERPRetryForm.self) { _, form in
            guard let id = Int64(form.id.text), let connector = form.connector, !connector.isEmpty else { throw ReportInputError("no such voucher") }
            guard try store.retryParkedERP(connector: connector, id: id, now: HubTime.nowMillis()) == 1 else {
                throw ReportInputError("voucher \(id) is not parked: only a voucher the ERP refused is sent again from here")
            }
            return ("/manage/erp", "Voucher \(id) queued again for \(connector).")
        }
    }

    routes.post("/manage/customers/:code/disputes") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await dashboard.action(request, DisputeForm.self) { who, form in
            let invoice = form.invoice.text
            _ = try store.openDispute(invoice, DisputeRequest(reason: form.reason.text, amount: form.amount.given), actor: who.id)
            return ("/manage/customers/\(q(code))", "Invoice \(invoice) is disputed: its reminders pause and it leaves its rep's to-collect.")
        }
    }

    routes.post("/manage/disputes/resolve") { request, _ -> Response in
        try await dashboard.action(request, ResolveForm.self) { who, form in
            let invoice = form.invoice.text
            guard try store.resolveDispute(invoice, resolution: form.resolution.text, actor: who.id) != nil else {
                throw ReportInputError("invoice \(invoice) has no open dispute")
            }
            return (Dashboard<Store>.safeBack(form.back) ?? "/manage/collections", "The dispute on \(invoice) is resolved.")
        }
    }
}

// MARK: Allocation

private struct RepForm: DashboardForm {
    let rep: String?
    let scope: String?
    let regions: String?
    let back: String?
}

private struct AssignForm: DashboardForm {
    let invoice: [String]?
    let rep: String?
    let reason: String?
    let back: String?
}

private struct RuleForm: DashboardForm {
    let region: String?
    let min_days: String?
    let min_outstanding: String?
    let max_outstanding: String?
    let rep: String?
    let back: String?
}

private struct PlainForm: DashboardForm {
    let back: String?
}

private func addAllocationPages<Store>(_ routes: RouteCollection<HubRequestContext>, _ dashboard: Dashboard<Store>) {
    let store = dashboard.store

    routes.get("/manage/allocation") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let unassigned = try store.unassignedOverdue(asOf: LocalDate.today(), limit: 200)
            let reps = try store.reps().map { rep in
                BoardRepLine(
                    name: rep.name, nameQuery: q(rep.name), outstanding: money(rep.assignedOutstanding), regions: rep.regions.joined(separator: ", "),
                    devices: rep.devices, assigned: rep.assignedInvoices,
                    scopes: ["all", "region", "assigned"].map { Choice(value: $0, selected: $0 == rep.scope) })
            }
            let rules = try store.allocationRules().enumerated().map { index, rule in
                BoardRuleLine(
                    position: index + 1, minDays: rule.minDaysPastDue, region: rule.region ?? "any", minOutstanding: money(rule.minOutstanding),
                    maxOutstanding: rule.maxOutstanding.map(money) ?? "—", rep: rule.rep)
            }
            return DashboardPages.render(
                "allocation", title: "Allocation board", manager: who.name, notice: notice, error: error,
                BoardPage(
                    reps: reps, unassignedCount: unassigned.count, unassignedOutstanding: unassigned.outstanding.displayString,
                    invoices: unassigned.rows.map(BoardInvoice.init), rules: rules))
        }
    }

    routes.get("/manage/reps/:name") { request, context -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let name = try context.parameters.require("name")
            let reps = try store.reps()
            guard let rep = reps.first(where: { $0.name == name }) else { throw ProblemError(status: .notFound, detail: "no rep \(name)") }
            return DashboardPages.render(
                "rep", title: "\(rep.name): \(rep.assignedInvoices) invoices, \(money(rep.assignedOutstanding))", manager: who.name, notice: notice,
                error: error,
                RepPage(
                    here: "/manage/reps/\(q(name))", nameQuery: q(name), scope: rep.scope, regions: rep.regions.joined(separator: ", "),
                    devices: rep.devices, hasRegions: !rep.regions.isEmpty, others: reps.map(\.name).filter { $0 != name },
                    invoices: try store.assignedInvoices(rep: name, asOf: LocalDate.today(), limit: 200).map(BoardInvoice.init)))
        }
    }

    routes.post("/manage/reps") { request, _ -> Response in
        try await dashboard.action(request, RepForm.self) { _, form in
            let regions = form.regions.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let rep = try store.setRep(form.rep.text, RepSettings(scope: form.scope.given, regions: regions))
            return ("/manage/allocation", "\(rep.name)'s devices receive: \(rep.scope)\(rep.regions.isEmpty ? "" : " (" + rep.regions.joined(separator: ", ") + ")").")
        }
    }

    routes.post("/manage/allocation/assign") { request, _ -> Response in
        try await dashboard.action(request, AssignForm.self) { who, form in
            let invoices = form.invoice ?? []
            guard !invoices.isEmpty else { throw ReportInputError("tick at least one invoice") }
            let rep = form.rep.given
            let result = try store.assign(invoices, to: rep, actor: who.id, reason: form.reason.given)
            var notice = "\(result.assigned) invoice\(result.assigned == 1 ? "" : "s") \(rep.map { "assigned to \($0)" } ?? "taken off their rep")"
            if result.unchanged > 0 { notice += "; \(result.unchanged) already were" }
            if !result.unknown.isEmpty { notice += "; not found: \(result.unknown.joined(separator: ", "))" }
            return (Dashboard<Store>.safeBack(form.back) ?? "/manage/allocation", notice + ".")
        }
    }

    routes.post("/manage/allocation/rules") { request, _ -> Response in
        try await dashboard.action(request, RuleForm.self) { _, form in
            guard let days = Int(form.min_days.text) else { throw ReportInputError("min days past due must be a whole number") }
            var rules = try store.allocationRules()
            rules.append(
                AllocationRule(
                    region: form.region.given, minDaysPastDue: days, minOutstanding: form.min_outstanding.given ?? "0.00",
                    maxOutstanding: form.max_outstanding.given, rep: form.rep.text))
            try store.setAllocationRules(rules)
            return ("/manage/allocation", "Rule \(rules.count) added.")
        }
    }

    routes.post("/manage/allocation/rules/clear") { request, _ -> Response in
        try await dashboard.action(request, PlainForm.self) { _, _ in
            try store.setAllocationRules([])
            return ("/manage/allocation", "All rules removed.")
        }
    }

    routes.post("/manage/allocation/apply") { request, _ -> Response in
        try await dashboard.action(request, PlainForm.self) { who, _ in
            let run = try store.applyAllocationRules(asOf: LocalDate.today(), actor: who.id)
            let byRep = run.byRep.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return ("/manage/allocation", "\(run.assigned) invoices assigned\(byRep.isEmpty ? "" : " (\(byRep))"); \(run.unmatched) matched no rule.")
        }
    }
}

// MARK: Follow-ups, reminders, escalations

private struct CloseForm: DashboardForm {
    let id: String?
    let outcome: String?
    let back: String?
}

private struct PolicyForm: DashboardForm {
    let group: String?
    let first: String?
    let every: String?
    let channel: String?
    let escalate: String?
    let stop: String?
    let back: String?
}

private func addCollectionPages<Store>(_ routes: RouteCollection<HubRequestContext>, _ dashboard: Dashboard<Store>) {
    let store = dashboard.store

    routes.get("/manage/followups") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let query = ReportQuery(request)
            let asOf = try query.date("as_of", default: LocalDate.today())
            let rep = query.value("rep").flatMap { $0.isEmpty ? nil : $0 }
            let sections = try [("due", "Due on or before \(asOf.isoString)"), ("missed", "Promises missed")].map { list, title in
                FollowUpsSection(
                    title: title,
                    rows: try store.followUps(list: list, rep: rep, asOf: asOf, page: 1, perPage: 500).followups.map { f in
                        FollowUpsLine(
                            id: f.id, due: f.dueDate, rep: f.rep ?? "", customer: f.customerName, codeQuery: q(f.customerCode), invoice: f.invoice ?? "all",
                            action: f.action, note: f.note ?? "", promise: promiseText(f), owes: money(f.outstanding), state: f.state, open: f.state == "open")
                    })
            }
            return DashboardPages.render(
                "followups", title: "Follow-ups", manager: who.name, notice: notice, error: error,
                FollowUpsPage(reps: try store.reps().map { Choice(value: $0.name, selected: $0.name == rep) }, asOf: asOf.isoString, sections: sections))
        }
    }

    routes.post("/manage/followups/close") { request, _ -> Response in
        try await dashboard.action(request, CloseForm.self) { _, form in
            guard try store.closeFollowUp(form.id.text, FollowUpClose(state: "done", outcome: form.outcome.given), deviceRep: nil) != nil else {
                throw ReportInputError("no such follow-up")
            }
            return ("/manage/followups", "Follow-up done.")
        }
    }

    routes.get("/manage/collections") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            return DashboardPages.render(
                "collections", title: "Reminders and escalations", manager: who.name, notice: notice, error: error,
                CollectionsPage(
                    escalations: try store.escalations().map {
                        CollectionsEscalationLine(
                            day: $0.day, reason: $0.reason, invoice: $0.invoice, code: $0.customerCode, codeQuery: q($0.customerCode), rep: $0.rep ?? "",
                            owes: money($0.outstanding))
                    },
                    disputes: try store.disputes(openOnly: true).map {
                        CollectionsDisputeLine(invoice: $0.invoice, code: $0.customerCode, codeQuery: q($0.customerCode), reason: $0.reason, amount: money($0.amount))
                    },
                    reminders: try store.reminders(state: "queued", customer: nil, limit: 200).map {
                        CollectionsReminderLine(day: $0.day, channel: $0.channel, invoice: $0.invoice, phone: $0.phone ?? "", message: $0.message)
                    },
                    policies: try store.reminderPolicies().map {
                        CollectionsPolicyLine(
                            group: $0.group, stop: $0.stopOnDispute ? "yes" : "no", channel: $0.channel, first: $0.firstAfterDays, every: $0.everyDays,
                            escalate: $0.escalateAfterDays)
                    }))
        }
    }

    routes.post("/manage/collections/run") { request, _ -> Response in
        try await dashboard.action(request, PlainForm.self) { _, _ in
            let run = try store.runCollections(asOf: LocalDate.today())
            return ("/manage/collections", "\(run.remindersQueued) reminders queued, \(run.skippedDisputed) held for disputes, \(run.escalations) new escalations.")
        }
    }

    routes.post("/manage/collections/policy") { request, _ -> Response in
        try await dashboard.action(request, PolicyForm.self) { _, form in
            guard let first = Int(form.first.text), let every = Int(form.every.text), let escalate = Int(form.escalate.text) else {
                throw ReportInputError("the days must be whole numbers")
            }
            let policy = ReminderPolicy(
                group: form.group.text, firstAfterDays: first, everyDays: every, stopOnDispute: form.stop.text != "no", channel: form.channel.text,
                escalateAfterDays: escalate)
            try store.setReminderPolicy(policy)
            return ("/manage/collections", "Policy \(policy.group) saved.")
        }
    }
}

// MARK: Reports

private struct HandoverForm: DashboardForm {
    let rep: String?
    let day: String?
    let cash: String?
    let cheques: String?
    let cheque_amount: String?
    let note: String?
    let back: String?
}

private struct DepositForm: DashboardForm {
    let id: String?
    let reference: String?
    let back: String?
}

private func addReportPages<Store>(_ routes: RouteCollection<HubRequestContext>, _ dashboard: Dashboard<Store>) {
    let store = dashboard.store

    routes.get("/manage/reports/register") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let query = ReportQuery(request)
            let to = try query.date("to", default: LocalDate.today())
            let from = try query.date("from", default: to.adding(days: -6))
            try query.checkRange(from: from, to: to)
            let report = try store.register(from: from, to: to, page: 1, perPage: nil)
            return DashboardPages.render(
                "register", title: "Collection register", manager: who.name,
                RegisterPage(
                    period: Period("/manage/reports/register", from, to), from: from.isoString, to: to.isoString, amount: money(report.amount),
                    payments: report.payments, days: report.days.map { RegisterDayLine(day: $0.day, amount: money($0.amount), payments: $0.payments) },
                    rows: report.rows.map { RegisterLine(day: $0.day, rep: $0.rep, method: $0.method, amount: money($0.amount), payments: $0.payments) }))
        }
    }

    routes.get("/manage/reports/register.csv") { request, _ -> Response in
        guard let who = try dashboard.manager(request) else { return redirect("/manage/login") }
        if who.isRegionLimited { return Dashboard<Store>.regionLimited(who) }
        let query = ReportQuery(request)
        let to = try query.date("to", default: LocalDate.today())
        let from = try query.date("from", default: to)
        try query.checkRange(from: from, to: to)
        let report = try store.register(from: from, to: to, page: 1, perPage: nil)
        return registerCSV(report).response(filename: "register-\(report.from)-\(report.to).csv")
    }

    routes.get("/manage/reports/productivity") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let query = ReportQuery(request)
            let to = try query.date("to", default: LocalDate.today())
            let from = try query.date("from", default: to.adding(days: -29))
            try query.checkRange(from: from, to: to)
            let report = try store.productivity(from: from, to: to, page: 1, perPage: nil)
            let rows = (report.rows + [report.totals]).map { r in
                ProductivityLine(
                    rep: r.rep, toCollect: money(r.toCollect), collectedOnAllocated: money(r.collectedOnAllocated),
                    hitRate: r.hitRate.map { String(format: "%.0f %%", $0 * 100) } ?? "—", collected: money(r.collected), allocated: r.allocatedInvoices,
                    invoicesPaid: r.invoicesPaid, payments: r.payments, visits: r.visits, disputed: r.disputedExcluded)
            }
            return DashboardPages.render(
                "productivity", title: "ProductivityPage and to-collect vs collected", manager: who.name,
                ProductivityPage(period: Period("/manage/reports/productivity", from, to), rows: rows))
        }
    }

    routes.get("/manage/reports/day-sheet") { request, _ -> Response in
        try dashboard.signedIn(request) { who in
            let (notice, error) = dashboard.notices(request)
            let query = ReportQuery(request)
            let day = try query.date("day", default: LocalDate.today())
            let reps = try store.reps()
            let rep = query.value("rep").flatMap { $0.isEmpty ? nil : $0 } ?? reps.first?.name
            var sheet: DaySheetSheet?
            if let rep, let found = try store.daySheet(rep: rep, day: day) {
                sheet = DaySheetSheet(
                    toCollect: money(found.toCollect), collected: money(found.collectedTotal), cashInHand: money(found.cashInHand),
                    chequesInHand: money(found.chequesInHand), cashVariance: money(found.cashVariance), chequeVariance: money(found.chequeVariance),
                    cashCarriedIn: money(found.cashCarriedIn), chequesCarriedIn: money(found.chequesCarriedIn),
                    cashHandedOver: money(found.cashHandedOver), chequesHandedOver: money(found.chequesHandedOver), deposited: money(found.deposited),
                    cashInHandWire: found.cashInHand, chequesInHandWire: found.chequesInHand, toCollectInvoices: found.toCollectInvoices,
                    chequeCount: found.chequeCount,
                    methods: found.collected.map { DaySheetMethodLine(method: $0.method, amount: money($0.amount), payments: $0.payments) },
                    handovers: found.handovers.map {
                        DaySheetHandoverLine(
                            cash: money($0.cash), chequeAmount: money($0.chequeAmount), receivedBy: $0.receivedBy, note: $0.note ?? "",
                            deposit: $0.depositReference, id: $0.id, cheques: $0.cheques)
                    })
            }
            return DashboardPages.render(
                "daysheet", title: "Day sheet", manager: who.name, notice: notice, error: error,
                DaySheetPage(
                    reps: reps.map { Choice(value: $0.name, selected: $0.name == rep) }, rep: rep ?? "", day: day.isoString,
                    here: "/manage/reports/day-sheet?rep=\(q(rep ?? ""))&day=\(day.isoString)", sheet: sheet))
        }
    }

    routes.post("/manage/handovers") { request, _ -> Response in
        try await dashboard.action(request, HandoverForm.self) { who, form in
            let handover = try store.recordHandover(
                HandoverRequest(
                    rep: form.rep.text, day: form.day.text, cash: form.cash.text, cheques: Int(form.cheques.text) ?? -1,
                    chequeAmount: form.cheque_amount.text, note: form.note.given), receivedBy: who.name)
            return (Dashboard<Store>.safeBack(form.back) ?? "/manage/reports/day-sheet", "Handover recorded: cash \(money(handover.cash)), \(handover.cheques) cheques.")
        }
    }

    routes.post("/manage/handovers/deposit") { request, _ -> Response in
        try await dashboard.action(request, DepositForm.self) { _, form in
            guard let id = Int64(form.id.text), try store.recordDeposit(handover: id, reference: form.reference.text) != nil else {
                throw ReportInputError("no such handover")
            }
            return (Dashboard<Store>.safeBack(form.back) ?? "/manage/reports/day-sheet", "Deposit recorded.")
        }
    }
}

func agingCSV(_ report: AgingReport) -> CSVWriter {
    var csv = CSVWriter(header: ["customer_code", "customer_name", "region"] + report.buckets + ["outstanding", "invoices", "oldest_days_past_due"])
    for row in report.rows {
        csv.add(
            text: [row.customerCode, row.customerName, row.region ?? ""],
            numbers: row.amounts.buckets + [row.amounts.outstanding, String(row.amounts.invoices), String(row.oldestDaysPastDue)])
    }
    csv.add(text: ["TOTAL", "", ""], numbers: report.totals.buckets + [report.totals.outstanding, String(report.totals.invoices), ""])
    return csv
}

func registerCSV(_ report: CollectionRegister) -> CSVWriter {
    var csv = CSVWriter(header: ["day", "rep", "method", "payments", "amount"])
    for row in report.rows { csv.add(text: [row.day, row.rep, row.method], numbers: [String(row.payments), row.amount]) }
    csv.add(text: ["TOTAL", "", ""], numbers: [String(report.payments), report.amount])
    return csv
}

// MARK: What the pages show

private struct LoginPage: Sendable {}

private struct AuditLine: Sendable { let when, actor, action, target, detail, source, outcome: String }
private struct AuditLogPage: Sendable { let entries: [AuditLine] }

private struct OverviewPage: Sendable {
    let cards: [Card]
    let chart: AgingChart
    let buckets: [String]
    let rows: [AgingLine]
    let asOf: String
}

private struct AgingPage: Sendable {
    let asOf: String
    let edges: String
    let edgesQuery: String
    let chart: AgingChart
    let buckets: [String]
    let rows: [AgingLine]
    let totals: [String]
    let outstanding: String
    let first: Int
    let last: Int
    let customers: Int
    let next: Int?
}

private struct CustomerInvoice: Sendable {
    let number, due, bucket, outstanding: String
    let daysPastDue: Int
}

private struct CustomerFollowUpLine: Sendable {
    let due, action, invoice, rep, note, promise, state: String
    let kept, missed: Bool
}

private struct CustomerDisputeLine: Sendable { let invoice, reason, amount: String }

private struct CustomerPaymentLine: Sendable {
    let day, receipt, method, rep, status, amount, against: String
    /// Money the hub holds (cash, a cheque, a confirmed UPI payment): it can be reversed from the page. Stored, not
    /// computed: the templates see stored properties only.
    let reversible: Bool

    init(day: String, receipt: String?, method: String, rep: String, status: String, amount: String, against: String) {
        (self.day, self.receipt, self.method, self.rep, self.status, self.amount, self.against) = (day, receipt ?? "PSP credit", method, rep, status, amount, against)
        // A PSP credit no device recorded is not a payment of this hub's to reverse.
        reversible = receipt != nil && (status == PaymentStatus.received.rawValue || status == PaymentStatus.confirmed.rawValue)
    }
}

private struct CustomerReminderLine: Sendable { let day, invoice, channel, state: String }

private struct CustomerPage: Sendable {
    let here, asOf, tomorrow, outstanding, invoiced, paid, daysToPay, region: String
    let invoices: [CustomerInvoice]
    let followUps: [CustomerFollowUpLine]
    let disputes: [CustomerDisputeLine]
    let payments: [CustomerPaymentLine]
    let reminders: [CustomerReminderLine]
    let phone, language, channel: String
    let optedOut: String?
    let messages: [MessageLine]
    let yearStart: String
}

private struct StatementForm: DashboardForm {
    let from: String?
    let to: String?
    let back: String?
}

private struct CustomerMessagingForm: DashboardForm {
    let language: String?
    let channel: String?
    let opted_out: String?
    let back: String?
}

private struct MessageRetryForm: DashboardForm {
    let id: String?
    let back: String?
}

private struct ReverseForm: DashboardForm {
    let receipt: String?
    let reason: String?
    let back: String?
}

private struct ERPRetryForm: DashboardForm {
    let id: String?
    let connector: String?
    let back: String?
}

private struct ERPPage: Sendable {
    let connectors: [ERPConnectorView]
}

/// One connector on the Books page.
struct ERPConnectorView: Sendable {
    struct Row: Sendable {
        let id: Int64
        let connector, receipt, code, codeQuery, amount, state, why, when: String
        let attempts: Int
        let parked: Bool
    }
    struct Reconcile: Sendable {
        struct Line: Sendable { let problem, receipt, party, hub, erp, note: String }
        let day, ranAt: String
        let clean: Bool
        let payments, count: Int
        let lines: [Line]
    }
    let name: String
    let pending, sent, parked, cancelled: Int
    let lastSent, oldestPending: String?
    let reconcile: Reconcile?
    let rows: [Row]

    init(_ counts: ERPQueueCounts, reconcile report: ERPReconcileReport?, rows entries: [ERPQueueEntry]) {
        name = counts.connector
        pending = counts.pending
        sent = counts.sent
        parked = counts.parked
        cancelled = counts.cancelled
        lastSent = counts.lastSentAt.map(MessageLine.time)
        oldestPending = counts.oldestPendingAt.map(MessageLine.time)
        reconcile = report.map { report in
            Reconcile(
                day: report.day.isoString, ranAt: MessageLine.time(report.ranAt), clean: report.isClean, payments: report.hubPayments, count: report.lines.count,
                lines: report.lines.map {
                    .init(problem: $0.problem, receipt: $0.receiptNumber ?? "", party: $0.party ?? "", hub: $0.hubAmount?.displayString ?? "",
                        erp: $0.erpAmount?.displayString ?? "", note: $0.note ?? "")
                })
        }
        rows = entries.map {
            Row(id: $0.id, connector: $0.connector, receipt: $0.receiptNumber, code: $0.customerCode, codeQuery: q($0.customerCode),
                amount: $0.amount.displayString, state: $0.stateLabel, why: $0.failure ?? $0.reference ?? "", when: MessageLine.time($0.updatedAt),
                attempts: $0.attempts, parked: $0.state == .parked)
        }
    }
}

private struct MessagesPage: Sendable {
    let state: String?
    let states: [String]
    let messages: [MessageLine]
}

/// One message as the dashboard shows it.
struct MessageLine: Sendable {
    let id: Int64
    let when, kind, code, codeQuery, channel, state, failure, text, back: String
    let attempts: Int
    let attention, retryable: Bool

    init(_ entry: MessageEntry, back: String) {
        id = entry.id
        when = Self.time(entry.createdAt)
        kind = entry.kind
        code = entry.customerCode
        codeQuery = q(entry.customerCode)
        channel = entry.channel
        state = entry.state
        failure = entry.failure ?? ""
        text = entry.text
        self.back = back
        attempts = entry.attempts
        let state = MessageState(rawValue: entry.state)
        attention = [.failed, .unconfirmed, .held, .expired].contains(state)
        retryable = attention
    }

    /// yyyy-mm-dd hh:mm, India time.
    static func time(_ millis: Int64) -> String {
        let minutes = ((millis + 19_800_000) % 86_400_000) / 60_000
        return HubTime.day(ofMillis: millis).isoString + String(format: " %02d:%02d", minutes / 60, minutes % 60)
    }
}

private struct BoardRepLine: Sendable {
    let name, nameQuery, outstanding, regions: String
    let devices, assigned: Int
    let scopes: [Choice]
}

private struct BoardRuleLine: Sendable {
    let position, minDays: Int
    let region, minOutstanding, maxOutstanding, rep: String
}

private struct BoardPage: Sendable {
    let reps: [BoardRepLine]
    let unassignedCount: Int
    let unassignedOutstanding: String
    let invoices: [BoardInvoice]
    let rules: [BoardRuleLine]
}

private struct RepPage: Sendable {
    let here, nameQuery, scope, regions: String
    let devices: Int
    let hasRegions: Bool
    let others: [String]
    let invoices: [BoardInvoice]
}

private struct FollowUpsLine: Sendable {
    let id, due, rep, customer, codeQuery, invoice, action, note, promise, owes, state: String
    let open: Bool
}

private struct FollowUpsSection: Sendable {
    let title: String
    let rows: [FollowUpsLine]
}

private struct FollowUpsPage: Sendable {
    let reps: [Choice]
    let asOf: String
    let sections: [FollowUpsSection]
}

private struct CollectionsEscalationLine: Sendable { let day, reason, invoice, code, codeQuery, rep, owes: String }

private struct CollectionsDisputeLine: Sendable { let invoice, code, codeQuery, reason, amount: String }

private struct CollectionsReminderLine: Sendable { let day, channel, invoice, phone, message: String }

private struct CollectionsPolicyLine: Sendable {
    let group, stop, channel: String
    let first, every, escalate: Int
}

private struct CollectionsPage: Sendable {
    let escalations: [CollectionsEscalationLine]
    let disputes: [CollectionsDisputeLine]
    let reminders: [CollectionsReminderLine]
    let policies: [CollectionsPolicyLine]
}

private struct RegisterDayLine: Sendable {
    let day, amount: String
    let payments: Int
}

private struct RegisterLine: Sendable {
    let day, rep, method, amount: String
    let payments: Int
}

private struct RegisterPage: Sendable {
    let period: Period
    let from, to, amount: String
    let payments: Int
    let days: [RegisterDayLine]
    let rows: [RegisterLine]
}

private struct ProductivityLine: Sendable {
    let rep, toCollect, collectedOnAllocated, hitRate, collected: String
    let allocated, invoicesPaid, payments, visits, disputed: Int
}

private struct ProductivityPage: Sendable {
    let period: Period
    let rows: [ProductivityLine]
}

private struct DaySheetMethodLine: Sendable {
    let method, amount: String
    let payments: Int
}

private struct DaySheetHandoverLine: Sendable {
    let cash, chequeAmount, receivedBy, note: String
    let deposit: String?
    let id: Int64
    let cheques: Int
}

private struct DaySheetSheet: Sendable {
    let toCollect, collected, cashInHand, chequesInHand, cashVariance, chequeVariance, cashCarriedIn, chequesCarriedIn: String
    let cashHandedOver, chequesHandedOver, deposited, cashInHandWire, chequesInHandWire: String
    let toCollectInvoices, chequeCount: Int
    let methods: [DaySheetMethodLine]
    let handovers: [DaySheetHandoverLine]
}

private struct DaySheetPage: Sendable {
    let reps: [Choice]
    let rep, day, here: String
    let sheet: DaySheetSheet?
}
