import FieldPayCore
import Foundation
import GRDB
import Hub
import HubAPI

struct CollectionsBenchmarkError: Error, CustomStringConvertible {
    var description: String { "the reassigned invoice did not reach its rep's device" }
}

/// The managers' reports on a distributor-sized book in the hub's SQLite: `invoices` invoices of
/// `customers` customers over the past year, `reps` reps with a device each, `payments` payments (each
/// lowering one or two invoices, through the allocation ledger). The book is written straight into the
/// hub's tables (the upload path is measured by `bench payments` and `bench sync`), then the reports are
/// timed through `SQLiteHubStore`, as the HTTP handlers call them.
public struct CollectionsBenchmark: Sendable {
    public struct Timing: Sendable {
        public var name: String
        public var millis: [Double]
        public var target: String

        public func percentile(_ p: Double) -> Double { FieldPayBench.percentile(millis, p) }
    }

    public struct Report: Sendable {
        public var invoices = 0
        public var customers = 0
        public var reps = 0
        public var payments = 0
        public var allocations = 0
        public var loadSeconds = 0.0
        public var databaseBytes: Int64 = 0
        public var timings: [Timing] = []
        /// Aging totals as of today equal the outstanding over live invoices.
        public var reconciles = false
    }

    public let folder: String
    public let invoices: Int
    public let customers: Int
    public let reps: Int
    public let payments: Int
    public let samples: Int

    public init(folder: String, invoices: Int, customers: Int, reps: Int, payments: Int, samples: Int) {
        self.folder = folder
        self.invoices = invoices
        self.customers = customers
        self.reps = reps
        self.payments = payments
        self.samples = samples
    }

    static func millis(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e6 }

