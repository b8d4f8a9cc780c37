import FieldPayCore
import Foundation
import HubAPI
import InvoiceImport

/// A distributor's last five months, for the demo and the dashboard's browser test: customers in four
/// regions, invoices, reps with a device each, payments recorded through the hub's own upload path, rules
/// that allocate the overdue invoices, follow-ups with promises kept and missed, a dispute, the day's
/// reminders and escalations, and yesterday's cash handover. The same seed gives the same book.
public struct DemoBook {
    public struct Summary: Sendable {
        public var customers = 0
        public var invoices = 0
        public var payments = 0
        public var reps: [String] = []
        public var devices: [(rep: String, id: String, secret: String)] = []
    }

    static let shops = [
        "Sharma General Stores", "Gupta Medicals", "Patel Kirana", "Rao & Sons", "Deshmukh Traders", "Kulkarni Provisions", "Shaikh Brothers",
        "Joshi Agencies", "Naik Super Mart", "Iyer Stores", "Bhosale Enterprises", "Mehta Distributors", "Reddy Wholesale", "Pawar Kirana",
        "Khan Medical Hall", "Jain Traders", "Verma Stores", "Pillai & Co", "Sawant Mart", "Chavan General", "Hegde Provisions", "Kamat Stores",
        "Desai Agencies", "More Traders", "Gaikwad Super Bazaar", "Shetty Stores", "Ansari Medicos", "Thakur Kirana", "Mane Brothers",
        "Yadav Provisions", "Bhat Traders", "Kadam Stores", "Nair Agencies", "Pandit Medicals", "Shinde Mart", "Agarwal Wholesale",
    ]
    static let regions = ["Pune East", "Pune West", "Hubli", "Nashik"]
    static let reps = ["Ravi", "Meena", "Imran", "Kavita"]

    let store: any HubStorage
    let today: LocalDate
    var random: SeededRandom
    /// The demo handhelds' receipt key (one for all four: they are the demo's, not a rep's).
    let signer = UploadSigner()

    /// A demo rep's device code: the prefix of their receipt numbers (`RAV01-00042`).
    static func deviceCode(_ rep: String) -> String { rep.uppercased().prefix(3) + "01" }

    /// Uploads a payment signed by the rep's handheld; a UPI payment's typed UTR is confirmed by a bank
    /// statement line when `confirm`, and stays a claim otherwise. Whether the hub stored it.
    func pay(_ payment: PaymentUpload, device: String, confirm: Bool) throws -> Bool {
        let id = UUID().uuidString.lowercased()
        guard case .created = try store.upload(paymentID: id, deviceID: device, body: Data(), payment: signer.sign(payment, paymentID: id)) else {
            return false
        }
        if confirm, let utr = payment.utr, let amount = wireMoney(payment.amount) {
            _ = try store.applyCredit(CreditNotice(provider: "demo-bank", providerPaymentID: utr, amount: amount, utr: utr, reference: nil, source: "statement"))
        }
        return true
    }

    public init(store: any HubStorage, today: LocalDate = LocalDate.today(), seed: UInt64 = 20_261_130) {
        self.store = store
        self.today = today
        random = SeededRandom(seed: seed)
    }

