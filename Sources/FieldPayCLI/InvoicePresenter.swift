import DeviceApp
import DeviceStore
import FieldPayCore
import Foundation
import InvoiceCodes

/// How invoices and lookups read on a terminal and in --json output.
enum InvoicePresenter {
    static func card(_ cached: CachedInvoice, aging: Aging, ref: InvoiceRef? = nil) -> [String] {
        let invoice = cached.invoice
        var lines = [
            "Invoice \(invoice.number) — \(cached.customer.name) (\(cached.customer.code))",
            "  dated \(invoice.invoiceDate.indianString), due \(invoice.dueDate.indianString): "
                + (invoice.isSettled ? "settled" : "\(aging.phrase)\(aging.isOverdue ? " (\(aging.bucket))" : "")"),
            "  total \(invoice.total.displayString)   paid \(invoice.paid.displayString)   outstanding \(invoice.outstanding.displayString)",
        ]
        if let ref {
            var notes = ["read from \(describe(ref.source))"]
            if let amount = ref.amount, amount != invoice.total {
                notes.append("the code says \(amount.displayString), the invoice total is \(invoice.total.displayString)")
            }
            switch ref.signature {
            case .verified(let key): notes.append("e-invoice signature verified with key \(key)")
            case .unchecked: notes.append("e-invoice signature not checked (no key in the profile)")
            case .none: break
            }
            lines.append("  " + notes.joined(separator: "; "))
        }
        return lines
    }

    static func describe(_ source: InvoiceRef.Source) -> String {
        switch source {
        case .plain: return "a plain invoice number"
        case .pattern: return "the distributor's code format"
        case .url: return "a link"
        case .gstEInvoice: return "a GST e-invoice QR"
        case .gs1: return "a GS1 payment slip"
        }
    }

    /// One line (or a few) saying what a lookup found.
    static func text(_ outcome: InvoiceLookup.Outcome) -> [String] {
        switch outcome {
        case .found(let ref, let invoice, let aging):
            return card(invoice, aging: aging, ref: ref)
        case .notCached(let ref):
            return ["Invoice \(ref.invoiceNumber) (\(describe(ref.source))) is not in this device's cache: sync, or import the distributor's invoices"]
        case .ambiguous(let ref, let candidates):
            return ["\(ref.invoiceNumber) matches \(candidates.count) invoices: \(candidates.map(\.invoice.number).joined(separator: ", ")); look it up by the exact number"]
        case .rejected(let error):
            return ["\(error.message) [\(error.codeString)]"]
        }
    }

    struct LookupView: Encodable {
        var status: String
        var code: CodeView?
        var invoice: InvoiceView?
        var candidates: [String]?
        var error: ErrorView?
    }

    struct CodeView: Encodable {
        var source: String
        var invoiceNumber: String
        var amount: String?
        var invoiceDate: String?
        var irn: String?
        var signature: String

        enum CodingKeys: String, CodingKey {
            case source, amount, irn, signature
            case invoiceNumber = "invoice_number", invoiceDate = "invoice_date"
        }

        init(_ ref: InvoiceRef) {
            source = ref.source.rawValue
            invoiceNumber = ref.invoiceNumber
            amount = ref.amount?.plainString
            invoiceDate = ref.invoiceDate?.isoString
            irn = ref.irn
            switch ref.signature {
            case .none: signature = "none"
            case .unchecked: signature = "unchecked"
            case .verified(let key): signature = "verified:\(key)"
            }
        }
    }

    struct ErrorView: Encodable {
        var code: String
        var message: String
    }

    static func json(_ outcome: InvoiceLookup.Outcome) -> String {
        let view: LookupView
        switch outcome {
        case .found(let ref, let invoice, let aging):
            view = LookupView(status: "found", code: CodeView(ref), invoice: InvoiceView(invoice, aging: aging))
        case .notCached(let ref):
            view = LookupView(status: "not-cached", code: CodeView(ref))
        case .ambiguous(let ref, let candidates):
            view = LookupView(status: "ambiguous", code: CodeView(ref), candidates: candidates.map(\.invoice.number))
        case .rejected(let error):
            view = LookupView(status: error.code == .notInvoiceCode ? "not-invoice" : "invalid", error: ErrorView(code: error.codeString, message: error.message))
        }
        return encode(view)
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
