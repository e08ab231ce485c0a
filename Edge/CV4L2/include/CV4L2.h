// CV4L2: the C boundary of camera capture. Only the `Capture` Swift target imports it.
//
// libv4l2's entry points are variadic and the VIDIOC_* / V4L2_PIX_FMT_* / V4L2_CID_* macros
// do not import into Swift, so this shim exports them as prefixed constants and wraps the
// calls in fixed-signature functions. Going through libv4l2 (not raw ioctl) lets it convert
// formats the camera cannot give (e.g. MJPEG or YUYV into YUV420).
#ifndef CV4L2_H
#define CV4L2_H

#include <stddef.h>
#include <stdint.h>
#include <linux/videodev2.h>

extern const unsigned long CV4L2_VIDIOC_QUERYCAP;
extern const unsigned long CV4L2_VIDIOC_S_FMT;
extern const unsigned long CV4L2_VIDIOC_G_FMT;
extern const unsigned long CV4L2_VIDIOC_S_PARM;
extern const unsigned long CV4L2_VIDIOC_G_PARM;
extern const unsigned long CV4L2_VIDIOC_S_CTRL;
extern const unsigned long CV4L2_VIDIOC_G_CTRL;
extern const unsigned long CV4L2_VIDIOC_REQBUFS;
extern const unsigned long CV4L2_VIDIOC_QUERYBUF;
extern const unsigned long CV4L2_VIDIOC_QBUF;
extern const unsigned long CV4L2_VIDIOC_DQBUF;
extern const unsigned long CV4L2_VIDIOC_STREAMON;
extern const unsigned long CV4L2_VIDIOC_STREAMOFF;

extern const uint32_t CV4L2_PIX_FMT_GREY;
extern const uint32_t CV4L2_PIX_FMT_YUYV;
extern const uint32_t CV4L2_PIX_FMT_YUV420;
extern const uint32_t CV4L2_PIX_FMT_MJPEG;

extern const uint32_t CV4L2_CID_EXPOSURE_AUTO;
extern const uint32_t CV4L2_CID_EXPOSURE_ABSOLUTE;
extern const uint32_t CV4L2_CID_GAIN;
extern const uint32_t CV4L2_CID_AUTOGAIN;
extern const int32_t CV4L2_EXPOSURE_MANUAL;

extern const uint32_t CV4L2_BUF_TYPE_VIDEO_CAPTURE;
extern const uint32_t CV4L2_MEMORY_MMAP;
extern const uint32_t CV4L2_CAP_VIDEO_CAPTURE;
extern const uint32_t CV4L2_CAP_STREAMING;
extern const uint32_t CV4L2_BUF_FLAG_TIMESTAMP_MASK;
extern const uint32_t CV4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
extern const uint32_t CV4L2_FIELD_ANY;

/// v4l2_open(path, flags) with a fixed signature.
int CV4L2_open(const char *path, int flags);
/// v4l2_ioctl(fd, request, arg) with a fixed signature.
int CV4L2_ioctl(int fd, unsigned long request, void *arg);
/// v4l2_mmap for a buffer the driver reported (PROT_READ|PROT_WRITE, MAP_SHARED).
void *CV4L2_mmap(size_t length, int fd, int64_t offset);
/// MAP_FAILED, for comparing CV4L2_mmap's result.
void *CV4L2_map_failed(void);
int CV4L2_munmap(void *start, size_t length);
int CV4L2_close(int fd);

#endif
