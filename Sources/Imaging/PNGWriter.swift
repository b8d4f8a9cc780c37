import CPNG
import FieldPayCore

/// Writes 8-bit greyscale PNG files (QR codes, receipts) through libpng's simplified API.
public enum PNGWriter {
    /// Encodes `frame` as a greyscale PNG; throws `.unreadable` (with libpng's words) when libpng refuses.
    public static func encode(_ frame: Frame) throws(ImageError) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(frame.width)
        image.height = UInt32(frame.height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        var size: Int = 0
        let probed = frame.pixels.withUnsafeBytes {
            png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, Int32(frame.stride), nil)
        }
        guard probed != 0, size > 0 else {
            png_image_free(&image)
            throw ImageError(.unreadable, source: "PNG encoder", reason: "libpng refused the image")
        }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { out in
            frame.pixels.withUnsafeBytes {
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, Int32(frame.stride), nil)
            }
        }
        png_image_free(&image)
        guard written != 0 else { throw ImageError(.unreadable, source: "PNG encoder", reason: "libpng failed to write") }
        return Array(output.prefix(size))
    }
}
