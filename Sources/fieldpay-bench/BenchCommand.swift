import ArgumentParser
import FieldPayCLI
import FieldPayCore
import FieldPayBench
import Foundation
import Scanning

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldpay-bench",
        abstract: "Measure FieldPay's speed and memory on this machine.",
        discussion: """
            Each subcommand prints its figures; ratios are measured in the same run (our decoder next to a plain \
            C loop over libzbar, say), so a noisy machine moves both sides. Build with `-c release` for real \
            figures (`make bench`).
            """,
        subcommands: [DecodeBench.self, LiveBench.self, CacheBench.self, PaymentsBench.self, SyncBench.self, CollectionsBench.self, MessagingBench.self, ERPBench.self, KioskBench.self, DaemonBench.self]
    )
}

struct DecodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "ms per frame through ZBarDecoder vs a plain C loop over libzbar, and RSS over many decodes.",
        discussion: """
            Frames: light paper with no code, one QR code, one Code 128, at 640x480 and 1280x720, decoded \
            with the default symbologies at density 1 (the cheap pass). Both sides run in the same process \
            in alternating rounds; each keeps its best round. Build with `-c release` for real figures.
            """
    )

    @Option(help: "Decodes per round for each frame and side.")
    var iterations = 200

    @Option(help: "Rounds per frame; the best is kept.")
    var rounds = 5

    @Option(help: "Decodes in the memory run (0 skips it).")
    var memoryDecodes = 100_000

    @Option(help: "Folder holding qr-invoice.png and code128-short.png.")
    var fixtures = "Tests/ScanningTests/Fixtures"

    func validate() throws {
        guard iterations > 0, rounds > 0, memoryDecodes >= 0 else {
            throw ValidationError("--iterations and --rounds must be positive, --memory-decodes not negative")
        }
    }

    func run() throws {
        var configuration = DecodeBenchmark.Configuration(fixtures: fixtures)
        configuration.iterations = iterations
        configuration.rounds = rounds
        configuration.memoryDecodes = memoryDecodes
        let bench = DecodeBenchmark(configuration: configuration) { emit($0) }
        print("frame               symbols ZBarDecoder ms  C loop ms     overhead")
        _ = try bench.runSpeed()
        if memoryDecodes > 0 {
            print("\nmemory: \(memoryDecodes) decodes of a 320x240 QR frame")
            let report = try bench.runMemory()
            print(
                "RSS start \(report.startKiB) KiB, end \(report.endKiB) KiB, growth \(report.growthKiB) KiB, "
                    + "peak \(report.peakKiB) KiB, scanner recycled \(report.recycles) times")
        }
    }
}

struct LiveBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Replayed 30 fps video through the live scan path: fps decoded, drops, CPU a frame, latency.",
        discussion: """
            Writes a Y4M video per size (640x480 and 1280x720) in which a QR code drifts across paper, \
            leaves view and returns, replays it with ReplaySource at --fps exactly as `fieldpay scan \
            --replay` does (newest frame wins), and decodes each delivered frame with the cheap pass. \
            Latency runs from a frame's capture timestamp to its decoded symbols.
            """
    )

    @Option(help: "Seconds of video per size.")
    var seconds: Double = 10

    @Option(help: "Replay rate.")
    var fps: Double = 30

    @Option(help: "Folder holding qr-invoice.png.")
    var fixtures = "Tests/ScanningTests/Fixtures"

    func run() async throws {
        let bench = LiveBenchmark(fixtures: fixtures, seconds: seconds, framesPerSecond: fps)
        print("size       replayed  decoded  dropped  decoded/s  CPU ms/frame  latency p50  p99 ms  codes")
        for (w, h) in [(640, 480), (1280, 720)] {
            let r = try await bench.run(width: w, height: h)
            emit(
                pad(r.size, 11) + pad("\(r.replayed)", 10) + pad("\(r.decoded)", 9) + pad("\(r.dropped)", 9)
                    + pad(fmt(Double(r.decoded) / r.seconds, 1), 11) + pad(fmt(r.cpuMillisPerFrame, 2), 14)
                    + pad(fmt(r.latencyP50, 1), 13) + pad(fmt(r.latencyP99, 1), 8) + "\(r.codes)")
        }
    }
}

