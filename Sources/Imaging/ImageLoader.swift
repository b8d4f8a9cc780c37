import CPNG
import CTurboJPEG
import FieldPayCore

#if canImport(Glibc)
    import Glibc
#endif

/// The still-image formats FieldPay reads, told apart by their first bytes (never by the file name).
public enum ImageFormat: String, Sendable, CaseIterable {
    case pnm = "PGM/PPM"
    case png = "PNG"
    case jpeg = "JPEG"

    /// What the magic bytes say, or nil when they match none of the supported formats.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.count >= 2, head[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(head[1]) {
            return .pnm
        }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// A name for formats people commonly try that we do not read, for a better error message.
    static func recognizeUnsupported(_ bytes: some Collection<UInt8>) -> String? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: Array("GIF8".utf8)) { return "GIF" }
        if head.starts(with: Array("BM".utf8)) { return "BMP" }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return "TIFF"
        }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            return "WebP"
        }
        if head.starts(with: Array("%PDF".utf8)) { return "PDF" }
        if head.starts(with: Array("YUV4MPEG2".utf8)) { return "Y4M video" }
        return nil
    }
}

/// Loads still images into luma `Frame`s. Checks sizes before allocating pixels; every failure is an
/// `ImageError` naming the source, never a crash.
public struct ImageLoader: Sendable {
    public var limits: ImageLimits

    public init(limits: ImageLimits = .default) { self.limits = limits }

    /// Reads and decodes a file; `-` reads standard input.
    public func load(path: String) throws(ImageError) -> Frame {
        let bytes = path == "-" ? try readStandardInput() : try readFile(path)
        return try decode(bytes, source: path)
    }

    /// Decodes an in-memory image; `source` names it in errors.
    public func decode(_ bytes: [UInt8], source: String) throws(ImageError) -> Frame {
        guard !bytes.isEmpty else { throw ImageError(.empty, source: source, reason: "the file is empty") }
        guard let format = ImageFormat.sniff(bytes) else {
            let supported = ImageFormat.allCases.map(\.rawValue).joined(separator: ", ")
            if let known = ImageFormat.recognizeUnsupported(bytes) {
                throw ImageError(
                    .unsupportedFormat, source: source,
                    reason: "\(known) is not a supported image format (use \(supported))")
            }
            throw ImageError(
                .unsupportedFormat, source: source, reason: "not an image in a supported format (\(supported))")
        }
        switch format {
        case .pnm:
            var decoder = PNMDecoder(bytes: bytes, source: source, limits: limits)
            return try decoder.decode()
        case .png: return try decodePNG(bytes, source: source)
        case .jpeg: return try decodeJPEG(bytes, source: source)
        }
    }

    // MARK: - Reading

    private func readFile(_ path: String) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let err = errno
            switch err {
            case ENOENT, ENOTDIR: throw ImageError(.notFound, source: path, reason: "no such file")
            case EACCES, EPERM: throw ImageError(.unreadable, source: path, reason: "permission denied")
            default: throw ImageError(.unreadable, source: path, reason: String(cString: strerror(err)))
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ImageError(.unreadable, source: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ImageError(.unreadable, source: path, reason: "is a directory, not an image file")
        }
        if (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > limits.maxFileBytes {
            throw ImageError(
                .tooLarge, source: path,
                reason: "file is \(info.st_size >> 20) MiB, over the \(limits.maxFileBytes >> 20) MiB limit")
        }
        return try readAll(fd, source: path)
    }

    private func readStandardInput() throws(ImageError) -> [UInt8] {
        try readAll(STDIN_FILENO, source: "-")
    }

    private func readAll(_ fd: Int32, source: String) throws(ImageError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError(.unreadable, source: source, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limits.maxFileBytes {
                throw ImageError(
                    .tooLarge, source: source, reason: "input is over the \(limits.maxFileBytes >> 20) MiB limit")
            }
        }
        return bytes
    }

    // MARK: - PNG (libpng's simplified API: no setjmp crosses into Swift)

    private func decodePNG(_ bytes: [UInt8], source: String) throws(ImageError) -> Frame {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else {
            let reason = pngMessage(&image)
            png_image_free(&image)
            throw ImageError(.corrupt, source: source, reason: "not a readable PNG (\(reason))")
        }
        let width = Int(image.width)
        let height = Int(image.height)
        do {
            try limits.check(width: width, height: height, source: source)
        } catch {
            png_image_free(&image)
            throw error
        }
        // RGBA out, then our own BT.601 luma: libpng's own grey conversion works in linear light, which
        // would make PNGs disagree with JPEG/PNM files (and cameras) about the same colours.
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let finished = rgba.withUnsafeMutableBytes {
            png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * 4), nil)
        }
        guard finished != 0 else {
            let reason = pngMessage(&image)
            png_image_free(&image)
            throw ImageError(.corrupt, source: source, reason: "PNG data is damaged (\(reason))")
        }
        // Transparent pixels are composed onto white, like paper.
        var pixels = [UInt8](repeating: 255, count: width * height)
        rgba.withUnsafeBufferPointer { p in
            for i in 0..<(width * height) {
                let r = Int(p[4 * i]), g = Int(p[4 * i + 1]), b = Int(p[4 * i + 2]), a = Int(p[4 * i + 3])
                let luma = (77 * r + 150 * g + 29 * b + 128) >> 8
                pixels[i] = UInt8((luma * a + 255 * (255 - a) + 127) / 255)
            }
        }
        return Frame(width: width, height: height, pixels: pixels)
    }

    private func pngMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let chars = raw.prefix { $0 != 0 }
            return String(decoding: chars, as: UTF8.self)
        }
    }

    // MARK: - JPEG (libjpeg-turbo's TurboJPEG API)

    private func decodeJPEG(_ bytes: [UInt8], source: String) throws(ImageError) -> Frame {
        guard let handle = tjInitDecompress() else {
            throw ImageError(.unreadable, source: source, reason: "could not start the JPEG decoder")
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else {
            throw ImageError(.corrupt, source: source, reason: "not a readable JPEG (\(jpegMessage(handle)))")
        }
        try limits.check(width: Int(width), height: Int(height), source: source)
        var pixels = [UInt8](repeating: 255, count: Int(width) * Int(height))
        let status = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    handle, src.baseAddress, UInt(src.count), dst.baseAddress, width, 0, height,
                    TJPF_GRAY.rawValue, TJFLAG_ACCURATEDCT)
            }
        }
        // A warning (e.g. extraneous bytes) still leaves a usable image; only hard errors reject the file.
        if status != 0, tjGetErrorCode(handle) != TJERR_WARNING.rawValue {
            throw ImageError(.corrupt, source: source, reason: "JPEG data is damaged (\(jpegMessage(handle)))")
        }
        return Frame(width: Int(width), height: Int(height), pixels: pixels)
    }

    private func jpegMessage(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
