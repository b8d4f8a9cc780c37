#if canImport(Glibc)
    import Glibc
#endif

/// Reads an invoice file (CSV, JSON array, `{"invoices": [...]}` or JSON Lines) row by row and validates each
/// row. A broken file is an `ImportError` before anything is returned; a bad row is a `Rejection` and reading
/// goes on. Not thread-safe: one importer reads it.
public final class InvoiceFileReader {
    public enum Format: String, Sendable, CaseIterable {
        case csv, json
        case jsonLines = "jsonl"
    }

    public let path: String
    public private(set) var format: Format = .csv
    /// The file's size when known (not for a pipe), for progress.
    public let totalBytes: Int?
    /// JSON files are read whole; this is the limit.
    public static let maximumJSONBytes = 512 << 20

    private var fd: Int32 = -1
    private var csv: CSVReader?
    private var columns: [Column?] = []
    private var jsonRows: [JSONElement] = []
    private var jsonIndex = 0
    private var jsonBytes = 0

    /// Opens `path` (`-` for standard input); `format` nil tells it by the name, then by the content.
    public init(path: String, format: Format? = nil) throws(ImportError) {
        self.path = path
        let name = path == "-" ? "standard input" : path
        if path == "-" {
            fd = dup(0)
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        }
        guard fd >= 0 else {
            throw errno == ENOENT ? ImportError(.notFound, path) : ImportError(.unreadable, "\(name): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            totalBytes = Int(info.st_size)
        } else if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw ImportError(.unreadable, "\(name): it is a folder")
        } else {
            totalBytes = nil
        }

        let lower = path.lowercased()
        var chosen = format
        if chosen == nil {
            if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") {
                chosen = .csv
            } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
                chosen = .jsonLines
            } else if lower.hasSuffix(".json") {
                chosen = .json
            }
        }
        do {
            if chosen == .csv {
                self.format = .csv
                try startCSV(name: name)
            } else {
                let bytes = try readAll(name: name)
                let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
                if chosen == nil && first != UInt8(ascii: "[") && first != UInt8(ascii: "{") {
                    // Not JSON by its first character: it is CSV (read from the bytes already in hand).
                    self.format = .csv
                    try startCSV(name: name, prefetched: bytes)
                } else {
                    jsonBytes = bytes.count
                    try startJSON(bytes, format: chosen, name: name)
                }
            }
        } catch {
            close(fd)
            fd = -1
            throw error
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Bytes taken from the file so far.
    public var bytesConsumed: Int {
        if let csv { return csv.bytesConsumed }
        return jsonRows.isEmpty ? jsonBytes : jsonBytes * jsonIndex / jsonRows.count
    }

    /// The next row, validated; nil at the end of the file.
    public func next() throws(ImportError) -> Result<ImportRecord, Rejection>? {
        if csv != nil {
            guard let (line, cells) = try csv!.next() else { return nil }
            var row = RawRow(line: line)
            for (index, cell) in cells.enumerated() {
                if index < columns.count {
                    if let column = columns[index] { row[column] = cell }
                } else if !cell.trimmingSpaces.isEmpty {
                    return .failure(Rejection(line: line, invoiceNumber: nil, reason: "\(cells.count) cells, but the header names \(columns.count) columns"))
                }
            }
            return InvoiceRowValidator.validate(row)
        }
        guard jsonIndex < jsonRows.count else { return nil }
        let line = jsonRows[jsonIndex].line
        let value = jsonRows[jsonIndex].value
        jsonIndex += 1
        guard case .object(let members) = value else {
            return .failure(Rejection(line: line, invoiceNumber: nil, reason: "not a JSON object"))
        }
        var row = RawRow(line: line)
        for (column, member) in zip(InvoiceColumns.columns(members.map(\.name)), members) {
            guard let column else { continue }
            row[column] = member.value.cellText
        }
        return InvoiceRowValidator.validate(row)
    }

    // MARK: Opening

    private func startCSV(name: String, prefetched: [UInt8]? = nil) throws(ImportError) {
        var reader = CSVReader(fd: fd, prefetched: prefetched)
        try reader.start()
        guard let (_, header) = try reader.next() else { throw ImportError(.empty, name) }
        columns = InvoiceColumns.columns(header)
        try InvoiceColumns.checkHeader(Set(columns.compactMap { $0 }), file: name)
        csv = reader
    }

    /// Parses the bytes once: as `format` when the name told it, else as one document and, when that fails,
    /// as JSON Lines (reporting the document's error if neither reads).
    private func startJSON(_ bytes: [UInt8], format chosen: Format?, name: String) throws(ImportError) {
        var parser = JSONParser(bytes: bytes)
        if chosen == .jsonLines {
            format = .jsonLines
            jsonRows = try parser.parseLines()
        } else {
            let document: JSONValue
            do {
                document = try parser.parseDocument()
                format = .json
            } catch {
                var lines = JSONParser(bytes: bytes)
                guard chosen == nil, let rows = try? lines.parseLines() else { throw error }
                format = .jsonLines
                jsonRows = rows
                return try checkJSONRows(name: name)
            }
            switch document {
            case .array(let elements):
                jsonRows = elements
            case .object(let members):
                guard let invoices = members.first(where: { $0.name == "invoices" })?.value, case .array(let elements) = invoices else {
                    throw ImportError(.malformedJSON, "\(name) is an object without an \"invoices\" array")
                }
                jsonRows = elements
            default:
                throw ImportError(.malformedJSON, "\(name) is neither an array of invoices nor {\"invoices\": [...]}")
            }
        }
        try checkJSONRows(name: name)
    }

    private func checkJSONRows(name: String) throws(ImportError) {
        guard !jsonRows.isEmpty else { throw ImportError(.empty, name) }
        if case .object(let members) = jsonRows[0].value {
            try InvoiceColumns.checkHeader(Set(InvoiceColumns.columns(members.map(\.name)).compactMap { $0 }), file: name)
        }
    }

    private func readAll(name: String) throws(ImportError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ImportError(.unreadable, "\(name): \(String(cString: strerror(errno)))")
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<got])
            guard bytes.count <= InvoiceFileReader.maximumJSONBytes else {
                throw ImportError(.tooLarge, "\(name) is larger than \(InvoiceFileReader.maximumJSONBytes >> 20) MiB; JSON is read whole, so split it or use CSV")
            }
        }
    }
}
