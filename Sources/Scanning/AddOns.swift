import Imaging

/// EAN/UPC add-ons: the 2- or 5-digit codes printed 7–12 modules to the right of a code (a magazine's issue,
/// a book's price). The code without its add-on is a different item, so an add-on never travels alone and
/// a code whose add-on is visible but unread is not returned at all (see `StillImageScanner`).
enum AddOns {
    /// Codes an add-on belongs to.
    static let mainSymbologies: Set<Symbology> = [.ean13, .upca, .ean8, .upce, .isbn13, .isbn10]

    /// Joins each add-on zbar reported on its own (it joins them itself only when a frame holds exactly one
    /// code and one add-on) to the code it sits beside, and drops add-ons that sit beside none.
    static func pair(_ symbols: [Symbol], keepLoneAddOns: Bool) -> [Symbol] {
        let addOns = symbols.indices.filter { [.ean2, .ean5].contains(symbols[$0].symbology) }
        guard !addOns.isEmpty else { return symbols }
        var result = symbols
        var used = Set<Int>()
        for index in symbols.indices where mainSymbologies.contains(symbols[index].symbology) {
            let main = symbols[index]
            guard main.addOn == nil else { continue }
            let frame = CodeFrame(main)
            // The nearest unused add-on that starts where an add-on would: after the code, within 20 modules.
            let candidates = addOns.filter { !used.contains($0) }.compactMap { addOn -> (Int, Double)? in
                let box = frame.box(of: symbols[addOn].points)
                let gap = box.u0 - frame.u1
                let overlaps = box.v1 >= frame.v0 - frame.module * 10 && box.v0 <= frame.v1 + frame.module * 10
                guard gap > -frame.module * 2, gap < frame.module * 20, overlaps else { return nil }
                return (addOn, gap)
            }
            guard let (addOn, _) = candidates.min(by: { $0.1 < $1.1 }) else { continue }
            used.insert(addOn)
            let digits = symbols[addOn].bytes
            result[index] = Symbol(
                symbology: main.symbology, bytes: main.bytes + digits, points: outline(main.points + symbols[addOn].points),
                quality: min(main.quality, symbols[addOn].quality), addOn: String(decoding: digits, as: UTF8.self),
                orientation: main.orientation)
        }
        return result.indices.compactMap { index in
            if used.contains(index) { return nil }
            if addOns.contains(index) && !keepLoneAddOns { return nil }
            return result[index]
        }
    }

    /// Whether bars that look like an add-on stand beside `symbol` (a code read without one) in `frame`, the
    /// image the symbol's points refer to: on most of a few scan rows across the code's lower part, a group
    /// of at least six narrow bars starting 3–16 modules after the code's end, after a light gap, at the
    /// same place on each row. Text, table rules and noise do not line up like that.
    static func visibleAddOn(beside symbol: Symbol, in image: Frame) -> Bool {
        guard mainSymbologies.contains(symbol.symbology), symbol.addOn == nil, symbol.points.count >= 2 else {
            return false
        }
        let code = CodeFrame(symbol)
        let m = code.module
        guard m >= 0.8 else { return false }  // too small to tell bars from noise
        // Rows: the lower 70 % of the band the code was read in, at least 8 modules tall.
        var top = code.v0
        var bottom = code.v1
        if bottom - top < 8 * m {
            let centre = (top + bottom) / 2
            (top, bottom) = (centre - 4 * m, centre + 4 * m)
        }
        let rows = (0..<9).map { top + 0.3 * (bottom - top) + Double($0) / 8 * 0.7 * (bottom - top) }
        var starts: [Double] = []
        for v in rows {
            // Levels from the code itself on this row.
            var levels: [Int] = []
            var u = code.u0
            while u <= code.u1 {
                if let value = code.sample(image, u: u, v: v) { levels.append(Int(value)) }
                u += 1
            }
            guard levels.count >= 20 else { continue }
            levels.sort()
            let dark = levels[levels.count / 10]
            let light = levels[levels.count * 9 / 10]
            guard light - dark >= 12 else { continue }
            let threshold = (dark + light) / 2
            // Runs beside the code, from 2 modules after its end to 75 modules on.
            var runs: [(dark: Bool, start: Double, length: Double)] = []
            u = code.u1 + 2 * m
            while u <= code.u1 + 75 * m {
                guard let value = code.sample(image, u: u, v: v) else { break }
                let isDark = Int(value) < threshold
                if let last = runs.last, last.dark == isDark {
                    runs[runs.count - 1].length += 1
                } else {
                    runs.append((isDark, u, 1))
                }
                u += 1
            }
            if let start = addOnGroup(in: runs, module: m, codeEnd: code.u1) { starts.append(start) }
        }
        guard starts.count >= 4 else { return false }
        starts.sort()
        let median = starts[starts.count / 2]
        return starts.filter { abs($0 - median) <= 2.5 * m }.count >= 4
    }

