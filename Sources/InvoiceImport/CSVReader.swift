#if canImport(Glibc)
    import Glibc
#endif

/// RFC 4180 CSV, read in chunks from a file descriptor so that a million-row file needs a few MiB of memory.
/// Quoted fields may hold delimiters, doubled quotes and line breaks; CRLF and LF both end a record; a UTF-8
/// byte-order mark is skipped; cells that are not UTF-8 are read as Windows-1252's Latin-1 subset (as Excel
/// writes them). The delimiter is the one of `,` `;` tab that the header line uses most.
public struct CSVReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var eof = false
    private(set) var line = 1
    private var readTotal = 0
    private(set) var delimiter: UInt8 = UInt8(ascii: ",")
    static let chunkSize = 1 << 16
    static let maximumRecord = 1 << 20

    /// `prefetched`: bytes already read from `fd` (when the format was told by the content).
    public init(fd: Int32, prefetched: [UInt8]? = nil) {
        self.fd = fd
        if let prefetched {
            buffer = prefetched
            readTotal = prefetched.count
            eof = true
        }
    }

    /// Reads until `buffer[position...]` has `count` bytes or the file ends.
    private mutating func fill(atLeast count: Int) throws(ImportError) {
        while !eof && buffer.count - position < count {
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: CSVReader.chunkSize))
            var got = 0
            repeat {
                got = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + old, CSVReader.chunkSize) }
            } while got < 0 && errno == EINTR
            if got < 0 {
                buffer.removeLast(CSVReader.chunkSize)
                throw ImportError(.unreadable, "the file (\(String(cString: strerror(errno))))")
            }
            buffer.removeLast(CSVReader.chunkSize - got)
            readTotal += got
            if got == 0 { eof = true }
        }
    }

    /// Skips the BOM and picks the delimiter from the first line.
    public mutating func start() throws(ImportError) {
        try fill(atLeast: 4096)
        if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
            position = 3
        }
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var quoted = false
        for byte in buffer[position...] {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted && (byte == 0x0A || byte == 0x0D) { break }
            if !quoted, counts[byte] != nil { counts[byte]! += 1 }
        }
        delimiter = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key != UInt8(ascii: ",")) }!.key
        if counts[delimiter] == 0 { delimiter = UInt8(ascii: ",") }
    }

    /// The next record's fields and the line it starts on; nil at the end. Blank lines are skipped.
    public mutating func next() throws(ImportError) -> (line: Int, fields: [String])? {
        while true {
            let startLine = line
            guard let fields = try record() else { return nil }
            if fields.count == 1 && fields[0].isEmpty { continue }
            return (startLine, fields)
        }
    }

    private mutating func record() throws(ImportError) -> [String]? {
        // Find where the record ends (outside quotes), reading more until it is in the buffer.
        var end = position
        var quoted = false
        while true {
            while end < buffer.count {
                let byte = buffer[end]
                if byte == UInt8(ascii: "\"") {
                    quoted.toggle()
                } else if !quoted && (byte == 0x0A || byte == 0x0D) {
                    break
                }
                end += 1
            }
            if end < buffer.count || eof { break }
            let scanned = end - position
            guard scanned < CSVReader.maximumRecord else {
                throw ImportError(.malformedCSV, "line \(line): a record longer than 1 MiB (an unclosed quote?)")
            }
            try fill(atLeast: scanned + CSVReader.chunkSize)
            end = position + scanned
        }
        if position >= buffer.count && eof { return nil }
        if quoted { throw ImportError(.malformedCSV, "line \(line): a quote is opened and never closed") }

        var fields: [String] = []
        var fieldStart = position
        var index = position
        var field: [UInt8] = []
        var inQuotes = false
        var wasQuoted = false
        while index <= end {
            let byte: UInt8 = index < end ? buffer[index] : delimiter
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < end && buffer[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
            } else if byte == delimiter {
                fields.append(wasQuoted ? CSVReader.text(field[...]) : CSVReader.text(buffer[fieldStart..<index]))
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
                fieldStart = index + 1
            } else if byte == UInt8(ascii: "\"") && index == fieldStart {
                inQuotes = true
                wasQuoted = true
            } else if wasQuoted {
                // Text after a closing quote ("a"b): keep it, as spreadsheets do.
                field.append(byte)
            }
            index += 1
        }
        // Consume the line break (CRLF counts once).
        position = end
        if position < buffer.count && buffer[position] == 0x0D { position += 1 }
        if position < buffer.count && buffer[position] == 0x0A { position += 1 }
        if end < buffer.count { line += 1 }
        return fields
    }

    /// Bytes of the file taken so far (for progress).
    var bytesConsumed: Int { readTotal - (buffer.count - position) }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}
