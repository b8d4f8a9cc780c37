import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain HTTP/1.1 client on a socket, for reading a Server-Sent Events stream that never ends: sends one
/// GET and hands back events (the text up to each blank line) as they arrive, with a bounded wait.
final class SSEReader {
    let fd: Int32
    var pending: [UInt8] = []
    var headerDone = false

    init(port: Int, path: String, headers: [String]) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n"
        _ = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
    }

    /// The next event's text (`id: …\nevent: …\ndata: …`), skipping the response head, `retry:` and
    /// keep-alive comments; nil when nothing came within `timeout` seconds. Chunked framing is stripped
    /// roughly: chunk-size lines are dropped. The socket is only polled, never waited on, so the test does not
    /// hold one of the few threads the server under test also runs on.
    func readEvent(timeout: Double) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let event = takeEvent() { return event }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else {
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            pending += chunk[0..<count]
        }
        return nil
    }

    private func takeEvent() -> String? {
        while true {
            let text = String(decoding: pending, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            guard let range = text.range(of: "\n\n") else { return nil }
            let block = String(text[..<range.lowerBound])
            pending = Array(text[range.upperBound...].utf8)
            if !headerDone {
                headerDone = true
                continue
            }
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true)
                .filter { line in !(line.allSatisfy(\.isHexDigit)) }
            if lines.contains(where: { $0.hasPrefix("data:") }) { return lines.joined(separator: "\n") }
        }
    }

    func close() { Glibc.close(fd) }
}
