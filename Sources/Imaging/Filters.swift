/// Pixel operations the still-image scanner uses to give the decoder a second chance. Each returns a new
/// packed frame and leaves `self` alone. Written for clarity first; all are O(pixels).
extension Frame {
    private func mapPixels(_ transform: (UInt8) -> UInt8) -> Frame {
        var lut = [UInt8](repeating: 0, count: 256)
        for v in 0..<256 { lut[v] = transform(UInt8(v)) }
        var source = packed()
        source.pixels.withUnsafeMutableBufferPointer { buffer in
            lut.withUnsafeBufferPointer { table in
                for i in buffer.indices { buffer[i] = table[Int(buffer[i])] }
            }
        }
        return source
    }

    /// Light becomes dark: light-on-dark codes (screens, inverted labels) read as ordinary ones.
    public func inverted() -> Frame { mapPixels { 255 &- $0 } }

    /// The grey-level histogram (256 bins).
    public func histogram() -> [Int] {
        var bins = [Int](repeating: 0, count: 256)
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let row = y * stride
                for x in 0..<width { bins[Int(p[row + x])] += 1 }
            }
        }
        return bins
    }

    /// Levels stretched so the darkest `clip` fraction maps to 0 and the lightest to 255: dim, grey,
    /// low-contrast photos get their full range back.
    public func contrastStretched(clip: Double = 0.01) -> Frame {
        let bins = histogram()
        let total = width * height
        let cut = Int(Double(total) * clip)
        var low = 0
        var seen = 0
        while low < 255, seen + bins[low] <= cut {
            seen += bins[low]
            low += 1
        }
        var high = 255
        seen = 0
        while high > 0, seen + bins[high] <= cut {
            seen += bins[high]
            high -= 1
        }
        guard high > low else { return packed() }
        let range = high - low
        return mapPixels { v in
            let x = (Int(v) - low) * 255 / range
            return UInt8(clamping: x)
        }
    }

    /// Half the size in each direction, each pixel the mean of a 2×2 block (noise and JPEG blocks average out).
    public func halved() -> Frame {
        let w = max(1, width / 2)
        let h = max(1, height / 2)
        var out = [UInt8](repeating: 0, count: w * h)
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let r0 = min(2 * y, height - 1) * stride
                    let r1 = min(2 * y + 1, height - 1) * stride
                    for x in 0..<w {
                        let x0 = min(2 * x, width - 1)
                        let x1 = min(2 * x + 1, width - 1)
                        let sum = Int(p[r0 + x0]) + Int(p[r0 + x1]) + Int(p[r1 + x0]) + Int(p[r1 + x1])
                        o[y * w + x] = UInt8((sum + 2) >> 2)
                    }
                }
            }
        }
        return Frame(width: w, height: h, pixels: out, timestampNanos: timestampNanos)
    }

    /// Scaled by `factor` (> 1) with bilinear interpolation: thin bars and small QR modules get more pixels.
    public func enlarged(by factor: Int) -> Frame {
        precondition(factor >= 2)
        let w = width * factor
        let h = height * factor
        var out = [UInt8](repeating: 0, count: w * h)
        let f = factor
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    // Sample centres: (y + 0.5) / f - 0.5 in source pixels, in fixed point (×256).
                    let sy = max(0, ((2 * y + 1) * 256) / (2 * f) - 128)
                    let y0 = min(sy >> 8, height - 1)
                    let y1 = min(y0 + 1, height - 1)
                    let fy = sy & 255
                    for x in 0..<w {
                        let sx = max(0, ((2 * x + 1) * 256) / (2 * f) - 128)
                        let x0 = min(sx >> 8, width - 1)
                        let x1 = min(x0 + 1, width - 1)
                        let fx = sx & 255
                        let top = Int(p[y0 * stride + x0]) * (256 - fx) + Int(p[y0 * stride + x1]) * fx
                        let bottom = Int(p[y1 * stride + x0]) * (256 - fx) + Int(p[y1 * stride + x1]) * fx
                        o[y * w + x] = UInt8((top * (256 - fy) + bottom * fy + 32768) >> 16)
                    }
                }
            }
        }
        return Frame(width: w, height: h, pixels: out, timestampNanos: timestampNanos)
    }

    /// Summed-area table with one row and column of zero padding: (width + 1) × (height + 1).
    private func integralImage() -> [Int] {
        let w1 = width + 1
        var table = [Int](repeating: 0, count: w1 * (height + 1))
        pixels.withUnsafeBufferPointer { p in
            table.withUnsafeMutableBufferPointer { t in
                for y in 0..<height {
                    var rowSum = 0
                    for x in 0..<width {
                        rowSum += Int(p[y * stride + x])
                        t[(y + 1) * w1 + x + 1] = t[y * w1 + x + 1] + rowSum
                    }
                }
            }
        }
        return table
    }

    /// Mean over a (2r+1)² box at every pixel, clamped at the edges.
    public func boxBlurred(radius r: Int) -> Frame {
        let table = integralImage()
        let w1 = width + 1
        var out = [UInt8](repeating: 0, count: width * height)
        table.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let ya = max(0, y - r)
                    let yb = min(height, y + r + 1)
                    for x in 0..<width {
                        let xa = max(0, x - r)
                        let xb = min(width, x + r + 1)
                        let sum = t[yb * w1 + xb] - t[ya * w1 + xb] - t[yb * w1 + xa] + t[ya * w1 + xa]
                        let n = (yb - ya) * (xb - xa)
                        o[y * width + x] = UInt8((sum + n / 2) / n)
                    }
                }
            }
        }
        return Frame(width: width, height: height, pixels: out, timestampNanos: timestampNanos)
    }

    /// Black and white by comparing each pixel with the mean of its neighbourhood (window `2r+1`), less
    /// `offset`: uneven lighting, shadows and faint print stop mattering. Flat areas turn white.
    public func binarizedAdaptive(radius r: Int, offset: Int = 6) -> Frame {
        let table = integralImage()
        let w1 = width + 1
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { p in
            table.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        let ya = max(0, y - r)
                        let yb = min(height, y + r + 1)
                        for x in 0..<width {
                            let xa = max(0, x - r)
                            let xb = min(width, x + r + 1)
                            let sum = t[yb * w1 + xb] - t[ya * w1 + xb] - t[yb * w1 + xa] + t[ya * w1 + xa]
                            let n = (yb - ya) * (xb - xa)
                            o[y * width + x] = Int(p[y * stride + x]) * n < sum - offset * n ? 0 : 255
                        }
                    }
                }
            }
        }
        return Frame(width: width, height: height, pixels: out, timestampNanos: timestampNanos)
    }

    /// Unsharp mask: `self + amount × (self − blur)`; edges softened by focus blur get steeper.
    public func sharpened(radius: Int = 1, amount: Int = 2) -> Frame {
        let blurred = boxBlurred(radius: radius)
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { p in
            blurred.pixels.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<height {
                        for x in 0..<width {
                            let v = Int(p[y * stride + x])
                            o[y * width + x] = UInt8(clamping: v + amount * (v - Int(b[y * width + x])))
                        }
                    }
                }
            }
        }
        return Frame(width: width, height: height, pixels: out, timestampNanos: timestampNanos)
    }

    /// Rotated by `degrees` counter-clockwise about the centre onto a canvas that holds the whole image
    /// (corners filled with the median grey so no new edges appear). Bilinear.
    public func rotated(degrees: Double) -> Frame {
        let radians = degrees * .pi / 180
        let c = cos(radians)
        let s = sin(radians)
        // The 1e-9 keeps cos(90°) ≈ 6e-17 from adding a whole column.
        let w = max(1, Int((Double(width) * abs(c) + Double(height) * abs(s) - 1e-9).rounded(.up)))
        let h = max(1, Int((Double(width) * abs(s) + Double(height) * abs(c) - 1e-9).rounded(.up)))
        let fill = UInt8(medianLevel())
        var out = [UInt8](repeating: fill, count: w * h)
        let cx = Double(width) / 2
        let cy = Double(height) / 2
        let ox = Double(w) / 2
        let oy = Double(h) / 2
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let dy = Double(y) + 0.5 - oy
                    for x in 0..<w {
                        let dx = Double(x) + 0.5 - ox
                        // Inverse mapping: output → source.
                        let sx = c * dx - s * dy + cx - 0.5
                        let sy = s * dx + c * dy + cy - 0.5
                        guard sx >= 0, sy >= 0, sx < Double(width - 1), sy < Double(height - 1) else { continue }
                        let x0 = Int(sx)
                        let y0 = Int(sy)
                        let fx = sx - Double(x0)
                        let fy = sy - Double(y0)
                        let a = Double(p[y0 * stride + x0])
                        let b = Double(p[y0 * stride + x0 + 1])
                        let d = Double(p[(y0 + 1) * stride + x0])
                        let e = Double(p[(y0 + 1) * stride + x0 + 1])
                        let v = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy
                        o[y * w + x] = UInt8(v + 0.5)
                    }
                }
            }
        }
        return Frame(width: w, height: h, pixels: out, timestampNanos: timestampNanos)
    }

    /// The grey level half the pixels are darker than.
    public func medianLevel() -> Int {
        let bins = histogram()
        let half = width * height / 2
        var seen = 0
        for level in 0..<256 {
            seen += bins[level]
            if seen > half { return level }
        }
        return 255
    }
}

#if canImport(Glibc)
    import Glibc
#endif
