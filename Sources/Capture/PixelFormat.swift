import CV4L2

/// A V4L2 pixel format by its fourcc, with the luma extraction FieldPay needs from it.
public struct PixelFormat: Hashable, Sendable, CustomStringConvertible {
    public let fourcc: UInt32

    public init(fourcc: UInt32) { self.fourcc = fourcc }

    public init?(name: String) {
        let bytes = Array(name.utf8)
        guard bytes.count == 4 else { return nil }
        fourcc = bytes.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    public static let grey = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_GREY)
    public static let yuyv = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_YUYV)
    public static let uyvy = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_UYVY)
    public static let yuv420 = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_YUV420)
    public static let nv12 = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_NV12)
    public static let mjpeg = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_MJPEG)
    public static let jpeg = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_JPEG)
    public static let rgb24 = PixelFormat(fourcc: CV4L2_V4L2_PIX_FMT_RGB24)

    /// The four characters, e.g. `YUYV`.
    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: fourcc >> (8 * $0)) }, as: UTF8.self)
    }

    /// The order FieldPay asks for formats in: luma comes free with GREY, cheaply from YUYV/UYVY and
    /// planar YUV; MJPEG is decoded to YUV 4:2:0 by libv4l2.
    public static let preference: [PixelFormat] = [.grey, .yuyv, .uyvy, .yuv420, .nv12, .mjpeg, .jpeg]

    /// Formats whose luma we can read straight out of a buffer.
    var readsLumaDirectly: Bool { [.grey, .yuyv, .uyvy, .yuv420, .nv12].contains(self) }

    /// Copies the luma plane of a buffer in this format into `out` (packed, width × height).
    func extractLuma(
        from buffer: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerLine: Int,
        into out: UnsafeMutableBufferPointer<UInt8>
    ) -> Bool {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        switch self {
        case .grey, .yuv420, .nv12:
            let stride = max(bytesPerLine, width)
            guard buffer.count >= stride * (height - 1) + width else { return false }
            for y in 0..<height {
                out.baseAddress!.advanced(by: y * width).update(from: base.advanced(by: y * stride), count: width)
            }
        case .yuyv, .uyvy:
            let stride = max(bytesPerLine, width * 2)
            guard buffer.count >= stride * (height - 1) + width * 2 else { return false }
            let offset = self == .yuyv ? 0 : 1
            for y in 0..<height {
                let row = base.advanced(by: y * stride + offset)
                let dst = out.baseAddress!.advanced(by: y * width)
                for x in 0..<width { dst[x] = row[2 * x] }
            }
        default:
            return false
        }
        return true
    }
}
