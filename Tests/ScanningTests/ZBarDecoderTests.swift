import Foundation
import Imaging
import Testing

@testable import Scanning

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

func load(_ name: String) throws -> Frame {
    try ImageLoader().load(path: fixtures.appendingPathComponent(name).path)
}

func scan(_ name: String, options: DecoderOptions = DecoderOptions(), exhaustive: Bool = true) throws -> StillScanResult
{
    StillImageScanner(options: options).scan(try load(name), exhaustive: exhaustive)
}

@Suite("ZBarDecoder")
struct ZBarDecoderTests {
    @Test(
        "every default symbology decodes to the exact payload",
        arguments: [
            ("qr-invoice.png", Symbology.qr, "INV/2026-27/004512"),
            ("code128-invoice.png", .code128, "INV-2026-004512"),
            ("code39.png", .code39, "INV2026004512"),
            ("code93.png", .code93, "INV-4512"),
            ("codabar.png", .codabar, "A40156B"),
            ("i25.png", .i25, "020260045120"),
            ("ean13.png", .ean13, "8901234567890"),
            ("ean8.png", .ean8, "89012345"),
            ("upca.png", .upca, "036000291452"),
            ("upce.png", .upce, "04252614"),
            ("databar.png", .databar, "0109501101530010"),
            ("databar-exp.png", .databarExpanded, "0198898765432106320201234515991231"),
        ])
    func symbology(file: String, symbology: Symbology, payload: String) throws {
        let symbols = ZBarDecoder().decode(try load(file))
        #expect(symbols.count == 1)
        #expect(symbols.first?.symbology == symbology)
        #expect(symbols.first?.text == payload)
        #expect(symbols.first?.points.count == 4)
    }

    @Test("a UPI URI survives byte for byte")
    func upi() throws {
        let symbols = ZBarDecoder().decode(try load("qr-upi.png"))
        #expect(
            symbols.map(\.text) == [
                "upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&am=1234.50&cu=INR&tr=INV004512&tn=Invoice%20004512"
            ])
    }

    @Test("UTF-8 QR payloads (Devanagari, ₹) are read as UTF-8, not as zbar's Shift-JIS guess")
    func utf8() throws {
        let symbol = try #require(ZBarDecoder().decode(try load("qr-utf8.png")).first)
        #expect(symbol.text == "बिल 4512 — ₹1,234.50 बकाया")
        #expect(symbol.encoding == .utf8)
        #expect(symbol.bytes == Array("बिल 4512 — ₹1,234.50 बकाया".utf8))
    }

    @Test("binary QR payloads keep their exact bytes; text falls back to ISO-8859-1")
    func binary() throws {
        let symbol = try #require(ZBarDecoder().decode(try load("qr-binary.png")).first)
        #expect(symbol.bytes == [0x00, 0x01, 0x02, 0x7F, 0x80, 0x9F, 0xA0, 0xC3, 0x28, 0xFF, 0xFE, 0xFD])
        #expect(symbol.encoding == .latin1)
        #expect(symbol.text.unicodeScalars.map(\.value) == symbol.bytes.map(UInt32.init))
    }

    @Test("several codes in one image are all found, each once")
    func several() throws {
        let symbols = ZBarDecoder().decode(try load("multi.png"))
        #expect(
            Set(symbols.map { "\($0.symbology.rawValue):\($0.text)" }) == [
                "qr:INV/2026-27/004512", "code128:INV-2026-004512", "ean13:8901234567890",
            ])
        #expect(symbols.count == 3)
    }

    @Test("restricting symbologies hides the others")
    func restriction() throws {
        let qrOnly = ZBarDecoder(options: DecoderOptions(symbologies: [.qr])).decode(try load("multi.png"))
        #expect(qrOnly.map(\.symbology) == [.qr])
        let none = ZBarDecoder(options: DecoderOptions(symbologies: [.ean8])).decode(try load("multi.png"))
        #expect(none.isEmpty)
    }

    @Test("EAN add-ons are read only when asked for")
    func addons() throws {
        let plain = ZBarDecoder().decode(try load("ean13-addon5.png"))
        #expect(plain.map(\.symbology) == [.ean13])
        let withAddons = ZBarDecoder(options: DecoderOptions(eanAddons: true)).decode(try load("ean13-addon5.png"))
        #expect(withAddons.map(\.text) == ["890123456789012345"])
    }

    @Test("an empty page gives nothing, on every pass")
    func empty() throws {
        let result = try scan("empty.jpg")
        #expect(result.symbols.isEmpty)
        #expect(result.pass == nil)
        #expect(result.passesTried == StillImageScanner.standardPasses.count)
    }

    @Test("a frame with row padding decodes like the packed frame")
    func stride() throws {
        let frame = try load("qr-invoice.png")
        let stride = frame.width + 13
        var pixels = [UInt8](repeating: 0, count: stride * frame.height)
        for y in 0..<frame.height { for x in 0..<frame.width { pixels[y * stride + x] = frame[x, y] } }
        let padded = Frame(width: frame.width, height: frame.height, stride: stride, pixels: pixels)
        #expect(ZBarDecoder().decode(padded) == ZBarDecoder().decode(frame))
    }

    @Test("the same frame always gives the same codes and outlines, across scanner recycling")
    func determinismAndRecycling() throws {
        // zbar's `quality` (scan lines that agreed) may differ by one between a new scanner's first decode
        // and later ones; what was read and where does not.
        func essence(_ symbols: [Symbol]) -> [String] {
            symbols.map { "\($0.symbology):\($0.text):\($0.points)" }
        }
        let frame = try load("multi.png")
        let decoder = ZBarDecoder(options: DecoderOptions(recycleInterval: 3))
        let first = essence(decoder.decode(frame))
        #expect(first.count == 3)
        for _ in 0..<9 { #expect(essence(decoder.decode(frame)) == first) }
        #expect(decoder.recycleCount == 3)
    }

    @Test("a solid frame and a one-pixel frame decode to nothing without trouble")
    func degenerate() {
        #expect(ZBarDecoder().decode(Frame(width: 1, height: 1, filledWith: 0)).isEmpty)
        #expect(ZBarDecoder().decode(Frame(width: 640, height: 480, filledWith: 255)).isEmpty)
    }
}

