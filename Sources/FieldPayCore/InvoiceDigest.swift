import Crypto

/// SHA-256 over an invoice book, one line per invoice in number order:
/// `number|customer code|invoice day|due day|total paise|outstanding paise\n` (days as day numbers). The device
/// and the hub compute it the same way, so equal digests mean the device holds exactly the hub's live invoices.
public struct InvoiceDigest {
    var hasher = SHA256()
    public private(set) var count = 0

    public init() {}

    public mutating func add(number: String, customerCode: String, invoiceDate: Int64, dueDate: Int64, totalPaise: Int64, outstandingPaise: Int64) {
        hasher.update(data: Array("\(number)|\(customerCode)|\(invoiceDate)|\(dueDate)|\(totalPaise)|\(outstandingPaise)\n".utf8))
        count += 1
    }

    public func finish() -> (count: Int, digest: [UInt8]) {
        (count, Array(hasher.finalize()))
    }
}
