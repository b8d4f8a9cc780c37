import ArgumentParser
import Capture
import DeviceApp
import DeviceStore
import Dispatch
import FieldPayCore
import Foundation
import Imaging
import Scanning

#if canImport(Glibc)
    import Glibc
#endif

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Decode the barcodes and QR codes in image files, a camera or a replayed video.",
        discussion: """
            Files: reads PNG, JPEG and PGM/PPM images (told apart by content, not by name); `-` reads one image \
            from standard input. Prints one `SYMBOLOGY:payload` line per code found, as zbarimg does, or \
            one JSON object per code with --json.

            When a plain pass finds nothing, the image is looked at again inverted, contrast-stretched, \
            rescaled, smoothed, sharpened, binarized and rotated; --fast skips that.

            Camera: --device /dev/videoN streams from a V4L2 camera (GREY, YUYV or MJPEG; the nearest size \
            to --size) and prints each code once while it stays in view (--hold). --replay PATH does the \
            same from a folder of images or a Y4M video, paced at --fps. Live frames get only the plain \
            pass. Ctrl-C or SIGTERM stops cleanly. A camera that is unplugged is reopened when it returns.

            Exit status: 0 when at least one code was found, 4 when none was, 2 when an input could not \
            be read (missing, unreadable, corrupt, unsupported or too large; the others are still scanned), \
            3 when the camera could not be used.
            """
    )

    @Argument(help: "Image files to scan; `-` for standard input.")
    var files: [String] = []

    @Option(help: ArgumentHelp("Stream from this V4L2 camera.", valueName: "/dev/videoN"))
    var device: String?

    @Option(help: ArgumentHelp("Stream from a folder of images or a Y4M video.", valueName: "path"))
    var replay: String?

    @Option(help: ArgumentHelp("Camera frame size; the nearest offered size is used.", valueName: "WxH"))
    var size: String = "1280x720"

    @Option(help: "Frames per second (camera request, or replay pace).")
    var fps: Double = 30

    @Option(help: "Seconds a code must be out of view before it is printed again.")
    var hold: Double = 2

    @Option(help: ArgumentHelp("Decode only this region of each live frame.", valueName: "x,y,w,h"))
    var roi: String?

    @Option(help: "Stop after this many frames (live modes).")
    var frames: Int?

    @Flag(help: "Replay: start again at the end.")
    var loop = false

    @Flag(help: "Live modes: print capture and decode statistics every 5 s and at the end.")
    var stats = false

    @Flag(
        help:
            "Print one JSON object per code: file, symbology, text, bytes (base64, when not UTF-8), points, quality, pass, decode_ms."
    )
    var json = false

    @Flag(help: "Print only the payloads, one per line.")
    var raw = false

    @Option(
        help: ArgumentHelp(
            "Symbologies to look for, comma-separated.",
            discussion: "One or more of: \(Symbology.allCases.map(\.rawValue).joined(separator: ", ")), all, default.",
            valueName: "list"))
    var symbologies: String = "default"

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Read EAN/UPC 2- and 5-digit add-ons with their codes.",
            discussion:
                "On by default for image files (a code whose add-on is visible is then printed with it, or not at all); off by default for --device and --replay."
        ))
    var eanAddons: Bool?

    @Flag(help: "Read Code 39 as Full ASCII (+A is a, %U is NUL); only for labels printed that way.")
    var code39FullAscii = false

    @Flag(help: "Only the plain pass (what live video gets); no rescue passes.")
    var fast = false

    @Flag(name: .shortAndLong, help: "No summary line on standard error.")
    var quiet = false

    @Flag(
        help: ArgumentHelp(
            "Look each code up in the device's invoice cache and show the invoice.",
            discussion: "Uses the profile's payload rules and database (--profile, --db); --json adds a \"lookup\" object."))
    var lookup = false

    @OptionGroup var deviceData: DeviceOptions

    mutating func validate() throws {
        if json && raw { throw ValidationError("--json and --raw cannot be used together") }
        if lookup && raw { throw ValidationError("--lookup shows invoices; it cannot be used with --raw") }
        let sources = (files.isEmpty ? 0 : 1) + (device == nil ? 0 : 1) + (replay == nil ? 0 : 1)
        if sources == 0 { throw ValidationError("give image files, --device or --replay") }
        if sources > 1 { throw ValidationError("scan files, --device or --replay: one at a time") }
        if parseSize(size) == nil { throw ValidationError("--size must look like 1280x720") }
        if let roi, parseRegion(roi) == nil { throw ValidationError("--roi must be x,y,width,height in pixels") }
        if fps <= 0 || fps > 240 { throw ValidationError("--fps must be between 0 and 240") }
        if hold < 0 { throw ValidationError("--hold cannot be negative") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        do { _ = try Symbology.parseList(symbologies) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        if device != nil || replay != nil { return try await runLive() }
        let chosen = try Symbology.parseList(symbologies)
        let scanner = StillImageScanner(
            options: DecoderOptions(symbologies: chosen, eanAddons: eanAddons ?? true, code39FullASCII: code39FullAscii))
        let loader = ImageLoader()
        let lookups = try lookup ? LookupPrinter(options: deviceData, json: json) : nil
        var found = 0
        var failed = 0
        var decoded = 0
        for path in files {
            let frame: Frame
            do {
                frame = try loader.load(path: path)
            } catch {
                failed += 1
                printError("\(error.message) [\(error.codeString)]")
                continue
            }
            decoded += 1
            let result = scanner.scan(frame, exhaustive: !fast)
            for symbol in result.symbols {
                found += 1
                if json {
                    let line = SymbolRecord(file: path, symbol: symbol, result: result).jsonLine()
                    emit(try lookups?.spliced(line, symbol: symbol) ?? line)
                } else if raw {
                    emit(symbol.text)
                } else {
                    emit("\(symbol.symbology.displayName):\(symbol.text)")
                    try lookups?.printCard(symbol: symbol)
                }
            }
        }
        if !quiet {
            printError(
                "scanned \(found) code\(found == 1 ? "" : "s") in \(decoded) of \(files.count) image\(files.count == 1 ? "" : "s")"
            )
        }
        if failed > 0 { throw ExitCode(ExitStatus.badInput) }
        if found == 0 { throw ExitCode(ExitStatus.nothingFound) }
    }
}

/// `scan --lookup`: each code found is looked up and its invoice shown under it.
struct LookupPrinter {
    let lookup: InvoiceLookup
    let today: LocalDate
    let json: Bool

    init(options: DeviceOptions, json: Bool) throws {
        let profile = try options.loadProfile()
        let database = try options.openDatabase(profile)
        do { lookup = try InvoiceLookup(profile: profile, database: database) } catch {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        }
        today = options.today(profile)
        self.json = json
    }

    func outcome(_ symbol: Symbol) throws -> InvoiceLookup.Outcome {
        try store { () throws(StoreError) in try lookup.lookup(symbol.text, symbology: symbol.symbology.rawValue, today: today) }
    }

    func printCard(symbol: Symbol) throws {
        InvoicePresenter.text(try outcome(symbol)).forEach { emit("  " + $0) }
    }

    /// The symbol's JSON object with a "lookup" member added.
    func spliced(_ line: String, symbol: Symbol) throws -> String {
        String(line.dropLast()) + ",\"lookup\":" + InvoicePresenter.json(try outcome(symbol)) + "}"
    }
}

public func emit(_ line: String) {
    print(line)
    fflush(nil)  // a pipe reader (or a person watching a camera) wants each code as it is found
}

func parseSize(_ text: String) -> (Int, Int)? {
    let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, (16...16_384).contains(parts[0]), (16...16_384).contains(parts[1]) else { return nil }
    return (parts[0], parts[1])
}

func parseRegion(_ text: String) -> (Int, Int, Int, Int)? {
    let parts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 4, parts[0] >= 0, parts[1] >= 0, parts[2] > 0, parts[3] > 0 else { return nil }
    return (parts[0], parts[1], parts[2], parts[3])
}

/// A line on standard error, after flushing what standard output holds so the two interleave sensibly.
public func printError(_ line: String) {
    fflush(nil)
    let bytes = Array("fieldpay: \(line)\n".utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