    /// The start of the first add-on-like bar group in a row's runs, or nil.
    static func addOnGroup(in runs: [(dark: Bool, start: Double, length: Double)], module m: Double, codeEnd: Double)
        -> Double?
    {
        var index = 0
        while index < runs.count {
            // A group starts with a dark run after a light gap of at least 3 modules (or the sampled edge).
            guard runs[index].dark,
                index == 0 ? false : (!runs[index - 1].dark && runs[index - 1].length >= 3 * m)
            else {
                index += 1
                continue
            }
            let start = runs[index].start
            guard start - codeEnd >= 3 * m, start - codeEnd <= 16 * m else {
                index += 1
                continue
            }
            var bars = 0
            var end = index
            while end < runs.count {
                let run = runs[end]
                if run.dark {
                    guard run.length <= 4.5 * m else { break }
                    bars += 1
                } else if run.length > 4.5 * m {
                    break
                }
                end += 1
            }
            let length = (end < runs.count ? runs[end].start : runs[runs.count - 1].start + runs[runs.count - 1].length) - start
            if bars >= 6 && length >= 12 * m && length <= 56 * m { return start }
            index = max(end, index + 1)
        }
        return nil
    }
}

/// A linear code's own coordinates: `u` along its reading direction, `v` across it (down when upright).
struct CodeFrame {
    let orientation: Symbol.Orientation
    let u0: Double, u1: Double, v0: Double, v1: Double
    /// The width of one module, in pixels.
    let module: Double

    init(_ symbol: Symbol) {
        let orientation: Symbol.Orientation = symbol.orientation == .unknown ? .up : symbol.orientation
        self.orientation = orientation
        let mapped = symbol.points.map { CodeFrame.toCode(orientation, Double($0.x), Double($0.y)) }
        u0 = mapped.map(\.0).min() ?? 0
        u1 = mapped.map(\.0).max() ?? 0
        v0 = mapped.map(\.1).min() ?? 0
        v1 = mapped.map(\.1).max() ?? 0
        let modules: Double =
            switch symbol.symbology {
            case .ean8: 67
            case .upce: 51
            default: 95
            }
        module = (u1 - u0) / modules
    }

    func box(of points: [Point]) -> (u0: Double, u1: Double, v0: Double, v1: Double) {
        let mapped = points.map { CodeFrame.toCode(orientation, Double($0.x), Double($0.y)) }
        return (mapped.map(\.0).min() ?? 0, mapped.map(\.0).max() ?? 0, mapped.map(\.1).min() ?? 0, mapped.map(\.1).max() ?? 0)
    }

    static func toCode(_ orientation: Symbol.Orientation, _ x: Double, _ y: Double) -> (Double, Double) {
        switch orientation {
        case .right: (y, -x)
        case .down: (-x, -y)
        case .left: (-y, x)
        case .up, .unknown: (x, y)
        }
    }

    static func toImage(_ orientation: Symbol.Orientation, _ u: Double, _ v: Double) -> (Double, Double) {
        switch orientation {
        case .right: (-v, u)
        case .down: (-u, -v)
        case .left: (v, -u)
        case .up, .unknown: (u, v)
        }
    }

    func sample(_ image: Frame, u: Double, v: Double) -> UInt8? {
        let (x, y) = CodeFrame.toImage(orientation, u, v)
        let px = Int(x.rounded())
        let py = Int(y.rounded())
        guard px >= 0, py >= 0, px < image.width, py < image.height else { return nil }
        return image[px, py]
    }

    /// The image rectangle holding the code and everything an add-on beside it could cover, clipped.
    func regionWithAddOn(in image: Frame) -> (x: Int, y: Int, width: Int, height: Int)? {
        let margin = 12 * module
        let corners = [
            (u0 - margin, v0 - 25 * module), (u1 + 75 * module, v0 - 25 * module),
            (u1 + 75 * module, v1 + 25 * module), (u0 - margin, v1 + 25 * module),
        ].map { CodeFrame.toImage(orientation, $0.0, $0.1) }
        let x0 = max(0, Int(corners.map(\.0).min()!.rounded(.down)))
        let y0 = max(0, Int(corners.map(\.1).min()!.rounded(.down)))
        let x1 = min(image.width, Int(corners.map(\.0).max()!.rounded(.up)))
        let y1 = min(image.height, Int(corners.map(\.1).max()!.rounded(.up)))
        guard x1 - x0 >= 16, y1 - y0 >= 16 else { return nil }
        return (x0, y0, x1 - x0, y1 - y0)
    }
}