@Suite("Still-image scanning")
struct StillImageScannerTests {
    @Test(
        "hard but fair images are rescued by the extra passes",
        arguments: [
            ("qr-inverted.png", "INV/2026-27/004512"),
            ("code128-inverted.png", "INV-2026-004512"),
            ("code128-rotated20.png", "INV-2026-004512"),
            ("code128-rotated90.png", "INV-2026-004512"),
            ("qr-rotated.png", "INV/2026-27/004512"),
            (
                "qr-noisy.png",
                "upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&am=1234.50&cu=INR&tr=INV004512&tn=Invoice%20004512"
            ),
            (
                "qr-blurred.png",
                "upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&am=1234.50&cu=INR&tr=INV004512&tn=Invoice%20004512"
            ),
            ("qr-lowcontrast.png", "INV/2026-27/004512"),
            ("code128-lowcontrast.png", "INV-2026-004512"),
            ("qr-transparent.png", "INV/2026-27/004512"),
            ("qr-invoice.jpg", "INV/2026-27/004512"),
            ("qr-invoice.ppm", "INV/2026-27/004512"),
            ("qr-invoice-rgb.png", "INV/2026-27/004512"),
            ("code128-invoice.pgm", "INV-2026-004512"),
        ])
    func rescued(file: String, payload: String) throws {
        let result = try scan(file)
        #expect(result.symbols.map(\.text) == [payload], "pass: \(result.pass ?? "none")")
    }

    @Test("inverted codes need the rescue passes: the plain pass alone finds nothing")
    func invertedNeedsRescue() throws {
        #expect(try scan("qr-inverted.png", exhaustive: false).symbols.isEmpty)
        #expect(try scan("qr-inverted.png").pass == "inverted")
    }

