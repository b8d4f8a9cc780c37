import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

// The pieces the managers' pages are made of: forms, HTML escaping, the page frame and the aging chart.
// Pages are rendered on the server; there is no script on them.


/// HTML text: `&`, `<`, `>`, quotes escaped. Everything a page shows from data goes through it.
func h(_ text: String?) -> String { text?.markupEscaped ?? "" }

/// A query value for a link: percent-encoded so that '/', '&', '#', '+' and spaces survive.
func q(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
}

/// "1234.50" as ₹1,234.50.
func money(_ wire: String) -> String { (try? Money(parsing: wire))?.displayString ?? wire }

/// An `application/x-www-form-urlencoded` body as name-value pairs, in order.
struct Form {
    let pairs: [(String, String)]

    init(_ data: Data) {
        pairs = String(decoding: data, as: UTF8.self).split(separator: "&").compactMap { part in
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? { String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(halves[0]) else { return nil }
            return (name, halves.count > 1 ? decode(halves[1]) ?? "" : "")
        }
    }

    subscript(_ name: String) -> String? {
        pairs.first { $0.0 == name }.map { $0.1.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// The value, or nil when empty.
    func optional(_ name: String) -> String? { self[name].flatMap { $0.isEmpty ? nil : $0 } }
}

/// The frame of every page: title, navigation, the notice or error the last action left, and the content.
func page(_ title: String, manager: String?, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok, _ content: String) -> Response {
    let nav =
        manager == nil
        ? ""
        : """
        <nav><a href="/manage">Overview</a><a href="/manage/aging">Aging</a><a href="/manage/allocation">Allocation</a>\
        <a href="/manage/followups">Follow-ups</a><a href="/manage/collections">Reminders &amp; escalations</a>\
        <a href="/manage/reports/register">Register</a><a href="/manage/reports/productivity">Productivity</a>\
        <a href="/manage/reports/day-sheet">Day sheet</a>\
        <form method="post" action="/manage/logout" class="logout"><span>\(h(manager))</span><button>Sign out</button></form></nav>
        """
    let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(h(title)) · FieldPay hub</title><link rel="stylesheet" href="/manage/style.css"></head>
        <body><header><h1>FieldPay collections</h1>\(nav)</header><main>
        \(notice.map { "<p class=\"notice\" role=\"status\">\(h($0))</p>" } ?? "")\(error.map { "<p class=\"error\" role=\"alert\">\(h($0))</p>" } ?? "")
        <h2>\(h(title))</h2>
        \(content)
        </main></body></html>
        """
    var headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ]
    headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
}

func redirect(_ location: String, cookie: Cookie? = nil) -> Response {
    var response = Response(status: .seeOther, headers: [.location: location])
    if let cookie { response.setCookie(cookie) }
    return response
}

/// A table: header cells, then rows of already-escaped cells; `numeric` columns align right.
func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = [], empty: String = "Nothing here.") -> String {
    guard !rows.isEmpty else { return "<p class=\"empty\">\(h(empty))</p>" }
    func cell(_ tag: String, _ index: Int, _ content: String) -> String {
        numeric.contains(index) ? "<\(tag) class=\"num\">\(content)</\(tag)>" : "<\(tag)>\(content)</\(tag)>"
    }
    return "<table><thead><tr>" + header.enumerated().map { cell("th", $0.offset, h($0.element)) }.joined() + "</tr></thead><tbody>"
        + rows.map { "<tr>" + $0.enumerated().map { cell("td", $0.offset, $0.element) }.joined() + "</tr>" }.joined() + "</tbody></table>"
}

/// The aging chart: one bar per bucket, its height the bucket's share of the largest, amounts above.
func agingChart(_ labels: [String], _ amounts: [String]) -> String {
    let paise = amounts.map { (try? Money(parsing: $0).paise) ?? 0 }
    let largest = max(paise.max() ?? 0, 1)
    let width = 720, height = 280, top = 30, bottom = 40
    let slot = width / max(labels.count, 1)
    let colours = ["#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a", "#4e342e", "#263238", "#000000", "#37474f"]
    var bars = ""
    for (index, label) in labels.enumerated() {
        let barHeight = Int(Double(height - top - bottom) * Double(paise[index]) / Double(largest))
        let x = index * slot + slot / 6
        let y = height - bottom - barHeight
        bars += """
            <g class="bar" data-bucket="\(h(label))"><rect x="\(x)" y="\(y)" width="\(slot * 2 / 3)" height="\(max(barHeight, 1))" fill="\(colours[index % colours.count])">\
            <title>\(h(label)): \(h(money(amounts[index])))</title></rect>\
            <text x="\(x + slot / 3)" y="\(y - 8)" text-anchor="middle" class="amount">\(h(money(amounts[index])))</text>\
            <text x="\(x + slot / 3)" y="\(height - bottom + 22)" text-anchor="middle">\(h(label == "current" ? "not yet due" : label + " days"))</text></g>
            """
    }
    return """
        <svg class="chart" role="img" aria-label="Outstanding by days past due" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" xmlns="http://www.w3.org/2000/svg">\
        <line x1="0" y1="\(height - bottom)" x2="\(width)" y2="\(height - bottom)" stroke="#999"/>\(bars)</svg>
        """
}

let dashboardCSS = """
    :root { font-family: "Noto Sans", system-ui, sans-serif; color: #1b1b1b; background: #f6f7f9; }
    body { margin: 0; }
    header { background: #12355b; color: white; padding: 0.6rem 1.2rem; }
    header h1 { font-size: 1.1rem; margin: 0 0 0.4rem 0; }
    nav { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
    nav a { color: #dfe9f5; text-decoration: none; }
    nav a:hover, nav a:focus { color: white; text-decoration: underline; }
    nav .logout { margin-left: auto; display: flex; gap: 0.6rem; align-items: center; }
    main { padding: 1rem 1.2rem 3rem; max-width: 1200px; }
    h2 { margin-top: 0.2rem; }
    table { border-collapse: collapse; background: white; margin: 0.6rem 0 1.2rem; width: 100%; }
    th, td { border-bottom: 1px solid #e2e5ea; padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
    th { background: #eef1f5; font-weight: 600; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .notice { background: #e8f5e9; border-left: 4px solid #2e7d32; padding: 0.5rem 0.8rem; }
    .error { background: #ffebee; border-left: 4px solid #c62828; padding: 0.5rem 0.8rem; }
    .empty { color: #666; }
    .cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin-bottom: 1rem; }
    .card { background: white; border: 1px solid #e2e5ea; border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 150px; }
    .card b { display: block; font-size: 1.3rem; }
    .chart { background: white; border: 1px solid #e2e5ea; max-width: 100%; height: auto; }
    .chart text { font-size: 13px; fill: #333; }
    .chart .amount { font-weight: 600; }
    form.inline { display: inline; }
    form.panel { background: white; border: 1px solid #e2e5ea; padding: 0.8rem; margin: 0.6rem 0 1.2rem; display: flex; flex-wrap: wrap; gap: 0.6rem; align-items: end; }
    label { display: flex; flex-direction: column; font-size: 0.85rem; gap: 0.2rem; }
    input, select, button { font: inherit; padding: 0.3rem 0.4rem; }
    button { background: #12355b; color: white; border: 0; border-radius: 4px; padding: 0.35rem 0.8rem; cursor: pointer; }
    button:focus, a:focus, input:focus, select:focus { outline: 3px solid #f9a825; }
    .tag { font-size: 0.8rem; background: #ffe0b2; border-radius: 3px; padding: 0 0.3rem; }
    """
