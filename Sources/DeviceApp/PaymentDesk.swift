import DeviceStore
import FieldPayCore
import Foundation
import QRRender
import Synchronization
import UPI

/// The payment side of a session: the QR for an invoice, and recording what the customer paid.
public struct PaymentDesk: Sendable {
    public let profile: DeviceProfile
    public let database: AppDatabase
    /// The device key, read (or made) at the first payment and kept; copies of this desk share it.
    private let key = KeyHolder()

    public init(profile: DeviceProfile, database: AppDatabase) {
        self.profile = profile
        self.database = database
    }

    /// The UPI request for `amount` (default: all that is outstanding) of an invoice. Refuses a paid invoice,
    /// an amount that is not positive or is more than what is owed, and one above the UPI limit.
    public func paymentRequest(for cached: CachedInvoice, amount: Money? = nil, now: Date = Date()) throws(UPIError) -> UPIPaymentRequest {
        guard let upi = profile.upi else {
            throw UPIError(.noMerchant, "")
        }
        let invoice = cached.invoice
        guard invoice.outstanding.isPositive else {
            throw UPIError(.invoicePaid, invoice.number)
        }
        let due = amount ?? invoice.outstanding
        if due > invoice.outstanding {
            throw UPIError(.amountOverOutstanding, "\(due.displayString) is more than the \(invoice.outstanding.displayString) outstanding on \(invoice.number)")
        }
        var request = upi.request(amount: due)
        if let payee = invoice.payeeVPA {
            // The invoice's own payee only when the profile allows it: a feed that names another would divert the money.
            guard upi.payees.allows(payee) else { throw UPIError(.payeeNotAllowed, "the payee \(payee) of invoice \(invoice.number)") }
            request.payeeVPA = payee
        }
        request.transactionReference = PaymentDesk.transactionReference(deviceCode: profile.deviceCode, invoice: invoice.number, now: now)
        request.note = String("Invoice \(invoice.number)".prefix(UPIPaymentRequest.maximumNoteLength))
        request.invoiceNumber = invoice.number
        request.invoiceDate = invoice.invoiceDate
        request.gstin = invoice.sellerGstin
        try request.validate(limit: upi.limit)
        return request
    }

    /// `tr`: the device, the invoice's letters and digits, and the second it was made (base 36): unique per
    /// device and attempt, at most 35 letters and digits, and readable back to the invoice by the hub.
    public static func transactionReference(deviceCode: String, invoice: String, now: Date) -> String {
        let seconds = String(Int64(now.timeIntervalSince1970), radix: 36).uppercased()
        let key = normalizedInvoiceKey(invoice)
        let device = String(deviceCode.prefix(8))
        let room = UPIPaymentRequest.maximumReferenceLength - device.count - seconds.count
        return device + String(key.suffix(room)) + seconds
    }

    /// The QR for a request, ready to show.
    public static func qr(for request: UPIPaymentRequest) throws(QRError) -> QRCode {
        try QRCode(request.uri, correction: .medium)
    }

    /// Records a payment with a receipt signed by the device key (made on first use, read once).
    public func record(_ draft: PaymentDraft) throws -> Receipt {
        let key = try key.get(path: profile.resolvedKeyPath)
        return try database.recordPayment(draft, deviceCode: profile.deviceCode) { text in try key.sign(text) }
    }
}

/// The device key once it has been read. Nothing is read until a payment asks for it (a desk that only makes QRs
/// never touches the key file), and a failure is not kept: each payment then tries again and reports the same
/// error, and one after the file is put right goes through.
final class KeyHolder: Sendable {
    private let key = Mutex<DeviceKey?>(nil)

    func get(path: String) throws(KeyError) -> DeviceKey {
        try key.withLock { (key: inout DeviceKey?) throws(KeyError) -> DeviceKey in
            if let key { return key }
            let loaded = try DeviceKey.loadOrCreate(path: path)
            key = loaded
            return loaded
        }
    }
}