    @Test("points found on a transformed view are mapped back onto the original image")
    func pointsMappedBack() throws {
        let frame = try load("code128-rotated20.png")
        let result = StillImageScanner().scan(frame)
        let symbol = try #require(result.symbols.first)
        #expect(result.pass?.hasPrefix("rotated") == true)
        for p in symbol.points {
            #expect(p.x >= -2 && p.x <= frame.width + 2 && p.y >= -2 && p.y <= frame.height + 2, "\(p)")
        }
        // The code's outline spans most of the image width (it is 772 px long, rotated 20°).
        let xs = symbol.points.map(\.x)
        #expect(xs.max()! - xs.min()! > 500)
    }

    @Test("an enlarged view's points are scaled back down")
    func pointMapScale() {
        var map = PointMap.identity
        map.scale = 0.5
        #expect(map.map(Point(x: 100, y: 40)) == Point(x: 50, y: 20))
    }

    /// An outline `length` pixels long, as zbar reports a horizontal read.
    func line(_ length: Int) -> [Point] {
        [Point(x: 10, y: 5), Point(x: 10 + length, y: 5), Point(x: 10 + length, y: 9), Point(x: 10, y: 9)]
    }

    @Test("the misread guard: weak-check linear codes need agreeing scan lines; 2D codes do not")
    func misreadGuard() {
        let scanner = StillImageScanner()
        let once = Symbol(symbology: .i25, bytes: Array("123456".utf8), points: line(80), quality: 1)
        let twice = Symbol(symbology: .i25, bytes: Array("123456".utf8), points: line(80), quality: 2)
        let code128Once = Symbol(symbology: .code128, bytes: Array("X".utf8), points: line(80), quality: 1)
        let qr = Symbol(symbology: .qr, bytes: Array("Q".utf8), quality: 1)
        #expect(scanner.accept([once], firstPass: true).isEmpty)
        #expect(scanner.accept([twice], firstPass: true).count == 1)
        #expect(scanner.accept([twice], firstPass: false).isEmpty)
        #expect(scanner.accept([code128Once], firstPass: true).count == 1)
        #expect(scanner.accept([code128Once], firstPass: false).isEmpty)
        #expect(scanner.accept([qr, qr], firstPass: false).count == 1)
    }

    @Test("the misread guard: a linear read squeezed into a few pixels is noise")
    func degenerateSpan() {
        let scanner = StillImageScanner()
        // As seen on a glare-lit JPEG: I2/5 '38238825' read with an outline 0×2 px.
        let squeezed = Symbol(symbology: .i25, bytes: Array("38238825".utf8), points: line(2), quality: 5)
        let real = Symbol(symbology: .i25, bytes: Array("38238825".utf8), points: line(150), quality: 5)
        #expect(scanner.accept([squeezed], firstPass: true).isEmpty)
        #expect(scanner.accept([real], firstPass: true).count == 1)
    }

    @Test("the misread guard: a partial read inside a longer read of the same code is dropped")
    func partialRead() {
        let scanner = StillImageScanner()
        let full = Symbol(symbology: .i25, bytes: Array("241656252397".utf8), points: line(300), quality: 55)
        let partial = Symbol(symbology: .i25, bytes: Array("252397".utf8), points: line(160), quality: 3)
        let other = Symbol(symbology: .code128, bytes: Array("252397".utf8), points: line(160), quality: 3)
        #expect(scanner.accept([partial, full, other], firstPass: true).map(\.text) == ["241656252397", "252397"])
        #expect(scanner.accept([partial, full, other], firstPass: true).map(\.symbology) == [.i25, .code128])
    }

    @Test("passes that would make a huge view are skipped")
    func hugeViewsSkipped() {
        let frame = Frame(width: 3000, height: 2000, filledWith: 255)
        let enlarge = ScanPass("enlarged", [.enlarge(2)])
        #expect(enlarge.estimatedPixels(for: frame) > StillImageScanner(passes: [enlarge]).maxPassPixels)
        let result = StillImageScanner(passes: [ScanPass("plain", []), enlarge]).scan(frame)
        #expect(result.passesTried == 1)
    }
}

