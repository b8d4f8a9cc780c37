import AsyncHTTPClient
import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import Sync

/// The hub and the device's sync over loopback, in one process: the hub is the real Hummingbird app on
/// 127.0.0.1 with its SQLite store, the device the real `SyncService` over AsyncHTTPClient.
public struct SyncBenchmark: Sendable {
    public struct Report: Sendable {
        public var invoices = 0
        public var hubImportSeconds = 0.0
        public var initialSyncSeconds = 0.0
        public var deltaChanges = 0
        public var deltaMillis: [Double] = []
        public var devices = 0
        public var uploads = 0
        public var uploadSeconds = 0.0
        public var webhookLatenciesMillis: [Double] = []
        public var digestsMatch = false
    }

    public let folder: String
    public let invoices: Int
    public let deltaChanges: Int
    public let devices: Int
    public let uploadsPerDevice: Int
    public let webhooks: Int

    public init(folder: String, invoices: Int, deltaChanges: Int, devices: Int, uploadsPerDevice: Int, webhooks: Int) {
        self.folder = folder
        self.invoices = invoices
        self.deltaChanges = deltaChanges
        self.devices = devices
        self.uploadsPerDevice = uploadsPerDevice
        self.webhooks = webhooks
    }

    static func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }

    func writeBook(_ path: String, numbers: some Sequence<Int>, edit: Bool) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var text = "invoice_number,invoice_date,due_date,customer_code,customer_name,total,outstanding\n"
        for i in numbers {
            let c = i % 5000
            let day = 1 + i % 28
            text += "INV/\(String(repeating: "0", count: max(0, 7 - String(i).count)))\(i),2026-10-\(day < 10 ? "0" : "")\(day),2026-11-\(day < 10 ? "0" : "")\(day),C\(c),Customer \(c)\(edit ? " (edited)" : ""),\(1000 + i % 9000).50,\(edit ? 100 + i % 7 : 500 + i % 500).25\n"
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
    }

    public func run(progress: @Sendable (String) -> Void) async throws -> Report {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var report = Report()
        report.invoices = invoices
        progress("writing a book of \(invoices) invoices and loading it into the hub")
        let store = try SQLiteHubStore(path: folder + "/hub/hub.sqlite")
        try writeBook(folder + "/book.csv", numbers: 0..<invoices, edit: false)
        var start = monotonicNanos()
        _ = try store.importInvoices(from: InvoiceFileReader(path: folder + "/book.csv"))
        report.hubImportSeconds = Self.seconds(since: start)

        let secret = "whsec_bench"
        var configuration = HubConfiguration(dataDirectory: folder + "/hub", providers: [.razorpay(webhookSecret: secret)])
        configuration.host = "127.0.0.1"
        configuration.logLevel = .critical
        configuration.uploadLimits.pastDays = 3650  // the benchmark's payments carry a fixed 2026 date
        var server: Task<Void, Error>?
        var url = ""
        for _ in 0..<5 {
            configuration.port = Int.random(in: 20_000...60_000)
            let app = buildApplication(configuration, store: store)
            let task = Task { try await app.run() }
            url = "http://127.0.0.1:\(configuration.port)"
            var up = false
            for _ in 0..<100 {
                if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(1)))?.status == .ok {
                    up = true
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            if up {
                server = task
                break
            }
            task.cancel()
        }
        guard let server else { throw SyncError(message: "the benchmark hub did not start", refused: false) }
        defer { server.cancel() }

        // Every bench device signs its receipts with one key; each has its own code (the first BENCH1, its QRs'
        // references BENCH1…), and the bench rep's devices carry the whole book.
        let signer = UploadSigner()
        _ = try store.setRep("Bench", RepSettings(scope: "all"))
        var enrolled = 0
        func enroll() throws -> HubCredentials {
            enrolled += 1
            let code = enrolled == 1 ? "BENCH1" : "BN" + String(format: "%05d", enrolled)
            guard
                case .enrolled(let response) = try store.enroll(
                    code: try store.createEnrollmentCode(rep: "Bench", hours: 1), deviceName: "bench", publicKey: signer.publicKeyBase64, deviceCode: code)
            else {
                throw SyncError(message: "enrollment failed", refused: true)
            }
            return HubCredentials(hubURL: url, deviceID: response.deviceID, secret: response.secret)
        }
        let credentials = try enroll()
        let client = HubClient(baseURL: url, token: "\(credentials.deviceID).\(credentials.secret)")
        let database = try AppDatabase(path: folder + "/device.sqlite")
        var service = SyncService(database: database, client: client)
        service.pageSize = 5000

        progress("initial sync of \(invoices) invoices over loopback")
        start = monotonicNanos()
        _ = try await service.runOnce()
        report.initialSyncSeconds = Self.seconds(since: start)

        progress("deltas of \(deltaChanges) changes")
        report.deltaChanges = deltaChanges
        for round in 0..<5 {
            let first = (round * 7919) % max(1, invoices - deltaChanges)
            try writeBook(folder + "/delta.csv", numbers: first..<(first + min(deltaChanges, invoices)), edit: round % 2 == 0)
            _ = try store.importInvoices(from: InvoiceFileReader(path: folder + "/delta.csv"))
            start = monotonicNanos()
            let delta = try await service.runOnce()
            report.deltaMillis.append(Self.seconds(since: start) * 1000)
            guard delta.pulled == min(deltaChanges, invoices) else { throw SyncError(message: "delta pulled \(delta.pulled)", refused: false) }
        }
        report.digestsMatch = try database.invoiceDigest().digest == store.invoiceDigest().digest

        progress("\(devices) devices uploading \(uploadsPerDevice) payments each at once")
        var clients: [HubClient] = []
        for _ in 0..<devices {
            let each = try enroll()
            clients.append(HubClient(baseURL: url, token: "\(each.deviceID).\(each.secret)"))
        }
        let perDevice = uploadsPerDevice
        start = monotonicNanos()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, deviceClient) in clients.enumerated() {
                group.addTask {
                    for n in 1...perDevice {
                        let invoice = "INV/\(String(repeating: "0", count: max(0, 7 - String(index).count)))\(index)"
                        let body = PaymentUpload(
                            receiptNumber: "B\(index)-\(n)", method: "cash", amount: "1.00", allocations: [AllocationBody(invoice: invoice, amount: "1.00")],
                            advance: "0.00", customerCode: "C\(index % 5000)", recordedAtMillis: 1_796_000_000_000, signature: "bench")
                        let id = UUID()
                        _ = try await deviceClient.upload(id, signer.sign(body, paymentID: id.uuidString))
                    }
                }
            }
            try await group.waitForAll()
        }
        report.uploadSeconds = Self.seconds(since: start)
        report.devices = devices
        report.uploads = devices * perDevice

        progress("\(webhooks) signed webhooks, each timed until the device's long-poll hears of it")
        for n in 0..<webhooks {
            let reference = "BENCH1INV\(n)TPAUOU"
            let paymentID = UUID()
            var body = PaymentUpload(
                receiptNumber: "W-\(n)", method: "upi", amount: "1.00", allocations: [AllocationBody(invoice: "INV/0000001", amount: "1.00")],
                advance: "0.00", customerCode: "C1", recordedAtMillis: 1_796_000_000_000, signature: "bench")
            body.upiReference = reference
            _ = try await client.upload(paymentID, signer.sign(body, paymentID: paymentID.uuidString))
            let since = try database.eventCursor()
            let listener = Task { try await client.events(since: since, wait: 10) }
            try await Task.sleep(for: .milliseconds(20))  // the poll is parked at the hub
            let utr = String(400_000_000_000 + n)
            let webhook = Razorpay.creditEvent(paymentID: "pay_bench_\(n)", amountPaise: 100, utr: utr, reference: reference)
            let sent = monotonicNanos()
            _ = try await Razorpay.deliver(webhook, to: url, secret: secret, eventID: "evt_bench_\(n)")
            let page = try await listener.value
            report.webhookLatenciesMillis.append(Double(monotonicNanos() - sent) / 1e6)
            guard let event = page.events.first(where: { $0.paymentID == paymentID.uuidString.lowercased() }) else {
                throw SyncError(message: "the device did not hear of webhook \(n)", refused: false)
            }
            try database.applyHubEvent(id: event.id, paymentID: paymentID, utr: event.utr)
        }
        return report
    }
}
