import Foundation
import Imaging
import Testing

@testable import Capture

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fieldpay-replay-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A Y4M file with `frames` frames of 4x2, luma value = frame number, in the given colour space.
func y4m(frames: Int, colour: String?, chroma: Int) -> Data {
    var data = Data("YUV4MPEG2 W4 H2 F30:1 Ip A1:1\(colour.map { " C" + $0 } ?? "")\n".utf8)
    for n in 0..<frames {
        data.append(Data("FRAME\n".utf8))
        data.append(Data(repeating: UInt8(n + 1), count: 8))
        data.append(Data(repeating: 128, count: chroma))
    }
    return data
}

@Suite("Replay")
struct ReplayTests {
    @Test(
        "Y4M: the luma plane of every frame, for mono and each chroma layout",
        arguments: [("mono", 0), ("420jpeg", 4), (nil, 4), ("422", 8), ("444", 16)] as [(String?, Int)])
    func y4mFrames(colour: String?, chroma: Int) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("v.y4m").path
        try y4m(frames: 3, colour: colour, chroma: chroma).write(to: URL(fileURLWithPath: path))
        let reader = try Y4MReader(path: path)
        #expect(reader.width == 4 && reader.height == 2 && reader.framesPerSecond == 30)
        var values: [UInt8] = []
        while let frame = try reader.next() { values.append(frame.pixels[0]) }
        #expect(values == [1, 2, 3])
    }

    @Test("Y4M errors: not Y4M, unsupported colour space, a cut-short frame")
    func y4mErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.y4m").path
        try Data("RIFF....".utf8).write(to: URL(fileURLWithPath: bad))
        #expect(throws: CaptureError.self) { try Y4MReader(path: bad) }
        let colour = dir.appendingPathComponent("c.y4m").path
        try y4m(frames: 1, colour: "411", chroma: 4).write(to: URL(fileURLWithPath: colour))
        do { _ = try Y4MReader(path: colour) } catch { #expect(error.message.contains("C411")) }
        let cut = dir.appendingPathComponent("cut.y4m").path
        try y4m(frames: 2, colour: "mono", chroma: 0).dropLast(3).write(to: URL(fileURLWithPath: cut))
        let reader = try Y4MReader(path: cut)
        #expect(try reader.next() != nil)
        #expect(throws: CaptureError.self) { try reader.next() }
    }

    @Test("a folder replays its images in name order; other files are ignored")
    func folder() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, value) in [("b.pgm", 2), ("a.pgm", 1), ("c.pgm", 3)] {
            try Data("P5 2 1 255\n".utf8 + [UInt8(value), UInt8(value)]).write(to: dir.appendingPathComponent(name))
        }
        try Data("notes".utf8).write(to: dir.appendingPathComponent("readme.txt"))
        let replay = try ReplaySource(path: dir.path, framesPerSecond: 1_000)
        var values: [UInt8] = []
        try replay.run { values.append($0.pixels[0]) }
        #expect(values == [1, 2, 3])
        #expect(replay.content == .images(["a.pgm", "b.pgm", "c.pgm"].map { dir.path + "/" + $0 }))
    }

    @Test("a missing path and an empty folder are refused up front")
    func badPaths() throws {
        #expect(throws: CaptureError.self) { try ReplaySource(path: "/nonexistent/replay") }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do { _ = try ReplaySource(path: dir.path) } catch { #expect(error.code == .badReplay) }
        #expect(throws: CaptureError.self) { try ReplaySource(path: dir.path, framesPerSecond: 0) }
    }

    @Test("replayed frames are stamped with the monotonic time they were delivered, in order")
    func timestamps() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("v.y4m").path
        try y4m(frames: 5, colour: "mono", chroma: 0).write(to: URL(fileURLWithPath: path))
        var stamps: [UInt64] = []
        try ReplaySource(path: path, framesPerSecond: 500).run { stamps.append($0.timestampNanos) }
        #expect(stamps.count == 5)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
    }
}
