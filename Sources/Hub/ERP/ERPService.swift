import FieldPayCore
import Foundation
import Logging
import ServiceLifecycle

/// The push, pull and reconciliation of one connector over the store: what `ERPPushService`, the
/// `fieldpay-hub erp` commands, the benchmark and the tests all run.
public struct ERPWorker: Sendable {
    public let connector: any ERPConnector
    public let store: any ERPLedger & InvoiceBook
    public var logger = Logger(label: "fieldpay-hub")

    public init(connector: any ERPConnector, store: any ERPLedger & InvoiceBook) {
        self.connector = connector
        self.store = store
    }

    /// When a voucher that failed for the `attempts`-th time is due again: 2 s, doubling, at most 10 minutes,
    /// or later when the ERP asked for a pause.
    static func retryDelayMillis(attempts: Int, asked: Duration?) -> Int64 {
        let backoff = Int64(2_000) << Int64(min(max(attempts - 1, 0), 9))
        let asked = asked.map { Int64($0.components.seconds) * 1000 } ?? 0
        return max(min(backoff, 600_000), asked)
    }

    public struct Round: Sendable, Equatable {
        /// Acknowledged by the ERP: booked, or (the `cancelled` among them) cancelled there.
        public var accepted = 0
        public var cancelled = 0
        public var parked = 0
        public var retrying = 0
        public init() {}

        /// `3 booked, 1 cancelled, 0 parked`
        public var summary: String { "\(accepted - cancelled) booked, \(cancelled) cancelled, \(parked) parked" }
    }

    /// One batch: claims due vouchers, pushes them, records each outcome. Empty when nothing was due.
    public func pushOnce(now: Int64 = HubTime.nowMillis()) async throws -> Round {
        let lease = connector.claimLease
        let vouchers = try store.claimERP(
            connector: connector.name, now: now, limit: connector.batchSize, leaseMillis: lease.components.seconds * 1000)
        guard !vouchers.isEmpty else { return Round() }
        // Bookings and cancellations go in their own requests, each in the order claimed.
        let pushes = vouchers.filter { $0.action == .push }
        let cancels = vouchers.filter { $0.action == .cancel }
        let outcomes = (pushes.isEmpty ? [] : await connector.push(pushes)) + (cancels.isEmpty ? [] : await connector.cancel(cancels))
        var round = Round()
        let finished = HubTime.nowMillis()
        for (voucher, outcome) in zip(pushes + cancels, outcomes) {
            var retryAt = finished
            switch outcome {
            case .accepted:
                round.accepted += 1
                if voucher.action == .cancel { round.cancelled += 1 }
            case .rejected(let reason):
                round.parked += 1
                logger.warning("\(connector.name): \(voucher.action == .cancel ? "cancellation of " : "")receipt \(voucher.receiptNumber) parked: \(reason)")
            case .retry(_, let after):
                round.retrying += 1
                retryAt = finished + Self.retryDelayMillis(attempts: voucher.attempt, asked: after)
            }
            try store.recordERP(voucher.outboxID, action: voucher.action, outcome: outcome, now: finished, retryAt: retryAt)
        }
        return round
    }

    /// Pushes until nothing is due (or every voucher left is waiting out a retry). `progress` is told after
    /// each batch.
    public func drain(progress: (Round) -> Void = { _ in }) async throws -> Round {
        var total = Round()
        while true {
            let round = try await pushOnce()
            if round == Round() { return total }
            total.accepted += round.accepted
            total.cancelled += round.cancelled
            total.parked += round.parked
            total.retrying += round.retrying
            progress(total)
            if round.accepted == 0 && round.parked == 0 { return total }  // the ERP is not taking anything now
        }
    }

    /// The ERP's outstanding bills as the invoice book (all or nothing), under the rule that an ERP balance
    /// never raises an invoice above what the hub knows was paid and the ERP has not acknowledged.
    public func pull(closeMissing: Bool = true) async throws -> ERPPullOutcome {
        let bills = try await connector.pullBills()
        return try store.importERPBills(connector: connector.name, bills: bills, closeMissing: closeMissing)
    }

