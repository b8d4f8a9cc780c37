import CV4L2
import Imaging

#if canImport(Glibc)
    import Glibc
#endif

/// What a V4L2 node says about itself (`VIDIOC_QUERYCAP`), and what it can capture.
public struct DeviceInfo: Sendable, Codable, Equatable {
    public var path: String
    public var driver: String
    public var card: String
    public var bus: String
    /// The node's own capabilities (`device_caps`), falling back to the driver's.
    public var capabilities: UInt32
    public var isCapture: Bool { capabilities & UInt32(CV4L2_V4L2_CAP_VIDEO_CAPTURE) != 0 }
    public var canStream: Bool { capabilities & UInt32(CV4L2_V4L2_CAP_STREAMING) != 0 }
    public var formats: [FormatInfo] = []

    private enum CodingKeys: String, CodingKey { case path, driver, card, bus, capabilities, formats }
}

/// One pixel format a device offers and the sizes and rates it offers it at.
public struct FormatInfo: Sendable, Codable, Equatable {
    public var fourcc: String
    public var description: String
    /// Made by libv4l2's conversion rather than the hardware.
    public var emulated: Bool
    public var compressed: Bool
    public var sizes: [SizeInfo]
}

/// A frame size (discrete, or the bounds of a stepwise range) and its frame rates.
public struct SizeInfo: Sendable, Codable, Equatable {
    public var width: Int
    public var height: Int
    /// For stepwise/continuous ranges: the largest size; the smallest is width × height.
    public var maxWidth: Int?
    public var maxHeight: Int?
    public var framesPerSecond: [Double]
}

/// What to ask a camera for.
public struct CaptureRequest: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var framesPerSecond: Int
    /// Pixel formats in order of preference; the first one the device offers wins.
    public var formats: [PixelFormat]
    public var bufferCount: Int

    public init(
        width: Int = 1280, height: Int = 720, framesPerSecond: Int = 30,
        formats: [PixelFormat] = PixelFormat.preference,
        bufferCount: Int = 4
    ) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.formats = formats
        self.bufferCount = bufferCount
    }
}

/// What the device agreed to.
public struct NegotiatedFormat: Sendable, Equatable, CustomStringConvertible {
    public var pixelFormat: PixelFormat
    public var width: Int
    public var height: Int
    public var bytesPerLine: Int
    public var framesPerSecond: Double?
    public var description: String {
        "\(pixelFormat) \(width)x\(height)" + (framesPerSecond.map { " @ \(Int($0.rounded())) fps" } ?? "")
    }
}

/// One V4L2 capture node, opened through libv4l2, streaming into mmap buffers that are reused for the
/// life of the stream. The only owner of the file descriptor and the mappings. Not thread-safe: one
/// thread drives it (the camera's capture thread).
public final class V4L2Device: CameraDevice {
    public let path: String
    private var fd: Int32 = -1
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var format: NegotiatedFormat?
    private var streaming = false
    /// Luma planes handed out as frames, reused round-robin: writing one allocates only if a consumer
    /// still holds the frame that last used it (copy-on-write), which newest-frame-wins makes rare.
    private var ring: [[UInt8]] = []
    private var ringIndex = 0

    public init(path: String) { self.path = path }

    deinit { close() }

    public var isOpen: Bool { fd >= 0 }

