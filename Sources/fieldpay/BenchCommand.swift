import ArgumentParser
import FieldPayBench
import Scanning

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure FieldPay's speed and memory on this machine.",
        subcommands: [DecodeBench.self, LiveBench.self]
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