    /// The hub's payments of `day` against the ERP's receipts of `day`: missing on either side, and differing
    /// amounts. Saved as the connector's last reconciliation.
    public func reconcile(day: LocalDate) async throws -> ERPReconcileReport {
        let receipts = try await connector.receipts(on: day)
        let payments = try store.erpHubPayments(connector: connector.name, day: day)
        var lines: [ERPReconcileReport.Line] = []
        var byID: [String: ERPRecord] = [:]
        var repeated: [ERPRecord] = []
        for receipt in receipts {
            if let id = receipt.paymentID, byID[id] == nil { byID[id] = receipt } else if receipt.paymentID != nil { repeated.append(receipt) }
        }
        var matched = Set<String>()
        for payment in payments {
            let id = payment.paymentID.lowercased()
            if payment.reversed {
                // The ERP should hold no live voucher for it.
                guard let receipt = byID[id] else { continue }
                matched.insert(id)
                let note: String =
                    switch payment.state {
                    case .pending?: "reversed at the hub; its cancellation is still in the ERP queue"
                    case .parked?: "reversed at the hub; the ERP refused its cancellation (see erp status)"
                    default: "reversed at the hub and cancelled there, but the ERP holds it live: restored by hand?"
                    }
                lines.append(.init(paymentID: payment.paymentID, receiptNumber: payment.receiptNumber, party: receipt.party, hubAmount: nil,
                    erpAmount: receipt.amount, problem: "reversed-at-hub", note: note))
                continue
            }
            guard let receipt = byID[id] else {
                let note: String =
                    switch payment.state {
                    case .pending?: "still in the ERP queue"
                    case .parked?: "parked: the ERP refused it"
                    case .sent?: "the ERP acknowledged it, and does not have it now: deleted there?"
                    case .cancelled?: "cancelled"
                    case nil: "never queued (paid before the connector was enabled: erp push --since)"
                    }
                lines.append(.init(paymentID: payment.paymentID, receiptNumber: payment.receiptNumber, party: payment.customerCode, hubAmount: payment.amount,
                    erpAmount: nil, problem: "missing-in-erp", note: note))
                continue
            }
            matched.insert(id)
            if receipt.amount != payment.amount {
                lines.append(.init(paymentID: payment.paymentID, receiptNumber: payment.receiptNumber, party: receipt.party, hubAmount: payment.amount,
                    erpAmount: receipt.amount, problem: "amount-differs", note: "altered in the ERP after FieldPay booked it?"))
            }
        }
        for receipt in receipts where receipt.paymentID.map({ !matched.contains($0) }) ?? true {
            lines.append(.init(paymentID: receipt.paymentID, receiptNumber: receipt.number, party: receipt.party, hubAmount: nil, erpAmount: receipt.amount,
                problem: "missing-at-hub", note: receipt.paymentID == nil ? "entered in the ERP by hand, not by FieldPay" : "a FieldPay id the hub has no payment of that day for"))
        }
        for receipt in repeated {
            lines.append(.init(paymentID: receipt.paymentID, receiptNumber: receipt.number, party: receipt.party, hubAmount: nil, erpAmount: receipt.amount,
                problem: "duplicate-in-erp", note: "a second voucher with the same FieldPay id"))
        }
        let report = ERPReconcileReport(
            connector: connector.name, day: day, ranAt: HubTime.nowMillis(), hubPayments: payments.count, erpReceipts: receipts.count, lines: lines)
        try store.saveReconcile(report)
        return report
    }
}

/// Drains one connector's outbox: woken by the store when a payment is queued, and every `interval` for the
/// retries that come due. A batch the ERP did not take makes it wait (2 s, doubling, up to a minute) before
/// trying again, so a Tally that is closed for the night is not hammered.
public struct ERPPushService: Service {
    public let worker: ERPWorker
    public let signal: MessageSignal
    public var interval: Duration = .seconds(5)

    public init(worker: ERPWorker, signal: MessageSignal) {
        self.worker = worker
        self.signal = signal
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var pause: Duration = .zero
            while !Task.isCancelled {
                do {
                    let round = try await worker.drain()
                    if round.accepted + round.parked > 0 {
                        worker.logger.info("\(worker.connector.name): \(round.summary)")
                        pause = .zero
                    }
                    if round.retrying > 0 && round.accepted == 0 {
                        pause = min(max(pause * 2, .seconds(2)), .seconds(60))
                        worker.logger.warning("\(worker.connector.name): the ERP took nothing of \(round.retrying); trying again in \(pause)")
                        try? await Task.sleep(for: pause)
                        continue
                    }
                } catch is CancellationError {
                    return
                } catch {
                    worker.logger.error("\(worker.connector.name): the ERP push failed: \(error)")
                }
                await signal.wait(timeout: interval)
            }
        }
    }
}
