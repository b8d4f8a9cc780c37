import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file only its owner may read, from its first byte: a secret (a device's hub token) is written to a new file
/// of this process opened with mode 0600, flushed, and renamed over `path` (then the folder is flushed), so it is
/// never readable by others, nor half written, nor lost to a crash right after.
public enum PrivateFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func write(_ data: Data, to path: String) throws(Failure) {
        func failure(_ what: String, _ error: Int32 = errno) -> Failure {
            Failure(description: "\(what): \(String(cString: strerror(error)))")
        }
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)  // this process's own, left by an earlier crash: made anew, so its mode is ours
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        let ok = data.withUnsafeBytes { bytes -> Bool in
            while written < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return fsync(fd) == 0
        }
        let error = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw failure("cannot write \(temporary)", error)
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure("cannot put \(path) in place", error)
        }
        let folder = (path as NSString).deletingLastPathComponent
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Why the file at `path` is not private (its mode lets its group or others in), or nil: for every secret
    /// read from a file (a device key, a hub's webhook secret), as ssh refuses an open key.
    public static func exposure(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "\(path) can be read by others (mode \(String(mode, radix: 8))): a secret must be private; chmod 600 \(path)"
    }
}
