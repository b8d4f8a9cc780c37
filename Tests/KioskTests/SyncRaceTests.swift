import AsyncHTTPClient
import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import Hub
import HubAPI
import Hummingbird
import InvoiceImport
import NIOCore
import Sync
import Testing

@testable import Kiosk

/// The daemon's sync against a real hub on 127.0.0.1, in the order that raced: the PSP's credit for the QR on
/// screen lowers the invoice at the hub, and a sync round pulls that change before the long-poll has handed
/// the credit to the desk.
@Suite("Kiosk sync with a real hub")
struct SyncRaceTests {
    @Test("a round that pulls an invoice a credit has just paid hands the credit to the desk first: Paid, with a receipt")
    func creditBeforeChange() async throws {
        let fixture = try Fixture()
        let store = try SQLiteHubStore(path: fixture.folder + "/hub.sqlite")
        _ = try store.importInvoices(from: InvoiceFileReader(path: fixture.folder + "/invoices.csv"))
        let secret = "whsec_race"
        var configuration = HubConfiguration(dataDirectory: fixture.folder, providers: [.razorpay(webhookSecret: secret)])
        configuration.port = 0
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: buildRouter(configuration, store: store),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) })
        let server = Task { try await app.run() }
        defer { server.cancel() }
        var port = 0
        for await value in ports {
            port = value
            break
        }
        let url = "http://127.0.0.1:\(port)"
        // The kiosk enrolls with its own receipt key and code, as `fieldpay enroll` does; a depot kiosk sees the whole book.
        let key = try DeviceKey.loadOrCreate(path: fixture.profile.resolvedKeyPath)
        guard
            case .enrolled(let enrolled) = try store.enroll(
                code: try store.createEnrollmentCode(rep: "Ravi", hours: 1), deviceName: "kiosk", publicKey: key.publicKeyBase64,
                deviceCode: fixture.profile.deviceCode)
        else {
            Issue.record("enrollment failed")
            return
        }
        _ = try store.setRep("Ravi", RepSettings(scope: "all"))
        let service = SyncService(database: fixture.database, client: HubClient(baseURL: url, token: "\(enrolled.deviceID).\(enrolled.secret)"))
        _ = try await SyncLoop.round(service, desk: fixture.desk)

        await fixture.desk.scanned("INV/2026-27/000101", symbology: "code128")
        let reference = try #require(await fixture.desk.state().qr?.reference)
        // The payer pays: a signed webhook; the hub credits the invoice (no device payment yet).
        let body = Razorpay.creditEvent(paymentID: "pay_race1", amountPaise: 150_000, utr: "412345678901", reference: reference)
        let response = try await Razorpay.deliver(body, to: url, secret: secret, eventID: "evt_race1")
        #expect(response.status == 200)
        #expect(try store.invoiceOutstanding("INV/2026-27/000101") == .zero)

        // The round comes first; the long-poll's delivery of the same credit comes after it.
        _ = try await SyncLoop.round(service, desk: fixture.desk)
        _ = try await SyncLoop.deliverCredits(service, to: fixture.desk, wait: 0)
        let state = await fixture.desk.state()
        #expect(state.screen == "paid", "\(state.screen): \(state.message ?? "")")
        let receipt = try #require(try fixture.database.receipt(number: "KIOSK1-000001"))
        #expect(receipt.payment.utr == "412345678901")
        #expect(receipt.payment.upiReference == reference)
        // The next round uploads it; the hub ties it to the credit and the invoice stays paid once.
        _ = try await SyncLoop.round(service, desk: fixture.desk)
        #expect(try fixture.database.outbox().isEmpty)
        #expect(try store.invoiceOutstanding("INV/2026-27/000101") == .zero)
        #expect(try store.paymentCount() == 1)
    }
}
