import ArgumentParser
import FieldPayBench

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure FieldPay's speed and memory on this machine.",
        subcommands: [DecodeBench.self]
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
        let bench = DecodeBenchmark(configuration: configuration) { print($0) }
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
