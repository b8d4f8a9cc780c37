import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import Logging
import InvoiceImport
import NIOCore
import Synchronization

/// What customer messaging costs the hub: the receipt queued in the upload's transaction (uploads for
/// customers with a mobile number against customers without, alternating in the same run), the collections
/// run with one consolidated reminder per customer against the same run with no phones, and the sender's
/// throughput against a local HTTP responder shaped like the WhatsApp Cloud API.
public struct MessagingBenchmark: Sendable {
    public struct Report: Sendable {
        public var uploadMicrosWithPhone = 0.0
        public var uploadMicrosWithoutPhone = 0.0
        public var uploads = 0
        public var runSecondsWithMessages = 0.0
        public var runSecondsWithout = 0.0
        public var runMessages = 0
        public var runInvoices = 0
        public var sent = 0
        public var sendSeconds = 0.0
        /// Payment uploaded → its receipt taken by the responder, with the sender running as the hub runs it.
        public var latencyP50Millis = 0.0
        public var latencyP99Millis = 0.0
        public var latencySamples = 0
    }

    public let folder: String
    public let uploads: Int
    public let customers: Int
    public let invoicesPerCustomer: Int
    public let sends: Int
    public var latencySamples = 200
    /// The bench device's receipt key: every upload is signed, as a handheld's is, and checked by the hub.
    let signer = UploadSigner()

    public init(folder: String, uploads: Int, customers: Int, invoicesPerCustomer: Int, sends: Int) {
        self.folder = folder
        self.uploads = uploads
        self.customers = customers
        self.invoicesPerCustomer = invoicesPerCustomer
        self.sends = sends
    }

    static func seconds(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }

    /// A hub with `customers` customers (with or without a mobile number), `perCustomer` invoices each, overdue.
    func hub(_ name: String, customers: Int, perCustomer: Int, phones: Bool) throws -> (store: SQLiteHubStore, device: String) {
        let path = folder + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let store = try SQLiteHubStore(path: path + "/hub.sqlite")
        var lines = ["invoice_number,invoice_date,due_date,customer_code,customer_name,total,phone"]
        for customer in 0..<customers {
            let phone = phones ? "+9198\(String(format: "%08d", customer))" : ""
            for invoice in 0..<perCustomer {
                lines.append("INV/\(customer)/\(invoice),2026-06-01,2026-07-01,C\(customer),Shop \(customer),\(1000 + invoice).00,\(phone)")
            }
        }
        try lines.joined(separator: "\n").write(toFile: path + "/book.csv", atomically: true, encoding: .utf8)
        _ = try store.importInvoices(from: InvoiceFileReader(path: path + "/book.csv"))
        guard
            case .enrolled(let device) = try store.enroll(
                code: try store.createEnrollmentCode(rep: "Bench", hours: 1), deviceName: "bench", publicKey: signer.publicKeyBase64, deviceCode: "BENCH1")
        else {
            throw ReportInputError("the benchmark could not enroll its device")
        }
        return (store, device.deviceID)
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> Report {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var report = Report()

        // 1. Uploads: alternating rounds into a hub whose customers have phones and one whose do not.
        let uploadCustomers = max(1, uploads / 4)
        let with = try hub("uploads-phone", customers: uploadCustomers, perCustomer: 4, phones: true)
        let without = try hub("uploads-none", customers: uploadCustomers, perCustomer: 4, phones: false)
        var spent = (with: 0.0, without: 0.0)
        let rounds = 10
        let perRound = max(1, uploads / rounds)
        var sequence = 0
        for round in 0..<rounds {
            for phones in round % 2 == 0 ? [true, false] : [false, true] {
                let target = phones ? with : without
                // Signed before the clock starts: the device's work is not the hub's.
                let signed = (0..<perRound).map { n in
                    let number = sequence + n
                    let customer = number % uploadCustomers
                    let upload = PaymentUpload(
                        receiptNumber: "B-\(number)", method: "cash", amount: "10.00",
                        allocations: [AllocationBody(invoice: "INV/\(customer)/\(number / uploadCustomers % 4)", amount: "10.00")], advance: "0.00",
                        customerCode: "C\(customer)", recordedAtMillis: Date().millisecondsSince1970, signature: "")
                    let id = UUID().uuidString.lowercased()
                    return (id, signer.sign(upload, paymentID: id))
                }
                let start = monotonicNanos()
                for (id, upload) in signed {
                    _ = try target.store.upload(paymentID: id, deviceID: target.device, body: Data(), payment: upload)
                }
                let elapsed = Self.seconds(since: start)
                if phones { spent.with += elapsed } else { spent.without += elapsed }
            }
            sequence += perRound
        }
        report.uploads = perRound * rounds
        report.uploadMicrosWithPhone = spent.with / Double(report.uploads) * 1e6
        report.uploadMicrosWithoutPhone = spent.without / Double(report.uploads) * 1e6
        progress("uploads: \(report.uploads) a side")

        // 2. The collections run: one reminder message per customer, against no phones (no messages).
        let book = try hub("run-phone", customers: customers, perCustomer: invoicesPerCustomer, phones: true)
        let bare = try hub("run-none", customers: customers, perCustomer: invoicesPerCustomer, phones: false)
        progress("books: \(customers) customers, \(customers * invoicesPerCustomer) overdue invoices in each of two hubs")
        let asOf = LocalDate(year: 2026, month: 12, day: 1)!
        var start = monotonicNanos()
        let run = try book.store.runCollections(asOf: asOf)
        report.runSecondsWithMessages = Self.seconds(since: start)
        start = monotonicNanos()
        _ = try bare.store.runCollections(asOf: asOf)
        report.runSecondsWithout = Self.seconds(since: start)
        report.runMessages = run.messagesQueued
        report.runInvoices = customers * invoicesPerCustomer
        progress("collections run: \(run.messagesQueued) messages")

        // 3. The sender: `sends` receipts through a WhatsApp-shaped responder on 127.0.0.1.
        let sender = try hub("sender", customers: max(1, sends / 2), perCustomer: 2, phones: true)
        for n in 0..<sends {
            let customer = n % max(1, sends / 2)
            let upload = PaymentUpload(
                receiptNumber: "S-\(n)", method: "cash", amount: "1.00", allocations: [AllocationBody(invoice: "INV/\(customer)/\(n / max(1, sends / 2) % 2)", amount: "1.00")],
                advance: "0.00", customerCode: "C\(customer)", recordedAtMillis: Date().millisecondsSince1970, signature: "")
            let id = UUID().uuidString.lowercased()
            _ = try sender.store.upload(paymentID: id, deviceID: sender.device, body: Data(), payment: signer.sign(upload, paymentID: id))
        }
        let router = Router()
        let counter = Atomic<Int>(0)
        let arrivals = Mutex<[String: UInt64]>([:])
        router.post("/:version/:phone/messages") { request, _ -> Response in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            let arrived = monotonicNanos()
            if let object = try? JSONSerialization.jsonObject(with: Data(buffer.readBytes(length: buffer.readableBytes) ?? [])) as? [String: Any],
                let key = object["biz_opaque_callback_data"] as? String
            {
                arrivals.withLock { $0[key] = arrived }
            }
            let id = counter.wrappingAdd(1, ordering: .relaxed).newValue
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.\(id)\"}]}")))
        }
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: {
                var logger = Logger(label: "bench-responder")
                logger.logLevel = .critical  // its start and cancellation are not the benchmark's news
                return logger
            }())
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        var ports = portStream.makeAsyncIterator()
        guard let port = await ports.next(), port > 0 else { throw ReportInputError("the benchmark's responder did not start") }
        var configuration = MessagingConfiguration()
        configuration.publicURL = "https://pay.example.in"
        configuration.quietHours = QuietHours(startHour: 0, endHour: 0)
        var whatsapp = WhatsAppSettings(phoneNumberID: "1", accessToken: "bench")
        whatsapp.apiURL = "http://127.0.0.1:\(port)"
        configuration.whatsapp = whatsapp
        let drain = MessageSender(store: sender.store, configuration: configuration, channels: MessageSender.channels(configuration))
        var paused: Set<ChannelName> = []
        start = monotonicNanos()
        while try await drain.sendDue(limit: 50, pausedChannels: &paused) > 0 {}
        report.sendSeconds = Self.seconds(since: start)
        report.sent = counter.load(ordering: .relaxed)

        // 4. Latency: payments uploaded 20 ms apart while the sender runs (woken by each upload's commit).
        let running = Task { try await drain.run() }
        var uploaded: [String: UInt64] = [:]
        for n in 0..<latencySamples {
            let customer = n % max(1, sends / 2)
            let id = UUID().uuidString.lowercased()
            let upload = PaymentUpload(
                receiptNumber: "L-\(n)", method: "cash", amount: "1.00", allocations: [AllocationBody(invoice: "INV/\(customer)/0", amount: "1.00")],
                advance: "0.00", customerCode: "C\(customer)", recordedAtMillis: Date().millisecondsSince1970, signature: "")
            let signed = signer.sign(upload, paymentID: id)
            uploaded["receipt:\(id)"] = monotonicNanos()
            _ = try sender.store.upload(paymentID: id, deviceID: sender.device, body: Data(), payment: signed)
            try await Task.sleep(for: .milliseconds(20))
        }
        for _ in 0..<200 where arrivals.withLock({ seen in uploaded.keys.contains { seen[$0] == nil } }) { try await Task.sleep(for: .milliseconds(25)) }
        running.cancel()
        _ = await running.result
        let latencies = arrivals.withLock { seen in uploaded.compactMap { key, at in seen[key].map { Double($0 - at) / 1e6 } } }
        report.latencySamples = latencies.count
        report.latencyP50Millis = percentile(latencies, 0.5)
        report.latencyP99Millis = percentile(latencies, 0.99)
        server.cancel()
        _ = await server.result
        return report
    }
}