    public func open() throws(CaptureError) {
        guard fd < 0 else { return }
        let path = self.path
        fd = try systemCall("open", path: path) { cv4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
    }

    public func close() {
        stop()
        if fd >= 0 {
            _ = v4l2_close(fd)
            fd = -1
        }
        format = nil
    }

    private func ioctl<T>(_ name: String, _ request: UInt, _ value: inout T) throws(CaptureError) {
        let fd = self.fd
        try systemCall(name, path: path) { withUnsafeMutablePointer(to: &value) { cv4l2_ioctl(fd, request, $0) } }
    }

    /// `ioctl` that reports "no more entries" (EINVAL) as false, for the ENUM_* loops.
    private func enumerate<T>(_ name: String, _ request: UInt, _ value: inout T) throws(CaptureError) -> Bool {
        do {
            try ioctl(name, request, &value)
            return true
        } catch {
            if error.errno == EINVAL || error.errno == ENOTTY { return false }
            throw error
        }
    }

    // MARK: - Queries

    public func info() throws(CaptureError) -> DeviceInfo {
        var cap = v4l2_capability()
        try ioctl("VIDIOC_QUERYCAP", CV4L2_VIDIOC_QUERYCAP, &cap)
        let caps =
            cap.capabilities & UInt32(CV4L2_V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        return DeviceInfo(
            path: path, driver: cString(cap.driver), card: cString(cap.card), bus: cString(cap.bus_info),
            capabilities: caps)
    }

    /// Every capture format with its sizes and rates (what `fieldpay devices` lists).
    public func formats() throws(CaptureError) -> [FormatInfo] {
        var result: [FormatInfo] = []
        var index: UInt32 = 0
        while true {
            var desc = v4l2_fmtdesc()
            desc.index = index
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard try enumerate("VIDIOC_ENUM_FMT", CV4L2_VIDIOC_ENUM_FMT, &desc) else { break }
            let format = PixelFormat(fourcc: desc.pixelformat)
            result.append(
                FormatInfo(
                    fourcc: format.description, description: cString(desc.description),
                    emulated: desc.flags & UInt32(CV4L2_V4L2_FMT_FLAG_EMULATED) != 0,
                    compressed: desc.flags & UInt32(CV4L2_V4L2_FMT_FLAG_COMPRESSED) != 0,
                    sizes: try sizes(for: format)))
            index += 1
        }
        return result
    }

    func sizes(for format: PixelFormat) throws(CaptureError) -> [SizeInfo] {
        var result: [SizeInfo] = []
        var index: UInt32 = 0
        while index < 256 {
            var size = v4l2_frmsizeenum()
            size.index = index
            size.pixel_format = format.fourcc
            guard try enumerate("VIDIOC_ENUM_FRAMESIZES", CV4L2_VIDIOC_ENUM_FRAMESIZES, &size) else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let w = Int(size.discrete.width)
                let h = Int(size.discrete.height)
                result.append(
                    SizeInfo(width: w, height: h, framesPerSecond: try rates(for: format, width: w, height: h)))
            } else {
                let s = size.stepwise
                result.append(
                    SizeInfo(
                        width: Int(s.min_width), height: Int(s.min_height), maxWidth: Int(s.max_width),
                        maxHeight: Int(s.max_height), framesPerSecond: []))
                break
            }
            index += 1
        }
        return result
    }

    func rates(for format: PixelFormat, width: Int, height: Int) throws(CaptureError) -> [Double] {
        var result: [Double] = []
        var index: UInt32 = 0
        while index < 64 {
            var interval = v4l2_frmivalenum()
            interval.index = index
            interval.pixel_format = format.fourcc
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard try enumerate("VIDIOC_ENUM_FRAMEINTERVALS", CV4L2_VIDIOC_ENUM_FRAMEINTERVALS, &interval)
            else { break }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let f = interval.discrete
                if f.numerator > 0 { result.append(Double(f.denominator) / Double(f.numerator)) }
            } else {
                let s = interval.stepwise
                if s.min.numerator > 0 { result.append(Double(s.min.denominator) / Double(s.min.numerator)) }
                if s.max.numerator > 0 { result.append(Double(s.max.denominator) / Double(s.max.numerator)) }
                break
            }
            index += 1
        }
        return result
    }

    // MARK: - Configuration

