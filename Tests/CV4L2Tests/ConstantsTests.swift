import CV4L2
import Testing

/// The shim re-declares kernel macros Swift cannot import; a wrong one would send the wrong ioctl.
/// The expected numbers are the x86-64/arm64 values from linux/videodev2.h.
@Suite("CV4L2 constants")
struct ConstantsTests {
    @Test("ioctl request numbers match the kernel's")
    func ioctls() {
        #expect(CV4L2_VIDIOC_QUERYCAP == 0x8068_5600)
        #expect(CV4L2_VIDIOC_ENUM_FMT == 0xC040_5602)
        #expect(CV4L2_VIDIOC_S_FMT == 0xC0D0_5605)
        #expect(CV4L2_VIDIOC_REQBUFS == 0xC014_5608)
        #expect(CV4L2_VIDIOC_QBUF == 0xC058_560F)
        #expect(CV4L2_VIDIOC_DQBUF == 0xC058_5611)
        #expect(CV4L2_VIDIOC_STREAMON == 0x4004_5612)
    }

    @Test("fourcc codes spell their names little-endian")
    func fourccs() {
        func fourcc(_ s: String) -> UInt32 {
            s.utf8.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        }
        #expect(CV4L2_V4L2_PIX_FMT_GREY == fourcc("GREY"))
        #expect(CV4L2_V4L2_PIX_FMT_YUYV == fourcc("YUYV"))
        #expect(CV4L2_V4L2_PIX_FMT_MJPEG == fourcc("MJPG"))
        #expect(CV4L2_V4L2_PIX_FMT_YUV420 == fourcc("YU12"))
    }

    @Test("the structs the ioctls carry have the kernel's sizes")
    func structSizes() {
        #expect(MemoryLayout<v4l2_capability>.size == 104)
        #expect(MemoryLayout<v4l2_format>.size == 208)
        #expect(MemoryLayout<v4l2_buffer>.size == 88)
    }
}
