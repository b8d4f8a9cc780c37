import FieldPayCore
import Imaging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Frames from files instead of a camera, paced like one: a folder of images (played in name order) or
/// a Y4M video (GREY/mono or YUV 4:2:0/4:2:2/4:4:4; the luma plane is used). Everything that works on a
/// camera can be shown and tested with it.
///
/// Thread safety as for `Camera`: the replay state lives on its own thread; other threads touch only
/// the atomic stop flag and the mutex-protected stats.
public final class ReplaySource: FrameSource, @unchecked Sendable {
    public enum Content: Sendable, Equatable {
        case images([String])
        case y4m(String)
    }

    public let content: Content
    public let framesPerSecond: Double
    public let loop: Bool
    private let stopRequested = Atomic<Bool>(false)
    private let sharedStats = StatsBox()
    private let loader: ImageLoader

    /// Checks the path now, so a typo is reported before anything starts.
    public init(path: String, framesPerSecond: Double = 30, loop: Bool = false, loader: ImageLoader = ImageLoader())
        throws(CaptureError)
    {
        guard framesPerSecond > 0 else { throw CaptureError(.badReplay, "the replay rate must be above 0 fps") }
        self.framesPerSecond = framesPerSecond
        self.loop = loop
        self.loader = loader
        var info = stat()
        guard stat(path, &info) == 0 else { throw CaptureError(.notFound, "\(path): no such file or folder") }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            let files = Self.listImages(in: path)
            guard !files.isEmpty else {
                throw CaptureError(.badReplay, "\(path): the folder holds no PNG, JPEG or PGM/PPM images")
            }
            content = .images(files)
        } else {
            _ = try Y4MReader(path: path)  // validates the header
            content = .y4m(path)
        }
    }

    public var stats: CaptureStats { sharedStats.withLock { $0 } }
    public func stop() { stopRequested.store(true, ordering: .releasing) }
    private var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    static func listImages(in folder: String) -> [String] {
        var names: [String] = []
        guard let dir = opendir(folder) else { return [] }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            let lower = name.lowercased()
            if [".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm", ".pbm"].contains(where: lower.hasSuffix) {
                names.append(name)
            }
        }
        closedir(dir)
        return names.sorted().map { folder.hasSuffix("/") ? folder + $0 : folder + "/" + $0 }
    }

    public func frames() -> AsyncThrowingStream<Frame, Error> {
        frameStream(stop: stop, stats: sharedStats) { deliver in try self.run(deliver: deliver) }
    }

    /// Plays the content, calling `deliver` at the frame rate, until it ends (or forever with `loop`).
    /// Each frame is stamped with the monotonic time it was "captured".
    public func run(deliver: (Frame) -> Void) throws {
        let period = UInt64(1e9 / framesPerSecond)
        var due = monotonicNanos()
        func pace(_ frame: Frame) {
            let now = monotonicNanos()
            if due > now { sleepNanos(due - now) }
            var stamped = frame
            stamped.timestampNanos = monotonicNanos()
            deliver(stamped)
            due += period
            // Never try to catch up a backlog: a replay, like a camera, does not queue frames.
            let after = monotonicNanos()
            if after > due + period { due = after }
        }
        repeat {
            switch content {
            case .images(let paths):
                for path in paths {
                    if isStopping { return }
                    pace(try loader.load(path: path))
                }
            case .y4m(let path):
                let reader = try Y4MReader(path: path)
                while !isStopping, let frame = try reader.next() { pace(frame) }
            }
        } while loop && !isStopping
    }

    private func sleepNanos(_ nanos: UInt64) {
        var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// Reads YUV4MPEG2 (`.y4m`) video frame by frame; only the luma plane is kept.
public final class Y4MReader {
    public let path: String
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double?
    private let chromaBytes: Int
    private let file: UnsafeMutablePointer<FILE>

    public init(path: String) throws(CaptureError) {
        self.path = path
        guard let file = fopen(path, "rb") else {
            throw CaptureError(.notFound, "\(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
        guard let header = Self.readLine(file, limit: 512), header.hasPrefix("YUV4MPEG2") else {
            fclose(file)
            throw CaptureError(.badReplay, "\(path): not a Y4M video (no YUV4MPEG2 header) nor a folder of images")
        }
        var width = 0
        var height = 0
        var fps: Double?
        var colour = "420jpeg"
        for field in header.split(separator: " ").dropFirst() {
            let value = field.dropFirst()
            switch field.first {
            case "W": width = Int(value) ?? 0
            case "H": height = Int(value) ?? 0
            case "C": colour = String(value)
            case "F":
                let parts = value.split(separator: ":").compactMap { Double($0) }
                if parts.count == 2, parts[1] > 0 { fps = parts[0] / parts[1] }
            default: break
            }
        }
        guard width > 0, height > 0, width <= 16_384, height <= 16_384 else {
            fclose(file)
            throw CaptureError(.badReplay, "\(path): Y4M header has no usable size (W\(width) H\(height))")
        }
        let luma = width * height
        let cw = (width + 1) / 2
        let ch = (height + 1) / 2
        switch colour {
        case "mono": chromaBytes = 0
        case _ where colour.hasPrefix("420"): chromaBytes = 2 * cw * ch
        case "422": chromaBytes = 2 * cw * height
        case "444": chromaBytes = 2 * luma
        default:
            fclose(file)
            throw CaptureError(
                .badReplay, "\(path): Y4M colour space C\(colour) is not supported (mono, 420, 422, 444 are)")
        }
        self.width = width
        self.height = height
        self.framesPerSecond = fps
    }

    deinit { fclose(file) }

    /// The next frame's luma, or nil at the end of the file. A cut-short last frame is an error.
    public func next() throws(CaptureError) -> Frame? {
        guard let marker = Self.readLine(file, limit: 1_024) else { return nil }
        guard marker.hasPrefix("FRAME") else {
            throw CaptureError(.badReplay, "\(path): expected a FRAME marker, found '\(marker.prefix(20))'")
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        let got = pixels.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        guard got == width * height, chromaBytes == 0 || fseek(file, chromaBytes, SEEK_CUR) == 0 else {
            throw CaptureError(.badReplay, "\(path): the last frame is cut short")
        }
        return Frame(width: width, height: height, pixels: pixels)
    }

    private static func readLine(_ file: UnsafeMutablePointer<FILE>, limit: Int) -> String? {
        var bytes: [UInt8] = []
        while bytes.count < limit {
            let c = getc(file)
            if c == EOF { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if c == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(UInt8(c))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
