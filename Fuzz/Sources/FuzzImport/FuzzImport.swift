import Foundation
import InvoiceImport

#if canImport(Glibc)
    import Glibc
#endif

// The invoice-file reader on arbitrary bytes as CSV, JSON and JSON Lines: every file must give rows, rejections
// or an ImportError, never a trap, a hang or unbounded memory. The bytes go through a real file, as on a device.
let path = "/dev/shm/fieldpay-fuzz-import-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    _ = write(fd, data, size)
    close(fd)
    for format in [InvoiceFileReader.Format.csv, .json, .jsonLines, nil] {
        guard let reader = try? InvoiceFileReader(path: path, format: format) else { continue }
        var rows = 0
        while let row = try? reader.next(), rows < 100_000 {
            if case .success(let record) = row {
                precondition(record.invoice.outstanding <= record.invoice.total, "validated outstanding exceeds total")
                precondition(!record.invoice.outstanding.isNegative, "validated outstanding is negative")
                precondition(record.invoice.dueDate >= record.invoice.invoiceDate, "due date before invoice date")
            }
            rows += 1
        }
    }
    return 0
}
