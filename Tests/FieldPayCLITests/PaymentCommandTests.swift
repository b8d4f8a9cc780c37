import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A device folder with the demo profile's settings but its own database and key.
final class PaymentDevice {
    let folder = NSTemporaryDirectory() + "fieldpay-pay-\(UUID().uuidString)"
    var profile: String { folder + "/device.toml" }
    let storeFolder: String?
    var database: String { (storeFolder ?? folder) + "/device.sqlite" }

    init(storeFolder: String? = nil, invoices: String = "invoice_number,invoice_date,due_date,customer_code,customer_name,total\nINV/1,2026-10-01,2026-10-31,C1,Sharma Stores,15110.00\nINV/2,2026-10-01,2026-10-31,C1,Sharma Stores,500.00\nBIG/1,2026-10-01,2026-10-31,C2,Big Buyer,10000000.00\n") {
        self.storeFolder = storeFolder
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = storeFolder ?? folder
        let text = """
            [device]
            code = "TEST01"
            [store]
            path = "\(store)/device.sqlite"
            [receipts]
            key = "\(folder)/device.key"
            [upi]
            vpa = "acme.traders@okhdfcbank"
            name = "Acme Distributors"
            merchant_code = "5411"
            limit = "100000.00"
            """
        try! text.write(toFile: profile, atomically: true, encoding: .utf8)
        let csv = folder + "/invoices.csv"
        try! invoices.write(toFile: csv, atomically: true, encoding: .utf8)
        let run = try! fieldpay(["invoices", "import", csv, "--profile", profile])
        precondition(run.status == 0, run.stderr)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func run(_ arguments: [String]) throws -> Run { try fieldpay(arguments + ["--profile", profile]) }
}

@Suite("fieldpay qr, pay, receipts, queue")
struct PaymentCommandTests {
    @Test("the QR written as PNG scans back to the right upi:// link")
    func qrRoundTrip() throws {
        let device = PaymentDevice()
        let png = device.folder + "/qr.png"
        let run = try device.run(["qr", "--invoice", "INV/1", "--out", png])
        #expect(run.status == 0, "\(run.stderr)")
        let uri = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        #expect(uri.hasPrefix("upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Distributors&mc=5411&tr=TEST01INV1"))
        #expect(uri.contains("&am=15110.00&cu=INR&invoiceNo=INV%2F1&invoiceDate=2026-10-01"))
        let scan = try fieldpay(["scan", "--raw", png])
        #expect(scan.stdout == uri + "\n")
    }

    @Test("QR refusals: more than outstanding, over the UPI limit, a paid invoice", arguments: [
        (["--invoice", "INV/1", "--amount", "15110.01"], "upi.amount-over-outstanding"),
        (["--invoice", "BIG/1"], "upi.amount-over-limit"), (["--invoice", "INV/1", "--amount", "0"], "upi.amount-not-positive"),
    ])
    func qrRefusals(arguments: [String], code: String) throws {
        let device = PaymentDevice()
        let run = try device.run(["qr"] + arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(code), "\(run.stderr)")
    }

