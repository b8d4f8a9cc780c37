#pragma once
// V4L2 through libv4l2 (so MJPEG/YUYV cameras still give us luma). The kernel's ioctl request numbers and
// fourcc codes are function-like macros that Swift cannot import; they are re-declared here as constants.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

#define CV4L2_CONST(name) static const unsigned long CV4L2_##name = name;

CV4L2_CONST(VIDIOC_QUERYCAP)
CV4L2_CONST(VIDIOC_ENUM_FMT)
CV4L2_CONST(VIDIOC_G_FMT)
CV4L2_CONST(VIDIOC_S_FMT)
CV4L2_CONST(VIDIOC_TRY_FMT)
CV4L2_CONST(VIDIOC_REQBUFS)
CV4L2_CONST(VIDIOC_QUERYBUF)
CV4L2_CONST(VIDIOC_QBUF)
CV4L2_CONST(VIDIOC_DQBUF)
CV4L2_CONST(VIDIOC_STREAMON)
CV4L2_CONST(VIDIOC_STREAMOFF)
CV4L2_CONST(VIDIOC_G_PARM)
CV4L2_CONST(VIDIOC_S_PARM)
CV4L2_CONST(VIDIOC_ENUM_FRAMESIZES)
CV4L2_CONST(VIDIOC_ENUM_FRAMEINTERVALS)
CV4L2_CONST(VIDIOC_ENUMINPUT)
CV4L2_CONST(VIDIOC_G_INPUT)
CV4L2_CONST(VIDIOC_S_INPUT)
CV4L2_CONST(VIDIOC_ENUMOUTPUT)
CV4L2_CONST(VIDIOC_S_OUTPUT)
CV4L2_CONST(VIDIOC_QUERY_DV_TIMINGS)
CV4L2_CONST(VIDIOC_S_DV_TIMINGS)
CV4L2_CONST(VIDIOC_ENUM_DV_TIMINGS)

#define CV4L2_FOURCC(name) static const unsigned int CV4L2_##name = name;

CV4L2_FOURCC(V4L2_PIX_FMT_GREY)
CV4L2_FOURCC(V4L2_PIX_FMT_YUYV)
CV4L2_FOURCC(V4L2_PIX_FMT_UYVY)
CV4L2_FOURCC(V4L2_PIX_FMT_NV12)
CV4L2_FOURCC(V4L2_PIX_FMT_YUV420)
CV4L2_FOURCC(V4L2_PIX_FMT_MJPEG)
CV4L2_FOURCC(V4L2_PIX_FMT_JPEG)
CV4L2_FOURCC(V4L2_PIX_FMT_RGB24)
CV4L2_FOURCC(V4L2_PIX_FMT_BGR24)

CV4L2_CONST(V4L2_CAP_VIDEO_CAPTURE)
CV4L2_CONST(V4L2_CAP_VIDEO_OUTPUT)
CV4L2_CONST(V4L2_CAP_STREAMING)
CV4L2_CONST(V4L2_CAP_READWRITE)
CV4L2_CONST(V4L2_CAP_DEVICE_CAPS)
CV4L2_CONST(V4L2_FMT_FLAG_EMULATED)
CV4L2_CONST(V4L2_FMT_FLAG_COMPRESSED)

#undef CV4L2_CONST
#undef CV4L2_FOURCC

// libv4l2's open and ioctl are variadic, which Swift cannot call: fixed-argument wrappers.
static inline int cv4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int cv4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
// Plain kernel ioctl, for output (producer) nodes that libv4l2 has no reason to wrap.
static inline int cv4l2_kernel_ioctl(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