struct CacheBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "The invoice cache at scale: import rate, database size, lookup p50/p99, RSS after opening.",
        discussion: """
            Generates --invoices invoices as CSV, imports them with `fieldpay invoices import`'s code into a \
            fresh database (WAL, synchronous = FULL), then times --lookups lookups from payload to aged \
            invoice, cycling through plain numbers, respelled numbers, links, GS1 slips and a profile pattern. \
            Finally a fresh process opens the database and answers one lookup, and its RSS is reported. Build \
            with `-c release` for real figures; it needs about 0.5 GB of disk per million invoices.
            """
    )

    @Option(help: "Invoices in the generated book.")
    var invoices = 1_000_000

    @Option(help: "Lookups to time.")
    var lookups = 20_000

    @Option(help: "Where the CSV and the database go (removed afterwards unless --keep).")
    var folder = ".build/bench-cache"

    @Flag(help: "Keep the generated CSV and database.")
    var keep = false

    @Option(help: .hidden)
    var probe: String?

    func validate() throws {
        guard invoices > 0, lookups > 0 else { throw ValidationError("--invoices and --lookups must be positive") }
    }

    func run() throws {
        if let probe {
            let (before, after) = try CacheBenchmark.probeResidentKiB(databasePath: probe)
            print("\(before) \(after)")
            return
        }
        let bench = CacheBenchmark(invoices: invoices, lookups: lookups, folder: folder) { emit($0) }
        let report = try bench.run()
        emit("import: \(report.invoices) invoices in \(fmt(report.importSeconds, 2)) s = \(Int(report.importRate)) invoices/s (target >= 50000)")
        emit("database: \(fmt(Double(report.databaseBytes) / 1_048_576, 1)) MiB + WAL \(fmt(Double(report.walBytes) / 1_048_576, 1)) MiB (\(report.databaseBytes / Int64(report.invoices)) bytes/invoice)")
        emit("lookup: \(report.lookups) payload -> invoice: p50 \(fmt(report.p50Micros, 1)) us, p99 \(fmt(report.p99Micros, 1)) us, max \(fmt(report.maxMicros, 1)) us (target p99 < 1000 us)")
        emit("lookup p99 by kind: " + report.perKindP99.map { "\($0.0) \(fmt($0.1, 1)) us" }.joined(separator: ", "))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["bench", "cache", "--probe", folder + "/device.sqlite"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let parts = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        if parts.count == 2 {
            emit("RSS of a fresh process: \(parts[0]) KiB at start, \(parts[1]) KiB after opening the cache and one lookup")
        }
        if !keep { try? FileManager.default.removeItem(atPath: folder) }
    }
}

struct PaymentsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments",
        abstract: "Invoice → payment QR ready (request, encode, SVG) p50/p99, and payments recorded per second.",
        discussion: """
            QR: --qr-runs times, an invoice from the cache is turned into its upi:// request, encoded by \
            libqrencode and rendered as SVG. Payments: --payments cash payments recorded one by one, each in \
            its own transaction with synchronous = FULL and an Ed25519-signed receipt; this is bound by the \
            disk's fsync, whose own cost is measured alongside.
            """
    )

    @Option(help: "QR renderings to time.")
    var qrRuns = 5_000

    @Option(help: "Payments to record.")
    var payments = 500

    @Option(help: "Scratch folder (removed afterwards).")
    var folder = ".build/bench-payments"

    func run() throws {
        let report = try PaymentBenchmark(folder: folder, qrRuns: qrRuns, payments: payments).run()
        emit("QR ready: \(report.qrRuns) runs, p50 \(fmt(report.qrP50Micros, 1)) us, p99 \(fmt(report.qrP99Micros, 1)) us (encode alone p99 \(fmt(report.encodeP99Micros, 1)) us; QR version \(report.qrVersion)) (target p99 < 5000 us)")
        emit("payments: \(report.payments) in \(fmt(report.paymentSeconds, 2)) s = \(fmt(report.paymentsPerSecond, 1))/s, each p50 \(fmt(report.paymentP50Millis, 2)) ms, p99 \(fmt(report.paymentP99Millis, 2)) ms; one fsync of this disk p50 \(fmt(report.fsyncP50Millis, 2)) ms")
    }
}

struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Hub and device over loopback: initial sync, deltas, uploads from many devices, webhook to device latency.",
        discussion: """
            In one process: the hub (Hummingbird on 127.0.0.1, SQLite) loaded with --invoices invoices; a device \
            pulls them all (target < 30 s for 1,000,000), then five deltas of --delta changes (target < 200 ms); \
            --devices devices upload --uploads payments each at once; then --webhooks signed Razorpay webhooks, \
            each timed from sending to the device's long-poll hearing of it (target p99 < 1 s).
            """
    )

    @Option(help: "Invoices in the hub's book.") var invoices = 1_000_000
    @Option(help: "Changes per delta.") var delta = 1_000
    @Option(help: "Devices uploading at once.") var devices = 100
    @Option(help: "Payments each device uploads.") var uploads = 20
    @Option(help: "Webhooks to time.") var webhooks = 200
    @Option(help: "Scratch folder (removed afterwards).") var folder = ".build/bench-sync"

    func run() async throws {
        let started = monotonicNanos()
        let report = try await SyncBenchmark(
            folder: folder, invoices: invoices, deltaChanges: delta, devices: devices, uploadsPerDevice: uploads, webhooks: webhooks
        ).run { step in
            printError("[\(fmt(Double(monotonicNanos() - started) / 1e9, 1)) s] \(step)")
        }
        emit("hub import: \(report.invoices) invoices in \(fmt(report.hubImportSeconds, 1)) s = \(fmt(Double(report.invoices) / report.hubImportSeconds, 0))/s")
        emit("initial sync: \(report.invoices) invoices in \(fmt(report.initialSyncSeconds, 1)) s = \(fmt(Double(report.invoices) / report.initialSyncSeconds, 0))/s (target < 30 s for 1,000,000)")
        emit("delta of \(report.deltaChanges) changes: p50 \(fmt(percentile(report.deltaMillis, 0.5), 1)) ms, max \(fmt(report.deltaMillis.max() ?? 0, 1)) ms over \(report.deltaMillis.count) (target < 200 ms); device and hub digests \(report.digestsMatch ? "equal" : "DIFFER")")
        emit("uploads: \(report.uploads) payments from \(report.devices) devices at once in \(fmt(report.uploadSeconds, 2)) s = \(fmt(Double(report.uploads) / report.uploadSeconds, 0))/s")
        emit("webhook to device: \(report.webhookLatenciesMillis.count) webhooks, p50 \(fmt(percentile(report.webhookLatenciesMillis, 0.5), 2)) ms, p99 \(fmt(percentile(report.webhookLatenciesMillis, 0.99), 2)) ms (target p99 < 1000 ms)")
        try? FileManager.default.removeItem(atPath: folder)
        if !report.digestsMatch { throw ExitCode(1) }
    }
}

