import Foundation
import Testing

@testable import Imaging

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let scanningFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("ScanningTests/Fixtures")

func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// A scratch directory removed when the test ends.
struct Scratch: ~Copyable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("fieldpay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

func bytes(of path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite("Image loaders")
struct ImageLoaderTests {
    let loader = ImageLoader()

    @Test("binary, ASCII and 16-bit PGM give the same 8-bit gradient")
    func pgmVariants() throws {
        let binary = try loader.load(path: fixture("gradient.pgm"))
        let ascii = try loader.load(path: fixture("gradient-ascii.pgm"))
        let wide = try loader.load(path: fixture("gradient-16bit.pgm"))
        #expect(binary.width == 4 && binary.height == 3)
        #expect(binary.pixels == ascii.pixels)
        #expect(binary.pixels == wide.pixels)
        #expect(binary[0, 0] == 0 && binary[0, 2] == 255)
    }

    @Test("colour images become BT.601 luma: pure red is 77")
    func colourToLuma() throws {
        for name in ["red.ppm", "red.png"] {
            let frame = try loader.load(path: fixture(name))
            #expect(frame.width == 4 && frame.height == 3)
            #expect(frame.pixels.allSatisfy { $0 == 77 }, "\(name): \(frame.pixels)")
        }
    }

    @Test("JPEG decodes to its grey level")
    func jpeg() throws {
        let frame = try loader.load(path: fixture("gray100.jpg"))
        #expect(frame.width == 16 && frame.height == 16)
        #expect(frame.pixels.allSatisfy { abs(Int($0) - 100) <= 2 })
    }

    @Test("PBM bitmaps, ASCII and packed: 1 is black")
    func pbm() throws {
        let ascii = try loader.decode(Array("P1\n# comment\n4 2\n1 0 1 0\n0101\n".utf8), source: "a.pbm")
        let packed = try loader.decode(Array("P4\n4 2\n".utf8) + [0b1010_0000, 0b0101_0000], source: "b.pbm")
        #expect(ascii.pixels == [0, 255, 0, 255, 255, 0, 255, 0])
        #expect(packed.pixels == ascii.pixels)
    }

    @Test("transparent PNG pixels are composed onto white paper")
    func transparentPNG() throws {
        let frame = try loader.load(path: scanningFixtures.appendingPathComponent("qr-transparent.png").path)
        #expect(frame[0, 0] == 255)
        #expect(frame.pixels.contains(0))
    }

    @Test("the format is told by content, not by the file name")
    func sniffing() throws {
        let scratch = try Scratch()
        let misnamed = try scratch.write("actually-a-png.jpg", try bytes(of: fixture("red.png")))
        #expect(try loader.load(path: misnamed).pixels.first == 77)
    }

    // MARK: - Bad input: each is a clear ImageError naming the file, never a crash.

    func expectError(_ path: String, _ code: ImageError.Code, mentioning: String, loader: ImageLoader = ImageLoader()) {
        do {
            let frame = try loader.load(path: path)
            Issue.record("\(path) loaded as \(frame.width)x\(frame.height); expected \(code)")
        } catch {
            #expect(error.code == code, "\(path): \(error.message)")
            #expect(error.message.hasPrefix(path + ": "), "message names the file: \(error.message)")
            #expect(error.message.lowercased().contains(mentioning.lowercased()), "\(error.message)")
        }
    }

    @Test("a missing file")
    func missing() { expectError("/nonexistent/invoice.png", .notFound, mentioning: "no such file") }

    @Test("a directory")
    func directory() throws {
        let scratch = try Scratch()
        expectError(scratch.url.path, .unreadable, mentioning: "directory")
    }

    @Test("an empty file")
    func empty() throws {
        let scratch = try Scratch()
        expectError(try scratch.write("empty.png", []), .empty, mentioning: "empty")
    }

    @Test("text is not an image")
    func text() throws {
        let scratch = try Scratch()
        expectError(try scratch.write("notes.png", Array("hello".utf8)), .unsupportedFormat, mentioning: "PNG, JPEG")
    }

    @Test("a GIF is recognised and refused by name")
    func gif() { expectError(fixture("white.gif"), .unsupportedFormat, mentioning: "GIF") }

    @Test("a PNG cut short")
    func truncatedPNG() throws {
        let scratch = try Scratch()
        let full = try bytes(of: scanningFixtures.appendingPathComponent("qr-upi.png").path)
        for cut in [8, 20, 40, full.count / 2, full.count - 14] {
            expectError(try scratch.write("cut\(cut).png", Array(full.prefix(cut))), .corrupt, mentioning: "PNG")
        }
    }

    @Test("a PNG with a damaged chunk")
    func damagedPNG() throws {
        let scratch = try Scratch()
        var data = try bytes(of: scanningFixtures.appendingPathComponent("qr-upi.png").path)
        for i in 60..<min(data.count - 20, 200) { data[i] ^= 0x5A }
        expectError(try scratch.write("damaged.png", data), .corrupt, mentioning: "PNG")
    }

    @Test("a JPEG whose header is garbage")
    func corruptJPEG() throws {
        let scratch = try Scratch()
        let garbage: [UInt8] = [0xFF, 0xD8, 0xFF] + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        expectError(try scratch.write("bad.jpg", garbage), .corrupt, mentioning: "JPEG")
    }

    @Test("a PGM whose pixel data is cut short, or whose header is incomplete")
    func truncatedPGM() throws {
        let scratch = try Scratch()
        expectError(
            try scratch.write("short.pgm", Array("P5 4 3 255\n".utf8) + [1, 2, 3]), .corrupt, mentioning: "ends after")
        expectError(try scratch.write("nohead.pgm", Array("P5 4".utf8)), .corrupt, mentioning: "header")
        expectError(try scratch.write("maxval.pgm", Array("P5 4 3 0\n".utf8)), .corrupt, mentioning: "maximum")
        expectError(try scratch.write("ascii.pgm", Array("P2 2 2 255 1 2 3".utf8)), .corrupt, mentioning: "ends after")
    }

    @Test("an absurd size is refused before any pixel memory is allocated")
    func absurdSize() throws {
        let scratch = try Scratch()
        expectError(
            try scratch.write("huge.pgm", Array("P5 100000 100000 255\n".utf8)), .tooLarge, mentioning: "megapixels")
        // A PNG header claiming 2^31-1 square: patch the IHDR of a real file (CRC then fails: either error is fine,
        // but never an allocation of that size).
        var png = try bytes(of: fixture("red.png"))
        png.replaceSubrange(16..<24, with: [0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF])
        let path = try scratch.write("huge.png", png)
        #expect(throws: ImageError.self) { try loader.load(path: path) }
    }

    @Test("limits are configurable: a file over the byte limit")
    func fileSizeLimit() {
        let tight = ImageLoader(limits: ImageLimits(maxFileBytes: 100))
        expectError(
            scanningFixtures.appendingPathComponent("qr-upi.png").path, .tooLarge, mentioning: "MiB", loader: tight)
        let small = ImageLoader(limits: ImageLimits(maxPixels: 10))
        expectError(fixture("gray100.jpg"), .tooLarge, mentioning: "16x16", loader: small)
    }

    @Test("random bytes behind each magic number never crash the loaders", arguments: 0..<24)
    func fuzz(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed + 1))
        let magics: [[UInt8]] = [
            Array("P5".utf8), Array("P6 ".utf8), Array("P2".utf8), Array("P4".utf8),
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF],
        ]
        let magic = magics[seed % magics.count]
        let body = (0..<Int.random(in: 0...600, using: &generator)).map { _ in
            UInt8.random(in: 0...255, using: &generator)
        }
        do {
            let frame = try loader.decode(magic + body, source: "fuzz")
            #expect(frame.width > 0 && frame.height > 0)
        } catch {
            #expect(error.message.hasPrefix("fuzz: "))
        }
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
