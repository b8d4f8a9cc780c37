import ArgumentParser
import Capture
import Foundation

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the video devices: driver, card, bus, and each capture format's sizes and frame rates.",
        discussion:
            "Like `v4l2-ctl --list-formats-ext`, for every /dev/video* node. Formats marked (emulated) are converted by libv4l2."
    )

    @Flag(help: "Print a JSON array instead.")
    var json = false

    func run() throws {
        let results = V4L2Device.list()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let entries = results.map { result -> DeviceEntry in
                switch result {
                case .success(let info): DeviceEntry(info: info, error: nil)
                case .failure(let error): DeviceEntry(info: nil, error: error.message)
                }
            }
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        if results.isEmpty {
            print("no video devices (/dev/video*) found")
            return
        }
        for result in results {
            switch result {
            case .failure(let error):
                print("\(error.message) [\(error.codeString)]\n")
            case .success(let info):
                let kind = info.isCapture ? "capture" : "not a capture device"
                print("\(info.path): \(info.card) (driver \(info.driver), bus \(info.bus)) — \(kind)")
                for format in info.formats {
                    let flags = (format.emulated ? " (emulated)" : "") + (format.compressed ? " (compressed)" : "")
                    print("  \(format.fourcc)  \(format.description)\(flags)")
                    for size in format.sizes {
                        if let maxW = size.maxWidth, let maxH = size.maxHeight {
                            print("      \(size.width)x\(size.height) to \(maxW)x\(maxH)")
                        } else {
                            let rates = size.framesPerSecond.map { "\(($0 * 100).rounded() / 100)" }.joined(
                                separator: ", ")
                            print("      \(size.width)x\(size.height)" + (rates.isEmpty ? "" : "  @ \(rates) fps"))
                        }
                    }
                }
                print("")
            }
        }
    }
}

/// A device or the reason it could not be read, for `--json`.
struct DeviceEntry: Encodable {
    var info: DeviceInfo?
    var error: String?

    func encode(to encoder: any Encoder) throws {
        if let info {
            try info.encode(to: encoder)
        } else {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(error, forKey: .error)
        }
    }

    enum CodingKeys: String, CodingKey { case error }
}