struct CollectionsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collections",
        abstract: "The managers' reports on a large book in the hub's SQLite: aging, a customer's aging and history, register, DSO.",
        discussion: """
            Writes --invoices invoices of --customers customers, --reps reps and --payments payments (through \
            the allocation ledger) into a fresh hub database, then times each report as the hub's HTTP handlers \
            call it: p50 and p99 over --samples runs (the whole-book reports over a hundredth of them, at least 3). \
            Targets: aging of every customer < 2 s, one customer's aging < 50 ms, a customer's history < 20 ms.
            """
    )

    @Option(help: "Invoices in the book.") var invoices = 1_000_000
    @Option(help: "Customers.") var customers = 200_000
    @Option(help: "Reps (a device each).") var reps = 500
    @Option(help: "Payments.") var payments = 2_000_000
    @Option(help: "Runs of the per-customer reports.") var samples = 1_000
    @Option(help: "Scratch folder (removed afterwards, unless --keep).") var folder = ".build/bench-collections"
    @Flag(help: "Keep the generated hub database in --folder, to look into.") var keep = false

    func validate() throws {
        guard invoices > 0, customers > 0, reps > 0, payments >= 0, samples > 0 else {
            throw ValidationError("--invoices, --customers, --reps and --samples must be positive, --payments not negative")
        }
    }

    func run() throws {
        let started = monotonicNanos()
        let report = try CollectionsBenchmark(
            folder: folder, invoices: invoices, customers: customers, reps: reps, payments: payments, samples: samples
        ).run { step in
            printError("[\(fmt(Double(monotonicNanos() - started) / 1e9, 1)) s] \(step)")
        }
        emit("book: \(report.invoices) invoices, \(report.customers) customers, \(report.reps) reps, \(report.payments) payments (\(report.allocations) allocations) written in \(fmt(report.loadSeconds, 1)) s; database \(fmt(Double(report.databaseBytes) / 1e6, 0)) MB")
        for timing in report.timings {
            emit("\(timing.name): p50 \(fmt(timing.percentile(0.5), 1)) ms, p99 \(fmt(timing.percentile(0.99), 1)) ms over \(timing.millis.count) runs (target \(timing.target))")
        }
        emit("aging totals as of today \(report.reconciles ? "equal" : "DIFFER FROM") the outstanding over live invoices")
        if !keep { try? FileManager.default.removeItem(atPath: folder) }
        if !report.reconciles { throw ExitCode(1) }
    }
}

struct MessagingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messaging",
        abstract: "What customer messaging costs the hub: the receipt in the upload's transaction, the reminder run, the sender.",
        discussion: """
            Uploads for customers with a mobile number (a receipt message queued in the same transaction) against \
            customers without one, alternating rounds in the same run; the daily collections run on --customers \
            customers of --invoices-per-customer overdue invoices each, with phones (one reminder message each) \
            against the same book without; and the sender draining --sends receipts through a WhatsApp Cloud \
            API-shaped responder on 127.0.0.1 (one at a time, as it sends).
            """)

    @Option(help: "Uploads a side.") var uploads = 4_000
    @Option(help: "Customers in the reminder run's book.") var customers = 20_000
    @Option(help: "Overdue invoices each.") var invoicesPerCustomer = 5
    @Option(help: "Receipts the sender drains.") var sends = 2_000
    @Option(help: "Scratch folder (removed afterwards).") var folder = ".build/bench-messaging"

    func validate() throws {
        guard uploads > 0, customers > 0, invoicesPerCustomer > 0, sends > 0 else { throw ValidationError("every count must be positive") }
    }

    func run() async throws {
        let started = monotonicNanos()
        let report = try await MessagingBenchmark(
            folder: folder, uploads: uploads, customers: customers, invoicesPerCustomer: invoicesPerCustomer, sends: sends
        ).run { step in printError("[\(fmt(Double(monotonicNanos() - started) / 1e9, 1)) s] \(step)") }
        emit(
            "upload, customer with a phone (receipt queued): \(fmt(report.uploadMicrosWithPhone, 0)) µs; without: \(fmt(report.uploadMicrosWithoutPhone, 0)) µs; "
                + "ratio \(fmt(report.uploadMicrosWithPhone / max(report.uploadMicrosWithoutPhone, 0.001), 2)) (\(report.uploads) uploads a side)")
        emit(
            "collections run, \(report.runInvoices) overdue invoices: \(fmt(report.runSecondsWithMessages, 2)) s with \(report.runMessages) reminder messages, "
                + "\(fmt(report.runSecondsWithout, 2)) s without phones; ratio \(fmt(report.runSecondsWithMessages / max(report.runSecondsWithout, 0.001), 2))")
        emit(
            "sender: \(report.sent) receipts in \(fmt(report.sendSeconds, 2)) s, \(fmt(Double(report.sent) / max(report.sendSeconds, 0.001), 0)) messages/s "
                + "(\(fmt(report.sendSeconds * 1000 / Double(max(report.sent, 1)), 2)) ms each: claim, HTTP to 127.0.0.1, record)")
        emit(
            "payment uploaded → receipt taken by the responder, the sender running: p50 \(fmt(report.latencyP50Millis, 1)) ms, "
                + "p99 \(fmt(report.latencyP99Millis, 1)) ms over \(report.latencySamples) payments (target p99 < 2 s)")
    }
}

