import FieldPayCore

#if canImport(Glibc)
    import Glibc
#endif

/// Why a camera or a replay could not give frames. `errno`, when there is one, and the failing call are
/// kept so a person (or `fieldpay doctor`) can tell a busy camera from a missing one.
public struct CaptureError: FieldPayError, Equatable {
    public enum Code: String, Sendable {
        case notFound = "capture.not-found"
        case permissionDenied = "capture.permission-denied"
        case busy = "capture.busy"
        case notCaptureDevice = "capture.not-a-capture-device"
        case formatNotOffered = "capture.format-not-offered"
        case deviceLost = "capture.device-lost"
        case systemCall = "capture.system-call"
        case wrongState = "capture.wrong-state"
        case badReplay = "capture.bad-replay"
    }

    public let code: Code
    public let message: String
    /// The system call that failed (`VIDIOC_DQBUF`, `poll`, `mmap`…), when one did.
    public let call: String?
    public let errno: Int32?

    public init(_ code: Code, _ message: String, call: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.call = call
        self.errno = errno
    }

    public var codeString: String { code.rawValue }

    /// Errors after which reopening the device is the way back (unplugged, reset, driver gone).
    public var meansDeviceLost: Bool {
        code == .deviceLost || code == .notFound || [ENODEV, ENXIO, EIO, ENOENT].contains(errno ?? 0)
    }

    /// Turns a failed call's errno into the error a person can act on.
    static func from(errno err: Int32, call: String, path: String) -> CaptureError {
        let reason = String(cString: strerror(err))
        switch err {
        case ENOENT:
            return CaptureError(.notFound, "\(path): no such device", call: call, errno: err)
        case EACCES, EPERM:
            return CaptureError(
                .permissionDenied, "\(path): permission denied (add the user to the 'video' group)", call: call,
                errno: err)
        case EBUSY:
            return CaptureError(
                .busy, "\(path): the device is busy (another program is using it)", call: call, errno: err)
        case ENOTTY:
            return CaptureError(.notCaptureDevice, "\(path) is not a V4L2 video device", call: call, errno: err)
        case ENODEV, ENXIO:
            return CaptureError(.deviceLost, "\(path): the device is gone (\(reason))", call: call, errno: err)
        default:
            return CaptureError(.systemCall, "\(path): \(call) failed: \(reason)", call: call, errno: err)
        }
    }
}

/// Every system call the capture code makes goes through here: `EINTR` is retried, any other failure
/// becomes a `CaptureError` naming the call.
@discardableResult
func systemCall(_ name: String, path: String, _ body: () -> Int32) throws(CaptureError) -> Int32 {
    while true {
        let result = body()
        if result >= 0 { return result }
        let err = errno
        if err == EINTR { continue }
        throw CaptureError.from(errno: err, call: name, path: path)
    }
}
