import FieldPayCore
import Foundation
import InvoiceImport
import Testing

/// A temporary folder per test; files are real files read through the real reader.
struct Scratch: ~Copyable {
    let folder: String

    init() {
        folder = NSTemporaryDirectory() + "fieldpay-import-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func file(_ name: String, _ text: String) -> String {
        let path = folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func file(_ name: String, bytes: [UInt8]) -> String {
        let path = folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

/// Every row of a file: (records, rejections).
func readAll(_ path: String, format: InvoiceFileReader.Format? = nil) throws -> ([ImportRecord], [Rejection]) {
    let reader = try InvoiceFileReader(path: path, format: format)
    var records: [ImportRecord] = []
    var rejections: [Rejection] = []
    while let row = try reader.next() {
        switch row {
        case .success(let record): records.append(record)
        case .failure(let rejection): rejections.append(rejection)
        }
    }
    return (records, rejections)
}

let header = "invoice_number,invoice_date,due_date,customer_code,customer_name,total,paid,outstanding,currency,buyer_gstin,payee_vpa\n"

@Suite("CSV invoice files")
struct CSVTests {
    @Test("a plain CSV gives invoices and customers with exact amounts")
    func plain() throws {
        let scratch = Scratch()
        let path = scratch.file("a.csv", header + """
            INV-1,2026-10-01,2026-10-31,C1,Sharma Stores,1180.50,,,INR,27AAPFU0939F1ZV,sharma@okhdfcbank
            INV-2,01/11/2026,15/11/2026,C2,Gupta Medicals,"1,23,456.05",1000,,,,
            """)
        let (records, rejections) = try readAll(path)
        #expect(rejections.isEmpty)
        #expect(records.count == 2)
        let first = try #require(records.first?.invoice)
        #expect(first.number == "INV-1")
        #expect(first.total == Money(paise: 118_050))
        #expect(first.outstanding == first.total)
        #expect(first.buyerGstin?.value == "27AAPFU0939F1ZV")
        #expect(first.payeeVPA == "sharma@okhdfcbank")
        #expect(records[0].customer.name == "Sharma Stores")
        #expect(records[1].invoice.total == Money(paise: 12_345_605))
        #expect(records[1].invoice.outstanding == Money(paise: 12_245_605))
        #expect(records[1].invoice.invoiceDate.isoString == "2026-11-01")
        #expect(records.map(\.line) == [2, 3])
    }

    @Test("BOM, CRLF, semicolons, quoted commas, quotes and line breaks; line numbers stay right")
    func quoting() throws {
        let scratch = Scratch()
        let text = "\u{FEFF}Invoice No;Invoice Date;Due Date;Customer;Amount\r\n"
            + "A-1;2026-01-01;2026-01-31;\"Rao & Sons; Hubli\";100\r\n"
            + "\r\n"
            + "A-2;2026-01-01;2026-01-31;\"The \"\"Best\"\" Shop\nBranch 2\";200\r\n"
            + "A-3;2026-01-01;2026-01-31;Plain;300"
        let (records, rejections) = try readAll(scratch.file("b.txt", text))
        #expect(rejections.isEmpty)
        #expect(records.map(\.invoice.number) == ["A-1", "A-2", "A-3"])
        #expect(records.map(\.line) == [2, 4, 6])
        #expect(records[0].customer.name == "Rao & Sons; Hubli")
        #expect(records[1].customer.name == "The \"Best\" Shop\nBranch 2")
        // No customer code column: the code is made from the name.
        #expect(records[2].customer.code == "PLAIN")
    }

    @Test("each kind of bad row is rejected with its line and reason, and the good rows still come", arguments: [
        (",2026-10-01,2026-10-31,C,N,10,,,,,", "no invoice number"),
        ("X,2026-02-30,2026-10-31,C,N,10,,,,,", "invoice date \"2026-02-30\" is not a date"),
        ("X,2026-10-01,,C,N,10,,,,,", "no due date"),
        ("X,2026-10-01,2026-09-30,C,N,10,,,,,", "is before the invoice date"),
        ("X,2026-10-01,2026-10-31,C,N,-10,,,,,", "total -10 is negative"),
        ("X,2026-10-01,2026-10-31,C,N,10.005,,,,,", "more than two decimals"),
        ("X,2026-10-01,2026-10-31,C,N,ten,,,,,", "is not an amount"),
        ("X,2026-10-01,2026-10-31,C,N,,,,,,", "no total"),
        ("X,2026-10-01,2026-10-31,C,N,10,11,,,,", "more than the total"),
        ("X,2026-10-01,2026-10-31,C,N,10,,11,,,", "more than the total"),
        ("X,2026-10-01,2026-10-31,C,N,10,4,5,,,", "is not the total"),
        ("X,2026-10-01,2026-10-31,C,N,10,,,USD,,", "currency USD is not INR"),
        ("X,2026-10-01,2026-10-31,C,N,10,,,,27AAPFU0939F1ZA,", "wrong check character"),
        ("X,2026-10-01,2026-10-31,C,N,10,,,,,not-a-vpa", "is not a UPI address"),
        ("X,2026-10-01,2026-10-31,,,10,,,,,", "no customer"),
        ("X,2026-10-01,2026-10-31,C,N,10,,,,,,,surplus", "cells, but the header names"),
    ])
    func rejections(row: String, reason: String) throws {
        let scratch = Scratch()
        let path = scratch.file("c.csv", header + "GOOD-1,2026-10-01,2026-10-31,C,N,10,,,,,\n" + row + "\nGOOD-2,2026-10-01,2026-10-31,C,N,10,,,,,\n")
        let (records, rejections) = try readAll(path)
        #expect(records.map(\.invoice.number) == ["GOOD-1", "GOOD-2"])
        let rejection = try #require(rejections.first)
        #expect(rejections.count == 1)
        #expect(rejection.line == 3)
        #expect(rejection.reason.contains(reason), "\(rejection.reason)")
    }

    @Test("a file without the needed columns is refused before anything is read")
    func missingColumns() throws {
        let scratch = Scratch()
        let error = #expect(throws: ImportError.self) {
            try InvoiceFileReader(path: scratch.file("d.csv", "number,when,amount\nA,2026-01-01,5\n"))
        }
        #expect(error?.code == .missingColumns)
        #expect(error?.message.contains("invoice_date") == true)
        #expect(error?.message.contains("customer_name or customer_code") == true)
    }

    @Test("broken files get file-level errors", arguments: [
        ("e.csv", "invoice_number,invoice_date,due_date,customer,total\n\"A,2026-01-01,2026-01-31,C,5\n", ImportError.Code.malformedCSV),
        ("f.csv", "", .empty),
        ("g.json", "[{\"invoice_number\": \"A\",}]", .malformedJSON),
        ("h.json", "[]", .empty),
        ("i.json", "{\"rows\": []}", .malformedJSON),
        ("j.json", "\"just a string\"", .malformedJSON),
        ("k.json", String(repeating: "[", count: 100) + String(repeating: "]", count: 100), .malformedJSON),
    ])
    func brokenFiles(name: String, text: String, code: ImportError.Code) throws {
        let scratch = Scratch()
        let path = scratch.file(name, text)
        let error = #expect(throws: ImportError.self) { _ = try readAll(path) }
        #expect(error?.code == code)
    }

    @Test("missing files and folders are named in the error")
    func missing() throws {
        let scratch = Scratch()
        #expect(throws: ImportError(.notFound, scratch.folder + "/nope.csv")) { try InvoiceFileReader(path: scratch.folder + "/nope.csv") }
        let error = #expect(throws: ImportError.self) { try InvoiceFileReader(path: scratch.folder) }
        #expect(error?.code == .unreadable)
    }

    @Test("a file over many read chunks is read whole, with line numbers right to the end")
    func manyChunks() throws {
        let scratch = Scratch()
        var text = header
        let rows = 40_000
        for index in 1...rows {
            text += "INV-\(index),2026-10-01,2026-10-31,C\(index % 97),\"Customer, \(index % 97)\",\(index).25,,,INR,,\n"
        }
        let path = scratch.file("big.csv", text)
        #expect(text.utf8.count > 2 * (1 << 20))
        let reader = try InvoiceFileReader(path: path)
        var count = 0
        var lastLine = 0
        var lastTotal = Money.zero
        while let row = try reader.next() {
            let record = try row.get()
            count += 1
            lastLine = record.line
            lastTotal = record.invoice.total
        }
        #expect(count == rows)
        #expect(lastLine == rows + 1)
        #expect(lastTotal == Money(paise: Int64(rows) * 100 + 25))
        #expect(reader.bytesConsumed == text.utf8.count)
    }

    @Test("cells that are not UTF-8 are read as Latin-1")
    func latin1() throws {
        let scratch = Scratch()
        var bytes = Array("invoice_number,invoice_date,due_date,customer,total\nA-1,2026-01-01,2026-01-31,Caf".utf8)
        bytes += [0xE9] + Array(" Mumbai,10\n".utf8)
        let (records, _) = try readAll(scratch.file("l.csv", bytes: bytes))
        #expect(records.first?.customer.name == "Café Mumbai")
    }
}

@Suite("JSON invoice files")
struct JSONTests {
    @Test("an array of objects, numbers read exactly, line numbers of each object")
    func array() throws {
        let scratch = Scratch()
        let text = """
            [
              {"invoiceNo": "J-1", "invoiceDate": "2026-10-01", "dueDate": "2026-10-31", "customer": "Rao", "total": 1234.55,
               "items": [{"sku": "x"}], "urgent": true},
              {"invoiceNo": "J-2", "invoiceDate": "2026-10-01", "dueDate": "2026-10-31", "customer": "Rao", "total": "99"},
              {"invoiceNo": "J-3", "invoiceDate": "2026-10-01", "dueDate": "2026-10-31", "customer": "Rao", "total": 1e400},
              42
            ]
            """
        let (records, rejections) = try readAll(scratch.file("a.json", text))
        #expect(records.map(\.invoice.number) == ["J-1", "J-2"])
        #expect(records[0].invoice.total == Money(paise: 123_455))
        #expect(records.map(\.line) == [2, 4])
        #expect(rejections.map(\.line) == [5, 6])
        #expect(rejections[1].reason == "not a JSON object")
    }

    @Test("{\"invoices\": [...]} and JSON Lines, told apart by content when the name does not say")
    func wrappers() throws {
        let scratch = Scratch()
        let object = #"{"invoice_number":"W-1","invoice_date":"2026-10-01","due_date":"2026-10-31","customer_code":"C","total":5}"#
        let wrapped = scratch.file("export", "{\"generated\": \"today\", \"invoices\": [\(object)]}")
        let lines = scratch.file("export2", object + "\n\n" + object.replacingOccurrences(of: "W-1", with: "W-2") + "\n")
        #expect(try readAll(wrapped).0.map(\.invoice.number) == ["W-1"])
        #expect(try InvoiceFileReader(path: lines).format == .jsonLines)
        #expect(try readAll(lines).0.map(\.line) == [1, 3])
    }

    @Test("strings with escapes and surrogate pairs", arguments: [
        (#""Caf\u00e9 \ud83d\ude00 \"Q\" \\ \/""#, "Café 😀 \"Q\" \\ /"),
    ])
    func escapes(literal: String, expected: String) throws {
        let scratch = Scratch()
        let text = #"[{"invoice_number":"E-1","invoice_date":"2026-10-01","due_date":"2026-10-31","customer":"#
            + literal + #","total":5}]"#
        #expect(try readAll(scratch.file("e.json", text)).0.first?.customer.name == expected)
    }

    @Test("malformed JSON says the line", arguments: [
        ("[\n{\"a\": 1},\n{\"a\": tru}\n]", 3), ("[\n\n{\"a\": \"x\n\"}]", 3), ("[{\"a\": \"\\ud800\"}]", 1), ("[{\"a\": 01}]", 1),
    ])
    func malformed(text: String, line: Int) throws {
        let scratch = Scratch()
        let path = scratch.file("m.json", text)
        let error = #expect(throws: ImportError.self) { try InvoiceFileReader(path: path) }
        #expect(error?.code == .malformedJSON)
        #expect(error?.detail.hasPrefix("line \(line):") == true, "\(error?.detail ?? "")")
    }
}