/// UPC-E and EAN-8 are short: zbar can find one inside a longer EAN/UPC code whose bars it cannot all
/// read (small modules), and a partial read passes their weak checks. A real one has a quiet zone, so a
/// reading is believed only where, on most of three rows across it, light runs at least five modules wide
/// lie outside it: beyond both ends when zbar reported both, else beyond the one end it reported.
enum QuietZone {
    static let shortSymbologies: Set<Symbology> = [.upce, .ean8]

    static func holds(for symbol: Symbol, in image: Frame) -> Bool {
        guard shortSymbologies.contains(symbol.symbology), symbol.points.count >= 2 else { return true }
        let code = CodeFrame(symbol)
        let modules: Double = symbol.symbology == .upce ? 51 : 67
        let runs: Double = symbol.symbology == .upce ? 33 : 43  // bars and spaces from guard to guard
        let rows = [0.25, 0.5, 0.75].map { code.v0 + $0 * (code.v1 - code.v0) }
        var quiet = 0
        for v in rows {
            // The row around the code, binarized at the middle of its levels.
            var samples: [(u: Double, value: Int)] = []
            var u = code.u0 - 140
            while u <= code.u1 + 140 {
                if let value = code.sample(image, u: u, v: v) { samples.append((u, Int(value))) }
                u += 1
            }
            guard samples.count >= 40 else { continue }
            let levels = samples.map(\.value).sorted()
            let threshold = (levels[levels.count / 10] + levels[levels.count * 9 / 10]) / 2
            guard levels[levels.count * 9 / 10] - levels[levels.count / 10] >= 12 else { continue }
            let dark = samples.map { $0.value < threshold }
            func index(of u: Double) -> Int { max(0, min(samples.count - 1, Int((u - samples[0].u).rounded()))) }
            /// The module width and the far end if the code runs from `end` in `direction`: `runs` runs
            /// span `modules`.
            func module(from end: Int, inward direction: Int) -> (Double, Int)? {
                var i = end
                // Step onto the code's last bar.
                while i >= 0, i < dark.count, !dark[i], abs(i - end) < 6 { i += direction }
                var count = 0
                let start = i
                while i > 0, i < dark.count - 1, count < Int(runs) {
                    let state = dark[i]
                    while i > 0, i < dark.count - 1, dark[i] == state { i += direction }
                    count += 1
                }
                guard count == Int(runs) else { return nil }
                // `i` is one past the last run: step back onto the code's first bar.
                return (Double(abs(i - start)) / modules, i - direction)
            }
            /// A light run of five modules (or the image's edge) begins within four modules beyond `end`, going
            /// `outward` (zbar's reported end can lie a few modules inside the end guard).
            func clear(beyond end: Int, outward direction: Int, module m: Double) -> Bool {
                let reach = Int((4 * m).rounded(.up))
                let need = max(2, Int((5 * m).rounded(.up)))
                for offset in 0...reach {
                    let i = end + direction * offset
                    guard i >= 0, i < dark.count else { return true }
                    guard !dark[i] else { continue }
                    var k = i
                    var length = 0
                    while k >= 0, k < dark.count, !dark[k], length < need {
                        k += direction
                        length += 1
                    }
                    if length >= need || k < 0 || k >= dark.count { return true }
                }
                return false
            }
            let left = index(of: code.u0)
            let right = index(of: code.u1)
            let bothEnds = code.u1 - code.u0 > 10
            var ok = false
            if bothEnds {
                let m = (code.u1 - code.u0) / modules
                ok = clear(beyond: left, outward: -1, module: m) && clear(beyond: right, outward: 1, module: m)
            } else {
                // One end reported: the code lies on one side of it, and both its ends need a quiet zone.
                for direction in [-1, 1] {
                    if let (m, far) = module(from: right, inward: direction), m >= 0.5,
                        clear(beyond: right, outward: -direction, module: m),
                        clear(beyond: far, outward: direction, module: m)
                    {
                        ok = true
                    }
                }
            }
            if ok { quiet += 1 }
        }
        return quiet >= 2
    }
}
