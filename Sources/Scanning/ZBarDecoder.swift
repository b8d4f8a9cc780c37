import CZBar
import Imaging

/// Turns a frame into the barcodes it shows. Same frame in, same symbols out.
/// Implementations are not thread-safe: give each thread or task its own decoder.
public protocol Decoder: AnyObject {
    func decode(_ frame: Frame) -> [Symbol]
}

/// How a `ZBarDecoder` is set up.
public struct DecoderOptions: Sendable, Equatable {
    /// What to look for. Fewer symbologies is the biggest speed lever zbar has.
    public var symbologies: Set<Symbology>
    /// Also read the 2- and 5-digit add-ons printed beside EAN/UPC codes: a code read with its add-on comes
    /// out as one symbol (the main code's symbology, the add-on's digits appended); an add-on is never
    /// returned on its own unless only add-ons were asked for.
    public var eanAddons: Bool
    /// Read Code 39 as Full ASCII (`+A` is `a`, `%U` is NUL …): only for labels printed that way.
    public var code39FullASCII: Bool
    /// Scan every n-th row and column (1 = every line, the thorough still-image setting).
    public var density: Int
    /// Let zbar retry each frame inverted. Doubles the cost of empty frames: still images only.
    public var testInverted: Bool
    /// Recreate the zbar scanner after this many decodes: zbar 0.23.92 leaks a little per decode.
    public var recycleInterval: Int

    public init(
        symbologies: Set<Symbology> = Symbology.defaultSet, eanAddons: Bool = false, code39FullASCII: Bool = false,
        density: Int = 1, testInverted: Bool = false, recycleInterval: Int = 2_000
    ) {
        self.symbologies = symbologies
        self.eanAddons = eanAddons
        self.code39FullASCII = code39FullASCII
        self.density = density
        self.testInverted = testInverted
        self.recycleInterval = recycleInterval
    }
}

/// The one owner of libzbar in FieldPay: a `zbar_image_scanner` and the frames handed to it.
/// Not Sendable: zbar scanners must stay on one thread at a time.
public final class ZBarDecoder: Decoder {
    public let options: DecoderOptions
    private var scanner: OpaquePointer
    private var decodesSinceRecycle = 0
    /// How many times the scanner has been recreated (for tests and stats).
    public private(set) var recycleCount = 0

    public init(options: DecoderOptions = DecoderOptions()) {
        self.options = options
        self.scanner = ZBarDecoder.makeScanner(options)
    }

    deinit { zbar_image_scanner_destroy(scanner) }