    /// Picks the first preferred format the device offers at the requested size or the nearest one, sets
    /// it, and asks for the frame rate. Refuses devices that cannot capture or stream.
    public func configure(_ request: CaptureRequest) throws(CaptureError) -> NegotiatedFormat {
        let info = try info()
        guard info.isCapture else {
            throw CaptureError(
                .notCaptureDevice, "\(path) (\(info.card), driver \(info.driver)) is not a video capture device")
        }
        guard info.canStream else {
            throw CaptureError(.notCaptureDevice, "\(path) (\(info.card)) cannot stream (no V4L2_CAP_STREAMING)")
        }
        let offered = try formats()
        let offeredFormats = offered.compactMap { PixelFormat(name: $0.fourcc) }
        // Native formats first; a libv4l2-emulated one only when nothing native fits.
        let native = Set(offered.filter { !$0.emulated }.compactMap { PixelFormat(name: $0.fourcc) })
        var chosen = request.formats.first { native.contains($0) && $0.readsLumaDirectly }
        if chosen == nil, request.formats.contains(where: { $0 == .mjpeg || $0 == .jpeg }),
            native.contains(.mjpeg) || native.contains(.jpeg)
        {
            chosen = .yuv420  // libv4l2 decodes the JPEG stream into planar YUV for us
        }
        if chosen == nil { chosen = request.formats.first { offeredFormats.contains($0) && $0.readsLumaDirectly } }
        guard let pixelFormat = chosen else {
            let wanted = request.formats.map(\.description).joined(separator: ", ")
            let have = offered.map { $0.fourcc + ($0.emulated ? " (emulated)" : "") }.joined(separator: ", ")
            throw CaptureError(
                .formatNotOffered, "\(path) offers none of \(wanted); it offers \(have.isEmpty ? "nothing" : have)")
        }
        let sourceFormat =
            pixelFormat == .yuv420 && !native.contains(.yuv420)
            ? (native.contains(.mjpeg) ? PixelFormat.mjpeg : .jpeg) : pixelFormat
        let sizes = offered.first { $0.fourcc == sourceFormat.description }?.sizes ?? []
        let (width, height) = Self.nearest(sizes, to: request)

        var fmt = v4l2_format()
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        try ioctl("VIDIOC_G_FMT", CV4L2_VIDIOC_G_FMT, &fmt)
        fmt.fmt.pix.width = UInt32(width)
        fmt.fmt.pix.height = UInt32(height)
        fmt.fmt.pix.pixelformat = pixelFormat.fourcc
        fmt.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        fmt.fmt.pix.bytesperline = 0
        try ioctl("VIDIOC_S_FMT", CV4L2_VIDIOC_S_FMT, &fmt)
        let got = PixelFormat(fourcc: fmt.fmt.pix.pixelformat)
        guard got.readsLumaDirectly else {
            throw CaptureError(.formatNotOffered, "\(path) answered \(got) when asked for \(pixelFormat)")
        }
        var negotiated = NegotiatedFormat(
            pixelFormat: got, width: Int(fmt.fmt.pix.width), height: Int(fmt.fmt.pix.height),
            bytesPerLine: Int(fmt.fmt.pix.bytesperline), framesPerSecond: nil)
        negotiated.framesPerSecond = setFrameRate(request.framesPerSecond)
        format = negotiated
        return negotiated
    }

    /// The offered size closest to the request (by area, then aspect), or the request itself when the
    /// device offers a range or says nothing.
    static func nearest(_ sizes: [SizeInfo], to request: CaptureRequest) -> (Int, Int) {
        if let range = sizes.first(where: { $0.maxWidth != nil }), let maxW = range.maxWidth, let maxH = range.maxHeight
        {
            return (min(max(request.width, range.width), maxW), min(max(request.height, range.height), maxH))
        }
        guard !sizes.isEmpty else { return (request.width, request.height) }
        let best = sizes.min { a, b in
            func cost(_ s: SizeInfo) -> (Int, Int) {
                (abs(s.width * s.height - request.width * request.height), abs(s.width - request.width))
            }
            return cost(a) < cost(b)
        }!
        return (best.width, best.height)
    }

