import CV4L2
import Imaging

#if canImport(Glibc)
    import Glibc
#endif

/// A V4L2 *output* node fed with GREY frames by mmap streaming: the producer side of a v4l2loopback
/// device or of vivid's output→capture loop. FieldPay uses it to test cameras without a camera (and it
/// can feed a virtual camera for demos). Not thread-safe; one thread drives it.
public final class V4L2Output {
    public let path: String
    public let width: Int
    public let height: Int
    private var fd: Int32 = -1
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var queued = 0
    private var streaming = false

    /// Opens the node, sets GREY at the given size and maps `bufferCount` buffers.
    public init(path: String, width: Int, height: Int, bufferCount: Int = 4) throws(CaptureError) {
        self.path = path
        self.width = width
        self.height = height
        fd = try systemCall("open", path: path) { open(path, O_RDWR | O_CLOEXEC) }
        do throws(CaptureError) {
            var fmt = v4l2_format()
            fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
            try ioctl("VIDIOC_G_FMT", CV4L2_VIDIOC_G_FMT, &fmt)
            fmt.fmt.pix.width = UInt32(width)
            fmt.fmt.pix.height = UInt32(height)
            fmt.fmt.pix.pixelformat = CV4L2_V4L2_PIX_FMT_GREY
            fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
            fmt.fmt.pix.bytesperline = UInt32(width)
            fmt.fmt.pix.sizeimage = UInt32(width * height)
            try ioctl("VIDIOC_S_FMT", CV4L2_VIDIOC_S_FMT, &fmt)
            guard fmt.fmt.pix.width == UInt32(width), fmt.fmt.pix.height == UInt32(height),
                fmt.fmt.pix.pixelformat == CV4L2_V4L2_PIX_FMT_GREY
            else {
                throw CaptureError(
                    .formatNotOffered,
                    "\(path): output took \(PixelFormat(fourcc: fmt.fmt.pix.pixelformat)) \(fmt.fmt.pix.width)x\(fmt.fmt.pix.height), not GREY \(width)x\(height)"
                )
            }
            var request = v4l2_requestbuffers()
            request.count = UInt32(bufferCount)
            request.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
            request.memory = V4L2_MEMORY_MMAP.rawValue
            try ioctl("VIDIOC_REQBUFS", CV4L2_VIDIOC_REQBUFS, &request)
            for index in 0..<request.count {
                var buffer = outputBuffer(index: index)
                try ioctl("VIDIOC_QUERYBUF", CV4L2_VIDIOC_QUERYBUF, &buffer)
                guard
                    let pointer = mmap(
                        nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int(buffer.m.offset)),
                    pointer != MAP_FAILED
                else { throw CaptureError.from(errno: errno, call: "mmap", path: path) }
                buffers.append((pointer, Int(buffer.length)))
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func ioctl<T>(_ name: String, _ request: UInt, _ value: inout T) throws(CaptureError) {
        let fd = self.fd
        try systemCall(name, path: path) {
            withUnsafeMutablePointer(to: &value) { cv4l2_kernel_ioctl(fd, request, $0) }
        }
    }

    private func outputBuffer(index: UInt32) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = index
        buffer.type = V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        return buffer
    }

    /// Queues one frame (packed GREY of this output's size), waiting up to `timeoutMillis` for a free
    /// buffer once all are queued. Streaming starts with the first frame.
    public func send(_ frame: Frame, timeoutMillis: Int32 = 2_000) throws(CaptureError) {
        precondition(frame.width == width && frame.height == height, "frame size differs from the output's")
        var buffer: v4l2_buffer
        if queued < buffers.count {
            buffer = outputBuffer(index: UInt32(queued))
            queued += 1
        } else {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = try systemCall("poll", path: path) { poll(&pfd, 1, timeoutMillis) }
            guard ready > 0 else {
                throw CaptureError(
                    .systemCall, "\(path): no output buffer came back in \(timeoutMillis) ms", call: "poll")
            }
            buffer = outputBuffer(index: 0)
            try ioctl("VIDIOC_DQBUF", CV4L2_VIDIOC_DQBUF, &buffer)
        }
        let target = buffers[Int(buffer.index)]
        let packed = frame.packed()
        packed.pixels.withUnsafeBytes {
            target.pointer.copyMemory(from: $0.baseAddress!, byteCount: min($0.count, target.length))
        }
        buffer.bytesused = UInt32(width * height)
        buffer.field = V4L2_FIELD_NONE.rawValue
        try ioctl("VIDIOC_QBUF", CV4L2_VIDIOC_QBUF, &buffer)
        if !streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)
            try ioctl("VIDIOC_STREAMON", CV4L2_VIDIOC_STREAMON, &type)
            streaming = true
        }
    }

    public func close() {
        guard fd >= 0 else { return }
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_OUTPUT.rawValue)
            try? ioctl("VIDIOC_STREAMOFF", CV4L2_VIDIOC_STREAMOFF, &type)
            streaming = false
        }
        for buffer in buffers { munmap(buffer.pointer, buffer.length) }
        buffers.removeAll()
        _ = Glibc.close(fd)
        fd = -1
    }
}