    private static func makeScanner(_ options: DecoderOptions) -> OpaquePointer {
        guard let scanner = zbar_image_scanner_create() else {
            fatalError("zbar_image_scanner_create returned NULL: out of memory")
        }
        // Everything off, then exactly what was asked for.
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        var wanted = options.symbologies
        if options.eanAddons { wanted.formUnion([.ean2, .ean5]) }
        for symbology in wanted {
            zbar_image_scanner_set_config(scanner, symbology.zbarType, ZBAR_CFG_ENABLE, 1)
        }
        // With add-ons on, zbar joins a code and the add-on beside it into one COMPOSITE symbol.
        if options.eanAddons { zbar_image_scanner_set_config(scanner, ZBAR_COMPOSITE, ZBAR_CFG_ENABLE, 1) }
        // Raw bytes for 2D codes: we decode the text ourselves (see Symbol.decodeText).
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1)
        zbar_image_scanner_set_config(scanner, ZBAR_SQCODE, ZBAR_CFG_BINARY, 1)
        let density = Int32(max(1, options.density))
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_X_DENSITY, density)
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, density)
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_TEST_INVERTED, options.testInverted ? 1 : 0)
        return scanner
    }

    public func decode(_ frame: Frame) -> [Symbol] {
        if decodesSinceRecycle >= options.recycleInterval {
            zbar_image_scanner_destroy(scanner)
            scanner = ZBarDecoder.makeScanner(options)
            decodesSinceRecycle = 0
            recycleCount += 1
        }
        decodesSinceRecycle += 1
        // zbar has no stride: hand it packed rows (a copy only when the frame is padded).
        let input = frame.packed()
        guard let image = zbar_image_create() else { return [] }
        defer { zbar_image_destroy(image) }
        zbar_image_set_format(image, ZBarDecoder.y800)
        zbar_image_set_size(image, UInt32(input.width), UInt32(input.height))
        return input.pixels.withUnsafeBytes { raw -> [Symbol] in
            // No cleanup handler: the pixels outlive the scan, and the image is destroyed before return.
            zbar_image_set_data(image, raw.baseAddress, UInt(input.width * input.height), nil)
            guard zbar_scan_image(scanner, image) > 0 else { return [] }
            var symbols: [Symbol] = []
            var cursor = zbar_image_first_symbol(image)
            while let symbol = cursor {
                if let converted = ZBarDecoder.convert(symbol).flatMap(fullASCII) { symbols.append(converted) }
                cursor = zbar_symbol_next(symbol)
            }
            return options.eanAddons ? AddOns.pair(symbols, keepLoneAddOns: options.onlyAddOns) : symbols
        }
    }

    /// zbar 0.23.92 has the Full ASCII setting but does not apply it: we expand the pairs, and drop a Code 39
    /// reading that holds a pair the table does not define. Other symbols pass unchanged.
    private func fullASCII(_ symbol: Symbol) -> Symbol? {
        guard options.code39FullASCII && symbol.symbology == .code39 else { return symbol }
        guard let expanded = Code39FullASCII.expand(symbol.bytes) else { return nil }
        return Symbol(
            symbology: .code39, bytes: expanded, points: symbol.points, quality: symbol.quality,
            orientation: symbol.orientation)
    }

    private static let y800: UInt = 0x3030_3859  // fourcc 'Y800': 8-bit grey

    private static func convert(_ symbol: OpaquePointer) -> Symbol? {
        if zbar_symbol_get_type(symbol) == ZBAR_COMPOSITE { return convertComposite(symbol) }
        guard let symbology = Symbology(zbarType: zbar_symbol_get_type(symbol)) else { return nil }
        var points = locations(symbol)
        if !symbology.isTwoDimensional { points = outline(points) }
        return Symbol(
            symbology: symbology, bytes: data(symbol), points: points, quality: Int(zbar_symbol_get_quality(symbol)),
            orientation: orientation(symbol))
    }

    /// An EAN/UPC code and its add-on, joined by zbar: reported as the main code with the add-on appended.
    private static func convertComposite(_ symbol: OpaquePointer) -> Symbol? {
        var main: (Symbology, OpaquePointer)?
        var addOn: OpaquePointer?
        var cursor = zbar_symbol_set_first_symbol(zbar_symbol_get_components(symbol))
        while let part = cursor {
            switch Symbology(zbarType: zbar_symbol_get_type(part)) {
            case .ean2?, .ean5?: addOn = part
            case let other?: main = (other, part)
            case nil: break
            }
            cursor = zbar_symbol_next(part)
        }
        guard let (symbology, mainPart) = main, let addOn else { return nil }
        let addOnBytes = data(addOn)
        return Symbol(
            symbology: symbology, bytes: data(mainPart) + addOnBytes,
            points: outline(locations(mainPart) + locations(addOn)),
            quality: min(Int(zbar_symbol_get_quality(mainPart)), Int(zbar_symbol_get_quality(addOn))),
            addOn: String(decoding: addOnBytes, as: UTF8.self), orientation: orientation(mainPart))
    }

    private static func data(_ symbol: OpaquePointer) -> [UInt8] {
        let length = Int(zbar_symbol_get_data_length(symbol))
        guard length > 0, let data = zbar_symbol_get_data(symbol) else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    private static func locations(_ symbol: OpaquePointer) -> [Point] {
        let count = zbar_symbol_get_loc_size(symbol)
        var points: [Point] = []
        points.reserveCapacity(Int(count))
        for i in 0..<count {
            points.append(Point(x: Int(zbar_symbol_get_loc_x(symbol, i)), y: Int(zbar_symbol_get_loc_y(symbol, i))))
        }
        return points
    }

    private static func orientation(_ symbol: OpaquePointer) -> Symbol.Orientation {
        switch zbar_symbol_get_orientation(symbol) {
        case ZBAR_ORIENT_UP: .up
        case ZBAR_ORIENT_RIGHT: .right
        case ZBAR_ORIENT_DOWN: .down
        case ZBAR_ORIENT_LEFT: .left
        default: .unknown
        }
    }
}

extension DecoderOptions {
    /// Only add-ons were asked for (`--symbologies ean5`): then an add-on alone is what the user wants.
    var onlyAddOns: Bool { !symbologies.isEmpty && symbologies.isSubset(of: [.ean2, .ean5]) }
}

/// For linear codes zbar reports both ends of every scan line that read the code; callers want an
/// outline. This is the bounding box of those points, as four corners clockwise from the top left.
func outline(_ points: [Point]) -> [Point] {
    guard let first = points.first else { return [] }
    var (minX, minY, maxX, maxY) = (first.x, first.y, first.x, first.y)
    for p in points {
        minX = min(minX, p.x)
        maxX = max(maxX, p.x)
        minY = min(minY, p.y)
        maxY = max(maxY, p.y)
    }
    return [Point(x: minX, y: minY), Point(x: maxX, y: minY), Point(x: maxX, y: maxY), Point(x: minX, y: maxY)]
}

extension Symbology {
    var zbarType: zbar_symbol_type_t {
        switch self {
        case .qr: ZBAR_QRCODE
        case .code128: ZBAR_CODE128
        case .code39: ZBAR_CODE39
        case .code93: ZBAR_CODE93
        case .codabar: ZBAR_CODABAR
        case .i25: ZBAR_I25
        case .ean13: ZBAR_EAN13
        case .ean8: ZBAR_EAN8
        case .upca: ZBAR_UPCA
        case .upce: ZBAR_UPCE
        case .isbn10: ZBAR_ISBN10
        case .isbn13: ZBAR_ISBN13
        case .databar: ZBAR_DATABAR
        case .databarExpanded: ZBAR_DATABAR_EXP
        case .ean2: ZBAR_EAN2
        case .ean5: ZBAR_EAN5
        case .sqcode: ZBAR_SQCODE
        }
    }

    init?(zbarType: zbar_symbol_type_t) {
        // zbar may OR add-on flags into the type; the base symbology is in the low bits.
        let base = zbarType.rawValue & ZBAR_SYMBOL.rawValue
        guard let match = Symbology.allCases.first(where: { $0.zbarType.rawValue == base }) else { return nil }
        self = match
    }

    /// zbar's numeric symbol type, for callers (benchmarks) that talk to libzbar's C API directly.
    public var zbarTypeValue: Int32 { Int32(zbarType.rawValue) }
}
