import FieldPayCore
import Foundation
import Hub
import HubAPI
import InvoiceImport
import Logging

/// What the Tally connector does against `scripts/fake-tally.py` on 127.0.0.1: vouchers pushed a second (one a
/// request, then batches), payment confirmed → voucher accepted with the push service running as the hub runs
/// it, and a pull of many outstanding bills into an empty hub.
public struct ERPBenchmark: Sendable {
    public struct Report: Sendable {
        public var vouchers = 0
        public var singleSeconds = 0.0
        public var batchSeconds = 0.0
        public var batchSize = 0
        public var latencyP50Millis = 0.0
        public var latencyP99Millis = 0.0
        public var latencySamples = 0
        public var bills = 0
        public var pullSeconds = 0.0
        public var pullWritten = 0
        /// Zoho Books: invoices pulled (paged), payments pushed (a search and a create each), against the fake.
        public var zohoInvoices = 0
        public var zohoPullSeconds = 0.0
        public var zohoPayments = 0
        public var zohoPushSeconds = 0.0
    }

    public let folder: String
    public let fakeTally: String
    public let vouchers: Int
    public let bills: Int
    public var batchSize = 25
    public var zohoInvoices = 2_000
    public var zohoPayments = 500
    public var latencySamples = 200
    let signer = UploadSigner()
    static let customers = 50

    public init(folder: String, fakeTally: String, vouchers: Int, bills: Int) {
        self.folder = folder
        self.fakeTally = fakeTally
        self.vouchers = vouchers
        self.bills = bills
    }

