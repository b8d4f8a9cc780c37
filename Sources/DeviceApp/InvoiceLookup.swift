import DeviceStore
import FieldPayCore
import Foundation
import InvoiceCodes

/// From a scanned payload to the invoice on screen: parse with the profile's rules, find it in the cache,
/// age it by the device's date.
public struct InvoiceLookup: Sendable {
    public enum Outcome: Sendable {
        case found(ref: InvoiceRef, invoice: CachedInvoice, aging: Aging)
        /// An invoice code, but the cache does not hold that invoice (not yet synced, or another distributor's).
        case notCached(ref: InvoiceRef)
        case ambiguous(ref: InvoiceRef, candidates: [CachedInvoice])
        /// Not an invoice code, or a broken or forged one.
        case rejected(PayloadError)
    }

    public let parser: InvoiceCodeParser
    public let database: AppDatabase
    public let timeZone: TimeZone

    public init(profile: DeviceProfile, database: AppDatabase) throws(PayloadError) {
        parser = try InvoiceCodeParser(rules: profile.payloadRules)
        self.database = database
        timeZone = profile.timeZone
    }

    /// `today` defaults to the device clock's date in the profile's zone.
    public func lookup(_ payload: String, symbology: String? = nil, today: LocalDate? = nil) throws(StoreError) -> Outcome {
        let date = today ?? LocalDate.today(in: timeZone)
        let ref: InvoiceRef
        do { ref = try parser.parse(payload, symbology: symbology, today: date) } catch { return .rejected(error) }
        switch try database.invoice(matching: ref) {
        case .found(let cached): return .found(ref: ref, invoice: cached, aging: cached.invoice.aging(today: date))
        case .notFound: return .notCached(ref: ref)
        case .ambiguous(let candidates): return .ambiguous(ref: ref, candidates: candidates)
        }
    }
}

/// The JSON form of an invoice for `--json` output and, later, the kiosk.
public struct InvoiceView: Codable, Sendable, Equatable {
    public var number: String
    public var customerCode: String
    public var customerName: String
    public var invoiceDate: String
    public var dueDate: String
    public var daysOverdue: Int
    public var agingBucket: String
    public var total: String
    public var paid: String
    public var outstanding: String
    public var currency = "INR"
    public var buyerGstin: String?
    public var irn: String?

    public init(_ cached: CachedInvoice, aging: Aging) {
        number = cached.invoice.number
        customerCode = cached.customer.code
        customerName = cached.customer.name
        invoiceDate = cached.invoice.invoiceDate.isoString
        dueDate = cached.invoice.dueDate.isoString
        daysOverdue = max(0, aging.daysPastDue)
        agingBucket = aging.bucket.rawValue
        total = cached.invoice.total.plainString
        paid = cached.invoice.paid.plainString
        outstanding = cached.invoice.outstanding.plainString
        buyerGstin = cached.invoice.buyerGstin?.value
        irn = cached.invoice.irn
    }

    enum CodingKeys: String, CodingKey {
        case number, currency, total, paid, outstanding, irn
        case customerCode = "customer_code", customerName = "customer_name", invoiceDate = "invoice_date"
        case dueDate = "due_date", daysOverdue = "days_overdue", agingBucket = "aging_bucket", buyerGstin = "buyer_gstin"
    }
}
