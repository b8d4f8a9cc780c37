import FieldPayCore
/// Ways to show a QR code: SVG for screens and printing, an 8-bit luma bitmap (for PNG files and for
/// decoding it back), and Unicode half blocks for a terminal. Every one keeps the 4-module quiet zone the
/// standard asks for: scanners need it.
extension QRCode {
    public static let quietZone = 4

    /// A standalone SVG: one path of unit squares, scaled by `moduleSize` pixels; crisp at any zoom.
    public func svg(moduleSize: Int = 8, title: String? = nil) -> String {
        let side = size + 2 * QRCode.quietZone
        var path = ""
        path.reserveCapacity(size * size * 4)
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else {
                    x += 1
                    continue
                }
                var run = 1
                while x + run < size && self[x + run, y] { run += 1 }
                path += "M\(x + QRCode.quietZone) \(y + QRCode.quietZone)h\(run)v1h-\(run)z"
                x += run
            }
        }
        let pixels = side * moduleSize
        let titleElement = title.map { "<title>\(QRCode.xmlEscaped($0))</title>" } ?? ""
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges">\(titleElement)<rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path fill="#000" d="\(path)"/></svg>
            """
    }

    /// Luma pixels, `moduleSize` pixels a module, white quiet zone: (width, pixels).
    public func bitmap(moduleSize: Int = 8) -> (side: Int, pixels: [UInt8]) {
        let side = (size + 2 * QRCode.quietZone) * moduleSize
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<size {
            for x in 0..<size where self[x, y] {
                let left = (x + QRCode.quietZone) * moduleSize
                let top = (y + QRCode.quietZone) * moduleSize
                for row in top..<(top + moduleSize) {
                    let start = row * side + left
                    for index in start..<(start + moduleSize) { pixels[index] = 0 }
                }
            }
        }
        return (side, pixels)
    }

    /// Two modules a character cell (▀ ▄ █ and space), dark on light; for terminals with a light-on-dark
    /// theme pass `inverted: true` so that the code still reads dark-on-light to a camera.
    public func terminal(inverted: Bool = false) -> String {
        let side = size + 2 * QRCode.quietZone
        func dark(_ x: Int, _ y: Int) -> Bool {
            let mx = x - QRCode.quietZone
            let my = y - QRCode.quietZone
            let value = mx >= 0 && my >= 0 && mx < size && my < size && self[mx, my]
            return value != inverted
        }
        var lines: [String] = []
        var y = 0
        while y < side {
            var line = ""
            for x in 0..<side {
                let top = dark(x, y)
                let bottom = y + 1 < side ? dark(x, y + 1) : inverted
                switch (top, bottom) {
                case (true, true): line += "█"
                case (true, false): line += "▀"
                case (false, true): line += "▄"
                case (false, false): line += " "
                }
            }
            lines.append(line)
            y += 2
        }
        return lines.joined(separator: "\n")
    }

    static func xmlEscaped(_ text: String) -> String { text.markupEscaped }
}
