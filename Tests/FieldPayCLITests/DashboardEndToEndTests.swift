import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `fieldpay-hub serve` on a free loopback port; stopped by `stop()`.
final class HubServer: Sendable {
    let process: Process
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    init(data: String) throws {
        for _ in 0..<5 {
            let candidate = Int.random(in: 20_000...60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: hubBinary)
            process.arguments = ["serve", "--data", data, "--port", String(candidate)]
            process.environment = ProcessInfo.processInfo.environment.merging(["FIELDPAY_RAZORPAY_SECRET": "whsec_e2e"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 where process.isRunning && !listening(candidate) { usleep(50_000) }
            if process.isRunning && listening(candidate) {
                self.process = process
                port = candidate
                return
            }
            process.terminate()
            process.waitUntilExit()
        }
        throw CDPError(message: "the hub did not start")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

extension CDPPage {
    /// Opens `url` and waits (bounded) until the page at `path` has loaded and shows `containing`.
    @discardableResult
    func open(_ url: String, expect path: String, containing: String? = nil) async throws -> String {
        try await call("Page.navigate", ["url": url])
        return try await waitFor(path: path, containing: containing)
    }

    @discardableResult
    func waitFor(path: String, containing: String? = nil, timeout: Double = 15) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try await evaluate("document.readyState + '\\n' + location.pathname + '\\n' + (document.body ? document.body.innerText : '')")
            let lines = last.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
            if lines.count == 3, lines[0] == "complete", lines[1] == path, containing.map(lines[2].contains) ?? true { return String(lines[2]) }
            try await Task.sleep(for: .milliseconds(150))
        }
        throw CDPError(message: "the page did not reach \(path) \(containing ?? "") within \(Int(timeout)) s; it shows: \(last.prefix(600))")
    }

    /// Runs a script that fills and submits a form; the browser then follows the redirect.
    func submit(_ script: String) async throws {
        let result = try await evaluate("(() => { \(script) ; return 'ok' })()")
        guard result == "ok" else { throw CDPError(message: "the form script failed: \(result)") }
    }
}

@Suite("Managers' dashboard end to end: fieldpay-hub serve and headless Chromium", .serialized)
struct DashboardEndToEndTests {
    @Test("sign in, see aging, set a rep's scope, allocate an invoice the rep's device then receives, set a follow-up, read every report")
    func dashboard() async throws {
        let chromiumPath = try #require(KioskEndToEndTests.chromium, "Debian's chromium is not installed (make test installs it)")
        let data = NSTemporaryDirectory() + "fieldpay-dashboard-\(UUID().uuidString)"
        let shots = repository + "/.build/test-artifacts/dashboard"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let seeded = try hub(["collections", "demo-book", "--data", data])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        let token = try hub(["managers", "add", "--name", "Asha", "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let code = try hub(["devices", "enroll", "--rep", "Ravi", "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try HubServer(data: data)
        defer { server.stop() }
        let url = server.url
        let device = PaymentDevice(invoices: "invoice_number,invoice_date,due_date,customer_name,total\n")
        #expect(try device.run(["enroll", "--hub", url, "--code", code]).status == 0)
        let profile = device.profile
        @Sendable func onDevice(_ arguments: [String]) throws -> Run { try fieldpay(arguments + ["--profile", profile]) }
        let browser = try Browser(chromium: chromiumPath, profileFolder: data + "/chromium")
        defer { browser.stop() }

        try await browser.drive { page in
            try await page.call("Page.enable")
            // Not signed in: the sign-in page. A wrong token is refused in words.
            try await page.open(url + "/manage", expect: "/manage/login", containing: "manager token")
            try await page.submit("document.querySelector('input[name=token]').value = 'mgr_nobody.secret'; document.querySelector('input[name=token]').form.submit()")
            try await page.waitFor(path: "/manage/login", containing: "not a valid manager token")
            try await page.submit("document.querySelector('input[name=token]').value = '\(token)'; document.querySelector('input[name=token]').form.submit()")
            let overview = try await page.waitFor(path: "/manage", containing: "Outstanding")
            #expect(overview.contains("Largest outstanding") && overview.contains("DSO, 90 days"))
            #expect(try await page.evaluate("document.querySelectorAll('svg.chart g.bar').length") == "5")
            #expect(try await page.evaluate("document.querySelector('svg.chart g.bar[data-bucket=\"90+\"] text.amount').textContent").hasPrefix("₹"))
            try await page.screenshot(shots + "/overview.png")

            // Ravi's devices are to receive only what is allocated to Ravi.
            try await page.open(url + "/manage/allocation", expect: "/manage/allocation", containing: "Reps")
            try await page.submit(
                "const f = [...document.querySelectorAll('form')].find(f => f.rep && f.rep.value === 'Ravi' && f.scope); f.scope.value = 'assigned'; f.submit()")
            try await page.waitFor(path: "/manage/allocation", containing: "Ravi's devices receive: assigned")
            try await page.screenshot(shots + "/allocation.png")
            #expect(try onDevice(["sync", "--once"]).status == 0)

            // One of Meena's invoices, moved to Ravi on Meena's page: Ravi's handheld has it at its next sync.
            try await page.open(url + "/manage/reps/Meena", expect: "/manage/reps/Meena", containing: "Move the ticked invoices")
            let invoice = try await page.evaluate("document.querySelector('input[name=\"invoice[]\"]').value")
            let customerLink = try await page.evaluate("document.querySelector('tbody a').getAttribute('href')")
            #expect(invoice.hasPrefix("INV/"))
            #expect(try onDevice(["lookup", invoice]).status != 0, "Ravi's device should not have \(invoice) yet")
            try await page.submit(
                "document.querySelector('input[name=\"invoice[]\"]').checked = true; document.querySelector('#reassign select[name=rep]').value = 'Ravi'; document.querySelector('#reassign input[name=reason]').value = 'Ravi is in the area'; document.querySelector('#reassign').submit()")
            try await page.waitFor(path: "/manage/reps/Meena", containing: "1 invoice assigned to Ravi")
            let synced = try onDevice(["sync", "--once"])
            #expect(synced.status == 0, "\(synced.stderr)")
            let lookup = try onDevice(["lookup", invoice])
            #expect(lookup.status == 0 && lookup.stdout.contains(invoice), "\(lookup.stdout) \(lookup.stderr)")

            // A follow-up with a promise, from the customer's page; it shows on the follow-ups list.
            try await page.open(url + customerLink, expect: customerLink.removingPercentEncoding ?? customerLink, containing: "Set a follow-up")
            try await page.submit(
                """
                const f = [...document.querySelectorAll('form')].find(f => f.getAttribute('action').endsWith('/followups'));
                f.invoice.value = '\(invoice)'; f.querySelector('[name=action]').value = 'call';
                f.due_date.value = new Date(Date.now() + 5.5 * 3600 * 1000).toISOString().slice(0, 10);
                f.promised_date.value = f.due_date.value; f.promised_amount.value = '1000.00'; f.note.value = 'Owner promised on the phone';
                f.submit()
                """)
            try await page.waitFor(path: customerLink.removingPercentEncoding ?? customerLink, containing: "Follow-up saved")
            try await page.screenshot(shots + "/customer.png")
            try await page.open(url + "/manage/followups?rep=Ravi", expect: "/manage/followups", containing: "Owner promised on the phone")

            // Every report, on the demo data.
            for (path, words) in [
                ("/manage/aging", "Download CSV"), ("/manage/reports/register", "By day, rep and method"),
                ("/manage/reports/productivity", "Hit rate"), ("/manage/reports/day-sheet?rep=Ravi", "Handovers at the depot"),
                ("/manage/collections", "Reminders waiting for a channel"), ("/manage/followups", "Promises missed"),
            ] {
                let shown = try await page.open(url + path, expect: String(path.split(separator: "?")[0]), containing: words)
                #expect(!shown.contains("Cannot show this page"), "\(path)")
                try await page.screenshot(shots + "/" + path.split(separator: "/").last!.split(separator: "?")[0] + ".png")
            }
            // Signed out, the pages ask to sign in again.
            try await page.submit("document.querySelector('form.logout').submit()")
            try await page.waitFor(path: "/manage/login", containing: "manager token")
            try await page.open(url + "/manage/aging", expect: "/manage/login")
        }
        // The API agrees: the invoice is Ravi's, with its history.
        var request = HTTPClientRequest(url: url + "/v1/reps")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(body.contains("\"scope\":\"assigned\""))
    }
}
