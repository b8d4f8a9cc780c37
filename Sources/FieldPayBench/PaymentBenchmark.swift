import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import InvoiceImport
import QRRender
import UPI

/// The payment screen's two costs: from an invoice in hand to its QR ready to show (UPI request, QR
/// encoding, SVG), and recording payments with `synchronous = FULL` (one fsync'd commit each).
public struct PaymentBenchmark {
    public struct Report: Sendable {
        public var qrRuns: Int
        public var qrP50Micros: Double
        public var qrP99Micros: Double
        public var encodeP99Micros: Double
        public var qrVersion: Int
        public var payments: Int
        public var paymentSeconds: Double
        public var paymentP50Millis: Double
        public var paymentP99Millis: Double
        public var fsyncP50Millis: Double
        public var paymentsPerSecond: Double { Double(payments) / paymentSeconds }
    }

    public let folder: String
    public let qrRuns: Int
    public let payments: Int

    public init(folder: String, qrRuns: Int, payments: Int) {
        self.folder = folder
        self.qrRuns = qrRuns
        self.payments = payments
    }

    public func run() throws -> Report {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let csv = folder + "/invoices.csv"
        try "invoice_number,invoice_date,due_date,customer_code,customer_name,total,seller_gstin\nINV/2026-27/004512,2026-11-02,2026-12-02,PUN-001,Sharma General Stores,99999999.00,27AAACA1234F1ZA\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        var profile = try DeviceProfile.parse(
            """
            [device]
            code = "BENCH1"
            [upi]
            vpa = "acme.traders@okhdfcbank"
            name = "Acme Distributors"
            merchant_code = "5411"
            """, source: folder + "/bench.toml")
        profile.databasePath = folder + "/device.sqlite"
        profile.keyPath = folder + "/device.key"
        let database = try AppDatabase(path: profile.databasePath)
        _ = try database.importInvoices(from: InvoiceFileReader(path: csv))
        guard case .found(let cached) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "INV/2026-27/004512")) else {
            throw CocoaError(.fileReadUnknown)
        }
        let desk = PaymentDesk(profile: profile, database: database)

        // Invoice in hand → upi:// request → QR modules → SVG text.
        var total: [UInt64] = []
        var encode: [UInt64] = []
        var version = 0
        for index in 0..<qrRuns {
            let amount = Money(paise: 100_000 + Int64(index % 5000))
            let start = monotonicNanos()
            let request = try desk.paymentRequest(for: cached, amount: amount)
            let encodeStart = monotonicNanos()
            let code = try PaymentDesk.qr(for: request)
            let encodeEnd = monotonicNanos()
            let svg = code.svg()
            let end = monotonicNanos()
            precondition(!svg.isEmpty)
            version = code.version
            total.append(end - start)
            encode.append(encodeEnd - encodeStart)
        }

        // Payments, each its own fsync'd transaction, signed.
        var each: [UInt64] = []
        let paymentsStart = monotonicNanos()
        for _ in 0..<payments {
            let start = monotonicNanos()
            _ = try desk.record(PaymentDraft(method: .cash, amount: Money(rupees: 1), invoiceNumbers: ["INV/2026-27/004512"]))
            each.append(monotonicNanos() - start)
        }
        let paymentSeconds = Double(monotonicNanos() - paymentsStart) / 1e9

        // What one fsync costs on this disk, for scale.
        var fsyncs: [UInt64] = []
        let probe = folder + "/fsync-probe"
        _ = FileManager.default.createFile(atPath: probe, contents: nil)
        if let handle = FileHandle(forWritingAtPath: probe) {
            for _ in 0..<200 {
                try handle.write(contentsOf: Data(repeating: 1, count: 4096))
                let start = monotonicNanos()
                try handle.synchronize()
                fsyncs.append(monotonicNanos() - start)
            }
            try handle.close()
        }
        try? FileManager.default.removeItem(atPath: folder)
        return Report(
            qrRuns: qrRuns, qrP50Micros: percentile(total, 0.5) / 1000,
            qrP99Micros: percentile(total, 0.99) / 1000,
            encodeP99Micros: percentile(encode, 0.99) / 1000, qrVersion: version, payments: payments,
            paymentSeconds: paymentSeconds, paymentP50Millis: percentile(each, 0.5) / 1e6,
            paymentP99Millis: percentile(each, 0.99) / 1e6,
            fsyncP50Millis: fsyncs.isEmpty ? 0 : percentile(fsyncs, 0.5) / 1e6)
    }
}
