import Foundation
import Testing

@testable import Hub

@Suite("Dashboard templates")
struct DashboardTemplateTests {
    @Test("every template parses, and none inserts a value unescaped ({{{…}}} or {{&…}})")
    func escapedOnly() throws {
        #expect(DashboardTemplates.all.count == 19)
        for (name, text) in DashboardTemplates.all {
            #expect(!text.contains("{{{") && !text.contains("{{&"), "\(name)")
            #expect(DashboardPages.library.getTemplate(named: name) != nil, "\(name)")
        }
    }

    @Test("a value with markup in it is shown as text in every part of a page: title, notice, cells, attributes")
    func escapesValues() throws {
        let evil = "<script>alert('x')</script> & \"Sons\""
        let html = DashboardPages.html(
            "rep", title: evil, manager: evil, notice: evil, error: evil,
            RepPageProbe(here: evil, nameQuery: evil, scope: evil, regions: evil, devices: 1, hasRegions: true, others: [evil], invoices: []))
        #expect(html.contains("<h2>"))
        #expect(!html.contains("<script>") && !html.contains("\"Sons\""))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Sons&quot;"))
    }
}

/// The rep page's values, spelled out here so the test does not depend on the route's private type.
struct RepPageProbe: Sendable {
    let here, nameQuery, scope, regions: String
    let devices: Int
    let hasRegions: Bool
    let others: [String]
    let invoices: [String]
}