@Suite("Symbologies, records and text")
struct SymbologyTests {
    @Test("lists parse case-insensitively, with aliases, all and default")
    func parse() throws {
        #expect(try Symbology.parseList("QR, code128") == [.qr, .code128])
        #expect(try Symbology.parseList("ean-13,itf") == [.ean13, .i25])
        #expect(try Symbology.parseList("all") == Set(Symbology.allCases))
        #expect(try Symbology.parseList("default") == Symbology.defaultSet)
    }

    @Test("an unknown name is refused, listing the valid ones", arguments: ["qr,pdf417", "", ",,", "datamatrix"])
    func unknown(list: String) {
        #expect(throws: ScanError.self) { try Symbology.parseList(list) }
        do { _ = try Symbology.parseList(list) } catch {
            #expect(error.code == .unknownSymbology)
        }
    }

    @Test("every symbology maps to a zbar type and back")
    func zbarRoundTrip() {
        for symbology in Symbology.allCases {
            #expect(Symbology(zbarType: symbology.zbarType) == symbology)
        }
    }

    @Test("text: a UTF-8 BOM is dropped; invalid UTF-8 falls back to ISO-8859-1")
    func text() {
        #expect(Symbol.decodeText([0xEF, 0xBB, 0xBF, 0x41]).0 == "A")
        let (latin, encoding) = Symbol.decodeText([0x41, 0xE9, 0x42])
        #expect(latin == "AéB" && encoding == .latin1)
    }

    @Test("JSON records escape control characters and quote everything that needs it")
    func jsonRecord() throws {
        let symbol = Symbol(symbology: .qr, bytes: [0x22, 0x0A, 0x00, 0xFF], points: [Point(x: 1, y: 2)], quality: 1)
        let result = StillScanResult(symbols: [symbol], pass: "plain", passesTried: 1, durationNanos: 1_500_000)
        let line = SymbolRecord(file: "a\"b.png", symbol: symbol, result: result).jsonLine()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["file"] as? String == "a\"b.png")
        #expect(object["text"] as? String == "\"\n\u{0}ÿ")
        #expect(object["bytes"] as? String == Data([0x22, 0x0A, 0x00, 0xFF]).base64EncodedString())
        #expect(object["decode_ms"] as? Double == 1.5)
        #expect(!line.contains("\n"))
    }

    @Test("base64 matches Foundation's for every padding case", arguments: 0..<7)
    func base64(length: Int) {
        let bytes = (0..<length).map { UInt8($0 * 53 % 256) }
        #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
    }
}

@Suite("Debouncer")
struct DebouncerTests {
    let a = Symbol(symbology: .qr, bytes: Array("A".utf8))
    let b = Symbol(symbology: .qr, bytes: Array("B".utf8))
    let second: UInt64 = 1_000_000_000

    @Test("a code is reported once while it stays in view, and again after the hold time out of view")
    func holds() {
        var debouncer = Debouncer(holdSeconds: 2)
        #expect(debouncer.admit([a], at: 0).map(\.text) == ["A"])
        #expect(debouncer.admit([a], at: 1 * second).isEmpty)
        #expect(debouncer.admit([a, b], at: 2 * second).map(\.text) == ["B"])
        #expect(debouncer.admit([a], at: 3 * second + 500).isEmpty)  // still in view: the clock restarts
        #expect(debouncer.admit([], at: 4 * second).isEmpty)
        #expect(debouncer.admit([a], at: 6 * second).map(\.text) == ["A"])  // out of view for > 2 s
    }

    @Test("the same code twice in one frame is reported once; same text in another symbology is another code")
    func identity() {
        var debouncer = Debouncer(holdSeconds: 1)
        let aAsCode128 = Symbol(symbology: .code128, bytes: Array("A".utf8))
        #expect(debouncer.admit([a, a, aAsCode128], at: 0).count == 2)
    }
}
