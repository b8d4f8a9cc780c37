import FieldPayCore
import Foundation
import HTTPTypes
import Hummingbird
import HubAPI
import NIOCore

// What the managers' pages share besides their templates: links' query values, amounts in rupees, the
// style sheet. Pages are rendered on the server (Dashboard/); there is no script on them.


/// A query value for a link: percent-encoded so that '/', '&', '#', '+' and spaces survive.
func q(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
}

/// "1234.50" as ₹1,234.50.
func money(_ wire: String) -> String { (try? Money(parsing: wire))?.displayString ?? wire }

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
