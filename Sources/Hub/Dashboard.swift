import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

/// The managers' pages under /manage: sign in with a manager's token (a session cookie, HttpOnly,
/// SameSite=Strict, for /manage only), then aging with its chart, the allocation board, follow-ups,
/// reminders and escalations, and the reports. Every form posts to the same origin (checked), and every
/// action redirects back with a notice or an error in words.
func addDashboardRoutes(to router: Router<BasicRequestContext>, store: some HubStorage, bodyLimit: Int) {
    let cookieName = "fp_session"

    /// The signed-in manager, or a redirect to the sign-in page.
    @Sendable func manager(_ request: Request) throws -> (id: String, name: String)? {
        guard let cookie = request.cookies[cookieName]?.value, !cookie.isEmpty else { return nil }
        return try store.sessionManager(cookie)
    }

    /// A POST from one of these pages: same origin (Origin, or Referer, must name this host).
    @Sendable func sameOrigin(_ request: Request) -> Bool {
        guard let host = request.head.authority else { return false }
        let source = request.headers[.origin] ?? request.headers[.referer].flatMap { URL(string: $0) }.map { "\($0.scheme ?? "http")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" }
        guard let source, let url = URL(string: source), let sourceHost = url.host else { return false }
        return sourceHost + (url.port.map { ":\($0)" } ?? "") == host
    }

    @Sendable func notices(_ request: Request) -> (String?, String?) {
        let query = ReportQuery(request)
        return (query.value("notice"), query.value("error"))
    }

    /// A page for a signed-in manager: runs `body` or sends the browser to sign in.
    @Sendable func signedIn(_ request: Request, _ body: ((id: String, name: String)) throws -> Response) throws -> Response {
        guard let who = try manager(request) else { return redirect("/manage/login") }
        do { return try body(who) } catch let error as ProblemError {
            return page("Cannot show this page", manager: who.name, error: error.detail, status: error.status, "<p><a href=\"/manage\">Back to the overview</a></p>")
        }
    }

    /// A form post by a signed-in manager from this site: runs `perform`, which returns where to go and what to say.
    @Sendable func action(_ request: Request, _ perform: ((id: String, name: String), Form) throws -> (String, String)) async throws -> Response {
        guard sameOrigin(request) else {
            return page("Refused", manager: nil, error: "This form did not come from this hub's pages.", status: .forbidden, "")
        }
        guard let who = try manager(request) else { return redirect("/manage/login") }
        let form = Form(try await body(request, limit: bodyLimit))
        let back = form.optional("back").flatMap { $0.hasPrefix("/manage") && !$0.hasPrefix("//") ? $0 : nil } ?? "/manage"
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

    router.get("/manage/style.css") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: dashboardCSS)))
    }

    router.get("/manage/login") { request, _ -> Response in
        let (_, error) = notices(request)
        return page(
            "Sign in", manager: nil, error: error,
            """
            <form method="post" action="/manage/login" class="panel">
            <label>Manager token <input type="password" name="token" autocomplete="current-password" required size="60" autofocus></label>
            <button>Sign in</button></form>
            <p>A manager's token comes from <code>fieldpay-hub managers add --name NAME</code> on the hub.</p>
            """)
    }

    router.post("/manage/login") { request, _ -> Response in
        guard sameOrigin(request) else { return page("Refused", manager: nil, error: "This form did not come from this hub's pages.", status: .forbidden, "") }
        let form = Form(try await body(request, limit: 4096))
        guard let session = try store.openSession(token: form["token"] ?? "") else {
            return redirect("/manage/login?error=" + q("That is not a valid manager token (or it was revoked)."))
        }
        return redirect(
            "/manage", cookie: Cookie(name: cookieName, value: session.cookie, maxAge: 12 * 3600, path: "/manage", httpOnly: true, sameSite: .strict))
    }

    router.post("/manage/logout") { request, _ -> Response in
        if let cookie = request.cookies[cookieName]?.value { try store.closeSession(cookie) }
        return redirect("/manage/login", cookie: Cookie(name: cookieName, value: "", maxAge: 0, path: "/manage", httpOnly: true, sameSite: .strict))
    }

    // MARK: Overview and aging

    router.get("/manage") { request, _ -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let asOf = try ReportQuery(request).date("as_of", default: LocalDate.today())
            let aging = try store.aging(asOf: asOf, edges: .standard, page: 1, perPage: 10)
            let dso = try store.dso(from: asOf.adding(days: -89), to: asOf)
            let due = try store.followUps(list: "due", rep: nil, asOf: asOf, page: 1, perPage: 1).page.rows
            let missed = try store.followUps(list: "missed", rep: nil, asOf: asOf, page: 1, perPage: 1).page.rows
            let unassigned = try store.unassignedOverdue(asOf: asOf, limit: 1)
            let overdue = aging.totals.buckets.dropFirst().compactMap { try? Money(parsing: $0).paise }.reduce(0, +)
            let cards = [
                ("Outstanding", money(aging.totals.outstanding)), ("Overdue", Money(paise: overdue).displayString),
                ("Customers owing", String(aging.customers)), ("DSO, 90 days", dso.dso.map { "\($0) days" } ?? "—"),
                ("Overdue, no rep", "\(unassigned.count) · \(unassigned.outstanding.displayString)"), ("Follow-ups due", String(due)),
                ("Promises missed", String(missed)), ("Escalations", String(try store.escalations().count)),
                ("Disputes open", String(try store.disputes(openOnly: true).count)),
            ]
            let top = aging.rows.map { row in
                ["<a href=\"/manage/customers/\(q(row.customerCode))\">\(h(row.customerName)) (\(h(row.customerCode)))</a>", h(row.region)]
                    + row.amounts.buckets.map { h(money($0)) } + [h(money(row.amounts.outstanding))]
            }
            return page(
                "Overview as of \(asOf.isoString)", manager: who.name, notice: notice, error: error,
                """
                <div class="cards">\(cards.map { "<div class=\"card\">\(h($0.0))<b>\(h($0.1))</b></div>" }.joined())</div>
                \(agingChart(aging.buckets, aging.totals.buckets))
                <h3>Largest outstanding</h3>
                \(table(["Customer", "Region"] + aging.buckets + ["Outstanding"], top, numeric: Set(2..<(3 + aging.buckets.count))))
                <p><a href="/manage/aging?as_of=\(asOf.isoString)">All customers</a></p>
                """)
        }
    }

    router.get("/manage/aging") { request, _ -> Response in
        try signedIn(request) { who in
            let query = ReportQuery(request)
            let asOf = try query.date("as_of", default: LocalDate.today())
            let edges = try query.edges()
            let paging = try query.paging()
            let report = try store.aging(asOf: asOf, edges: edges, page: paging.page, perPage: paging.perPage)
            let rows = report.rows.map { row in
                ["<a href=\"/manage/customers/\(q(row.customerCode))?as_of=\(asOf.isoString)\">\(h(row.customerName)) (\(h(row.customerCode)))</a>", h(row.region)]
                    + row.amounts.buckets.map { h(money($0)) } + [h(money(row.amounts.outstanding)), String(row.oldestDaysPastDue)]
            }
            let totals = ["<b>Total</b>", ""] + report.totals.buckets.map { "<b>\(h(money($0)))</b>" } + ["<b>\(h(money(report.totals.outstanding)))</b>", ""]
            let edgesText = edges.days.map(String.init).joined(separator: ",")
            let nextLink =
                report.page.more ? "<a href=\"/manage/aging?as_of=\(asOf.isoString)&edges=\(q(edgesText))&page=\(paging.page + 1)\">Next page</a>" : ""
            return page(
                "Aging as of \(asOf.isoString)", manager: who.name,
                """
                <form method="get" action="/manage/aging" class="panel">
                <label>As of <input type="date" name="as_of" value="\(asOf.isoString)"></label>
                <label>Bucket edges (days) <input name="edges" value="\(h(edgesText))"></label><button>Show</button>
                <a href="/manage/aging.csv?as_of=\(asOf.isoString)&edges=\(q(edgesText))">Download CSV</a></form>
                \(agingChart(report.buckets, report.totals.buckets))
                \(table(["Customer", "Region"] + report.buckets + ["Outstanding", "Oldest (days)"], rows + [totals], numeric: Set(2..<(4 + report.buckets.count))))
                <p>Customers \((paging.page - 1) * paging.perPage + 1)–\((paging.page - 1) * paging.perPage + report.rows.count) of \(report.customers). \(nextLink)</p>
                """)
        }
    }

    router.get("/manage/aging.csv") { request, _ -> Response in
        guard try manager(request) != nil else { return redirect("/manage/login") }
        let query = ReportQuery(request)
        let report = try store.aging(asOf: try query.date("as_of", default: LocalDate.today()), edges: try query.edges(), page: 1, perPage: nil)
        return agingCSV(report).response(filename: "aging-\(report.asOf).csv")
    }

    router.get("/manage/customers/:code") { request, context -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let code = try context.parameters.require("code")
            let asOf = try ReportQuery(request).date("as_of", default: LocalDate.today())
            guard let aging = try store.customerAging(code, asOf: asOf, edges: .standard, page: 1, perPage: nil), let history = try store.customerHistory(code, limit: 100) else {
                throw ProblemError(status: .notFound, detail: "no customer \(code) at this hub")
            }
            let here = "/manage/customers/\(q(code))"
            let invoices = aging.invoices.map {
                [h($0.number), h($0.dueDate), String($0.daysPastDue), h($0.bucket), h(money($0.outstanding))]
            }
            let payments = history.payments.map {
                [h($0.day), h($0.receiptNumber ?? "PSP credit"), h($0.method), h($0.rep), h($0.status), h(money($0.amount)),
                 h($0.allocations.map { "\($0.invoice) \(money($0.amount))" }.joined(separator: ", "))]
            }
            let followUps = try store.customerFollowUps(code, asOf: asOf).map { f in
                [h(f.dueDate), h(f.action), h(f.invoice ?? "all"), h(f.rep), h(f.note),
                 h(f.promisedDate.map { "\($0)\(f.promisedAmount.map { " · " + money($0) } ?? "")" }),
                 f.promiseKept.map { $0 ? "kept" : "<span class=\"tag\">missed</span>" } ?? "", h(f.state)]
            }
            let options = aging.invoices.map { "<option value=\"\(h($0.number))\">\(h($0.number)) · \(h(money($0.outstanding)))</option>" }.joined()
            let disputes = try store.disputes(openOnly: true).filter { $0.customerCode == code }.map { d in
                [h(d.invoice), h(d.reason), h(money(d.amount)),
                 """
                 <form method="post" action="/manage/disputes/resolve" class="inline"><input type="hidden" name="invoice" value="\(h(d.invoice))">\
                 <input type="hidden" name="back" value="\(h(here))"><input name="resolution" placeholder="resolution" required><button>Resolve</button></form>
                 """]
            }
            return page(
                "\(history.customerName) (\(code))", manager: who.name, notice: notice, error: error,
                """
                <div class="cards"><div class="card">Outstanding<b>\(h(money(history.outstanding)))</b></div>\
                <div class="card">Invoiced<b>\(h(money(history.invoiced)))</b></div><div class="card">Paid<b>\(h(money(history.paid)))</b></div>\
                <div class="card">Days to pay<b>\(history.averageDaysToPay.map { "\($0)" } ?? "—")</b></div>\
                <div class="card">Region<b>\(h(history.region ?? "—"))</b></div></div>
                <h3>Open invoices as of \(asOf.isoString)</h3>
                \(table(["Invoice", "Due", "Days past due", "Bucket", "Outstanding"], invoices, numeric: [2, 4], empty: "Nothing outstanding."))
                <h3>Set a follow-up</h3>
                <form method="post" action="\(here)/followups" class="panel"><input type="hidden" name="back" value="\(h(here))">
                <label>Invoice <select name="invoice"><option value="">the customer (all invoices)</option>\(options)</select></label>
                <label>Next action <select name="action"><option value="visit">visit</option><option value="call">call</option></select></label>
                <label>On <input type="date" name="due_date" required value="\(LocalDate.today().adding(days: 1).isoString)"></label>
                <label>Promised payment date <input type="date" name="promised_date"></label>
                <label>Promised amount <input name="promised_amount" placeholder="5000.00" inputmode="decimal"></label>
                <label>Note <input name="note" maxlength="500"></label><button>Save follow-up</button></form>
                \(table(["On", "Action", "Invoice", "Rep", "Note", "Promise", "Kept", "State"], followUps, empty: "No follow-ups yet."))
                <h3>Disputes</h3>
                \(table(["Invoice", "Reason", "Amount", ""], disputes, numeric: [2], empty: "No open disputes."))
                <form method="post" action="\(here)/disputes" class="panel"><input type="hidden" name="back" value="\(h(here))">
                <label>Invoice <select name="invoice" required>\(options)</select></label>
                <label>Reason <input name="reason" required maxlength="500"></label>
                <label>Disputed amount (blank: all) <input name="amount" inputmode="decimal"></label><button>Mark disputed</button></form>
                <h3>Payments</h3>
                \(table(["Day", "Receipt", "Method", "Rep", "Status", "Amount", "Against"], payments, numeric: [5], empty: "No payments yet."))
                <h3>Reminders</h3>
                \(table(["Day", "Invoice", "Channel", "State"], history.reminders.map { [h($0.day), h($0.invoice), h($0.channel), h($0.state)] }, empty: "No reminders sent."))
                """)
        }
    }

    router.post("/manage/customers/:code/followups") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await action(request) { who, form in
            let followUp = FollowUpRequest(
                customerCode: code, invoice: form.optional("invoice"), action: form["action"] ?? "", dueDate: form["due_date"] ?? "",
                note: form.optional("note"), promisedDate: form.optional("promised_date"), promisedAmount: form.optional("promised_amount"))
            _ = try store.putFollowUp(id: UUID().uuidString.lowercased(), followUp, actor: who.id, deviceRep: nil)
            return ("/manage/customers/\(q(code))", "Follow-up saved: \(followUp.action) on \(followUp.dueDate).")
        }
    }

    router.post("/manage/customers/:code/disputes") { request, context -> Response in
        let code = try context.parameters.require("code")
        return try await action(request) { who, form in
            let invoice = form["invoice"] ?? ""
            _ = try store.openDispute(invoice, DisputeRequest(reason: form["reason"] ?? "", amount: form.optional("amount")), actor: who.id)
            return ("/manage/customers/\(q(code))", "Invoice \(invoice) is disputed: its reminders pause and it leaves its rep's to-collect.")
        }
    }

    router.post("/manage/disputes/resolve") { request, _ -> Response in
        try await action(request) { who, form in
            let invoice = form["invoice"] ?? ""
            guard try store.resolveDispute(invoice, resolution: form["resolution"] ?? "", actor: who.id) != nil else {
                throw ReportInputError("invoice \(invoice) has no open dispute")
            }
            return (form.optional("back") ?? "/manage/collections", "The dispute on \(invoice) is resolved.")
        }
    }

    // MARK: Allocation

    router.get("/manage/allocation") { request, _ -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let asOf = LocalDate.today()
            let reps = try store.reps()
            let unassigned = try store.unassignedOverdue(asOf: asOf, limit: 200)
            let repOptions = reps.map { "<option value=\"\(h($0.name))\">\(h($0.name))</option>" }.joined()
            let repRows = reps.map { rep in
                [
                    "<a href=\"/manage/reps/\(q(rep.name))\">\(h(rep.name))</a>", String(rep.devices), String(rep.assignedInvoices), h(money(rep.assignedOutstanding)),
                    """
                    <form method="post" action="/manage/reps" class="inline"><input type="hidden" name="rep" value="\(h(rep.name))">\
                    <input type="hidden" name="back" value="/manage/allocation">\
                    <select name="scope" aria-label="what \(h(rep.name))'s devices receive">\(["all", "region", "assigned"].map { "<option\($0 == rep.scope ? " selected" : "")>\($0)</option>" }.joined())</select>\
                    <input name="regions" value="\(h(rep.regions.joined(separator: ", ")))" placeholder="regions, comma separated" aria-label="\(h(rep.name))'s regions">\
                    <button>Save</button></form>
                    """,
                ]
            }
            let invoiceRows = unassigned.rows.map { row in
                [
                    "<input type=\"checkbox\" name=\"invoice\" value=\"\(h(row.number))\" form=\"assign\" aria-label=\"assign \(h(row.number))\">",
                    h(row.number) + (row.disputed ? " <span class=\"tag\">disputed</span>" : ""),
                    "<a href=\"/manage/customers/\(q(row.customerCode))\">\(h(row.customerName))</a>", h(row.region), String(row.daysPastDue),
                    h(row.outstanding.displayString),
                ]
            }
            let rules = try store.allocationRules().enumerated().map { index, rule in
                [String(index + 1), h(rule.region ?? "any"), String(rule.minDaysPastDue), h(money(rule.minOutstanding)),
                 h(rule.maxOutstanding.map(money) ?? "—"), h(rule.rep)]
            }
            return page(
                "Allocation board", manager: who.name, notice: notice, error: error,
                """
                <h3>Reps</h3>
                \(table(["Rep", "Devices", "Assigned invoices", "Assigned outstanding", "Devices receive · regions"], repRows, numeric: [1, 2, 3], empty: "No reps yet: enroll a device for one (fieldpay-hub devices enroll --rep NAME)."))
                <h3>Overdue with no rep: \(unassigned.count) invoices, \(h(unassigned.outstanding.displayString))</h3>
                <form method="post" action="/manage/allocation/assign" id="assign" class="panel"><input type="hidden" name="back" value="/manage/allocation">
                <label>Assign the ticked invoices to <select name="rep" required>\(repOptions)</select></label>
                <label>Reason <input name="reason" maxlength="500"></label><button>Assign</button></form>
                \(table(["", "Invoice", "Customer", "Region", "Days past due", "Outstanding"], invoiceRows, numeric: [4, 5], empty: "Every overdue invoice has a rep."))
                <h3>Rules</h3>
                <p>Tried in order; the first that matches an open overdue invoice with no rep assigns it. Invoices with a rep keep it.</p>
                \(table(["#", "Region", "Min days past due", "Min outstanding", "Max outstanding", "Rep"], rules, numeric: [0, 2, 3, 4], empty: "No rules yet."))
                <form method="post" action="/manage/allocation/rules" class="panel"><input type="hidden" name="back" value="/manage/allocation">
                <label>Region (blank: any) <input name="region"></label>
                <label>Min days past due <input name="min_days" value="1" inputmode="numeric" required></label>
                <label>Min outstanding <input name="min_outstanding" value="0.00" inputmode="decimal" required></label>
                <label>Max outstanding <input name="max_outstanding" inputmode="decimal"></label>
                <label>Rep <select name="rep" required>\(repOptions)</select></label><button>Add rule</button></form>
                <form method="post" action="/manage/allocation/apply" class="panel"><input type="hidden" name="back" value="/manage/allocation">
                <button>Apply the rules now</button></form>
                <form method="post" action="/manage/allocation/rules/clear" class="panel"><input type="hidden" name="back" value="/manage/allocation">
                <button>Remove all rules</button></form>
                """)
        }
    }

    router.get("/manage/reps/:name") { request, context -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let name = try context.parameters.require("name")
            guard let rep = try store.reps().first(where: { $0.name == name }) else { throw ProblemError(status: .notFound, detail: "no rep \(name)") }
            let here = "/manage/reps/\(q(name))"
            let rows = try store.assignedInvoices(rep: name, asOf: LocalDate.today(), limit: 200).map { row in
                [
                    "<input type=\"checkbox\" name=\"invoice\" value=\"\(h(row.number))\" form=\"reassign\" aria-label=\"reassign \(h(row.number))\">",
                    h(row.number) + (row.disputed ? " <span class=\"tag\">disputed</span>" : ""),
                    "<a href=\"/manage/customers/\(q(row.customerCode))\">\(h(row.customerName))</a>", String(row.daysPastDue), h(row.outstanding.displayString),
                ]
            }
            let options = try store.reps().filter { $0.name != name }.map { "<option value=\"\(h($0.name))\">\(h($0.name))</option>" }.joined()
            return page(
                "\(rep.name): \(rep.assignedInvoices) invoices, \(money(rep.assignedOutstanding))", manager: who.name, notice: notice, error: error,
                """
                <p>Devices: \(rep.devices) · receives: \(h(rep.scope))\(rep.regions.isEmpty ? "" : " · regions: " + h(rep.regions.joined(separator: ", ")))
                · <a href="/manage/reports/day-sheet?rep=\(q(name))">day sheet</a> · <a href="/manage/followups?rep=\(q(name))">follow-ups</a></p>
                <form method="post" action="/manage/allocation/assign" id="reassign" class="panel"><input type="hidden" name="back" value="\(h(here))">
                <label>Move the ticked invoices to <select name="rep"><option value="">no rep</option>\(options)</select></label>
                <label>Reason <input name="reason" maxlength="500"></label><button>Move</button></form>
                \(table(["", "Invoice", "Customer", "Days past due", "Outstanding"], rows, numeric: [3, 4], empty: "Nothing assigned."))
                """)
        }
    }

    router.post("/manage/reps") { request, _ -> Response in
        try await action(request) { _, form in
            let name = form["rep"] ?? ""
            let regions = (form["regions"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let rep = try store.setRep(name, RepSettings(scope: form["scope"], regions: regions))
            return ("/manage/allocation", "\(rep.name)'s devices receive: \(rep.scope)\(rep.regions.isEmpty ? "" : " (" + rep.regions.joined(separator: ", ") + ")").")
        }
    }

    router.post("/manage/allocation/assign") { request, _ -> Response in
        try await action(request) { who, form in
            let invoices = form.all("invoice")
            guard !invoices.isEmpty else { throw ReportInputError("tick at least one invoice") }
            let rep = form.optional("rep")
            let result = try store.assign(invoices, to: rep, actor: who.id, reason: form.optional("reason"))
            var notice = "\(result.assigned) invoice\(result.assigned == 1 ? "" : "s") \(rep.map { "assigned to \($0)" } ?? "taken off their rep")"
            if result.unchanged > 0 { notice += "; \(result.unchanged) already were" }
            if !result.unknown.isEmpty { notice += "; not found: \(result.unknown.joined(separator: ", "))" }
            return (form.optional("back") ?? "/manage/allocation", notice + ".")
        }
    }

    router.post("/manage/allocation/rules") { request, _ -> Response in
        try await action(request) { _, form in
            guard let days = Int(form["min_days"] ?? "") else { throw ReportInputError("min days past due must be a whole number") }
            var rules = try store.allocationRules()
            rules.append(
                AllocationRule(
                    region: form.optional("region"), minDaysPastDue: days, minOutstanding: form["min_outstanding"] ?? "0.00",
                    maxOutstanding: form.optional("max_outstanding"), rep: form["rep"] ?? ""))
            try store.setAllocationRules(rules)
            return ("/manage/allocation", "Rule \(rules.count) added.")
        }
    }

    router.post("/manage/allocation/rules/clear") { request, _ -> Response in
        try await action(request) { _, _ in
            try store.setAllocationRules([])
            return ("/manage/allocation", "All rules removed.")
        }
    }

    router.post("/manage/allocation/apply") { request, _ -> Response in
        try await action(request) { who, _ in
            let run = try store.applyAllocationRules(asOf: LocalDate.today(), actor: who.id)
            let byRep = run.byRep.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return ("/manage/allocation", "\(run.assigned) invoices assigned\(byRep.isEmpty ? "" : " (\(byRep))"); \(run.unmatched) matched no rule.")
        }
    }

    // MARK: Follow-ups, reminders, escalations

    router.get("/manage/followups") { request, _ -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let query = ReportQuery(request)
            let asOf = try query.date("as_of", default: LocalDate.today())
            let rep = query.value("rep").flatMap { $0.isEmpty ? nil : $0 }
            var sections = ""
            for (list, title) in [("due", "Due on or before \(asOf.isoString)"), ("missed", "Promises missed")] {
                let rows = try store.followUps(list: list, rep: rep, asOf: asOf, page: 1, perPage: 500).followups.map { f in
                    [h(f.dueDate), h(f.rep), "<a href=\"/manage/customers/\(q(f.customerCode))\">\(h(f.customerName))</a>", h(f.invoice ?? "all"), h(f.action),
                     h(f.note), h(f.promisedDate.map { "\($0)\(f.promisedAmount.map { " · " + money($0) } ?? "")" }), h(money(f.outstanding)),
                     f.state == "open"
                        ? """
                        <form method="post" action="/manage/followups/close" class="inline"><input type="hidden" name="id" value="\(h(f.id))">\
                        <input type="hidden" name="back" value="/manage/followups"><input name="outcome" placeholder="outcome" aria-label="outcome">\
                        <button>Done</button></form>
                        """ : h(f.state)]
                }
                sections += "<h3>\(h(title))</h3>" + table(["On", "Rep", "Customer", "Invoice", "Action", "Note", "Promise", "Owes", ""], rows, numeric: [7])
            }
            let repOptions = try store.reps().map { "<option\($0.name == rep ? " selected" : "")>\(h($0.name))</option>" }.joined()
            return page(
                "Follow-ups", manager: who.name, notice: notice, error: error,
                """
                <form method="get" action="/manage/followups" class="panel"><label>Rep <select name="rep"><option value="">everyone</option>\(repOptions)</select></label>
                <label>As of <input type="date" name="as_of" value="\(asOf.isoString)"></label><button>Show</button></form>
                \(sections)
                """)
        }
    }

    router.post("/manage/followups/close") { request, _ -> Response in
        try await action(request) { _, form in
            guard try store.closeFollowUp(form["id"] ?? "", FollowUpClose(state: "done", outcome: form.optional("outcome"))) != nil else {
                throw ReportInputError("no such follow-up")
            }
            return ("/manage/followups", "Follow-up done.")
        }
    }

    router.get("/manage/collections") { request, _ -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let escalations = try store.escalations().map {
                [h($0.day), h($0.reason), h($0.invoice), "<a href=\"/manage/customers/\(q($0.customerCode))\">\(h($0.customerCode))</a>", h($0.rep), h(money($0.outstanding))]
            }
            let disputes = try store.disputes(openOnly: true).map { d in
                [h(d.invoice), "<a href=\"/manage/customers/\(q(d.customerCode))\">\(h(d.customerCode))</a>", h(d.reason), h(money(d.amount))]
            }
            let reminders = try store.reminders(state: "queued", customer: nil, limit: 200).map { [h($0.day), h($0.channel), h($0.invoice), h($0.phone), h($0.message)] }
            let policies = try store.reminderPolicies().map {
                [h($0.group), String($0.firstAfterDays), String($0.everyDays), $0.stopOnDispute ? "yes" : "no", h($0.channel), String($0.escalateAfterDays)]
            }
            return page(
                "Reminders and escalations", manager: who.name, notice: notice, error: error,
                """
                <form method="post" action="/manage/collections/run" class="panel"><input type="hidden" name="back" value="/manage/collections">
                <button>Run today's reminders and escalations</button></form>
                <h3>Escalations</h3>\(table(["Since", "Why", "Invoice", "Customer", "Rep", "Owes"], escalations, numeric: [5], empty: "No escalations."))
                <h3>Open disputes</h3>\(table(["Invoice", "Customer", "Reason", "Amount"], disputes, numeric: [3], empty: "No open disputes."))
                <h3>Reminders waiting for a channel</h3>\(table(["Day", "Channel", "Invoice", "Phone", "Message"], reminders, empty: "No reminders queued."))
                <h3>Reminder policies</h3>\(table(["Group", "First after (days)", "Then every", "Stop on dispute", "Channel", "Escalate after"], policies, numeric: [1, 2, 5]))
                <form method="post" action="/manage/collections/policy" class="panel"><input type="hidden" name="back" value="/manage/collections">
                <label>Group <input name="group" required value="default"></label>
                <label>First after (days) <input name="first" value="30" inputmode="numeric"></label>
                <label>Then every (days) <input name="every" value="15" inputmode="numeric"></label>
                <label>Channel <select name="channel"><option>whatsapp</option><option>sms</option></select></label>
                <label>Escalate after (days) <input name="escalate" value="90" inputmode="numeric"></label>
                <label>Stop on dispute <select name="stop"><option value="yes">yes</option><option value="no">no</option></select></label>
                <button>Save policy</button></form>
                """)
        }
    }

    router.post("/manage/collections/run") { request, _ -> Response in
        try await action(request) { _, _ in
            let run = try store.runCollections(asOf: LocalDate.today())
            return ("/manage/collections", "\(run.remindersQueued) reminders queued, \(run.skippedDisputed) held for disputes, \(run.escalations) new escalations.")
        }
    }

    router.post("/manage/collections/policy") { request, _ -> Response in
        try await action(request) { _, form in
            guard let first = Int(form["first"] ?? ""), let every = Int(form["every"] ?? ""), let escalate = Int(form["escalate"] ?? "") else {
                throw ReportInputError("the days must be whole numbers")
            }
            let policy = ReminderPolicy(
                group: form["group"] ?? "", firstAfterDays: first, everyDays: every, stopOnDispute: form["stop"] != "no", channel: form["channel"] ?? "",
                escalateAfterDays: escalate)
            try store.setReminderPolicy(policy)
            return ("/manage/collections", "Policy \(policy.group) saved.")
        }
    }

    // MARK: Reports

    router.get("/manage/reports/register") { request, _ -> Response in
        try signedIn(request) { who in
            let query = ReportQuery(request)
            let to = try query.date("to", default: LocalDate.today())
            let from = try query.date("from", default: to.adding(days: -6))
            try query.checkRange(from: from, to: to)
            let report = try store.register(from: from, to: to, page: 1, perPage: nil)
            let rows = report.rows.map { [h($0.day), h($0.rep), h($0.method), String($0.payments), h(money($0.amount))] }
            let days = report.days.map { [h($0.day), String($0.payments), h(money($0.amount))] }
            return page(
                "Collection register", manager: who.name,
                """
                \(periodForm("/manage/reports/register", from, to))
                <p><a href="/manage/reports/register.csv?from=\(from.isoString)&to=\(to.isoString)">Download CSV</a></p>
                <h3>By day</h3>\(table(["Day", "Payments", "Amount"], days + [["<b>Total</b>", String(report.payments), "<b>\(h(money(report.amount)))</b>"]], numeric: [1, 2]))
                <h3>By day, rep and method</h3>\(table(["Day", "Rep", "Method", "Payments", "Amount"], rows, numeric: [3, 4], empty: "No payments in this period."))
                """)
        }
    }

    router.get("/manage/reports/register.csv") { request, _ -> Response in
        guard try manager(request) != nil else { return redirect("/manage/login") }
        let query = ReportQuery(request)
        let to = try query.date("to", default: LocalDate.today())
        let from = try query.date("from", default: to)
        try query.checkRange(from: from, to: to)
        let report = try store.register(from: from, to: to, page: 1, perPage: nil)
        return registerCSV(report).response(filename: "register-\(report.from)-\(report.to).csv")
    }

    router.get("/manage/reports/productivity") { request, _ -> Response in
        try signedIn(request) { who in
            let query = ReportQuery(request)
            let to = try query.date("to", default: LocalDate.today())
            let from = try query.date("from", default: to.adding(days: -29))
            try query.checkRange(from: from, to: to)
            let report = try store.productivity(from: from, to: to, page: 1, perPage: nil)
            let rows = (report.rows + [report.totals]).map { r in
                [h(r.rep), String(r.allocatedInvoices), h(money(r.toCollect)), h(money(r.collectedOnAllocated)), String(r.invoicesPaid),
                 r.hitRate.map { String(format: "%.0f %%", $0 * 100) } ?? "—", String(r.payments), h(money(r.collected)), String(r.visits), String(r.disputedExcluded)]
            }
            return page(
                "Productivity and to-collect vs collected", manager: who.name,
                """
                \(periodForm("/manage/reports/productivity", from, to))
                \(table(["Rep", "Allocated", "To collect", "Collected on it", "Invoices paid", "Hit rate", "Payments", "Collected by rep", "Visits", "Disputed (left out)"], rows, numeric: Set(1...9), empty: "No activity in this period."))
                """)
        }
    }

    router.get("/manage/reports/day-sheet") { request, _ -> Response in
        try signedIn(request) { who in
            let (notice, error) = notices(request)
            let query = ReportQuery(request)
            let day = try query.date("day", default: LocalDate.today())
            let reps = try store.reps()
            let rep = query.value("rep").flatMap { $0.isEmpty ? nil : $0 } ?? reps.first?.name
            let options = reps.map { "<option\($0.name == rep ? " selected" : "")>\(h($0.name))</option>" }.joined()
            var content = """
                <form method="get" action="/manage/reports/day-sheet" class="panel"><label>Rep <select name="rep">\(options)</select></label>
                <label>Day <input type="date" name="day" value="\(day.isoString)"></label><button>Show</button></form>
                """
            if let rep, let sheet = try store.daySheet(rep: rep, day: day) {
                let here = "/manage/reports/day-sheet?rep=\(q(rep))&day=\(day.isoString)"
                content += """
                    <div class="cards"><div class="card">To collect (\(sheet.toCollectInvoices) invoices)<b>\(h(money(sheet.toCollect)))</b></div>\
                    <div class="card">Collected<b>\(h(money(sheet.collectedTotal)))</b></div>\
                    <div class="card">Cash in hand<b>\(h(money(sheet.cashInHand)))</b></div><div class="card">Cheques in hand<b>\(h(money(sheet.chequesInHand)))</b></div>\
                    <div class="card">Cash variance<b>\(h(money(sheet.cashVariance)))</b></div><div class="card">Cheque variance<b>\(h(money(sheet.chequeVariance)))</b></div></div>
                    \(table(["Method", "Payments", "Amount"], sheet.collected.map { [h($0.method), String($0.payments), h(money($0.amount))] }, numeric: [1, 2]))
                    <p>Carried in from earlier days: cash \(h(money(sheet.cashCarriedIn))), cheques \(h(money(sheet.chequesCarriedIn))).
                    Handed over: cash \(h(money(sheet.cashHandedOver))), cheques \(h(money(sheet.chequesHandedOver))). Deposited: \(h(money(sheet.deposited))).</p>
                    <h3>Handovers at the depot</h3>
                    \(table(["Cash", "Cheques", "Cheque amount", "Received by", "Note", "Deposit"], sheet.handovers.map { ho in
                        [h(money(ho.cash)), String(ho.cheques), h(money(ho.chequeAmount)), h(ho.receivedBy), h(ho.note),
                         ho.depositReference.map(h) ?? """
                            <form method="post" action="/manage/handovers/deposit" class="inline"><input type="hidden" name="id" value="\(ho.id)">\
                            <input type="hidden" name="back" value="\(h(here))"><input name="reference" placeholder="deposit slip" required aria-label="deposit slip"><button>Deposited</button></form>
                            """]
                    }, numeric: [0, 1, 2], empty: "Nothing handed over yet."))
                    <form method="post" action="/manage/handovers" class="panel"><input type="hidden" name="back" value="\(h(here))">
                    <input type="hidden" name="rep" value="\(h(rep))"><input type="hidden" name="day" value="\(day.isoString)">
                    <label>Cash counted <input name="cash" required inputmode="decimal" value="\(h(sheet.cashInHand))"></label>
                    <label>Cheques <input name="cheques" inputmode="numeric" value="\(sheet.chequeCount)"></label>
                    <label>Cheque amount <input name="cheque_amount" inputmode="decimal" value="\(h(sheet.chequesInHand))"></label>
                    <label>Note <input name="note" maxlength="500"></label><button>Record handover</button></form>
                    """
            } else {
                content += "<p class=\"empty\">No reps yet.</p>"
            }
            return page("Day sheet", manager: who.name, notice: notice, error: error, content)
        }
    }

    router.post("/manage/handovers") { request, _ -> Response in
        try await action(request) { who, form in
            let handover = try store.recordHandover(
                HandoverRequest(
                    rep: form["rep"] ?? "", day: form["day"] ?? "", cash: form["cash"] ?? "", cheques: Int(form["cheques"] ?? "") ?? -1,
                    chequeAmount: form["cheque_amount"] ?? "", note: form.optional("note")), receivedBy: who.name)
            return (form.optional("back") ?? "/manage/reports/day-sheet", "Handover recorded: cash \(money(handover.cash)), \(handover.cheques) cheques.")
        }
    }

    router.post("/manage/handovers/deposit") { request, _ -> Response in
        try await action(request) { _, form in
            guard let id = Int64(form["id"] ?? ""), try store.recordDeposit(handover: id, reference: form["reference"] ?? "") != nil else {
                throw ReportInputError("no such handover")
            }
            return (form.optional("back") ?? "/manage/reports/day-sheet", "Deposit recorded.")
        }
    }
}

func periodForm(_ action: String, _ from: LocalDate, _ to: LocalDate) -> String {
    """
    <form method="get" action="\(action)" class="panel"><label>From <input type="date" name="from" value="\(from.isoString)"></label>
    <label>To <input type="date" name="to" value="\(to.isoString)"></label><button>Show</button></form>
    """
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
