// The managers' pages as Mustache templates (swift-mustache). `{{name}}` is HTML-escaped: text from the
// database (a customer's name) can never become markup. Nothing here uses the unescaped `{{{…}}}` form; a test
// checks that. Each page extends `page` (the frame: title, navigation, notice, error) and fills its `main`
// block; the page's own values are under `page`. Links carry values already percent-encoded (`…Query`).

enum DashboardTemplates {
    static let all: [String: String] = [
        "page": page, "chart": chart, "period": period, "message": message, "login": login, "overview": overview, "aging": aging,
        "customer": customer, "allocation": allocation, "rep": rep, "followups": followups, "collections": collections,
        "register": register, "productivity": productivity, "daysheet": daySheet, "messages": messages, "messageTable": messageTable,
        "audit": audit, "erp": erp,
    ]

    /// The accounting connectors: each one's queue (parked first, with the ERP's reason and a button to send
    /// again), and its last reconciliation.
    static let erp = """
        {{<page}}{{$main}}{{#page}}
        {{#empty(connectors)}}<p class="empty">No accounting connector: add [erp.tally] to hub.toml (see hub.example.toml) and restart the hub.</p>{{/empty(connectors)}}
        {{#connectors}}<h2>{{name}}</h2>
        <p><b>{{pending}}</b> pending · <b>{{sent}}</b> sent · <b>{{parked}}</b> parked · <b>{{cancelled}}</b> cancelled{{#lastSent}} · last sent {{lastSent}}{{/lastSent}}        {{#oldestPending}} · oldest pending since {{oldestPending}}{{/oldestPending}}</p>
        {{#reconcile}}<p>Last reconcile: {{day}} (run {{ranAt}}): {{#clean}}clean, {{payments}} payments.{{/clean}}{{^clean}}<span class="tag">{{count}} differences</span>{{/clean}}</p>
        {{^clean}}<table><thead><tr><th>Problem</th><th>Receipt</th><th>Party</th><th class="num">Hub</th><th class="num">ERP</th><th>Note</th></tr></thead><tbody>\
        {{#lines}}<tr><td>{{problem}}</td><td>{{receipt}}</td><td>{{party}}</td><td class="num">{{hub}}</td><td class="num">{{erp}}</td><td>{{note}}</td></tr>{{/lines}}\
        </tbody></table>{{/clean}}{{/reconcile}}{{^reconcile}}<p>Not reconciled yet: <code>fieldpay-hub erp reconcile --date YYYY-MM-DD</code>.</p>{{/reconcile}}
        {{#empty(rows)}}<p class="empty">Nothing queued yet.</p>{{/empty(rows)}}{{^empty(rows)}}\
        <table><thead><tr><th>Receipt</th><th>Customer</th><th class="num">Amount</th><th>State</th><th class="num">Tries</th><th>Why / ERP id</th><th>When</th><th></th></tr></thead><tbody>\
        {{#rows}}<tr><td>{{receipt}}</td><td><a href="/manage/customers/{{codeQuery}}">{{code}}</a></td><td class="num">{{amount}}</td>\
        <td>{{#parked}}<span class="tag">{{state}}</span>{{/parked}}{{^parked}}{{state}}{{/parked}}</td><td class="num">{{attempts}}</td><td>{{why}}</td><td>{{when}}</td>\
        <td>{{#parked}}<form method="post" action="/manage/erp/retry" class="inline"><input type="hidden" name="id" value="{{id}}">\
        <input type="hidden" name="connector" value="{{connector}}"><button>Send again</button></form>{{/parked}}</td></tr>{{/rows}}\
        </tbody></table>{{/empty(rows)}}
        {{/connectors}}
        {{/page}}{{/main}}{{/page}}
        """

    static let audit = """
        {{<page}}{{$main}}{{#page}}
        <p>Every change a manager asked for and every sign-in, newest first; append-only. <a href="/manage/audit.csv">Download as CSV</a></p>
        <table><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>Which</th><th>Fields</th><th>From</th><th>Answer</th></tr></thead><tbody>\
        {{#entries}}<tr><td>{{when}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{target}}</td><td>{{detail}}</td><td>{{source}}</td><td>{{outcome}}</td></tr>{{/entries}}\
        </tbody></table>
        {{/page}}{{/main}}{{/page}}
        """

