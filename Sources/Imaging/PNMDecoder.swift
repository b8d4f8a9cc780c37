/// Netpbm: P1/P4 (bitmap), P2/P5 (grey), P3/P6 (colour), ASCII or binary, 8 or 16 bits a sample.
/// Only the first image of a multi-image file is read.
struct PNMDecoder {
    let bytes: [UInt8]
    let source: String
    let limits: ImageLimits
    private var position = 2

    init(bytes: [UInt8], source: String, limits: ImageLimits) {
        self.bytes = bytes
        self.source = source
        self.limits = limits
    }

    mutating func decode() throws(ImageError) -> Frame {
        let kind = bytes[1] - UInt8(ascii: "0")
        let isBitmap = kind == 1 || kind == 4
        let channels = (kind == 3 || kind == 6) ? 3 : 1
        let width = try headerNumber("width")
        let height = try headerNumber("height")
        let maxValue = isBitmap ? 1 : try headerNumber("maximum value")
        guard (1...65535).contains(maxValue) else {
            throw corrupt("maximum sample value \(maxValue) is outside 1...65535")
        }
        try limits.check(width: width, height: height, source: source)
        let count = width * height
        var out = [UInt8](repeating: 0, count: count)
        if kind >= 4 {
            position += 1  // exactly one whitespace byte separates the header from binary data
            try readBinary(into: &out, width: width, height: height, channels: channels, maxValue: maxValue)
        } else {
            try readASCII(into: &out, count: count, channels: channels, maxValue: maxValue, bitmap: isBitmap)
        }
        return Frame(width: width, height: height, pixels: out)
    }

    private func corrupt(_ reason: String) -> ImageError {
        ImageError(.corrupt, source: source, reason: "PNM file is damaged: \(reason)")
    }

    private mutating func skipSpaceAndComments() {
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "#") {
                while position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D { position += 1 }
            } else if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C {
                position += 1
            } else {
                return
            }
        }
    }

    private mutating func headerNumber(_ what: String) throws(ImageError) -> Int {
        skipSpaceAndComments()
        var value = 0
        var digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            digits += 1
            position += 1
            if digits > 9 { throw corrupt("the \(what) in the header is too long a number") }
        }
        guard digits > 0 else { throw corrupt("the header has no \(what)") }
        return value
    }

    private func scale(_ sample: Int, _ maxValue: Int) -> UInt8 {
        maxValue == 255 ? UInt8(truncatingIfNeeded: sample) : UInt8(min(255, (sample * 255 + maxValue / 2) / maxValue))
    }

    private mutating func readBinary(
        into out: inout [UInt8], width: Int, height: Int, channels: Int, maxValue: Int
    ) throws(ImageError) {
        if channels == 1 && maxValue == 1 && bytes[1] == UInt8(ascii: "4") {
            let rowBytes = (width + 7) / 8
            let needed = rowBytes * height
            guard bytes.count - position >= needed else {
                throw corrupt("pixel data ends after \(bytes.count - position) of \(needed) bytes")
            }
            for y in 0..<height {
                for x in 0..<width {
                    let bit = bytes[position + y * rowBytes + x / 8] & (0x80 >> UInt8(x % 8))
                    out[y * width + x] = bit != 0 ? 0 : 255  // 1 is black in PBM
                }
            }
            return
        }
        let sampleBytes = maxValue > 255 ? 2 : 1
        let needed = width * height * channels * sampleBytes
        guard bytes.count - position >= needed else {
            throw corrupt("pixel data ends after \(max(0, bytes.count - position)) of \(needed) bytes")
        }
        var p = position
        for i in 0..<(width * height) {
            var samples = (0, 0, 0)
            for c in 0..<channels {
                let v = sampleBytes == 2 ? Int(bytes[p]) << 8 | Int(bytes[p + 1]) : Int(bytes[p])
                p += sampleBytes
                switch c {
                case 0: samples.0 = v
                case 1: samples.1 = v
                default: samples.2 = v
                }
            }
            out[i] = pixel(samples, channels: channels, maxValue: maxValue)
        }
    }

    private func pixel(_ s: (Int, Int, Int), channels: Int, maxValue: Int) -> UInt8 {
        if channels == 1 { return scale(min(s.0, maxValue), maxValue) }
        let r = Int(scale(min(s.0, maxValue), maxValue))
        let g = Int(scale(min(s.1, maxValue), maxValue))
        let b = Int(scale(min(s.2, maxValue), maxValue))
        return UInt8((77 * r + 150 * g + 29 * b + 128) >> 8)
    }

    private mutating func readASCII(
        into out: inout [UInt8], count: Int, channels: Int, maxValue: Int, bitmap: Bool
    ) throws(ImageError) {
        for i in 0..<count {
            var samples = (0, 0, 0)
            for c in 0..<channels {
                skipSpaceAndComments()
                let v: Int
                if bitmap {
                    // PBM ASCII digits need no separators.
                    guard position < bytes.count,
                        bytes[position] == UInt8(ascii: "0") || bytes[position] == UInt8(ascii: "1")
                    else { throw corrupt("pixel data ends after \(i) of \(count) pixels") }
                    v = bytes[position] == UInt8(ascii: "1") ? 0 : 1
                    position += 1
                } else {
                    do { v = try headerNumber("pixel value") } catch {
                        throw corrupt("pixel data ends after \(i) of \(count) pixels")
                    }
                }
                switch c {
                case 0: samples.0 = v
                case 1: samples.1 = v
                default: samples.2 = v
                }
            }
            out[i] = bitmap ? (samples.0 == 1 ? 255 : 0) : pixel(samples, channels: channels, maxValue: maxValue)
        }
    }
}
