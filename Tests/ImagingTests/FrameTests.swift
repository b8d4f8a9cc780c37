import Testing

@testable import Imaging

@Suite("Frame and filters")
struct FrameTests {
    /// 6x4 frame with a stride of 8 whose pixel (x, y) is 10*y + x; padding bytes are 99.
    func padded() -> Frame {
        var pixels = [UInt8](repeating: 99, count: 8 * 4)
        for y in 0..<4 { for x in 0..<6 { pixels[y * 8 + x] = UInt8(10 * y + x) } }
        return Frame(width: 6, height: 4, stride: 8, pixels: pixels)
    }

    @Test("packing drops row padding and keeps every pixel")
    func packing() {
        let frame = padded()
        let packed = frame.packed()
        #expect(packed.isPacked && packed.pixels.count == 24)
        #expect(!packed.pixels.contains(99))
        for y in 0..<4 { for x in 0..<6 { #expect(packed[x, y] == frame[x, y]) } }
    }

    @Test("cropping is clamped to the frame")
    func cropping() {
        let crop = padded().cropped(x: 4, y: 2, width: 10, height: 10)
        #expect(crop.width == 2 && crop.height == 2)
        #expect(crop.pixels == [24, 25, 34, 35])
    }

    @Test("inversion, halving and enlarging")
    func geometry() {
        let frame = padded()
        #expect(frame.inverted()[1, 1] == 255 - 11)
        let half = frame.halved()
        #expect(half.width == 3 && half.height == 2)
        let expectedMean: UInt8 = 6  // (0 + 1 + 10 + 11 + 2) / 4, rounded
        #expect(half[0, 0] == expectedMean)
        let big = Frame(width: 2, height: 1, pixels: [0, 200]).enlarged(by: 2)
        #expect(big.width == 4 && big.height == 2)
        #expect(big[0, 0] == 0 && big[3, 0] == 200 && big[1, 0] > 0 && big[1, 0] < big[2, 0])
    }

    @Test("contrast stretching spans the full range")
    func contrast() {
        let dim = Frame(width: 100, height: 1, pixels: (0..<100).map { UInt8(100 + $0 / 2) })
        let stretched = dim.contrastStretched(clip: 0)
        #expect(stretched.pixels.min() == 0 && stretched.pixels.max() == 255)
        let flat = Frame(width: 10, height: 10, filledWith: 128)
        #expect(flat.contrastStretched().pixels.allSatisfy { $0 == 128 })
    }

    @Test("adaptive binarization follows a lighting gradient")
    func binarize() {
        // Dark stripes on a background that brightens from left to right: a global threshold fails.
        var frame = Frame(width: 64, height: 8, filledWith: 0)
        for y in 0..<8 {
            for x in 0..<64 {
                let background = 60 + x * 3
                frame[x, y] = UInt8(x % 8 < 2 ? background - 50 : background)
            }
        }
        let binary = frame.binarizedAdaptive(radius: 4)
        for x in 8..<56 { #expect(binary[x, 4] == (x % 8 < 2 ? 0 : 255), "x=\(x)") }
    }

    @Test("a 90° rotation moves the top-left corner to the bottom-left")
    func rotation() {
        var frame = Frame(width: 4, height: 2, filledWith: 200)
        frame[0, 0] = 0
        let r = frame.rotated(degrees: 90)
        #expect(r.width == 2 && r.height == 4)
        #expect(r[0, 3] == 0)
    }

    @Test("box blur of a constant frame is the constant; sharpening keeps it too")
    func blurSharpen() {
        let flat = Frame(width: 9, height: 9, filledWith: 77)
        #expect(flat.boxBlurred(radius: 2).pixels.allSatisfy { $0 == 77 })
        #expect(flat.sharpened().pixels.allSatisfy { $0 == 77 })
    }
}
