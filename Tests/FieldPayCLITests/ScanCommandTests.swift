import Foundation
import Testing

/// `fieldpay scan` as a user runs it: the built binary, real files, exit statuses and output.
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("fieldpay").path
let fixtureDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("ScanningTests/Fixtures").path

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

func fieldpay(_ arguments: [String], stdin: Data? = nil) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

func fixturePath(_ name: String) -> String { fixtureDir + "/" + name }

@Suite("fieldpay scan")
struct ScanCommandTests {
    @Test("prints SYMBOLOGY:payload lines as zbarimg does, and exits 0")
    func plainOutput() throws {
        let run = try fieldpay(["scan", fixturePath("multi.png")])
        #expect(run.status == 0)
        #expect(
            Set(run.stdout.split(separator: "\n")) == [
                "QR-Code:INV/2026-27/004512", "CODE-128:INV-2026-004512", "EAN-13:8901234567890",
            ])
        #expect(run.stderr.contains("scanned 3 codes in 1 of 1 image"))
    }

    @Test("--json prints one parseable object per code with the documented keys")
    func json() throws {
        let run = try fieldpay(["scan", "--json", "-q", fixturePath("qr-binary.png"), fixturePath("qr-utf8.png")])
        #expect(run.status == 0)
        let objects = try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 2)
        let binaryBytes: [UInt8] = [0x00, 0x01, 0x02, 0x7F, 0x80, 0x9F, 0xA0, 0xC3, 0x28, 0xFF, 0xFE, 0xFD]
        #expect(objects[0]["bytes"] as? String == Data(binaryBytes).base64EncodedString())
        #expect(objects[1]["text"] as? String == "बिल 4512 — ₹1,234.50 बकाया")
        #expect(objects[1]["bytes"] == nil)
        for object in objects {
            for key in ["file", "symbology", "type", "text", "points", "quality", "decode_ms"] {
                #expect(object[key] != nil, "missing \(key)")
            }
        }
        #expect(run.stderr.isEmpty)
    }

    @Test("exit 4 when nothing is found")
    func nothing() throws {
        let run = try fieldpay(["scan", fixturePath("empty.jpg")])
        #expect(run.status == 4)
        #expect(run.stdout.isEmpty)
    }

    @Test("exit 2 for bad input, with one line naming the file and reason; good files still scanned")
    func badInput() throws {
        let run = try fieldpay(["scan", "/nonexistent.png", fixturePath("qr-invoice.png")])
        #expect(run.status == 2)
        #expect(run.stdout == "QR-Code:INV/2026-27/004512\n")
        #expect(run.stderr.contains("fieldpay: /nonexistent.png: no such file [image.not-found]"))
    }

    @Test("reads an image from standard input with -")
    func stdin() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("qr-invoice.jpg")))
        let run = try fieldpay(["scan", "--raw", "-"], stdin: data)
        #expect(run.status == 0)
        #expect(run.stdout == "INV/2026-27/004512\n")
        let garbage = try fieldpay(["scan", "-"], stdin: Data("not an image".utf8))
        #expect(garbage.status == 2)
        #expect(garbage.stderr.contains("-: not an image"))
    }

    @Test("--symbologies restricts what is found; an unknown name is a usage error")
    func symbologies() throws {
        let run = try fieldpay(["scan", "--symbologies", "code128", fixturePath("multi.png")])
        #expect(run.stdout == "CODE-128:INV-2026-004512\n")
        let bad = try fieldpay(["scan", "--symbologies", "qr,pdf4l7", fixturePath("multi.png")])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("'pdf4l7' is not a symbology"))
    }

    @Test("--help explains the exit statuses")
    func help() throws {
        let run = try fieldpay(["scan", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Exit status: 0 when at least one code was found, 4 when none was, 2"))
    }
}