    static let page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · FieldPay hub</title><link rel="stylesheet" href="/manage/style.css"></head>
        <body><header><h1>FieldPay collections</h1>{{#manager}}<nav><a href="/manage">Overview</a><a href="/manage/aging">Aging</a>\
        <a href="/manage/allocation">Allocation</a><a href="/manage/followups">Follow-ups</a>\
        <a href="/manage/collections">Reminders &amp; escalations</a><a href="/manage/messages">Messages</a><a href="/manage/erp">Books</a><a href="/manage/reports/register">Register</a>\
        <a href="/manage/reports/productivity">Productivity</a><a href="/manage/reports/day-sheet">Day sheet</a><a href="/manage/audit">Audit</a>\
        <form method="post" action="/manage/logout" class="logout"><span>{{manager}}</span><button>Sign out</button></form></nav>{{/manager}}</header><main>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <h2>{{title}}</h2>
        {{$main}}{{/main}}
        </main></body></html>

        """

    /// The aging chart: one bar per bucket, its height the bucket's share of the largest, amounts above.
    static let chart = """
        <svg class="chart" role="img" aria-label="Outstanding by days past due" viewBox="0 0 {{width}} {{height}}" width="{{width}}" \
        height="{{height}}" xmlns="http://www.w3.org/2000/svg"><line x1="0" y1="{{baseline}}" x2="{{width}}" y2="{{baseline}}" stroke="#999"/>\
        {{#bars}}<g class="bar" data-bucket="{{label}}"><rect x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}" fill="{{colour}}">\
        <title>{{label}}: {{amount}}</title></rect><text x="{{middle}}" y="{{amountY}}" text-anchor="middle" class="amount">{{amount}}</text>\
        <text x="{{middle}}" y="{{captionY}}" text-anchor="middle">{{caption}}</text></g>{{/bars}}</svg>
        """

    static let period = """
        <form method="get" action="{{action}}" class="panel"><label>From <input type="date" name="from" value="{{from}}"></label>
        <label>To <input type="date" name="to" value="{{to}}"></label><button>Show</button></form>
        """

    static let message = """
        {{<page}}{{$main}}{{#page.back}}<p><a href="/manage">Back to the overview</a></p>{{/page.back}}{{/main}}{{/page}}
        """

    static let login = """
        {{<page}}{{$main}}
        <form method="post" action="/manage/login" class="panel">
        <label>Name <input name="name" autocomplete="username" required size="30" autofocus></label>
        <label>Password <input type="password" name="password" autocomplete="current-password" required size="30"></label>
        <label>Code from the authenticator app (if you set one up) <input name="code" inputmode="numeric" autocomplete="one-time-code" size="8"></label>
        <button>Sign in</button></form>
        <form method="post" action="/manage/login" class="panel">
        <label>First sign-in, before a password is set: manager token <input type="password" name="token" size="60"></label>
        <button>Sign in with the token</button></form>
        <p>A manager's account comes from <code>fieldpay-hub managers add --name NAME --role admin|manager|viewer</code> on the hub,
        and its password from <code>fieldpay-hub managers password ID</code>. Once a password is set, the token is for the API only.</p>
        {{/main}}{{/page}}
        """

    static let overview = """
        {{<page}}{{$main}}{{#page}}
        <div class="cards">{{#cards}}<div class="card">{{label}}<b>{{value}}</b></div>{{/cards}}</div>
        {{#chart}}{{> chart}}{{/chart}}
        <h3>Largest outstanding</h3>
        {{#empty(rows)}}<p class="empty">Nothing here.</p>{{/empty(rows)}}{{^empty(rows)}}<table><thead><tr><th>Customer</th><th>Region</th>\
        {{#buckets}}<th class="num">{{.}}</th>{{/buckets}}<th class="num">Outstanding</th></tr></thead><tbody>\
        {{#rows}}<tr><td><a href="/manage/customers/{{codeQuery}}">{{name}} ({{code}})</a></td><td>{{region}}</td>\
        {{#amounts}}<td class="num">{{.}}</td>{{/amounts}}<td class="num">{{outstanding}}</td></tr>{{/rows}}</tbody></table>{{/empty(rows)}}
        <p><a href="/manage/aging?as_of={{asOf}}">All customers</a></p>
        {{/page}}{{/main}}{{/page}}
        """

    static let aging = """
        {{<page}}{{$main}}{{#page}}
        <form method="get" action="/manage/aging" class="panel">
        <label>As of <input type="date" name="as_of" value="{{asOf}}"></label>
        <label>Bucket edges (days) <input name="edges" value="{{edges}}"></label><button>Show</button>
        <a href="/manage/aging.csv?as_of={{asOf}}&amp;edges={{edgesQuery}}">Download CSV</a></form>
        {{#chart}}{{> chart}}{{/chart}}
        <table><thead><tr><th>Customer</th><th>Region</th>{{#buckets}}<th class="num">{{.}}</th>{{/buckets}}<th class="num">Outstanding</th>\
        <th class="num">Oldest (days)</th></tr></thead><tbody>\
        {{#rows}}<tr><td><a href="/manage/customers/{{codeQuery}}?as_of={{asOf}}">{{name}} ({{code}})</a></td><td>{{region}}</td>\
        {{#amounts}}<td class="num">{{.}}</td>{{/amounts}}<td class="num">{{outstanding}}</td><td class="num">{{oldest}}</td></tr>{{/rows}}\
        <tr><td><b>Total</b></td><td></td>{{#totals}}<td class="num"><b>{{.}}</b></td>{{/totals}}<td class="num"><b>{{outstanding}}</b></td>\
        <td class="num"></td></tr></tbody></table>
        <p>Customers {{first}}–{{last}} of {{customers}}. {{#next}}<a href="/manage/aging?as_of={{asOf}}&amp;edges={{edgesQuery}}&amp;page={{next}}">Next page</a>{{/next}}</p>
        {{/page}}{{/main}}{{/page}}
        """

    static let customer = """
        {{<page}}{{$main}}{{#page}}
        <div class="cards"><div class="card">Outstanding<b>{{outstanding}}</b></div><div class="card">Invoiced<b>{{invoiced}}</b></div>\
        <div class="card">Paid<b>{{paid}}</b></div><div class="card">Days to pay<b>{{daysToPay}}</b></div>\
        <div class="card">Region<b>{{region}}</b></div></div>
        <h3>Open invoices as of {{asOf}}</h3>
        {{#empty(invoices)}}<p class="empty">Nothing outstanding.</p>{{/empty(invoices)}}{{^empty(invoices)}}<table><thead><tr><th>Invoice</th>\
        <th>Due</th><th class="num">Days past due</th><th>Bucket</th><th class="num">Outstanding</th></tr></thead><tbody>\
        {{#invoices}}<tr><td>{{number}}</td><td>{{due}}</td><td class="num">{{daysPastDue}}</td><td>{{bucket}}</td><td class="num">{{outstanding}}</td></tr>{{/invoices}}\
        </tbody></table>{{/empty(invoices)}}
        <h3>Set a follow-up</h3>
        <form method="post" action="{{here}}/followups" class="panel"><input type="hidden" name="back" value="{{here}}">
        <label>Invoice <select name="invoice"><option value="">the customer (all invoices)</option>{{#invoices}}<option value="{{number}}">{{number}} · {{outstanding}}</option>{{/invoices}}</select></label>
        <label>Next action <select name="action"><option value="visit">visit</option><option value="call">call</option></select></label>
        <label>On <input type="date" name="due_date" required value="{{tomorrow}}"></label>
        <label>Promised payment date <input type="date" name="promised_date"></label>
        <label>Promised amount <input name="promised_amount" placeholder="5000.00" inputmode="decimal"></label>
        <label>Note <input name="note" maxlength="500"></label><button>Save follow-up</button></form>
        {{#empty(followUps)}}<p class="empty">No follow-ups yet.</p>{{/empty(followUps)}}{{^empty(followUps)}}<table><thead><tr><th>On</th>\
        <th>Action</th><th>Invoice</th><th>Rep</th><th>Note</th><th>Promise</th><th>Kept</th><th>State</th></tr></thead><tbody>\
        {{#followUps}}<tr><td>{{due}}</td><td>{{action}}</td><td>{{invoice}}</td><td>{{rep}}</td><td>{{note}}</td><td>{{promise}}</td>\
        <td>{{#kept}}kept{{/kept}}{{#missed}}<span class="tag">missed</span>{{/missed}}</td><td>{{state}}</td></tr>{{/followUps}}</tbody></table>{{/empty(followUps)}}
        <h3>Disputes</h3>
        {{#empty(disputes)}}<p class="empty">No open disputes.</p>{{/empty(disputes)}}{{^empty(disputes)}}<table><thead><tr><th>Invoice</th>\
        <th>Reason</th><th class="num">Amount</th><th></th></tr></thead><tbody>\
        {{#disputes}}<tr><td>{{invoice}}</td><td>{{reason}}</td><td class="num">{{amount}}</td><td><form method="post" action="/manage/disputes/resolve" class="inline">\
        <input type="hidden" name="invoice" value="{{invoice}}"><input type="hidden" name="back" value="{{here}}">\
        <input name="resolution" placeholder="resolution" required><button>Resolve</button></form></td></tr>{{/disputes}}</tbody></table>{{/empty(disputes)}}
        <form method="post" action="{{here}}/disputes" class="panel"><input type="hidden" name="back" value="{{here}}">
        <label>Invoice <select name="invoice" required>{{#invoices}}<option value="{{number}}">{{number}} · {{outstanding}}</option>{{/invoices}}</select></label>
        <label>Reason <input name="reason" required maxlength="500"></label>
        <label>Disputed amount (blank: all) <input name="amount" inputmode="decimal"></label><button>Mark disputed</button></form>
        <h3>Payments</h3>
        {{#empty(payments)}}<p class="empty">No payments yet.</p>{{/empty(payments)}}{{^empty(payments)}}<table><thead><tr><th>Day</th>\
        <th>Receipt</th><th>Method</th><th>Rep</th><th>Status</th><th class="num">Amount</th><th>Against</th><th></th></tr></thead><tbody>\
        {{#payments}}<tr><td>{{day}}</td><td>{{receipt}}</td><td>{{method}}</td><td>{{rep}}</td><td>{{status}}</td><td class="num">{{amount}}</td>\
        <td>{{against}}</td><td>{{#reversible}}<form method="post" action="{{here}}/reverse" class="inline"><input type="hidden" name="back" value="{{here}}">\
        <input type="hidden" name="receipt" value="{{receipt}}"><input name="reason" placeholder="why: cheque bounced, refund" required maxlength="500">\
        <button>Reverse</button></form>{{/reversible}}</td></tr>{{/payments}}</tbody></table>{{/empty(payments)}}
        <h3>Statement of account</h3>
        <form method="get" action="{{here}}/statement" class="panel"><label>From <input type="date" name="from" value="{{yearStart}}"></label>\
        <label>To <input type="date" name="to" value="{{asOf}}"></label><button>Show statement</button></form>
        <form method="post" action="{{here}}/statement" class="panel"><input type="hidden" name="back" value="{{here}}">\
        <input type="hidden" name="from" value="{{yearStart}}"><input type="hidden" name="to" value="{{asOf}}">\
        <button>Send this year's statement to the customer</button></form>
        <h3>Messages</h3>
        <p>Phone {{phone}} · language {{language}} · channel {{channel}}{{#optedOut}} · <span class="tag">opted out</span> {{optedOut}}{{/optedOut}}</p>
        <form method="post" action="{{here}}/messaging" class="panel"><input type="hidden" name="back" value="{{here}}">
        <label>Language <select name="language"><option value="en">English</option><option value="hi">Hindi</option></select></label>
        <label>Channel <select name="channel"><option value="whatsapp">WhatsApp</option><option value="sms">SMS</option></select></label>
        <label>Messages <select name="opted_out"><option value="no">send them</option><option value="yes">opted out (receipts only when a manager sends them)</option></select></label>
        <button>Save messaging</button></form>
        {{#empty(messages)}}<p class="empty">No messages yet.</p>{{/empty(messages)}}{{^empty(messages)}}{{>messageTable}}{{/empty(messages)}}
        <h3>Reminders</h3>
        {{#empty(reminders)}}<p class="empty">No reminders sent.</p>{{/empty(reminders)}}{{^empty(reminders)}}<table><thead><tr><th>Day</th>\
        <th>Invoice</th><th>Channel</th><th>State</th></tr></thead><tbody>\
        {{#reminders}}<tr><td>{{day}}</td><td>{{invoice}}</td><td>{{channel}}</td><td>{{state}}</td></tr>{{/reminders}}</tbody></table>{{/empty(reminders)}}
        {{/page}}{{/main}}{{/page}}
        """

    static let allocation = """
        {{<page}}{{$main}}{{#page}}
        <h3>Reps</h3>
        {{#empty(reps)}}<p class="empty">No reps yet: enroll a device for one (fieldpay-hub devices enroll --rep NAME).</p>{{/empty(reps)}}\
        {{^empty(reps)}}<table><thead><tr><th>Rep</th><th class="num">Devices</th><th class="num">Assigned invoices</th>\
        <th class="num">Assigned outstanding</th><th>Devices receive · regions</th></tr></thead><tbody>\
        {{#reps}}<tr><td><a href="/manage/reps/{{nameQuery}}">{{name}}</a></td><td class="num">{{devices}}</td><td class="num">{{assigned}}</td>\
        <td class="num">{{outstanding}}</td><td><form method="post" action="/manage/reps" class="inline"><input type="hidden" name="rep" value="{{name}}">\
        <input type="hidden" name="back" value="/manage/allocation"><select name="scope" aria-label="what {{name}}'s devices receive">\
        {{#scopes}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/scopes}}</select>\
        <input name="regions" value="{{regions}}" placeholder="regions, comma separated" aria-label="{{name}}'s regions"><button>Save</button></form></td></tr>{{/reps}}\
        </tbody></table>{{/empty(reps)}}
        <h3>Overdue with no rep: {{unassignedCount}} invoices, {{unassignedOutstanding}}</h3>
        <form method="post" action="/manage/allocation/assign" id="assign" class="panel"><input type="hidden" name="back" value="/manage/allocation">
        <label>Assign the ticked invoices to <select name="rep" required>{{#reps}}<option value="{{name}}">{{name}}</option>{{/reps}}</select></label>
        <label>Reason <input name="reason" maxlength="500"></label><button>Assign</button></form>
        {{#empty(invoices)}}<p class="empty">Every overdue invoice has a rep.</p>{{/empty(invoices)}}{{^empty(invoices)}}<table><thead><tr><th></th>\
        <th>Invoice</th><th>Customer</th><th>Region</th><th class="num">Days past due</th><th class="num">Outstanding</th></tr></thead><tbody>\
        {{#invoices}}<tr><td><input type="checkbox" name="invoice[]" value="{{number}}" form="assign" aria-label="assign {{number}}"></td>\
        <td>{{number}}{{#disputed}} <span class="tag">disputed</span>{{/disputed}}</td><td><a href="/manage/customers/{{codeQuery}}">{{customer}}</a></td>\
        <td>{{region}}</td><td class="num">{{daysPastDue}}</td><td class="num">{{outstanding}}</td></tr>{{/invoices}}</tbody></table>{{/empty(invoices)}}
        <h3>Rules</h3>
        <p>Tried in order; the first that matches an open overdue invoice with no rep assigns it. Invoices with a rep keep it.</p>
        {{#empty(rules)}}<p class="empty">No rules yet.</p>{{/empty(rules)}}{{^empty(rules)}}<table><thead><tr><th class="num">#</th><th>Region</th>\
        <th class="num">Min days past due</th><th class="num">Min outstanding</th><th class="num">Max outstanding</th><th>Rep</th></tr></thead><tbody>\
        {{#rules}}<tr><td class="num">{{position}}</td><td>{{region}}</td><td class="num">{{minDays}}</td><td class="num">{{minOutstanding}}</td>\
        <td class="num">{{maxOutstanding}}</td><td>{{rep}}</td></tr>{{/rules}}</tbody></table>{{/empty(rules)}}
        <form method="post" action="/manage/allocation/rules" class="panel"><input type="hidden" name="back" value="/manage/allocation">
        <label>Region (blank: any) <input name="region"></label>
        <label>Min days past due <input name="min_days" value="1" inputmode="numeric" required></label>
        <label>Min outstanding <input name="min_outstanding" value="0.00" inputmode="decimal" required></label>
        <label>Max outstanding <input name="max_outstanding" inputmode="decimal"></label>
        <label>Rep <select name="rep" required>{{#reps}}<option value="{{name}}">{{name}}</option>{{/reps}}</select></label><button>Add rule</button></form>
        <form method="post" action="/manage/allocation/apply" class="panel"><input type="hidden" name="back" value="/manage/allocation">
        <button>Apply the rules now</button></form>
        <form method="post" action="/manage/allocation/rules/clear" class="panel"><input type="hidden" name="back" value="/manage/allocation">
        <button>Remove all rules</button></form>
        {{/page}}{{/main}}{{/page}}
        """

    static let rep = """
        {{<page}}{{$main}}{{#page}}
        <p>Devices: {{devices}} · receives: {{scope}}{{#regions}} · regions: {{regions}}{{/regions}}
        · <a href="/manage/reports/day-sheet?rep={{nameQuery}}">day sheet</a> · <a href="/manage/followups?rep={{nameQuery}}">follow-ups</a></p>
        <form method="post" action="/manage/allocation/assign" id="reassign" class="panel"><input type="hidden" name="back" value="{{here}}">
        <label>Move the ticked invoices to <select name="rep"><option value="">no rep</option>{{#others}}<option value="{{.}}">{{.}}</option>{{/others}}</select></label>
        <label>Reason <input name="reason" maxlength="500"></label><button>Move</button></form>
        {{#empty(invoices)}}<p class="empty">Nothing assigned.</p>{{/empty(invoices)}}{{^empty(invoices)}}<table><thead><tr><th></th><th>Invoice</th>\
        <th>Customer</th><th class="num">Days past due</th><th class="num">Outstanding</th></tr></thead><tbody>\
        {{#invoices}}<tr><td><input type="checkbox" name="invoice[]" value="{{number}}" form="reassign" aria-label="reassign {{number}}"></td>\
        <td>{{number}}{{#disputed}} <span class="tag">disputed</span>{{/disputed}}</td><td><a href="/manage/customers/{{codeQuery}}">{{customer}}</a></td>\
        <td class="num">{{daysPastDue}}</td><td class="num">{{outstanding}}</td></tr>{{/invoices}}</tbody></table>{{/empty(invoices)}}
        {{/page}}{{/main}}{{/page}}
        """

    static let followups = """
        {{<page}}{{$main}}{{#page}}
        <form method="get" action="/manage/followups" class="panel"><label>Rep <select name="rep"><option value="">everyone</option>\
        {{#reps}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/reps}}</select></label>
        <label>As of <input type="date" name="as_of" value="{{asOf}}"></label><button>Show</button></form>
        {{#sections}}<h3>{{title}}</h3>{{#empty(rows)}}<p class="empty">Nothing here.</p>{{/empty(rows)}}{{^empty(rows)}}<table><thead><tr><th>On</th>\
        <th>Rep</th><th>Customer</th><th>Invoice</th><th>Action</th><th>Note</th><th>Promise</th><th class="num">Owes</th><th></th></tr></thead><tbody>\
        {{#rows}}<tr><td>{{due}}</td><td>{{rep}}</td><td><a href="/manage/customers/{{codeQuery}}">{{customer}}</a></td><td>{{invoice}}</td>\
        <td>{{action}}</td><td>{{note}}</td><td>{{promise}}</td><td class="num">{{owes}}</td><td>{{#open}}<form method="post" action="/manage/followups/close" class="inline">\
        <input type="hidden" name="id" value="{{id}}"><input type="hidden" name="back" value="/manage/followups"><input name="outcome" placeholder="outcome" aria-label="outcome">\
        <button>Done</button></form>{{/open}}{{^open}}{{state}}{{/open}}</td></tr>{{/rows}}</tbody></table>{{/empty(rows)}}{{/sections}}
        {{/page}}{{/main}}{{/page}}
        """

    static let collections = """
        {{<page}}{{$main}}{{#page}}
        <form method="post" action="/manage/collections/run" class="panel"><input type="hidden" name="back" value="/manage/collections">
        <button>Run today's reminders and escalations</button></form>
        <h3>Escalations</h3>{{#empty(escalations)}}<p class="empty">No escalations.</p>{{/empty(escalations)}}{{^empty(escalations)}}<table><thead><tr>\
        <th>Since</th><th>Why</th><th>Invoice</th><th>Customer</th><th>Rep</th><th class="num">Owes</th></tr></thead><tbody>\
        {{#escalations}}<tr><td>{{day}}</td><td>{{reason}}</td><td>{{invoice}}</td><td><a href="/manage/customers/{{codeQuery}}">{{code}}</a></td>\
        <td>{{rep}}</td><td class="num">{{owes}}</td></tr>{{/escalations}}</tbody></table>{{/empty(escalations)}}
        <h3>Open disputes</h3>{{#empty(disputes)}}<p class="empty">No open disputes.</p>{{/empty(disputes)}}{{^empty(disputes)}}<table><thead><tr>\
        <th>Invoice</th><th>Customer</th><th>Reason</th><th class="num">Amount</th></tr></thead><tbody>\
        {{#disputes}}<tr><td>{{invoice}}</td><td><a href="/manage/customers/{{codeQuery}}">{{code}}</a></td><td>{{reason}}</td><td class="num">{{amount}}</td></tr>{{/disputes}}\
        </tbody></table>{{/empty(disputes)}}
        <h3>Reminders waiting for a channel</h3>{{#empty(reminders)}}<p class="empty">No reminders queued.</p>{{/empty(reminders)}}{{^empty(reminders)}}\
        <table><thead><tr><th>Day</th><th>Channel</th><th>Invoice</th><th>Phone</th><th>Message</th></tr></thead><tbody>\
        {{#reminders}}<tr><td>{{day}}</td><td>{{channel}}</td><td>{{invoice}}</td><td>{{phone}}</td><td>{{message}}</td></tr>{{/reminders}}</tbody></table>{{/empty(reminders)}}
        <h3>Reminder policies</h3>{{#empty(policies)}}<p class="empty">Nothing here.</p>{{/empty(policies)}}{{^empty(policies)}}<table><thead><tr>\
        <th>Group</th><th class="num">First after (days)</th><th class="num">Then every</th><th>Stop on dispute</th><th>Channel</th>\
        <th class="num">Escalate after</th></tr></thead><tbody>\
        {{#policies}}<tr><td>{{group}}</td><td class="num">{{first}}</td><td class="num">{{every}}</td><td>{{stop}}</td><td>{{channel}}</td>\
        <td class="num">{{escalate}}</td></tr>{{/policies}}</tbody></table>{{/empty(policies)}}
        <form method="post" action="/manage/collections/policy" class="panel"><input type="hidden" name="back" value="/manage/collections">
        <label>Group <input name="group" required value="default"></label>
        <label>First after (days) <input name="first" value="30" inputmode="numeric"></label>
        <label>Then every (days) <input name="every" value="15" inputmode="numeric"></label>
        <label>Channel <select name="channel"><option>whatsapp</option><option>sms</option></select></label>
        <label>Escalate after (days) <input name="escalate" value="90" inputmode="numeric"></label>
        <label>Stop on dispute <select name="stop"><option value="yes">yes</option><option value="no">no</option></select></label>
        <button>Save policy</button></form>
        {{/page}}{{/main}}{{/page}}
        """

    /// The message rows (customer page and messages page): what was sent, how it went, and a button to send again.
    static let messageTable = """
        <table><thead><tr><th>When</th><th>Kind</th><th>Customer</th><th>Channel</th><th>State</th><th class="num">Tries</th><th>Why</th>\
        <th>Text</th><th></th></tr></thead><tbody>\
        {{#messages}}<tr><td>{{when}}</td><td>{{kind}}</td><td><a href="/manage/customers/{{codeQuery}}">{{code}}</a></td><td>{{channel}}</td>\
        <td>{{#attention}}<span class="tag">{{state}}</span>{{/attention}}{{^attention}}{{state}}{{/attention}}</td><td class="num">{{attempts}}</td>\
        <td>{{failure}}</td><td>{{text}}</td><td>{{#retryable}}<form method="post" action="/manage/messages/retry" class="inline">\
        <input type="hidden" name="id" value="{{id}}"><input type="hidden" name="back" value="{{back}}"><button>Send again</button></form>{{/retryable}}</td></tr>{{/messages}}\
        </tbody></table>
        """

    static let messages = """
        {{<page}}{{$main}}{{#page}}
        <p>Show: <a href="/manage/messages">all</a>{{#states}} · <a href="/manage/messages?state={{.}}">{{.}}</a>{{/states}}</p>
        {{#empty(messages)}}<p class="empty">No messages{{#state}} {{state}}{{/state}}.</p>{{/empty(messages)}}{{^empty(messages)}}{{>messageTable}}{{/empty(messages)}}
        {{/page}}{{/main}}{{/page}}
        """

    static let register = """
        {{<page}}{{$main}}{{#page}}
        {{#period}}{{> period}}{{/period}}
        <p><a href="/manage/reports/register.csv?from={{from}}&amp;to={{to}}">Download CSV</a></p>
        <h3>By day</h3><table><thead><tr><th>Day</th><th class="num">Payments</th><th class="num">Amount</th></tr></thead><tbody>\
        {{#days}}<tr><td>{{day}}</td><td class="num">{{payments}}</td><td class="num">{{amount}}</td></tr>{{/days}}\
        <tr><td><b>Total</b></td><td class="num">{{payments}}</td><td class="num"><b>{{amount}}</b></td></tr></tbody></table>
        <h3>By day, rep and method</h3>{{#empty(rows)}}<p class="empty">No payments in this period.</p>{{/empty(rows)}}{{^empty(rows)}}<table><thead><tr>\
        <th>Day</th><th>Rep</th><th>Method</th><th class="num">Payments</th><th class="num">Amount</th></tr></thead><tbody>\
        {{#rows}}<tr><td>{{day}}</td><td>{{rep}}</td><td>{{method}}</td><td class="num">{{payments}}</td><td class="num">{{amount}}</td></tr>{{/rows}}\
        </tbody></table>{{/empty(rows)}}
        {{/page}}{{/main}}{{/page}}
        """

    static let productivity = """
        {{<page}}{{$main}}{{#page}}
        {{#period}}{{> period}}{{/period}}
        <table><thead><tr><th>Rep</th><th class="num">Allocated</th><th class="num">To collect</th><th class="num">Collected on it</th>\
        <th class="num">Invoices paid</th><th class="num">Hit rate</th><th class="num">Payments</th><th class="num">Collected by rep</th>\
        <th class="num">Visits</th><th class="num">Disputed (left out)</th></tr></thead><tbody>\
        {{#rows}}<tr><td>{{rep}}</td><td class="num">{{allocated}}</td><td class="num">{{toCollect}}</td><td class="num">{{collectedOnAllocated}}</td>\
        <td class="num">{{invoicesPaid}}</td><td class="num">{{hitRate}}</td><td class="num">{{payments}}</td><td class="num">{{collected}}</td>\
        <td class="num">{{visits}}</td><td class="num">{{disputed}}</td></tr>{{/rows}}</tbody></table>
        {{/page}}{{/main}}{{/page}}
        """

    static let daySheet = """
        {{<page}}{{$main}}{{#page}}
        <form method="get" action="/manage/reports/day-sheet" class="panel"><label>Rep <select name="rep">\
        {{#reps}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/reps}}</select></label>
        <label>Day <input type="date" name="day" value="{{day}}"></label><button>Show</button></form>
        {{#sheet}}
        <div class="cards"><div class="card">To collect ({{toCollectInvoices}} invoices)<b>{{toCollect}}</b></div>\
        <div class="card">Collected<b>{{collected}}</b></div><div class="card">Cash in hand<b>{{cashInHand}}</b></div>\
        <div class="card">Cheques in hand<b>{{chequesInHand}}</b></div><div class="card">Cash variance<b>{{cashVariance}}</b></div>\
        <div class="card">Cheque variance<b>{{chequeVariance}}</b></div></div>
        {{#empty(methods)}}<p class="empty">Nothing here.</p>{{/empty(methods)}}{{^empty(methods)}}<table><thead><tr><th>Method</th>\
        <th class="num">Payments</th><th class="num">Amount</th></tr></thead><tbody>\
        {{#methods}}<tr><td>{{method}}</td><td class="num">{{payments}}</td><td class="num">{{amount}}</td></tr>{{/methods}}</tbody></table>{{/empty(methods)}}
        <p>Carried in from earlier days: cash {{cashCarriedIn}}, cheques {{chequesCarriedIn}}.
        Handed over: cash {{cashHandedOver}}, cheques {{chequesHandedOver}}. Deposited: {{deposited}}.</p>
        <h3>Handovers at the depot</h3>
        {{#empty(handovers)}}<p class="empty">Nothing handed over yet.</p>{{/empty(handovers)}}{{^empty(handovers)}}<table><thead><tr>\
        <th class="num">Cash</th><th class="num">Cheques</th><th class="num">Cheque amount</th><th>Received by</th><th>Note</th><th>Deposit</th></tr></thead><tbody>\
        {{#handovers}}<tr><td class="num">{{cash}}</td><td class="num">{{cheques}}</td><td class="num">{{chequeAmount}}</td><td>{{receivedBy}}</td>\
        <td>{{note}}</td><td>{{#deposit}}{{deposit}}{{/deposit}}{{^deposit}}<form method="post" action="/manage/handovers/deposit" class="inline">\
        <input type="hidden" name="id" value="{{id}}"><input type="hidden" name="back" value="{{here}}"><input name="reference" placeholder="deposit slip" required \
        aria-label="deposit slip"><button>Deposited</button></form>{{/deposit}}</td></tr>{{/handovers}}</tbody></table>{{/empty(handovers)}}
        <form method="post" action="/manage/handovers" class="panel"><input type="hidden" name="back" value="{{here}}">
        <input type="hidden" name="rep" value="{{rep}}"><input type="hidden" name="day" value="{{day}}">
        <label>Cash counted <input name="cash" required inputmode="decimal" value="{{cashInHandWire}}"></label>
        <label>Cheques <input name="cheques" inputmode="numeric" value="{{chequeCount}}"></label>
        <label>Cheque amount <input name="cheque_amount" inputmode="decimal" value="{{chequesInHandWire}}"></label>
        <label>Note <input name="note" maxlength="500"></label><button>Record handover</button></form>
        {{/sheet}}{{^sheet}}<p class="empty">No reps yet.</p>{{/sheet}}
        {{/page}}{{/main}}{{/page}}
        """
}
