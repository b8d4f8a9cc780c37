import FieldPayCore
import Imaging

#if canImport(Glibc)
    import Glibc
#endif

/// One way of looking at a still image again: a pixel transform, and how its coordinates map back.
public struct ScanPass: Sendable, Hashable {
    public enum Step: Sendable, Hashable {
        case invert
        case stretchContrast
        case halve
        case enlarge(Int)
        case smooth
        case sharpen
        case binarize
        case rotate(Double)
        /// Halve until at most this many pixels: keeps the costly steps after it affordable.
        case limitPixels(Int)
    }

    public let name: String
    public let steps: [Step]

    public init(_ name: String, _ steps: [Step]) {
        self.name = name
        self.steps = steps
    }

    /// The frame this pass hands the decoder, and the map from its coordinates back to the original's.
    func apply(to frame: Frame) -> (Frame, PointMap) {
        var current = frame
        var map = PointMap.identity
        for step in steps {
            switch step {
            case .invert: current = current.inverted()
            case .stretchContrast: current = current.contrastStretched()
            case .halve:
                current = current.halved()
                map.scale *= 2
            case .enlarge(let factor):
                current = current.enlarged(by: factor)
                map.scale /= Double(factor)
            case .smooth: current = current.boxBlurred(radius: 1)
            case .sharpen: current = current.sharpened()
            case .binarize:
                // A window a few modules wide: about 1/16 of the shorter side, at least 7 pixels.
                let radius = max(3, min(current.width, current.height) / 32)
                current = current.binarizedAdaptive(radius: radius, offset: 4)
            case .limitPixels(let limit):
                while current.width * current.height > limit, current.width >= 4, current.height >= 4 {
                    current = current.halved()
                    map.scale *= 2
                }
            case .rotate(let degrees):
                let before = (current.width, current.height)
                current = current.rotated(degrees: degrees)
                map.rotations.append(
                    .init(degrees: degrees, source: before, rotated: (current.width, current.height), scale: map.scale))
            }
        }
        return (current, map)
    }
}

/// Maps points found in a transformed frame back to the original frame's pixels.
struct PointMap: Sendable {
    struct Rotation: Sendable {
        let degrees: Double
        let source: (Int, Int)
        let rotated: (Int, Int)
        let scale: Double  // scale in force when the rotation was applied
    }

    var scale: Double = 1
    var rotations: [Rotation] = []

    static let identity = PointMap()

    func map(_ point: Point) -> Point {
        var x = Double(point.x)
        var y = Double(point.y)
        for rotation in rotations.reversed() {
            let r = rotation.degrees * .pi / 180
            let dx = x + 0.5 - Double(rotation.rotated.0) / 2
            let dy = y + 0.5 - Double(rotation.rotated.1) / 2
            x = cos(r) * dx - sin(r) * dy + Double(rotation.source.0) / 2 - 0.5
            y = sin(r) * dx + cos(r) * dy + Double(rotation.source.1) / 2 - 0.5
        }
        return Point(x: Int((x * scale).rounded()), y: Int((y * scale).rounded()))
    }
}

/// What a still-image scan found, and how.
public struct StillScanResult: Sendable {
    public var symbols: [Symbol]
    /// The pass that found them (`plain` for the first), or nil when nothing was found.
    public var pass: String?
    /// How many passes ran.
    public var passesTried: Int
    public var durationNanos: UInt64
}

/// Decodes still images (files, photos): the plain pass a video frame would get, then — only when it
/// finds nothing — a series of rescued views of the image (inverted, contrast-stretched, rescaled,
/// smoothed, sharpened, binarized, rotated), stopping at the first that yields a code.
///
/// Extra passes raise the odds of a misread on linear codes with weak checks, so readings from them must
/// be seen on more scan lines (`quality`) before they are believed.
public final class StillImageScanner {
    public let decoder: ZBarDecoder
    public let passes: [ScanPass]

    public init(options: DecoderOptions = DecoderOptions(), passes: [ScanPass] = StillImageScanner.standardPasses) {
        self.decoder = ZBarDecoder(options: options)
        self.passes = passes
    }

