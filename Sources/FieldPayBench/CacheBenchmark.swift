import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import InvoiceImport

/// The invoice cache at a distributor's scale: import a generated book of invoices through the real CSV path,
/// then time payload → invoice lookups (parse + query + aging) for every kind of invoice code.
public struct CacheBenchmark {
    public struct Report: Sendable {
        public var invoices: Int
        public var generateSeconds: Double
        public var importSeconds: Double
        public var databaseBytes: Int64
        public var walBytes: Int64
        public var lookups: Int
        public var p50Micros: Double
        public var p99Micros: Double
        public var maxMicros: Double
        public var perKindP99: [(String, Double)]
        public var importRate: Double { Double(invoices) / importSeconds }
    }

    public let invoices: Int
    public let lookups: Int
    public let folder: String
    let output: (String) -> Void

    public init(invoices: Int, lookups: Int, folder: String, output: @escaping (String) -> Void) {
        self.invoices = invoices
        self.lookups = lookups
        self.folder = folder
        self.output = output
    }

    static func number(_ index: Int) -> String {
        let digits = String(index)
        return "INV/2026-27/" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// Writes the book as CSV: 1 customer per 20 invoices, dates over a year, a third part-paid.
    func generate(path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        var chunk = "invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid,buyer_gstin\n"
        let start = LocalDate(year: 2025, month: 12, day: 1)!
        for index in 1...invoices {
            let date = start.adding(days: index % 365)
            let total = Int64(50_000 + (index * 7919) % 5_000_000)
            let paid = index % 3 == 0 ? total / 2 : 0
            let customer = index % max(1, invoices / 20)
            chunk += "\(CacheBenchmark.number(index)),\(date.isoString),\(date.adding(days: 30).isoString),C\(customer),"
                + "Customer \(customer) Stores,\(Money(paise: total).plainString),\(Money(paise: paid).plainString),\n"
            if chunk.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(chunk.utf8))
                chunk = ""
            }
        }
        try handle.write(contentsOf: Data(chunk.utf8))
    }

    public func run() throws -> Report {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let csv = folder + "/invoices.csv"
        let databasePath = folder + "/device.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }

        var t0 = monotonicNanos()
        try generate(path: csv)
        let generateSeconds = Double(monotonicNanos() - t0) / 1e9
        output("generated \(invoices) invoices as CSV in \(fmt(generateSeconds, 1)) s")

        // The file side alone: read, split and validate every row, no database.
        t0 = monotonicNanos()
        let dryReader = try InvoiceFileReader(path: csv)
        var rows = 0
        while try dryReader.next() != nil { rows += 1 }
        let readSeconds = Double(monotonicNanos() - t0) / 1e9
        output("read and validated \(rows) rows without the database in \(fmt(readSeconds, 2)) s = \(Int(Double(rows) / readSeconds)) rows/s")

        let database = try AppDatabase(path: databasePath)
        let reader = try InvoiceFileReader(path: csv)
        t0 = monotonicNanos()
        let summary = try database.importInvoices(from: reader)
        let importSeconds = Double(monotonicNanos() - t0) / 1e9
        guard summary.added == invoices, summary.rejected.isEmpty else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "import added \(summary.added), rejected \(summary.rejected.count)"])
        }
        let size = { (path: String) -> Int64 in
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }

        var profile = try DeviceProfile.parse(
            """
            [[payloads.pattern]]
            name = "acme"
            regex = '^ACME\\*(?<invoice>[A-Z0-9/-]+)\\*(?<amount>[0-9]+\\.[0-9]{2})$'
            """, source: folder + "/bench.toml")
        profile.databasePath = databasePath
        let lookup = try InvoiceLookup(profile: profile, database: database)
        let today = LocalDate(year: 2026, month: 11, day: 30)!
        let kinds: [(String, (String) -> (String, String))] = [
            ("plain", { ($0, "code128") }),
            ("respelled", { ($0.lowercased().replacingOccurrences(of: "/", with: "-"), "code39") }),
            ("url", { ("https://pay.acme.in/i?invoice=" + $0.replacingOccurrences(of: "/", with: "%2F"), "qr") }),
            ("gs1", { ("(415)8901234000007(8020)" + $0 + "(3902)100000", "code128") }),
            ("pattern", { ("ACME*" + $0 + "*1000.00", "qr") }),
        ]
        var generator = SystemRandomNumberGenerator()
        var all: [UInt64] = []
        var perKind: [String: [UInt64]] = [:]
        all.reserveCapacity(lookups)
        for round in 0..<lookups {
            let (kind, make) = kinds[round % kinds.count]
            let (payload, symbology) = make(CacheBenchmark.number(Int.random(in: 1...invoices, using: &generator)))
            let start = monotonicNanos()
            let outcome = try lookup.lookup(payload, symbology: symbology, today: today)
            let elapsed = monotonicNanos() - start
            guard case .found = outcome else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "lookup of \(payload) did not find the invoice"])
            }
            all.append(elapsed)
            perKind[kind, default: []].append(elapsed)
        }
        func micros(_ values: [UInt64], _ p: Double) -> Double { percentile(values, p) / 1000 }
        return Report(
            invoices: invoices, generateSeconds: generateSeconds, importSeconds: importSeconds,
            databaseBytes: size(databasePath), walBytes: size(databasePath + "-wal"), lookups: lookups,
            p50Micros: micros(all, 0.5), p99Micros: micros(all, 0.99), maxMicros: Double(all.max() ?? 0) / 1000,
            perKindP99: kinds.map { ($0.0, micros(perKind[$0.0] ?? [0], 0.99)) })
    }

    /// What a daemon holds after opening the cache and answering one lookup (run in a fresh process).
    public static func probeResidentKiB(databasePath: String) throws -> (before: Int, after: Int) {
        let before = DecodeBenchmark.residentKiB()
        var profile = DeviceProfile()
        profile.databasePath = databasePath
        let database = try AppDatabase(path: databasePath)
        let lookup = try InvoiceLookup(profile: profile, database: database)
        _ = try lookup.lookup(number(1), symbology: "code128")
        return (before, DecodeBenchmark.residentKiB())
    }
}
