import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let hubBinary = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("fieldpay-hub").path

func hub(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: hubBinary)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// True once something accepts TCP connections on 127.0.0.1:`port`.
func listening(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

@Suite("Hub and device end to end, over loopback")
struct HubEndToEndTests {
    @Test("start the hub, enroll a device, sync the invoices, pay by UPI, a signed PSP webhook confirms it on both sides")
    func endToEnd() throws {
        let data = NSTemporaryDirectory() + "fieldpay-hubdata-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(try hub(["invoices", "import", repository + "/samples/invoices.csv", "--data", data]).status == 0)
        let code = try hub(["devices", "enroll", "--rep", "Ravi", "--scope", "all", "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code.count == 19)

        let server = try HubServer(data: data)
        defer { server.stop() }
        let url = server.url

        let device = PaymentDevice(invoices: "invoice_number,invoice_date,due_date,customer_name,total\n")
        let enrolled = try device.run(["enroll", "--hub", url, "--code", code])
        #expect(enrolled.status == 0 && enrolled.stdout.contains("for Ravi"), "\(enrolled.stderr)")
        let again = try device.run(["enroll", "--hub", url, "--code", code])
        #expect(again.status == 2 && again.stderr.contains("already used"))

        let doctor = try device.run(["doctor", "--no-camera"])
        #expect(doctor.status == 0 && doctor.stdout.contains("ok    hub      \(url): answered in") && doctor.stdout.contains("credentials accepted"), "\(doctor.stdout)")
        let first = try device.run(["sync", "--once"])
        #expect(first.status == 0 && first.stdout.contains("10 invoice changes pulled"), "\(first.stdout) \(first.stderr)")
        #expect(try device.run(["lookup", "INV/2026-27/004512"]).stdout.contains("outstanding ₹15,110.00"))

        let pay = try device.run(["pay", "--invoice", "INV/2026-27/004512", "--amount", "15110", "--upi", "--reference", "TEST01INV202627004512ABCDEF", "--json"])
        #expect(pay.status == 0, "\(pay.stderr)")
        let second = try device.run(["sync", "--once"])
        #expect(second.stdout.contains("1 payments uploaded"), "\(second.stdout) \(second.stderr)")
        #expect(try device.run(["queue"]).status == 4)

        let credit = try hub(["fake-psp", "--hub", url, "--secret", "whsec_e2e", "--tr", "TEST01INV202627004512ABCDEF", "--amount", "15110.00", "--utr", "412345678901"])
        #expect(credit.status == 0 && credit.stdout.contains("confirmed-payment"), "\(credit.stdout) \(credit.stderr)")
        let forged = try hub(["fake-psp", "--hub", url, "--secret", "not-the-secret", "--tr", "TEST01INV202627004512ABCDEF", "--amount", "1.00"])
        #expect(forged.status != 0 && forged.stdout.contains("401"))

        let third = try device.run(["sync", "--once"])
        #expect(third.stdout.contains("1 UPI confirmed"), "\(third.stdout) \(third.stderr)")
        let receipts = try device.run(["receipts", "list", "--json"])
        #expect(receipts.stdout.contains("\"status\":\"confirmed\"") && receipts.stdout.contains("\"utr\":\"412345678901\""), "\(receipts.stdout)")
        #expect(try device.run(["lookup", "INV/2026-27/004512"]).stdout.contains("outstanding ₹0.00"))
        // The hub's side: the invoice is paid, the payment confirmed with its UTR; both books are the same.
        #expect(try hub(["invoices", "list", "--invoice", "INV/2026-27/004512", "--data", data]).stdout.contains("\tpaid"))
        #expect(try hub(["payments", "--data", data]).stdout.contains("TEST01-000001\tupi\t₹15,110.00\tconfirmed\tUTR 412345678901"))
        #expect(try device.run(["invoices", "digest"]).stdout == hub(["invoices", "digest", "--data", data]).stdout)

        // A UPI payment confirmed on the device by the payer's UTR: the UTR follows the payment to the hub.
        let upi = try device.run(["pay", "--invoice", "INV/2026-27/004513", "--amount", "8240.50", "--upi"])
        #expect(upi.status == 0)
        #expect(try device.run(["sync", "--once"]).stdout.contains("1 payments uploaded"))
        #expect(try device.run(["receipts", "confirm", "TEST01-000002", "--utr", "498765432109"]).status == 0)
        let fourth = try device.run(["sync", "--once"])
        #expect(fourth.stdout.contains("1 payments uploaded"), "\(fourth.stdout) \(fourth.stderr)")  // the UTR entry
        #expect(try device.run(["queue"]).status == 4)

        // A running `fieldpay sync` hears of a credit from the hub's event stream, without waiting for a round.
        #expect(try device.run(["pay", "--invoice", "INV/2026-27/004401", "--amount", "1210", "--upi", "--reference", "TEST01INV202627004401ABCDEF"]).status == 0)
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: binary)
        listener.arguments = ["sync", "--interval", "3600", "--profile", device.profile]
        let log = device.folder + "/sync.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        listener.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer {
            listener.terminate()
            listener.waitUntilExit()
        }
        for _ in 0..<100 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("payments uploaded") { usleep(100_000) }
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("1 payments uploaded"))
        usleep(300_000)  // the long-poll is parked at the hub
        #expect(try hub(["fake-psp", "--hub", url, "--secret", "whsec_e2e", "--tr", "TEST01INV202627004401ABCDEF", "--amount", "1210.00", "--utr", "412345678902"]).status == 0)
        var heard = false
        for _ in 0..<100 where !heard {  // up to 10 s; it takes milliseconds
            heard = try device.run(["receipts", "list", "--json"]).stdout.contains("\"utr\":\"412345678902\"")
            if !heard { usleep(100_000) }
        }
        #expect(heard, "the running sync did not hear of the credit: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("events: 1 confirmation from the hub"))

        // Refunded at the hub: the payment reversed with its reason, the invoice owed again; twice, or unknown, refused.
        let reversed = try hub(["payments", "reverse", "TEST01-000001", "--reason", "refunded to the payer", "--data", data])
        #expect(reversed.status == 0 && reversed.stdout.contains("INV/2026-27/004512 owes ₹15,110.00 again"), "\(reversed.stdout) \(reversed.stderr)")
        #expect(try hub(["payments", "reverse", "TEST01-000001", "--reason", "again", "--data", data]).status == 3)
        #expect(try hub(["payments", "reverse", "TEST01-999999", "--reason", "no such", "--data", data]).status == 4)
        #expect(try hub(["payments", "list", "--data", data]).stdout.contains("TEST01-000001\tupi\t₹15,110.00\tconfirmed, reversed"))
        #expect(try !hub(["invoices", "list", "--invoice", "INV/2026-27/004512", "--data", data]).stdout.contains("\tpaid"))

        // Revoked at the hub: doctor says so, and fails.
        let deviceID = try #require(enrolled.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
        #expect(try hub(["devices", "revoke", deviceID, "--data", data]).status == 0)
        let revoked = try device.run(["doctor", "--no-camera"])
        #expect(revoked.status == 3 && revoked.stdout.contains("FAIL  hub") && revoked.stdout.contains("revoked"), "\(revoked.stdout)")
    }
}
