import FieldPayCore

/// Why an image could not be loaded. Always names the source (a path, or `-` for standard input).
public struct ImageError: FieldPayError, Equatable {
    public enum Code: String, Sendable {
        case notFound = "image.not-found"
        case unreadable = "image.unreadable"
        case empty = "image.empty"
        case unsupportedFormat = "image.unsupported-format"
        case corrupt = "image.corrupt"
        case tooLarge = "image.too-large"
    }

    public let code: Code
    public let source: String
    public let reason: String

    public init(_ code: Code, source: String, reason: String) {
        self.code = code
        self.source = source
        self.reason = reason
    }

    public var codeString: String { code.rawValue }
    public var message: String { "\(source): \(reason)" }
}

/// What a loader accepts before it allocates anything for the pixels.
public struct ImageLimits: Sendable, Equatable {
    /// Largest file read, in bytes.
    public var maxFileBytes: Int
    /// Largest decoded image, in pixels (width × height).
    public var maxPixels: Int
    /// Longest side, in pixels.
    public var maxSide: Int

    public init(maxFileBytes: Int = 256 << 20, maxPixels: Int = 64_000_000, maxSide: Int = 32_768) {
        self.maxFileBytes = maxFileBytes
        self.maxPixels = maxPixels
        self.maxSide = maxSide
    }

    public static let `default` = ImageLimits()

    func check(width: Int, height: Int, source: String) throws(ImageError) {
        guard width > 0, height > 0 else {
            throw ImageError(.corrupt, source: source, reason: "image claims a size of \(width)x\(height) pixels")
        }
        guard width <= maxSide, height <= maxSide,
            width.multipliedReportingOverflow(by: height).partialValue
                <= maxPixels, !width.multipliedReportingOverflow(by: height).overflow
        else {
            throw ImageError(
                .tooLarge, source: source,
                reason: "image is \(width)x\(height) pixels, over the limit of \(maxPixels / 1_000_000) megapixels "
                    + "or \(maxSide) pixels a side")
        }
    }
}
