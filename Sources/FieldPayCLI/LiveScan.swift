import ArgumentParser
import Capture
import Dispatch
import Imaging
import Scanning

#if canImport(Glibc)
    import Glibc
#endif

extension ScanCommand {
    /// Camera or replay: frames → cheap decode → debounce → one line per newly seen code.
    func runLive() async throws {
        let chosen = try Symbology.parseList(symbologies)
        let decoder = ZBarDecoder(options: DecoderOptions(symbologies: chosen, eanAddons: eanAddons ?? false, code39FullASCII: code39FullAscii))
        let source: any FrameSource
        let name: String
        if let device {
            let (width, height) = parseSize(size)!
            let request = CaptureRequest(width: width, height: height, framesPerSecond: Int(fps.rounded()))
            let camera = V4L2Camera(path: device, request: request) { event in
                if let line = describe(event) { printError(line) }
            }
            source = camera
            name = device
        } else {
            do {
                source = try ReplaySource(path: replay!, framesPerSecond: fps, loop: loop)
            } catch {
                printError("\(error.message) [\(error.codeString)]")
                throw ExitCode(ExitStatus.badInput)
            }
            name = replay!
        }
        let lookups = try lookup ? LookupPrinter(options: deviceData, json: json) : nil
        let stopper = SignalStopper(source)
        defer { stopper.cancel() }
        let region = roi.flatMap(parseRegion)
        var debouncer = Debouncer(holdSeconds: hold)
        var found = 0
        var decoded = 0
        var decodeNanos: UInt64 = 0
        var lastReport = DispatchTime.now().uptimeNanoseconds
        do {
            for try await frame in source.frames() {
                let view = region.map { frame.cropped(x: $0.0, y: $0.1, width: $0.2, height: $0.3) } ?? frame
                let start = DispatchTime.now().uptimeNanoseconds
                var symbols = decoder.decode(view)
                let end = DispatchTime.now().uptimeNanoseconds
                decodeNanos += end - start
                decoded += 1
                if let region {
                    symbols = symbols.map { s in
                        var s = s
                        s.points = s.points.map { Point(x: $0.x + region.0, y: $0.y + region.1) }
                        return s
                    }
                }
                for symbol in debouncer.admit(symbols, at: frame.timestampNanos) {
                    found += 1
                    let latency = Double(DispatchTime.now().uptimeNanoseconds &- frame.timestampNanos) / 1e6
                    if json {
                        let line = SymbolRecord(
                            source: name, symbol: symbol, decodeMillis: Double(end - start) / 1e6, latencyMillis: latency
                        ).jsonLine()
                        emit(try lookups?.spliced(line, symbol: symbol) ?? line)
                    } else if raw {
                        emit(symbol.text)
                    } else {
                        emit("\(symbol.symbology.displayName):\(symbol.text)")
                        try lookups?.printCard(symbol: symbol)
                    }
                }
                if stats, end - lastReport > 5_000_000_000 {
                    lastReport = end
                    printError(statsLine(source.stats, decoded: decoded, decodeNanos: decodeNanos))
                }
                if let limit = frames, decoded >= limit { source.stop() }
            }
        } catch let error as CaptureError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(
                error.code == .badReplay || error.code == .notFound && replay != nil
                    ? ExitStatus.badInput : ExitStatus.deviceFailed)
        } catch let error as ImageError {
            printError("\(error.message) [\(error.codeString)]")
            throw ExitCode(ExitStatus.badInput)
        }
        if stats || !quiet {
            printError(statsLine(source.stats, decoded: decoded, decodeNanos: decodeNanos, found: found))
        }
        if found == 0 { throw ExitCode(ExitStatus.nothingFound) }
    }
}

func statsLine(_ stats: CaptureStats, decoded: Int, decodeNanos: UInt64, found: Int? = nil) -> String {
    let mean = decoded > 0 ? Double(decodeNanos) / Double(decoded) / 1e6 : 0
    var line = "frames \(stats.framesCaptured) captured, \(decoded) decoded, \(stats.framesDropped) dropped"
    line += "; decode \((mean * 100).rounded() / 100) ms mean"
    if stats.streamRestarts > 0 || stats.reconnects > 0 {
        line += "; \(stats.streamRestarts) stream restarts, \(stats.reconnects) reconnects"
    }
    if let found { line += "; \(found) code\(found == 1 ? "" : "s") found" }
    return line
}

func describe(_ event: CameraEvent) -> String? {
    switch event {
    case .configured(let format): "camera: streaming \(format)"
    case .stalled(let millis): "camera: no frame for \(millis) ms; restarting the stream"
    case .lost(let error): "camera: lost (\(error.message)); reconnecting"
    case .reconnectFailed(let error, let retry): "camera: still unavailable (\(error.message)); retrying in \(retry) ms"
    case .reconnected(let format): "camera: back, streaming \(format)"
    case .state: nil
    }
}

/// SIGINT and SIGTERM stop the source; the frame loop then ends and the command exits 0.
final class SignalStopper {
    private let sources: [any DispatchSourceSignal]

    init(_ source: any FrameSource) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let signalSource = DispatchSource.makeSignalSource(signal: number, queue: .global())
            signalSource.setEventHandler { source.stop() }
            signalSource.resume()
            return signalSource
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
