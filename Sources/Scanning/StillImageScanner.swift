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
/// finds nothing it can believe — a series of rescued views of the image (inverted, contrast-stretched,
/// rescaled, smoothed, sharpened, binarized, rotated), stopping as soon as it has a code it can believe.
///
/// What is believed, and when (the misread guard):
/// - a QR code (Reed–Solomon checked) as soon as any pass reads it;
/// - a linear code read on the plain pass on enough scan lines (`quality`: 1, or 2 for a weak check);
/// - a linear code from a rescue pass on two scan lines (three for a weak check); and for EAN/UPC and the
///   weak-check symbologies (`needsSecondView`) only when a second, independent view (another rescue
///   pass, or a thin plain-pass read) reads the same text, and no other text was read as often in the same
///   place: one view of a blurred or torn label can turn a bar into its neighbour and still pass a mod-10
///   check, two different views rarely make the same mistake;
/// - an EAN/UPC code whose add-on is visible beside it only together with that add-on (see `AddOns`).
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
        ScanPass("enlarged-sharpened", [.enlarge(2), .sharpen]),
        ScanPass("smoothed-contrast", [.smooth, .stretchContrast]),
        ScanPass("inverted-contrast", [.invert, .stretchContrast]),
        ScanPass("inverted-smoothed", [.invert, .smooth]),
        ScanPass("inverted-binarized", [.binarize, .invert]),
        ScanPass("rotated-30", [.limitPixels(1_500_000), .rotate(30)]),
        ScanPass("rotated-45", [.limitPixels(1_500_000), .rotate(45)]),
        ScanPass("rotated-60", [.limitPixels(1_500_000), .rotate(60)]),
    ]

    /// How a crop around a code is looked at again when its add-on is visible but was not read with it.
    static let addOnPasses: [ScanPass] = [
        ScanPass("addon-plain", []),
        ScanPass("addon-enlarged", [.enlarge(2)]),
        ScanPass("addon-sharpened", [.sharpen]),
        ScanPass("addon-binarized", [.binarize]),
        ScanPass("addon-enlarged-binarized", [.enlarge(2), .binarize]),
    ]

    /// Passes that would make a frame this large are skipped (an enlarged 12 MP photo helps no one).
    public var maxPassPixels = 8_000_000

    public func scan(_ frame: Frame, exhaustive: Bool = true) -> StillScanResult {
        let start = monotonicNanos()
        var tried = 0
        var votes = Votes()
        // Codes seen with an add-on beside them that could not be read: never believed alone, on any pass.
        var needsAddOn = Set<SymbolIdentity>()
        for (index, pass) in passes.enumerated() {
            if index > 0 && !exhaustive { break }
            if pass.estimatedPixels(for: frame) > maxPassPixels { continue }
            tried += 1
            let mapped = read(pass, of: frame, needsAddOn: &needsAddOn)
            var found: [Symbol]
            if index == 0 {
                found = accept(mapped, firstPass: true)
                // A thin plain read is one vote: a rescue pass reading the same confirms it.
                let thin = accept(mapped, minimumQuality: { _ in 1 }).filter { symbol in
                    !found.contains { $0.identity == symbol.identity }
                }
                votes.add(thin, pass: index)
            } else {
                let believed = accept(mapped, firstPass: false)
                found = believed.filter { $0.symbology.isTwoDimensional || !$0.symbology.needsSecondView }
                let linear = believed.filter { !$0.symbology.isTwoDimensional && $0.symbology.needsSecondView }
                votes.add(linear, pass: index)
                if votes.agreed().isEmpty {
                    // A new reading waits for a second opinion: ask the other views of just its neighbourhood
                    // first (a crop decodes in a fraction of the time of the whole image).
                    for candidate in linear.prefix(2) {
                        tried += confirm(candidate, in: frame, foundBy: index, votes: &votes, needsAddOn: &needsAddOn)
                        if !votes.agreed().isEmpty { break }
                    }
                }
                found += votes.agreed().filter { agreed in !found.contains { $0.identity == agreed.identity } }
            }
            if !found.isEmpty {
                return StillScanResult(
                    symbols: found, pass: pass.name, passesTried: tried, durationNanos: monotonicNanos() - start)
            }
        }
        return StillScanResult(symbols: [], pass: nil, passesTried: tried, durationNanos: monotonicNanos() - start)
    }

    /// Runs the other rescue passes over a crop around `candidate` (its outline and a margin, at least 24
    /// pixels; the whole image when the code fills it) until one of them reads it again; their readings count
    /// as those passes' votes. Returns how many passes ran.
    func confirm(
        _ candidate: Symbol, in frame: Frame, foundBy finder: Int, votes: inout Votes,
        needsAddOn: inout Set<SymbolIdentity>
    ) -> Int {
        let box = outline(candidate.points)
        guard box.count == 4 else { return 0 }
        let (width, height) = (box[2].x - box[0].x, box[2].y - box[0].y)
        // EAN/UPC: room for an add-on on any side, so that the add-on check sees it on the crop too.
        let wide = AddOns.mainSymbologies.contains(candidate.symbology)
        let marginX = max(24, wide ? max(width, height) : width / 5)
        let marginY = max(24, wide ? max(width, height) : max(height / 3, width / 8))
        let x0 = max(0, box[0].x - marginX)
        let y0 = max(0, box[0].y - marginY)
        let x1 = min(frame.width, box[2].x + marginX)
        let y1 = min(frame.height, box[2].y + marginY)
        guard x1 - x0 >= 16, y1 - y0 >= 16 else { return 0 }
        let crop = frame.cropped(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        // The finder's neighbours first (a rotation 8° either side: a code at an angle is read only near
        // its own), then every other rescue view. Neighbours vote under their own numbers.
        var views: [(Int, ScanPass)] = []
        if let turn = passes[finder].steps.lazy.compactMap({ step -> Double? in
            if case .rotate(let degrees) = step { return degrees }
            return nil
        }).first {
            for (k, delta) in [-8.0, 8.0].enumerated() {
                views.append((passes.count + 2 * finder + k, ScanPass("rotated-\(Int(turn + delta))", [.rotate(turn + delta)])))
            }
        }
        views += passes.enumerated().filter { $0.offset != 0 && $0.offset != finder }.map { ($0.offset, $0.element) }
        var ran = 0
        for (index, pass) in views {
            ran += 1
            let readings = read(pass, of: crop, at: Point(x: x0, y: y0), needsAddOn: &needsAddOn)
            votes.add(accept(readings, firstPass: false).filter { !$0.symbology.isTwoDimensional }, pass: index)
            if votes.agreed().contains(where: { $0.identity == candidate.identity }) { break }
        }
        return ran
    }

    /// One view's readings, in the pixels of the image `image` was cut from at `origin`: decoded, short
    /// codes without a quiet zone dropped, add-ons settled (all in the view's own pixels), then mapped back.
    func read(_ pass: ScanPass, of image: Frame, at origin: Point = Point(x: 0, y: 0), needsAddOn: inout Set<SymbolIdentity>)
        -> [Symbol]
    {
        let (view, map) = pass.apply(to: image)
        let decoded = decoder.decode(view).filter { QuietZone.holds(for: $0, in: view) }
        return settleAddOns(decoded, in: view, needsAddOn: &needsAddOn).map { symbol in
            var symbol = symbol
            symbol.points = symbol.points.map { point in
                let p = map.map(point)
                return Point(x: p.x + origin.x, y: p.y + origin.y)
            }
            return symbol
        }
    }

    /// An EAN/UPC code read without its add-on while bars like an add-on stand beside it: the crop around
    /// both is looked at again (plain, enlarged, sharpened, binarized) for the code with its add-on; if
    /// that fails the code is dropped, because the code alone names another item. Only when add-ons are on.
    func settleAddOns(_ symbols: [Symbol], in view: Frame, needsAddOn: inout Set<SymbolIdentity>) -> [Symbol] {
        guard decoder.options.eanAddons else { return symbols }
        return symbols.compactMap { symbol in
            if needsAddOn.contains(symbol.identity) { return nil }
            guard AddOns.visibleAddOn(beside: symbol, in: view) else { return symbol }
            needsAddOn.insert(symbol.identity)
            guard let region = CodeFrame(symbol).regionWithAddOn(in: view) else { return nil }
            let crop = view.cropped(x: region.x, y: region.y, width: region.width, height: region.height)
            for pass in StillImageScanner.addOnPasses {
                let (cropView, map) = pass.apply(to: crop)
                let joined = decoder.decode(cropView).first { candidate in
                    candidate.addOn != nil && candidate.symbology == symbol.symbology
                        && candidate.bytes.starts(with: symbol.bytes)
                }
                if var joined {
                    joined.points = joined.points.map { point in
                        let p = map.map(point)
                        return Point(x: p.x + region.x, y: p.y + region.y)
                    }
                    return joined
                }
            }
            return nil
        }
    }

    /// The misread guard, applied to what a pass found (points already in the original image's pixels):
    /// - linear codes with weak checks need two agreeing scan lines even on the plain pass, and every
    ///   linear code needs two (weak ones three) on the rescue passes;
    /// - a linear read whose outline spans under `minimumLinearSpan` pixels is noise: no real code of
    ///   six or more characters fits there (zbar reports such reads from texture and JPEG edges);
    /// - a linear read whose text lies inside a longer read of the same symbology is a partial scan
    ///   (Interleaved 2 of 5 has no unique start/stop, so a scan line starting mid-code can decode).
    func accept(_ symbols: [Symbol], firstPass: Bool) -> [Symbol] {
        accept(symbols) { symbol in
            firstPass ? (symbol.symbology.hasWeakCheck ? 2 : 1) : (symbol.symbology.hasWeakCheck ? 3 : 2)
        }
    }

    func accept(_ symbols: [Symbol], minimumQuality: (Symbol) -> Int) -> [Symbol] {
        var seen = Set<SymbolIdentity>()
        let believed = symbols.filter { symbol in
            guard seen.insert(symbol.identity).inserted else { return false }
            if symbol.symbology.isTwoDimensional { return true }
            return symbol.quality >= minimumQuality(symbol) && span(of: symbol.points) >= minimumLinearSpan
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

/// The linear readings of a still image's passes: which passes read which text where.
struct Votes {
    private var readings: [(symbol: Symbol, passes: Set<Int>)] = []

    mutating func add(_ symbols: [Symbol], pass: Int) {
        for symbol in symbols {
            if let index = readings.firstIndex(where: { $0.symbol.identity == symbol.identity }) {
                readings[index].passes.insert(pass)
            } else {
                readings.append((symbol, [pass]))
            }
        }
    }

    /// Readings two or more passes agree on, unless another text of the same kind was read as often where
    /// they were (two views disagreeing about one label: neither is believed yet).
    func agreed() -> [Symbol] {
        readings.filter { reading in
            reading.passes.count >= 2
                && !readings.contains { other in
                    other.symbol.identity != reading.symbol.identity
                        && other.symbol.symbology.isTwoDimensional == false
                        && other.passes.count >= reading.passes.count
                        && overlaps(other.symbol.points, reading.symbol.points)
                }
        }.map(\.symbol)
    }

    private func overlaps(_ a: [Point], _ b: [Point]) -> Bool {
        let boxA = outline(a)
        let boxB = outline(b)
        guard boxA.count == 4, boxB.count == 4 else { return false }
        return boxA[0].x <= boxB[2].x && boxB[0].x <= boxA[2].x && boxA[0].y <= boxB[2].y && boxB[0].y <= boxA[2].y
    }
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