    private func setFrameRate(_ fps: Int) -> Double? {
        guard fps > 0 else { return nil }
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(fps))
        guard (try? ioctl("VIDIOC_S_PARM", CV4L2_VIDIOC_S_PARM, &parm)) != nil else { return nil }
        let f = parm.parm.capture.timeperframe
        return f.numerator > 0 ? Double(f.denominator) / Double(f.numerator) : nil
    }

    // MARK: - Streaming

    public func start(bufferCount: Int) throws(CaptureError) {
        guard let format, !streaming else {
            if streaming { return }
            throw CaptureError(.wrongState, "\(path): start() before configure()")
        }
        var request = v4l2_requestbuffers()
        request.count = UInt32(bufferCount)
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        try ioctl("VIDIOC_REQBUFS", CV4L2_VIDIOC_REQBUFS, &request)
        guard request.count >= 2 else {
            throw CaptureError(
                .systemCall, "\(path): the driver gave only \(request.count) buffer(s)", call: "VIDIOC_REQBUFS")
        }
        do throws(CaptureError) {
            for index in 0..<request.count {
                var buffer = v4l2_buffer()
                buffer.index = index
                buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
                buffer.memory = V4L2_MEMORY_MMAP.rawValue
                try ioctl("VIDIOC_QUERYBUF", CV4L2_VIDIOC_QUERYBUF, &buffer)
                let pointer = v4l2_mmap(
                    nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int64(buffer.m.offset))
                guard let pointer, pointer != MAP_FAILED else {
                    throw CaptureError.from(errno: errno, call: "mmap", path: path)
                }
                buffers.append((pointer, Int(buffer.length)))
                try ioctl("VIDIOC_QBUF", CV4L2_VIDIOC_QBUF, &buffer)
            }
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            try ioctl("VIDIOC_STREAMON", CV4L2_VIDIOC_STREAMON, &type)
        } catch {
            unmapAll()
            throw error
        }
        streaming = true
        let pixels = format.width * format.height
        if ring.first?.count != pixels { ring = (0..<3).map { _ in [UInt8](repeating: 0, count: pixels) } }
    }

    public func stop() {
        guard fd >= 0 else { return }
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            try? ioctl("VIDIOC_STREAMOFF", CV4L2_VIDIOC_STREAMOFF, &type)
            streaming = false
        }
        unmapAll()
    }

    private func unmapAll() {
        for buffer in buffers { _ = v4l2_munmap(buffer.pointer, buffer.length) }
        if !buffers.isEmpty, fd >= 0 {
            var release = v4l2_requestbuffers()
            release.count = 0
            release.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            release.memory = V4L2_MEMORY_MMAP.rawValue
            try? ioctl("VIDIOC_REQBUFS", CV4L2_VIDIOC_REQBUFS, &release)
        }
        buffers.removeAll()
    }

    /// Waits up to `timeoutMillis` for a frame. nil on timeout; the buffer goes straight back to the driver.
    public func next(timeoutMillis: Int32) throws(CaptureError) -> Frame? {
        guard streaming, let format else { throw CaptureError(.wrongState, "\(path): next() while not streaming") }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = try systemCall("poll", path: path) { poll(&pfd, 1, timeoutMillis) }
        if ready == 0 { return nil }
        if pfd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && pfd.revents & Int16(POLLIN) == 0 {
            // A vanished device reports POLLERR; DQBUF below tells us which errno.
            _ = try? dequeueRaw()
            throw CaptureError(
                .deviceLost, "\(path): the device stopped answering (poll reported an error)", call: "poll")
        }
        guard var buffer = try dequeueRaw() else { return nil }
        defer { try? ioctl("VIDIOC_QBUF", CV4L2_VIDIOC_QBUF, &buffer) }
        if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 { return nil }
        let mapped = buffers[Int(buffer.index)]
        let used = buffer.bytesused > 0 ? Int(buffer.bytesused) : mapped.length
        let slot = ringIndex
        ringIndex = (ringIndex + 1) % ring.count
        let ok = ring[slot].withUnsafeMutableBufferPointer { out in
            format.pixelFormat.extractLuma(
                from: UnsafeRawBufferPointer(start: mapped.pointer, count: min(used, mapped.length)),
                width: format.width, height: format.height, bytesPerLine: format.bytesPerLine, into: out)
        }
        guard ok else { return nil }
        let stamp = UInt64(buffer.timestamp.tv_sec) * 1_000_000_000 + UInt64(buffer.timestamp.tv_usec) * 1_000
        return Frame(width: format.width, height: format.height, pixels: ring[slot], timestampNanos: stamp)
    }

    private func dequeueRaw() throws(CaptureError) -> v4l2_buffer? {
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        do {
            try ioctl("VIDIOC_DQBUF", CV4L2_VIDIOC_DQBUF, &buffer)
        } catch {
            if error.errno == EAGAIN { return nil }
            throw error
        }
        return buffer
    }

    // MARK: - Discovery

    /// Every `/dev/video*` node, in numeric order, with what it says about itself. Nodes that cannot be
    /// opened are listed with the reason instead.
    public static func list(includeFormats: Bool = true) -> [Result<DeviceInfo, CaptureError>] {
        var nodes: [String] = []
        if let dir = opendir("/dev") {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name.hasPrefix("video"), Int(name.dropFirst(5)) != nil { nodes.append("/dev/" + name) }
            }
            closedir(dir)
        }
        nodes.sort { Int($0.dropFirst(10))! < Int($1.dropFirst(10))! }
        return nodes.map { path in
            let device = V4L2Device(path: path)
            defer { device.close() }
            do throws(CaptureError) {
                try device.open()
                var info = try device.info()
                if includeFormats && info.isCapture { info.formats = try device.formats() }
                return .success(info)
            } catch {
                return .failure(error)
            }
        }
    }
}

func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
}
