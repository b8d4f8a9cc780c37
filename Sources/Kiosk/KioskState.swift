import Foundation

/// What the payment screen shows, as the page receives it (JSON, over Server-Sent Events). The page only
/// draws it: every decision is made by the `Session` in the daemon.
public struct KioskState: Codable, Sendable, Equatable {
    /// idle, invoice (cash and cheque only), awaiting (UPI QR on screen), recording, paid, cancelled, expired, notice.
    public var screen: String
    /// Goes up by one on every change.
    public var version: Int
    public var invoice: InvoiceCard?
    public var qr: QRCard?
    /// Why there is no UPI QR for the invoice on screen.
    public var qrRefused: String?
    public var paid: PaidCard?
    public var notice: NoticeCard?
    /// The last refusal (a bad amount, a short UTR), shown under the invoice.
    public var message: String?
    /// When the current paid/cancelled/expired/notice screen gives way to idle (ms since 1970).
    public var untilMillis: Int64?
    public var camera: StatusLine
    public var hub: StatusLine
    /// The daemon's clock, so the page's countdown does not depend on the browser's.
    public var nowMillis: Int64
    public var hindi: Bool
    public var deviceName: String

    public struct InvoiceCard: Codable, Sendable, Equatable {
        public var number: String
        public var customerName: String
        public var customerCode: String
        public var invoiceDate: String
        public var dueDate: String
        public var daysOverdue: Int
        public var agingBucket: String
        public var total: String
        public var outstanding: String
        /// "₹12,600.00": as the screen prints it.
        public var outstandingDisplay: String
    }

    public struct QRCard: Codable, Sendable, Equatable {
        /// The `upi://pay` text.
        public var uri: String
        /// Its `tr`.
        public var reference: String
        public var amount: String
        public var amountDisplay: String
        public var expiresAtMillis: Int64
        public var svg: String
    }

    public struct PaidCard: Codable, Sendable, Equatable {
        public var receiptNumber: String
        public var invoice: String
        public var method: String
        public var amountDisplay: String
        /// The receipt's verification QR (SVG) and its text.
        public var receiptSVG: String
        public var receiptText: String
    }

    public struct NoticeCard: Codable, Sendable, Equatable {
        /// not-invoice-code, not-in-cache, already-paid, ambiguous.
        public var kind: String
        public var title: String
        public var detail: String
    }
}

/// One line of the status bar: the camera, or the hub.
public struct StatusLine: Codable, Sendable, Equatable {
    public var ok: Bool
    public var text: String

    public init(ok: Bool, text: String) {
        self.ok = ok
        self.text = text
    }
}

/// What the rep can do from the page.
public enum KioskAction: Sendable, Equatable {
    case cash(amount: String?)
    case cheque(amount: String?, number: String, bank: String, date: String)
    case utr(String)
    case amount(String)
    case cancel
}