struct ERPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erp",
        abstract: "The Tally connector against scripts/fake-tally.py: vouchers a second, confirmed → accepted p99, a pull of 100,000 bills.",
        discussion: """
            --vouchers cash payments pushed one a request and then in batches of --batch (each to a hub of its \
            own, the same fake); payments stored 20 ms apart with the push service running as the hub runs it, \
            from the upload's commit to Tally's acknowledgement recorded (target p99 < 5 s); and --bills \
            outstanding bills pulled into an empty hub (target < 20 s). Needs python3 for the fake.
            """)

    @Option(help: "Vouchers pushed each way.") var vouchers = 2_000
    @Option(help: "Vouchers per request in the batched run.") var batch = 25
    @Option(help: "Outstanding bills pulled.") var bills = 100_000
    @Option(help: "The fake Tally script.") var fakeTally = "scripts/fake-tally.py"
    @Option(help: "Scratch folder (removed afterwards).") var folder = ".build/bench-erp"

    func validate() throws {
        guard vouchers > 0, bills > 0, (1...500).contains(batch) else { throw ValidationError("counts must be positive, --batch from 1 to 500") }
        guard FileManager.default.fileExists(atPath: fakeTally) else { throw ValidationError("no \(fakeTally): run from the repository's root or give --fake-tally") }
    }

    func run() async throws {
        let started = monotonicNanos()
        var benchmark = ERPBenchmark(folder: folder, fakeTally: fakeTally, vouchers: vouchers, bills: bills)
        benchmark.batchSize = batch
        let report = try await benchmark.run { step in printError("[\(fmt(Double(monotonicNanos() - started) / 1e9, 1)) s] \(step)") }
        emit(
            "push to the fake Tally: \(fmt(Double(report.vouchers) / max(report.singleSeconds, 0.001), 0)) vouchers/s one a request, "
                + "\(fmt(Double(report.vouchers) / max(report.batchSeconds, 0.001), 0)) vouchers/s in batches of \(report.batchSize) "
                + "(\(report.vouchers) each; ratio \(fmt(report.singleSeconds / max(report.batchSeconds, 0.001), 2)))")
        emit(
            "payment stored → voucher accepted, the push service running: p50 \(fmt(report.latencyP50Millis, 1)) ms, p99 \(fmt(report.latencyP99Millis, 1)) ms "
                + "over \(report.latencySamples) payments (target p99 < 5 s)")
        emit("pull of \(report.bills) outstanding bills into an empty hub: \(fmt(report.pullSeconds, 2)) s, \(report.pullWritten) invoices written (target < 20 s)")
        emit(
            "Zoho Books (fake): \(report.zohoInvoices) unpaid invoices pulled in \(fmt(report.zohoPullSeconds, 2)) s (pages of 200); "
                + "\(report.zohoPayments) payments pushed in \(fmt(report.zohoPushSeconds, 2)) s, \(fmt(Double(report.zohoPayments) / max(report.zohoPushSeconds, 0.001), 0))/s "
                + "(a search and a create each; a real organisation allows 100 requests a minute)")
    }
}

