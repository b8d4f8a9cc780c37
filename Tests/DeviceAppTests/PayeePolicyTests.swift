import DeviceStore
import FieldPayCore
import Foundation
import InvoiceImport
import Testing
import UPI

@testable import DeviceApp

/// The feed can name an invoice's payee; only the merchant's own UPI address and the profile's
/// `[upi] allowed_payees` may ever reach a QR.
@Suite("Payees an invoice may name")
struct PayeePolicyTests {
    static let profileText = """
        [device]
        timezone = "UTC"
        [upi]
        vpa = "shop@okhdfcbank"
        name = "Shop"
        allowed_payees = ["Branch2@OKSBI"]
        """

    /// A desk over a database holding one invoice per payee (none: the merchant's).
    func desk(_ payees: [String?]) throws -> (PaymentDesk, AppDatabase, String) {
        let folder = NSTemporaryDirectory() + "fieldpay-payees-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var csv = "invoice_number,invoice_date,due_date,customer,total,payee_vpa\n"
        for (index, payee) in payees.enumerated() { csv += "INV-\(index),2026-10-01,2026-10-31,Rao,700,\(payee ?? "")\n" }
        try csv.write(toFile: folder + "/i.csv", atomically: true, encoding: .utf8)
        var profile = try DeviceProfile.parse(Self.profileText, source: folder + "/p.toml")
        profile.databasePath = folder + "/d.sqlite"
        let database = try AppDatabase(path: profile.databasePath)
        _ = try database.importInvoices(from: InvoiceFileReader(path: folder + "/i.csv"))  // no policy: the store takes them all
        return (PaymentDesk(profile: profile, database: database), database, folder)
    }

    @Test("the profile reads allowed_payees; the merchant's address is always allowed, in any case")
    func policy() throws {
        let profile = try DeviceProfile.parse(Self.profileText, source: "p.toml")
        let policy = try #require(profile.upi?.payees)
        #expect(policy.allows("shop@okhdfcbank") && policy.allows("SHOP@okhdfcbank") && policy.allows("branch2@oksbi"))
        #expect(!policy.allows("thief@ybl"))
    }

    @Test("no QR is made for an invoice whose payee the profile does not allow; the allowed ones pay their payee")
    func noQRForAForeignPayee() throws {
        let (desk, database, folder) = try desk([nil, "branch2@oksbi", "thief@ybl"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func cached(_ number: String) throws -> CachedInvoice {
            guard case .found(let cached) = try database.invoice(matching: InvoiceRef(source: .plain, invoiceNumber: number)) else {
                throw CancellationError()  // not cached: the test's own mistake
            }
            return cached
        }
        #expect(try desk.paymentRequest(for: cached("INV-0")).payeeVPA == "shop@okhdfcbank")
        #expect(try desk.paymentRequest(for: cached("INV-1")).payeeVPA == "branch2@oksbi")
        let error = #expect(throws: UPIError.self) { try desk.paymentRequest(for: cached("INV-2")) }
        #expect(error?.code == .payeeNotAllowed)
        #expect(error?.message.contains("thief@ybl") == true && error?.message.contains("allowed_payees") == true)
    }

    @Test("an import refuses, line by line, the invoices that name a payee the profile does not allow")
    func importRefuses() throws {
        let folder = NSTemporaryDirectory() + "fieldpay-payees-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            invoice_number,invoice_date,due_date,customer,total,payee_vpa
            INV-1,2026-10-01,2026-10-31,Rao,700,
            INV-2,2026-10-01,2026-10-31,Rao,700,thief@ybl
            INV-3,2026-10-01,2026-10-31,Rao,700,branch2@oksbi
            """.write(toFile: folder + "/i.csv", atomically: true, encoding: .utf8)
        let profile = try DeviceProfile.parse(Self.profileText, source: "p.toml")
        let database = try AppDatabase(path: folder + "/d.sqlite")
        let summary = try database.importInvoices(from: InvoiceFileReader(path: folder + "/i.csv"), payees: profile.upi?.payees)
        #expect(summary.rejected.map(\.line) == [3])
        #expect(summary.rejected.first?.reason.contains("thief@ybl") == true)
        #expect(Set(try database.invoices().map(\.invoice.number)) == ["INV-1", "INV-3"])
    }
}
