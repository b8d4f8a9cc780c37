/// One 8-bit luma image: what every decoder consumes, whether it came from a file or a camera.
/// Rows are `stride` bytes apart (stride ≥ width); pixel (x, y) is `pixels[y * stride + x]`.
public struct Frame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let stride: Int
    public var pixels: [UInt8]
    /// Capture time in nanoseconds on the monotonic clock (0 for still images).
    public var timestampNanos: UInt64

    public init(width: Int, height: Int, stride: Int? = nil, pixels: [UInt8], timestampNanos: UInt64 = 0) {
        let stride = stride ?? width
        precondition(width > 0 && height > 0 && stride >= width, "frame geometry \(width)x\(height)/\(stride)")
        precondition(pixels.count >= stride * (height - 1) + width, "frame buffer too small")
        self.width = width
        self.height = height
        self.stride = stride
        self.pixels = pixels
        self.timestampNanos = timestampNanos
    }

    /// A frame of one grey level.
    public init(width: Int, height: Int, filledWith value: UInt8) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height))
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * stride + x] }
        set { pixels[y * stride + x] = newValue }
    }

    /// True when rows follow each other with no padding (what libzbar needs).
    public var isPacked: Bool { stride == width }

    /// The same pixels with no row padding; `self` when already packed.
    public func packed() -> Frame {
        if isPacked { return self }
        return cropped(x: 0, y: 0, width: width, height: height)
    }

    /// A rectangle of this frame, clamped to its bounds, as a new packed frame.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Frame {
        let x0 = max(0, min(x, width - 1))
        let y0 = max(0, min(y, height - 1))
        let w = max(1, min(w, width - x0))
        let h = max(1, min(h, height - y0))
        var out = [UInt8](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let s = (y0 + row) * stride + x0
                    dst.baseAddress!.advanced(by: row * w).update(from: src.baseAddress!.advanced(by: s), count: w)
                }
            }
        }
        return Frame(width: w, height: h, pixels: out, timestampNanos: timestampNanos)
    }
}

extension Frame {
    /// ITU-R BT.601 luma from interleaved 8-bit RGB (3 bytes a pixel) — what a camera's Y plane holds.
    public init(rgb: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int = 3) {
        precondition(channels >= 3 && rgb.count >= width * height * channels)
        var out = [UInt8](repeating: 0, count: width * height)
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<(width * height) {
                let p = i * channels
                let y = (77 * Int(rgb[p]) + 150 * Int(rgb[p + 1]) + 29 * Int(rgb[p + 2]) + 128) >> 8
                dst[i] = UInt8(truncatingIfNeeded: y)
            }
        }
        self.init(width: width, height: height, pixels: out)
    }
}