    @Test("cash, cheque and UPI payments print signed receipts that verify; an altered one does not")
    func payAndVerify() throws {
        let device = PaymentDevice()
        let cash = try device.run(["pay", "--invoice", "INV/1", "--amount", "5000", "--cash"])
        #expect(cash.status == 0, "\(cash.stderr)")
        #expect(cash.stdout.contains("RECEIPT TEST01-000001"))
        #expect(cash.stdout.contains("invoice INV/1: ₹5,000.00 paid, ₹10,110.00 still due"))
        let cheque = try device.run(["pay", "--invoice", "INV/1", "--amount", "110", "--cheque", "004512", "--bank", "HDFC Bank", "--cheque-date", "2026-12-05"])
        #expect(cheque.stdout.contains("by cheque 004512, HDFC Bank, dated 05/12/2026"))
        let upi = try device.run(["pay", "--invoice", "INV/1", "--invoice", "INV/2", "--amount", "10500", "--upi", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(upi.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "awaiting-confirmation")
        #expect(object["receipt_number"] as? String == "TEST01-000003")
        let verification = try #require(object["verification"] as? String)

        let valid = try device.run(["receipts", "verify", verification])
        #expect(valid.status == 0 && valid.stdout.hasPrefix("VALID: receipt TEST01-000003, ₹10,500.00 by upi"))
        let altered = verification.replacingOccurrences(of: "|1050000|", with: "|1150000|")
        #expect(try device.run(["receipts", "verify", altered]).status == 1)

        // The printable SVG receipt and the PNG QR verify too, with the public key given explicitly.
        let svg = device.folder + "/r.svg"
        let png = device.folder + "/r.png"
        #expect(try device.run(["receipts", "show", "TEST01-000001", "--out", svg]).status == 0)
        #expect(try device.run(["receipts", "show", "TEST01-000001", "--out", png]).status == 0)
        let publicKey = try String(contentsOfFile: device.folder + "/device.key.pub", encoding: .utf8)
        for file in [svg, png] {
            let run = try fieldpay(["receipts", "verify", file, "--public-key", publicKey.trimmingCharacters(in: .whitespacesAndNewlines)])
            #expect(run.status == 0 && run.stdout.contains("VALID: receipt TEST01-000001"), "\(file): \(run.stdout) \(run.stderr)")
        }
        // Another device's key does not verify it.
        let other = PaymentDevice()
        _ = try other.run(["receipts", "key"])
        #expect(try other.run(["receipts", "verify", verification]).status == 1)

        let key = device.folder + "/device.key"
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let queue = try device.run(["queue"])
        #expect(queue.stdout.contains("3 waiting for the hub"))
        let confirm = try device.run(["receipts", "confirm", "TEST01-000003", "--utr", "412345678901"])
        #expect(confirm.status == 0)
        #expect(try device.run(["queue"]).stdout.contains("4 waiting for the hub"))
    }

    @Test("payment refusals name the reason and record nothing", arguments: [
        (["--invoice", "INV/2", "--amount", "600", "--cash"], Int32(2), "ledger.overpayment"),
        (["--invoice", "NOPE", "--amount", "1", "--cash"], 4, "ledger.invoice-not-found"),
        (["--invoice", "INV/1", "--amount", "1", "--cheque", "1"], 64, "a cheque needs --bank"),
        (["--invoice", "INV/1", "--amount", "1", "--cash", "--upi"], 64, "exactly one of"),
        (["--invoice", "INV/1", "--amount", "1", "--upi", "--utr", "12"], 64, "12-digit"),
    ])
    func payRefusals(arguments: [String], status: Int32, fragment: String) throws {
        let device = PaymentDevice()
        let run = try device.run(["pay"] + arguments)
        #expect(run.status == status)
        #expect(run.stderr.contains(fragment), "\(run.stderr)")
        #expect(!run.stdout.contains("RECEIPT"))
        #expect(try device.run(["queue"]).status == 4)
    }

    @Test("a device key others can read is refused, as ssh does")
    func keyPermissions() throws {
        let device = PaymentDevice()
        #expect(try device.run(["receipts", "key"]).status == 0)
        chmod(device.folder + "/device.key", 0o644)
        let run = try device.run(["pay", "--invoice", "INV/1", "--amount", "1", "--cash"])
        #expect(run.status == 6)
        #expect(run.stderr.contains("key.too-open"))
    }
}

@Suite("Ledger under SIGKILL")
struct LedgerCrashTests {
    @Test("payments recorded in a loop and killed at random moments, 200 times: every acknowledged payment is there once, receipt numbers have no gap, the outbox matches")
    func killedRepeatedly() throws {
        let device = PaymentDevice()
        var acknowledged: [String: String] = [:]  // payment id → receipt number
        var killedMidway = 0
        var generator = SystemRandomNumberGenerator()
        let deadline = Date().addingTimeInterval(120)
        for _ in 0..<200 where Date() < deadline {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["ledger-torture", "--invoice", "BIG/1", "--profile", device.profile]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...120_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(!text.contains("CHECK FAIL"), "\(text.split(separator: "\n").first ?? "")")
            if text.contains("CHECK FAIL") { break }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() where line.hasPrefix("ACK ") {
                let parts = line.split(separator: " ")
                guard parts.count == 3 else { continue }
                #expect(acknowledged[String(parts[2])] == nil, "payment \(parts[2]) acknowledged twice")
                acknowledged[String(parts[2])] = String(parts[1])
            }
        }
        #expect(killedMidway >= 100, "only \(killedMidway) runs were killed mid-way")
        #expect(acknowledged.count > 50, "too few payments to prove anything: \(acknowledged.count)")

        let database = try AppDatabase(path: device.database)
        let counts = try database.ledgerCounts()
        #expect(counts.payments == Int(counts.maxSequence), "receipt numbers have a gap")
        #expect(counts.distinctSequences == counts.payments)
        #expect(counts.paymentOutboxRows == counts.payments, "the outbox does not match the payments")
        let stored = try database.receipts(limit: 1_000_000)
        var byID: [String: String] = [:]
        for receipt in stored { byID[receipt.payment.id.uuidString.lowercased()] = receipt.payment.receiptNumber }
        #expect(byID.count == stored.count)
        for (id, number) in acknowledged {
            #expect(byID[id] == number, "acknowledged payment \(id) (\(number)) is missing or renumbered")
        }
        print("ledger crash test: \(killedMidway) kills mid-way, \(acknowledged.count) payments acknowledged, \(stored.count) stored")
        // At most the one payment in flight at each kill was stored without being acknowledged.
        #expect(stored.count - acknowledged.count <= killedMidway)
        guard case .found(let big) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "BIG/1")) else {
            Issue.record("BIG/1 missing")
            return
        }
        #expect(big.invoice.outstanding == Money(rupees: 10_000_000) - Money(rupees: Int64(stored.count)))
    }
}

/// Mounts a tmpfs of `size` at a fresh folder; nil when this machine does not let us (not root, no mount).
func mountSmallFileSystem(size: String) -> String? {
    let point = NSTemporaryDirectory() + "fieldpay-full-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/mount")
    process.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", point]
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus == 0 ? point : nil
}

