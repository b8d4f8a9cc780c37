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

    @Test("image files are read with EAN/UPC add-ons by default; --no-ean-addons reads the code alone")
    func addOns() throws {
        let run = try fieldpay(["scan", "--json", "-q", fixturePath("ean13-addon5.png")])
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["text"] as? String == "890123456789012345")
        #expect(object["add_on"] as? String == "12345")
        #expect(object["symbology"] as? String == "ean13")
        let alone = try fieldpay(["scan", "--raw", "--no-ean-addons", fixturePath("ean13-addon5.png")])
        #expect(alone.stdout == "8901234567890\n")
        // The add-on visible but unreadable: nothing rather than the wrong item.
        let scratched = try fieldpay(["scan", "--raw", fixturePath("ean13-addon-scratched.png")])
        #expect(scratched.status == 4)
        #expect(scratched.stdout.isEmpty)
    }

    @Test("Shift JIS QR text is printed as Japanese; --code39-full-ascii expands Full ASCII pairs")
    func charsets() throws {
        let run = try fieldpay(["scan", "--raw", fixturePath("qr-sjis.png")])
        #expect(run.stdout == "請求書 No.4512 合計 1,234円\n")
        let ascii = try fieldpay(["scan", "--raw", "--code39-full-ascii", fixturePath("code39-fullascii.png")])
        #expect(ascii.stdout == "Inv-abc\n")
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
