import Imaging
import QRRender
import Scanning
import Testing

@Suite("QR rendering")
struct QRRenderTests {
    let uri = "upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Traders&tr=DEMO01INV2026270045126G8K2Q&tn=Invoice%20INV%2F2026-27%2F004512&am=15110.00&cu=INR&invoiceNo=INV%2F2026-27%2F004512"

    @Test("what is rendered decodes back to the same text with ZBarDecoder", arguments: [2, 3, 4])
    func roundTrip(moduleSize: Int) throws {
        let code = try QRCode(uri)
        let (side, pixels) = code.bitmap(moduleSize: moduleSize)
        let symbols = ZBarDecoder().decode(Frame(width: side, height: side, pixels: pixels))
        #expect(symbols.map(\.text) == [uri])
    }

    @Test("the PNG file decodes back too")
    func png() throws {
        let code = try QRCode(uri)
        let (side, pixels) = code.bitmap(moduleSize: 3)
        let bytes = try PNGWriter.encode(Frame(width: side, height: side, pixels: pixels))
        let frame = try ImageLoader().decode(bytes, source: "qr.png")
        #expect(ZBarDecoder().decode(frame).map(\.text) == [uri])
    }

    @Test("SVG: a white square with the quiet zone and one path; the terminal form has a line per two rows")
    func svgAndTerminal() throws {
        let code = try QRCode("INV-1")
        let svg = code.svg(moduleSize: 4, title: "Pay <Acme> & co")
        let side = code.size + 8
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(side * 4)\""))
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("<title>Pay &lt;Acme&gt; &amp; co</title>"))
        #expect(code.terminal().split(separator: "\n").count == (side + 1) / 2)
        #expect(code.size == 21 && code.version == 1)
    }

    @Test("many threads at once get the same modules (calls into libqrencode are serialized)")
    func concurrent() async throws {
        let expected = try QRCode(uri)
        try await withThrowingTaskGroup(of: QRCode.self) { group in
            for _ in 0..<64 { group.addTask { try QRCode(uri) } }
            for try await code in group { #expect(code == expected) }
        }
    }

    @Test("empty and oversized text are refused")
    func refusals() {
        #expect(throws: QRError.self) { try QRCode("") }
        #expect(throws: QRError.self) { try QRCode(String(repeating: "x", count: 3_000), correction: .high) }
    }
}

import Foundation

@Suite("QR as SVG, rendered by librsvg")
struct SVGRenderTests {
    static let rsvg = "/usr/bin/rsvg-convert"

    @Test("the SVG, drawn by a real SVG renderer, decodes back to the text", .enabled(if: FileManager.default.isExecutableFile(atPath: rsvg), "needs rsvg-convert (librsvg2-bin; make test installs it)"))
    func svgRoundTrip() throws {
        let text = "upi://pay?pa=acme.traders@okhdfcbank&pn=Acme%20Distributors&am=15110.00&cu=INR"
        let folder = NSTemporaryDirectory() + "fieldpay-svg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try QRCode(text).svg(moduleSize: 4).write(toFile: folder + "/q.svg", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SVGRenderTests.rsvg)
        process.arguments = [folder + "/q.svg", "-o", folder + "/q.png"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let frame = try ImageLoader().load(path: folder + "/q.png")
        #expect(ZBarDecoder().decode(frame).map(\.text) == [text])
    }
}