    /// The plain pass, then the rescue passes, cheapest and most often useful first.
    public static let standardPasses: [ScanPass] = [
        ScanPass("plain", []),
        ScanPass("inverted", [.invert]),
        ScanPass("contrast", [.stretchContrast]),
        ScanPass("halved", [.halve]),
        ScanPass("enlarged", [.enlarge(2)]),
        ScanPass("smoothed", [.smooth]),
        ScanPass("sharpened", [.sharpen]),
        ScanPass("binarized", [.binarize]),
        ScanPass("halved-binarized", [.halve, .binarize]),
        ScanPass("enlarged-binarized", [.enlarge(2), .binarize]),
        ScanPass("inverted-enlarged", [.invert, .enlarge(2)]),
        ScanPass("smoothed-halved", [.smooth, .halve]),
        ScanPass("rotated-30", [.limitPixels(1_500_000), .rotate(30)]),
        ScanPass("rotated-45", [.limitPixels(1_500_000), .rotate(45)]),
        ScanPass("rotated-60", [.limitPixels(1_500_000), .rotate(60)]),
    ]

    /// Passes that would make a frame this large are skipped (an enlarged 12 MP photo helps no one).
    public var maxPassPixels = 8_000_000

    public func scan(_ frame: Frame, exhaustive: Bool = true) -> StillScanResult {
        let start = monotonicNanos()
        var tried = 0
        for (index, pass) in passes.enumerated() {
            if index > 0 && !exhaustive { break }
            if pass.estimatedPixels(for: frame) > maxPassPixels { continue }
            tried += 1
            let (view, map) = pass.apply(to: frame)
            let mapped = decoder.decode(view).map { symbol in
                var symbol = symbol
                symbol.points = symbol.points.map(map.map)
                return symbol
            }
            let found = accept(mapped, firstPass: index == 0)
            if !found.isEmpty {
                return StillScanResult(
                    symbols: found, pass: pass.name, passesTried: tried, durationNanos: monotonicNanos() - start)
            }
        }
        return StillScanResult(symbols: [], pass: nil, passesTried: tried, durationNanos: monotonicNanos() - start)
    }

    /// The misread guard, applied to what a pass found (points already in the original image's pixels):
    /// - linear codes with weak checks need two agreeing scan lines even on the plain pass, and every
    ///   linear code needs two (weak ones three) on the rescue passes;
    /// - a linear read whose outline spans under `minimumLinearSpan` pixels is noise: no real code of
    ///   six or more characters fits there (zbar reports such reads from texture and JPEG edges);
    /// - a linear read whose text lies inside a longer read of the same symbology is a partial scan
    ///   (Interleaved 2 of 5 has no unique start/stop, so a scan line starting mid-code can decode).
    func accept(_ symbols: [Symbol], firstPass: Bool) -> [Symbol] {
        var seen = Set<SymbolIdentity>()
        let believed = symbols.filter { symbol in
            guard seen.insert(symbol.identity).inserted else { return false }
            if symbol.symbology.isTwoDimensional { return true }
            let needed = firstPass ? (symbol.symbology.hasWeakCheck ? 2 : 1) : (symbol.symbology.hasWeakCheck ? 3 : 2)
            return symbol.quality >= needed && span(of: symbol.points) >= minimumLinearSpan
        }
        return believed.filter { symbol in
            symbol.symbology.isTwoDimensional
                || !believed.contains { other in
                    other.symbology == symbol.symbology && other.bytes.count > symbol.bytes.count
                        && other.text.contains(symbol.text)
                }
        }
    }

    /// The longer side of a symbol's outline, in pixels.
    func span(of points: [Point]) -> Int {
        let box = outline(points)
        guard box.count == 4 else { return 0 }
        return max(box[2].x - box[0].x, box[2].y - box[0].y)
    }

    /// Shortest outline a linear code may have: 6 characters of the densest symbology at 0.4 px a module.
    public var minimumLinearSpan = 20
}

extension ScanPass {
    func estimatedPixels(for frame: Frame) -> Int {
        var pixels = Double(frame.width * frame.height)
        for step in steps {
            switch step {
            case .halve: pixels /= 4
            case .limitPixels(let limit): pixels = min(pixels, Double(limit))
            case .enlarge(let factor): pixels *= Double(factor * factor)
            case .rotate: pixels *= 2
            default: break
            }
        }
        return Int(pixels)
    }
}
