import ArgumentParser
import FieldPayCore
import Imaging
import Scanning

#if canImport(Glibc)
    import Glibc
#endif

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Decode the barcodes and QR codes in image files.",
        discussion: """
            Reads PNG, JPEG and PGM/PPM images (told apart by content, not by name); `-` reads one image \
            from standard input. Prints one `SYMBOLOGY:payload` line per code found, as zbarimg does, or \
            one JSON object per code with --json.

            When a plain pass finds nothing, the image is looked at again inverted, contrast-stretched, \
            rescaled, smoothed, sharpened, binarized and rotated; --fast skips that.

            Exit status: 0 when at least one code was found, 4 when none was, 2 when an input could not \
            be read (missing, unreadable, corrupt, unsupported or too large; the others are still scanned).
            """
    )

    @Argument(help: "Image files to scan; `-` for standard input.")
    var files: [String]

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

    @Flag(help: "Also read EAN/UPC 2- and 5-digit add-ons.")
    var eanAddons = false

    @Flag(help: "Only the plain pass (what live video gets); no rescue passes.")
    var fast = false

    @Flag(name: .shortAndLong, help: "No summary line on standard error.")
    var quiet = false

    mutating func validate() throws {
        if json && raw { throw ValidationError("--json and --raw cannot be used together") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        do { _ = try Symbology.parseList(symbologies) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        let chosen = try Symbology.parseList(symbologies)
        let scanner = StillImageScanner(options: DecoderOptions(symbologies: chosen, eanAddons: eanAddons))
        let loader = ImageLoader()
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
                    emit(SymbolRecord(file: path, symbol: symbol, result: result).jsonLine())
                } else if raw {
                    emit(symbol.text)
                } else {
                    emit("\(symbol.symbology.displayName):\(symbol.text)")
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

func emit(_ line: String) {
    print(line)
}

/// A line on standard error, after flushing what standard output holds so the two interleave sensibly.
func printError(_ line: String) {
    fflush(nil)
    let bytes = Array("fieldpay: \(line)\n".utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