    public mutating func write(folder: String) throws -> Summary {
        var summary = Summary()
        // Invoices: 8 to 12 per customer over the last 150 days, due in 15 or 30 days.
        var lines = ["invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid,region,phone"]
        var invoices: [(number: String, customer: String, date: LocalDate, total: Int64)] = []
        var sequence = 5000
        for (index, shop) in Self.shops.enumerated() {
            let code = "CUST-\(String(format: "%03d", index + 1))"
            let region = Self.regions[index % Self.regions.count]
            for _ in 0..<(8 + random.next(5)) {
                sequence += 1
                let date = today.adding(days: -random.next(150))
                let due = date.adding(days: random.next(2) == 0 ? 15 : 30)
                let total = Int64(2_000_00 + random.next(60_000_00) / 100 * 100)
                let number = "INV/2026-27/\(String(format: "%06d", sequence))"
                invoices.append((number, code, date, total))
                lines.append("\(number),\(date),\(due),\(code),\(shop),\(Money(paise: total).plainString),0.00,\(region),+9198220\(String(format: "%05d", index))")
            }
        }
        let path = folder + "/demo-invoices.csv"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        _ = try store.importInvoices(from: InvoiceFileReader(path: path))
        summary.customers = Self.shops.count
        summary.invoices = invoices.count

        // Reps, each with an enrolled handheld (its receipt key and code); each rep covers a region.
        for (index, rep) in Self.reps.enumerated() {
            guard
                case .enrolled(let device) = try store.enroll(
                    code: try store.createEnrollmentCode(rep: rep, hours: 72), deviceName: "\(rep)'s handheld", publicKey: signer.publicKeyBase64,
                    deviceCode: Self.deviceCode(rep))
            else {
                throw ReportInputError("the demo could not enroll \(rep)'s device")
            }
            summary.devices.append((rep, device.deviceID, device.secret))
            _ = try store.setRep(rep, RepSettings(regions: [Self.regions[index]]))
        }
        summary.reps = Self.reps

        // Payments: older invoices are mostly paid, in full or in part, by the region's rep, a few days to
        // a couple of months after the invoice; recent ones mostly not yet.
        let methods = ["cash", "cash", "upi", "cheque"]
        var receipt = 0
        for invoice in invoices {
            let age = invoice.date.days(until: today)
            guard age > 10, random.next(100) < min(85, age) else { continue }
            let customerIndex = Int(invoice.customer.suffix(3))! - 1
            let device = summary.devices[customerIndex % Self.reps.count]
            let full = random.next(3) != 0
            let amount = full ? invoice.total : invoice.total / 2 / 100 * 100
            let day = invoice.date.adding(days: 5 + random.next(max(1, min(age - 5, 60))))
            guard day < today else { continue }
            receipt += 1
            let method = methods[random.next(methods.count)]
            var payment = PaymentUpload(
                receiptNumber: "\(Self.deviceCode(device.rep))-\(String(format: "%05d", receipt))", method: method,
                amount: Money(paise: amount).plainString, allocations: [AllocationBody(invoice: invoice.number, amount: Money(paise: amount).plainString)],
                advance: "0.00", customerCode: invoice.customer,
                recordedAtMillis: HubTime.endOfDay(day.adding(days: -1)) + Int64(10 * 3_600_000 + random.next(8 * 3_600_000)), signature: "demo")
            if method == "cheque" {
                payment.chequeNumber = String(format: "%06d", 100_000 + receipt)
                payment.bank = ["SBI", "HDFC Bank", "Bank of Maharashtra"][random.next(3)]
            }
            if method == "upi" { payment.utr = String(format: "6%011d", receipt) }
            if try pay(payment, device: device.id, confirm: true) { summary.payments += 1 }
        }

        // Allocation: each region's overdue invoices to its rep; large ones (over ₹50,000) to Kavita.
        try store.setAllocationRules(
            [AllocationRule(region: nil, minDaysPastDue: 1, minOutstanding: "50000.00", rep: "Kavita")]
                + Self.regions.enumerated().map { AllocationRule(region: $0.element, minDaysPastDue: 1, rep: Self.reps[$0.offset]) })
        _ = try store.applyAllocationRules(asOf: today, actor: "demo")

        // Yesterday and today in the field: each rep collects on a few of the invoices allocated to them.
        for (index, device) in summary.devices.enumerated() {
            for (k, invoice) in try store.assignedInvoices(rep: device.rep, asOf: today, limit: 4).enumerated() {
                let day = k < 3 ? today.adding(days: -1) : today
                let method = ["cash", "cheque", "upi", "cash"][(k + index) % 4]
                let amount = Money(paise: max(100_00, invoice.outstanding.paise / 2 / 100 * 100))
                receipt += 1
                var payment = PaymentUpload(
                    receiptNumber: "\(Self.deviceCode(device.rep))-\(String(format: "%05d", receipt))", method: method, amount: amount.plainString,
                    allocations: [AllocationBody(invoice: invoice.number, amount: amount.plainString)], advance: "0.00", customerCode: invoice.customerCode,
                    recordedAtMillis: HubTime.endOfDay(day.adding(days: -1)) + Int64((10 + k) * 3_600_000), signature: "demo")
                if method == "cheque" {
                    payment.chequeNumber = String(format: "%06d", 100_000 + receipt)
                    payment.bank = "SBI"
                }
                if method == "upi" { payment.utr = String(format: "6%011d", receipt) }
                // Today's UPI payments keep the UTR their rep typed as a claim: the bank's statement is not in yet.
                if try pay(payment, device: device.id, confirm: day < today) { summary.payments += 1 }
            }
        }

        // Follow-ups: visits due today, and promises — one kept, one missed.
        let open = try store.invoices(number: nil, openOnly: true, limit: 10_000)
        for (index, invoice) in open.prefix(6).enumerated() {
            _ = try store.putFollowUp(
                id: UUID().uuidString.lowercased(),
                FollowUpRequest(
                    invoice: invoice.number, action: index % 2 == 0 ? "visit" : "call", dueDate: today.adding(days: index % 3 == 0 ? 0 : 2).isoString,
                    note: ["Owner asked for a statement", "Pays on Saturdays", "Cheque ready next week"][index % 3],
                    promisedDate: index < 2 ? today.adding(days: 3).isoString : nil, promisedAmount: index < 2 ? "5000.00" : nil),
                actor: "demo", deviceRep: nil)
        }
        if let disputed = open.dropFirst(6).first {
            _ = try store.openDispute(disputed.number, DisputeRequest(reason: "Two cartons short on delivery", amount: "1500.00"), actor: "demo")
        }
        _ = try store.runCollections(asOf: today)

        // Yesterday's handover: Ravi hands over his cheques and his cash, ₹100 short.
        if let sheet = try store.daySheet(rep: "Ravi", day: today.adding(days: -1)),
            let cash = try? Money(parsing: sheet.cashInHand), let cheques = try? Money(parsing: sheet.chequesInHand)
        {
            let counted = max(0, cash.paise - 100_00)
            _ = try store.recordHandover(
                HandoverRequest(
                    rep: "Ravi", day: today.adding(days: -1).isoString, cash: Money(paise: counted).plainString, cheques: cheques.isPositive ? 1 : 0,
                    chequeAmount: cheques.plainString, note: "counted at the Pune depot"), receivedBy: "demo cashier")
        }
        return summary
    }
}

/// SplitMix64: a small seeded generator, so that a generated book (the demo's, the tests', the benchmark's)
/// can be made again exactly.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    public mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