    /// The fake (Tally's, or `script`) on a free port; killed by the caller.
    func startFake(_ arguments: [String], script: String? = nil) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = script.map { [$0, "0"] + arguments } ?? ([fakeTally, "0", "--company", "Bench Co", "--ledger", "HDFC Bank"] + arguments)
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ERPError("\(fakeTally) did not start") }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "127.0.0.1:"), let port = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw ERPError("\(fakeTally) said \(text)")
        }
        return (process, port)
    }

    func settings(port: Int, batch: Int) -> TallySettings {
        var settings = TallySettings(company: "Bench Co", upiLedger: "HDFC Bank", chequeLedger: "HDFC Bank")
        settings.url = "http://127.0.0.1:\(port)"
        settings.batchSize = batch
        return settings
    }

    /// A hub with the connector enabled, `customers` customers of 4 invoices each, and a signing device.
    func hub(_ name: String) throws -> (store: SQLiteHubStore, device: String) {
        let path = folder + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let store = try SQLiteHubStore(path: path + "/hub.sqlite")
        var lines = ["invoice_number,invoice_date,due_date,customer_code,customer_name,total"]
        for customer in 0..<Self.customers {
            for invoice in 0..<4 { lines.append("INV/\(customer)/\(invoice),2026-06-01,2026-07-01,C\(customer),Bench shop \(customer),10000000.00") }
        }
        try lines.joined(separator: "\n").write(toFile: path + "/book.csv", atomically: true, encoding: .utf8)
        _ = try store.importInvoices(from: InvoiceFileReader(path: path + "/book.csv"))
        try store.enableConnector("tally", now: HubTime.nowMillis() - 1000)
        guard
            case .enrolled(let device) = try store.enroll(
                code: try store.createEnrollmentCode(rep: "Bench", hours: 1), deviceName: "bench", publicKey: signer.publicKeyBase64, deviceCode: "BENCH1")
        else { throw ReportInputError("the benchmark could not enroll its device") }
        return (store, device.deviceID)
    }

    func pay(_ number: Int, into hub: (store: SQLiteHubStore, device: String)) throws -> String {
        let id = UUID().uuidString.lowercased()
        let customer = number % Self.customers
        let upload = PaymentUpload(
            receiptNumber: "BENCH1-\(String(format: "%06d", number + 1))", method: "cash", amount: "10.00",
            allocations: [AllocationBody(invoice: "INV/\(customer)/\(number / Self.customers % 4)", amount: "10.00")], advance: "0.00",
            customerCode: "C\(customer)", recordedAtMillis: HubTime.nowMillis(), signature: "")
        _ = try hub.store.upload(paymentID: id, deviceID: hub.device, body: Data(), payment: signer.sign(upload, paymentID: id))
        return id
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var report = Report()
        let ledgers = (0..<Self.customers).flatMap { ["--ledger", "Bench shop \($0)"] }
        let (fake, port) = try startFake(ledgers)
        defer { kill(fake.processIdentifier, SIGKILL) }

        // 1. Throughput: the same number of vouchers one a request, then in batches, each to its own hub.
        for (name, batch) in [("single", 1), ("batch", batchSize)] {
            let target = try hub(name)
            for number in 0..<vouchers { _ = try pay(number, into: target) }
            let worker = ERPWorker(connector: TallyConnector(settings: settings(port: port, batch: batch)), store: target.store)
            let start = monotonicNanos()
            let round = try await worker.drain()
            let seconds = Double(monotonicNanos() - start) / 1e9
            guard round.accepted == vouchers else { throw ERPError("\(name): \(round.accepted) of \(vouchers) vouchers accepted (\(round))") }
            if batch == 1 { report.singleSeconds = seconds } else { report.batchSeconds = seconds }
            progress("\(name): \(vouchers) vouchers in \(String(format: "%.2f", seconds)) s")
        }
        report.vouchers = vouchers
        report.batchSize = batchSize

        // 2. Latency: payments stored 20 ms apart while the push service runs, woken by each commit.
        let live = try hub("latency")
        var worker = ERPWorker(connector: TallyConnector(settings: settings(port: port, batch: batchSize)), store: live.store)
        worker.logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let service = ERPPushService(worker: worker, signal: live.store.erpSignal)
        let task = Task { try await service.run() }
        var stored: [String: Int64] = [:]
        for number in 0..<latencySamples {
            let id = try pay(number, into: live)
            stored[id] = HubTime.nowMillis()
            try await Task.sleep(for: .milliseconds(20))
        }
        for _ in 0..<400 where try live.store.erpCounts().first?.pending ?? 0 > 0 { try await Task.sleep(for: .milliseconds(25)) }
        task.cancel()
        let sent = try live.store.erpQueue(connector: "tally", state: .sent, limit: latencySamples * 2)
        let latencies = sent.compactMap { row in stored[row.paymentID].map { Double(row.updatedAt - $0) } }
        report.latencySamples = latencies.count
        report.latencyP50Millis = percentile(latencies, 0.5)
        report.latencyP99Millis = percentile(latencies, 0.99)
        progress("latency: \(latencies.count) payments")

        // 3. A pull of `bills` outstanding bills into an empty hub.
        let (big, bigPort) = try startFake(["--bills", String(bills), "--parties", "2000"])
        defer { kill(big.processIdentifier, SIGKILL) }
        let empty = try hub("pull")
        let start = monotonicNanos()
        let pulled = try await ERPWorker(connector: TallyConnector(settings: settings(port: bigPort, batch: batchSize)), store: empty.store).pull()
        report.pullSeconds = Double(monotonicNanos() - start) / 1e9
        report.bills = pulled.bills
        report.pullWritten = pulled.written
        progress("pull: \(pulled.bills) bills")

        // 4. Zoho Books: its unpaid invoices pulled page by page, then payments pushed one a request.
        let zohoScript = (fakeTally as NSString).deletingLastPathComponent + "/fake-zoho.py"
        let (zohoFake, zohoPort) = try startFake(
            ["--organization", "600", "--client-id", "1000.B", "--client-secret", "s", "--refresh-token", "1000.r", "--invoices", String(zohoInvoices),
                "--customers", "50", "--per-minute", "1000000"], script: zohoScript)
        defer { kill(zohoFake.processIdentifier, SIGKILL) }
        var zohoSettings = ZohoSettings(organizationID: "600", clientID: "1000.B", clientSecret: "s", refreshToken: "1000.r")
        zohoSettings.apiBase = "http://127.0.0.1:\(zohoPort)/books/v3"
        zohoSettings.accountsBase = "http://127.0.0.1:\(zohoPort)"
        zohoSettings.requestsPerMinute = 1_000_000  // the fake's own cap is off: this measures the connector
        let zohoHub = try hub("zoho")
        try zohoHub.store.enableConnector("zoho", now: HubTime.nowMillis() - 1000)
        let zoho = ERPWorker(connector: ZohoBooksConnector(settings: zohoSettings), store: zohoHub.store)
        var start2 = monotonicNanos()
        let zohoPulled = try await zoho.pull(closeMissing: false)
        report.zohoPullSeconds = Double(monotonicNanos() - start2) / 1e9
        report.zohoInvoices = zohoPulled.written
        let codes = try zohoHub.store.changes(after: 0, limit: zohoInvoices + 1000, deviceID: nil).changes.filter { $0.number.hasPrefix("ZB-") }
        for (number, change) in codes.prefix(zohoPayments).enumerated() {
            let id = UUID().uuidString.lowercased()
            let upload = PaymentUpload(
                receiptNumber: "BENCH1-Z\(String(format: "%06d", number + 1))", method: "cash", amount: "1.00",
                allocations: [AllocationBody(invoice: change.number, amount: "1.00")], advance: "0.00", customerCode: change.customerCode ?? "",
                recordedAtMillis: HubTime.nowMillis(), signature: "")
            _ = try zohoHub.store.upload(paymentID: id, deviceID: zohoHub.device, body: Data(), payment: signer.sign(upload, paymentID: id))
        }
        start2 = monotonicNanos()
        let pushed = try await zoho.drain()
        report.zohoPushSeconds = Double(monotonicNanos() - start2) / 1e9
        report.zohoPayments = pushed.accepted
        return report
    }
}