func unmount(_ point: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/umount")
    process.arguments = [point]
    try? process.run()
    process.waitUntilExit()
    try? FileManager.default.removeItem(atPath: point)
}

let canMountSmallFileSystem: Bool = {
    guard geteuid() == 0, let point = mountSmallFileSystem(size: "64k") else { return false }
    unmount(point)
    return true
}()

@Suite("Ledger on a full disk")
struct FullDiskTests {
    @Test(
        "on a full disk pay fails loudly, prints no receipt and records nothing; the next payment has the next number",
        .enabled(if: canMountSmallFileSystem, "needs root to mount a small tmpfs"))
    func diskFull() throws {
        let point = try #require(mountSmallFileSystem(size: "2m"))
        defer { unmount(point) }
        let device = PaymentDevice(storeFolder: point)
        let first = try device.run(["pay", "--invoice", "INV/1", "--amount", "100", "--cash"])
        #expect(first.status == 0, "\(first.stderr)")

        // Fill what is left of the file system.
        let filler = point + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
        let chunk = [UInt8](repeating: 0, count: 4096)
        var written = 0
        while written < 8 << 20 {
            let result = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if result <= 0 { break }
            written += result
        }
        close(fd)
        #expect(written < 8 << 20, "the file system never filled up")

        for attempt in 0..<3 {
            let run = try device.run(["pay", "--invoice", "INV/1", "--amount", "\(200 + attempt)", "--cash"])
            #expect(run.status == 6, "attempt \(attempt): \(run.stdout) \(run.stderr)")
            #expect(run.stderr.contains("disk is full") || run.stderr.contains("store."), "\(run.stderr)")
            #expect(run.stderr.contains("nothing was"))
            #expect(!run.stdout.contains("RECEIPT"))
        }
        try FileManager.default.removeItem(atPath: filler)

        let database = try AppDatabase(path: device.database)
        let counts = try database.ledgerCounts()
        #expect(counts.payments == 1 && counts.maxSequence == 1 && counts.paymentOutboxRows == 1, "\(counts)")
        guard case .found(let invoice) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: "INV/1")) else {
            Issue.record("INV/1 missing: \(try database.cacheCounts())")
            return
        }
        #expect(invoice.invoice.outstanding == Money(rupees: 15_010))
        let next = try device.run(["pay", "--invoice", "INV/1", "--amount", "10", "--cash"])
        #expect(next.status == 0 && next.stdout.contains("RECEIPT TEST01-000002"), "\(next.stderr)")
    }
}