    /// Writes the book: invoices dated over the 365 days to `today`, due 15/30/45 days later; payments
    /// recorded between an invoice's date and today, cash, cheque and UPI.
    func load(_ path: String, today: LocalDate, progress: (String) -> Void) throws -> (payments: Int, allocations: Int) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        var random = SeededRandom(seed: 20_261_130)
        func next() -> UInt64 { random.next() }
        let regions = (0..<max(1, reps / 10)).map { "Region \($0)" }
        try queue.write { db in
            let customer = try db.makeStatement(sql: "INSERT INTO customer (code, name, region, phone) VALUES (?, ?, ?, NULL)")
            for c in 0..<customers {
                try customer.execute(arguments: ["C\(c)", "Customer \(c)", regions[c % regions.count]])
            }
            let device = try db.makeStatement(sql: "INSERT INTO device (id, name, rep, secretHash, enrolledAt) VALUES (?, ?, ?, 'x', 0)")
            for r in 0..<reps { try device.execute(arguments: ["dev_\(r)", "handheld \(r)", "Rep \(r)"]) }
        }
        progress("\(customers) customers and \(reps) reps written")
        var paymentCount = 0
        var allocationCount = 0
        let methods = ["cash", "cheque", "upi"]
        let perInvoice = Double(payments) / Double(invoices)
        let chunk = 50_000
        for start in stride(from: 0, to: invoices, by: chunk) {
            try queue.write { db in
                let invoice = try db.makeStatement(
                    sql: """
                        INSERT INTO invoice (number, numberKey, customerCode, customerName, invoiceDate, dueDate, totalPaise, outstandingPaise, deleted, version)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                        """)
                let payment = try db.makeStatement(
                    sql: """
                        INSERT INTO payment (id, deviceId, bodyHash, receiptNumber, method, amountPaise, status, flagged, body, receivedAt, recordedAt, customerCode)
                        VALUES (?, ?, '', ?, ?, ?, 'received', 0, '{}', ?, ?, ?)
                        """)
                let allocation = try db.makeStatement(
                    sql: "INSERT INTO allocation (invoiceNumber, paise, at, kind, paymentId) VALUES (?, ?, ?, 'payment', ?)")
                for i in start..<min(invoices, start + chunk) {
                    let c = Int(next() % UInt64(customers))
                    let date = today.adding(days: -Int(next() % 365))
                    let due = date.adding(days: [15, 30, 45][Int(next() % 3)])
                    let total = Int64(10_000 + next() % 5_000_000)
                    let number = "INV/\(i)"
                    // How many payments this invoice gets: the mean is payments ÷ invoices.
                    var count = Int(perInvoice)
                    if Double(next() % 1000) / 1000 < perInvoice - Double(count) { count += 1 }
                    if paymentCount + count > payments { count = max(0, payments - paymentCount) }
                    var outstanding = total
                    let span = max(1, date.days(until: today))
                    for k in 0..<count {
                        // The last payment of three in four invoices settles them; the rest pay part.
                        let settle = k == count - 1 && next() % 4 != 0
                        let part = settle ? outstanding : max(1, outstanding / Int64(2 + next() % 3))
                        guard part > 0 else { break }
                        outstanding -= part
                        let day = date.adding(days: Int(next() % UInt64(span)))
                        let at = (Int64(day.dayNumber) * 86_400_000) + Int64(next() % 43_200_000) + 10_800_000
                        let rep = Int(next() % UInt64(reps))
                        let id = "pay_\(paymentCount)"
                        try payment.execute(arguments: [id, "dev_\(rep)", "R\(paymentCount)", methods[paymentCount % 3], part, at, at, "C\(c)"])
                        try allocation.execute(arguments: [number, part, at, id])
                        paymentCount += 1
                        allocationCount += 1
                    }
                    try invoice.execute(arguments: [
                        number, "INV\(i)", "C\(c)", "Customer \(c)", date.dayNumber, due.dayNumber, total, outstanding, Int64(i + 1),
                    ])
                }
            }
            progress("\(min(invoices, start + chunk)) invoices, \(paymentCount) payments written")
        }
        // Every open overdue invoice allocated to a rep (as the rules would), and each rep's devices set to
        // receive only what is assigned to them.
        try queue.write { db in
            try db.execute(sql: "UPDATE counter SET value = ? WHERE name = 'version'", arguments: [Int64(invoices)])
            for r in 0..<reps { try db.execute(sql: "INSERT OR IGNORE INTO rep (name, scope) VALUES (?, 'assigned')", arguments: ["Rep \(r)"]) }
            try db.execute(
                sql: "UPDATE invoice SET assignedRep = 'Rep ' || (abs(random()) % ?), assignedHow = 'rule' WHERE outstandingPaise > 0 AND dueDate < ?",
                arguments: [reps, today.dayNumber])
            try db.execute(sql: "ANALYZE")
        }
        progress("overdue invoices allocated to the reps")
        return (paymentCount, allocationCount)
    }

    public func run(progress: @escaping @Sendable (String) -> Void) throws -> Report {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/hub.sqlite"
        var report = Report()
        report.invoices = invoices
        report.customers = customers
        report.reps = reps
        let today = LocalDate.today()
        do { _ = try SQLiteHubStore(path: path) }  // the schema, by the hub's own migrations
        let started = monotonicNanos()
        let (paid, allocated) = try load(path, today: today, progress: progress)
        report.payments = paid
        report.allocations = allocated
        report.loadSeconds = Self.millis(since: started) / 1000
        report.databaseBytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int64) ?? 0
        let store = try SQLiteHubStore(path: path)

        func time(_ name: String, target: String, runs: Int, _ body: (Int) throws -> Void) throws {
            var millis: [Double] = []
            for run in 0..<runs {
                let start = monotonicNanos()
                try body(run)
                millis.append(Self.millis(since: start))
            }
            report.timings.append(Timing(name: name, millis: millis, target: target))
            progress("\(name): p50 \(String(format: "%.1f", report.timings.last!.percentile(0.5))) ms")
        }
        var random = SystemRandomNumberGenerator()
        let full = max(3, samples / 100)
        try time("aging, all customers, as of today", target: "< 2 s", runs: full) { _ in _ = try store.aging(asOf: today) }
        try time("aging, all customers, as of 90 days ago", target: "< 2 s", runs: full) { _ in _ = try store.aging(asOf: today.adding(days: -90)) }
        try time("aging, one customer with its invoices", target: "< 50 ms", runs: samples) { _ in
            _ = try store.customerAging("C\(Int.random(in: 0..<customers, using: &random))", asOf: today)
        }
        try time("customer history", target: "< 20 ms", runs: samples) { _ in
            _ = try store.customerHistory("C\(Int.random(in: 0..<customers, using: &random))")
        }
        try time("collection register, a month", target: "–", runs: full) { _ in
            _ = try store.register(from: today.adding(days: -30), to: today)
        }
        try time("DSO, a quarter", target: "–", runs: full) { _ in _ = try store.dso(from: today.adding(days: -90), to: today) }
        try time("productivity and to-collect vs collected, a month", target: "–", runs: full) { _ in
            _ = try store.productivity(from: today.adding(days: -30), to: today)
        }
        try time("a rep's day sheet", target: "–", runs: samples) { _ in
            _ = try store.daySheet(rep: "Rep \(Int.random(in: 0..<reps, using: &random))", day: today.adding(days: -Int.random(in: 0..<30, using: &random)))
        }
        try time("a rep's device, first pull of its assigned invoices (pages of 5,000)", target: "–", runs: 3) { run in
            var cursor: Int64 = 0
            while true {
                let page = try store.changes(after: cursor, limit: 5000, deviceID: "dev_\(run)")
                cursor = Int64(page.nextCursor)!
                if !page.more { break }
            }
        }
        // The cursor each device reached, then one invoice reassigned to its rep: the next pull.
        let cursors = try (0..<3).map { run in
            var cursor: Int64 = 0
            while true {
                let page = try store.changes(after: cursor, limit: 5000, deviceID: "dev_\(run)")
                cursor = Int64(page.nextCursor)!
                if !page.more { return String(cursor) }
            }
        }
        try time("a rep's device, the pull after an invoice is reassigned to it", target: "–", runs: 3) { run in
            _ = try store.assign(["INV/\(run + 10)"], to: "Rep \(run)", actor: "bench", reason: nil)
            let page = try store.changes(after: Int64(cursors[run])!, limit: 5000, deviceID: "dev_\(run)")
            guard page.changes.contains(where: { $0.number == "INV/\(run + 10)" }) else { throw CollectionsBenchmarkError() }
        }
        let aging = try store.aging(asOf: today, perPage: 1)
        let outstanding = try DatabaseQueue(path: path).read { db in
            try Int64.fetchOne(db, sql: "SELECT SUM(outstandingPaise) FROM invoice WHERE deleted = 0") ?? 0
        }
        report.reconciles = (try? Money(parsing: aging.totals.outstanding).paise) == outstanding
        return report
    }
}