struct KioskBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiosk",
        abstract: "Scan to screen: from a barcode appearing in the stream to its UPI QR on the kiosk's event stream.",
        discussion: """
            Per size (640x480 and 1280x720): frames of paper, then paper with an invoice's QR code, go at 30 fps \
            through the daemon's scan pipeline (decoder, debouncer) into the desk (cache lookup, UPI request, QR, \
            SVG); a client on the kiosk's /events stream over loopback notes when that invoice's QR state \
            arrives. Prints p50/p99/max of arrival − the frame's capture stamp (target p99 < 150 ms). The \
            "idle" rows bring each code after 2.2 s of paper, when the scanner decodes every 2nd frame.
            """
    )

    @Option(help: "Scans per size.") var scans = 60
    @Option(help: "Scans per size that come after 2.2 s of nothing in view (the scanner at its idle rate).") var idleScans = 20

    func run() async throws {
        print("size             scans  p50 ms  p99 ms  max ms  event bytes")
        for (w, h) in [(640, 480), (1280, 720)] {
            for (count, idle) in [(scans, false), (idleScans, true)] where count > 0 {
                let r = try await KioskBenchmark(scans: count, afterIdle: idle).run(width: w, height: h)
                emit(pad(r.size, 17) + pad("\(r.scans)", 7) + pad(fmt(r.p50, 1), 8) + pad(fmt(r.p99, 1), 8) + pad(fmt(r.max, 1), 8) + "\(r.eventBytes)")
            }
        }
    }
}

struct DaemonBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "The fieldpay run process from outside: CPU at idle, then RSS and CPU through a soak.",
        discussion: """
            Runs `fieldpay-demo run` (the binary beside this one, or --binary) on replayed 1280x720 frames at 15 fps with the demo hub inside. \
            Idle: --idle-seconds with nothing in view, CPU as a share of one core. Soak: --minutes with an \
            invoice's code in view 4 s in 8, a client on /events that pays each QR ₹1 in cash through the \
            page's API; RSS and CPU are read from /proc every 10 s and printed each minute (target RSS < 60 MB \
            and flat over an hour: --minutes 60).
            """
    )

    @Option(help: "Minutes of soak.") var minutes: Double = 3
    @Option(help: "Seconds of idle measurement.") var idleSeconds: Double = 60
    @Option(help: ArgumentHelp("The daemon to measure (default: fieldpay-demo beside this binary).", valueName: "path"))
    var binary: String?

    func run() async throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let binary = binary ?? here.appendingPathComponent("fieldpay-demo").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            printError("no daemon binary at \(binary): build it (swift build -c release --product fieldpay-demo) or give --binary")
            throw ExitCode(2)
        }
        let report = try await DaemonSoak(binary: binary, minutes: minutes, idleSeconds: idleSeconds).run { emit($0) }
        guard let first = report.samples.first, let last = report.samples.last else { return }
        let peak = report.samples.map(\.rssMB).max() ?? 0
        let afterWarmup = report.samples.first { $0.seconds >= 60 } ?? first
        let hours = max(1e-9, (last.seconds - afterWarmup.seconds) / 3600)
        let meanCPU = report.samples.map(\.cpuPercent).reduce(0, +) / Double(report.samples.count)
        emit(
            "daemon: idle CPU \(fmt(report.idleCPUPercent, 1)) %; soak \(fmt(last.seconds / 60, 1)) min, \(report.payments) payments, "
                + "RSS \(fmt(afterWarmup.rssMB, 1)) MB at 1 min → \(fmt(last.rssMB, 1)) MB at the end (peak \(fmt(peak, 1)) MB, "
                + "\(fmt((last.rssMB - afterWarmup.rssMB) / hours, 1)) MB/hour), mean CPU \(fmt(meanCPU, 1)) %")
    }
}
