import CV4L2
import Glibc

/// The real kernel behind the seam: libv4l2 through the CV4L2 shim.
///
/// The only file that imports CV4L2. Every call goes through `syscall(_:_:)`, which
/// retries `EINTR`, traps `EBADF`/`EFAULT` as our own bugs and reads `errno` at once.
public struct LibV4L2Driver: VideoDriver {
    public init() {}

    /// The syscall funnel.
    @discardableResult
    private func syscall(_ name: String, _ body: () -> Int32) throws(V4L2Error) -> Int32 {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            precondition(code != EBADF && code != EFAULT, "\(name): errno \(code) is a bug in capture, not a camera problem")
            throw V4L2Error(call: name, errno: code)
        }
    }

    private func ioctl<T>(_ fd: Int32, _ request: UInt, _ name: String, _ value: inout T) throws(V4L2Error) {
        try syscall(name) { withUnsafeMutablePointer(to: &value) { CV4L2_ioctl(fd, request, $0) } }
    }

    public func open(_ path: String) throws(V4L2Error) -> Int32 {
        try syscall("open") { CV4L2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
    }

    public func close(_ fd: Int32) {
        _ = CV4L2_close(fd)
    }

    public func capabilities(_ fd: Int32) throws(V4L2Error) -> DeviceCapabilities {
        var caps = v4l2_capability()
        try ioctl(fd, CV4L2_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", &caps)
        let effective = caps.capabilities & 0x8000_0000 != 0 ? caps.device_caps : caps.capabilities  // V4L2_CAP_DEVICE_CAPS
        return DeviceCapabilities(
            driver: Self.string(caps.driver), card: Self.string(caps.card),
            canCapture: effective & CV4L2_CAP_VIDEO_CAPTURE != 0, canStream: effective & CV4L2_CAP_STREAMING != 0)
    }

    public func setFormat(_ fd: Int32, _ request: VideoFormat) throws(V4L2Error) -> VideoFormat {
        var format = v4l2_format()
        format.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        format.fmt.pix.width = UInt32(request.width)
        format.fmt.pix.height = UInt32(request.height)
        format.fmt.pix.pixelformat = request.pixelFormat.rawValue
        format.fmt.pix.field = CV4L2_FIELD_ANY
        try ioctl(fd, CV4L2_VIDIOC_S_FMT, "VIDIOC_S_FMT", &format)
        let pix = format.fmt.pix
        return VideoFormat(
            pixelFormat: PixelFormat(rawValue: pix.pixelformat), width: Int(pix.width), height: Int(pix.height),
            bytesPerLine: Int(pix.bytesperline), imageSize: Int(pix.sizeimage))
    }

    public func setFrameRate(_ fd: Int32, _ framesPerSecond: Int) throws(V4L2Error) -> Double {
        var parm = v4l2_streamparm()
        parm.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(framesPerSecond))
        try ioctl(fd, CV4L2_VIDIOC_S_PARM, "VIDIOC_S_PARM", &parm)
        let t = parm.parm.capture.timeperframe
        return t.numerator > 0 ? Double(t.denominator) / Double(t.numerator) : Double(framesPerSecond)
    }

    private static func id(_ control: CameraControl) -> UInt32 {
        switch control {
        case .exposureAuto: CV4L2_CID_EXPOSURE_AUTO
        case .exposureAbsolute: CV4L2_CID_EXPOSURE_ABSOLUTE
        case .autoGain: CV4L2_CID_AUTOGAIN
        case .gain: CV4L2_CID_GAIN
        }
    }

    public func setControl(_ fd: Int32, _ control: CameraControl, _ value: Int32) throws(V4L2Error) {
        var c = v4l2_control(id: Self.id(control), value: value)
        try ioctl(fd, CV4L2_VIDIOC_S_CTRL, "VIDIOC_S_CTRL", &c)
    }

    public func control(_ fd: Int32, _ control: CameraControl) throws(V4L2Error) -> Int32 {
        var c = v4l2_control(id: Self.id(control), value: 0)
        try ioctl(fd, CV4L2_VIDIOC_G_CTRL, "VIDIOC_G_CTRL", &c)
        return c.value
    }

    public func requestBuffers(_ fd: Int32, count: Int) throws(V4L2Error) -> Int {
        var request = v4l2_requestbuffers()
        request.count = UInt32(count)
        request.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        request.memory = CV4L2_MEMORY_MMAP
        try ioctl(fd, CV4L2_VIDIOC_REQBUFS, "VIDIOC_REQBUFS", &request)
        return Int(request.count)
    }

    public func queryBuffer(_ fd: Int32, index: Int) throws(V4L2Error) -> BufferLocation {
        var buffer = Self.buffer(index: index)
        try ioctl(fd, CV4L2_VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF", &buffer)
        return BufferLocation(index: index, offset: Int64(buffer.m.offset), length: Int(buffer.length))
    }

    public func map(_ fd: Int32, _ location: BufferLocation) throws(V4L2Error) -> UnsafeRawBufferPointer {
        let address = CV4L2_mmap(location.length, fd, location.offset)
        guard let address, address != CV4L2_map_failed() else { throw V4L2Error(call: "mmap", errno: Glibc.errno) }
        return UnsafeRawBufferPointer(start: address, count: location.length)
    }

    public func unmap(_ memory: UnsafeRawBufferPointer) {
        if let base = memory.baseAddress { _ = CV4L2_munmap(UnsafeMutableRawPointer(mutating: base), memory.count) }
    }

    public func queueBuffer(_ fd: Int32, index: Int) throws(V4L2Error) {
        var buffer = Self.buffer(index: index)
        try ioctl(fd, CV4L2_VIDIOC_QBUF, "VIDIOC_QBUF", &buffer)
    }

    public func dequeueBuffer(_ fd: Int32) throws(V4L2Error) -> DequeuedBuffer {
        var buffer = Self.buffer(index: 0)
        try ioctl(fd, CV4L2_VIDIOC_DQBUF, "VIDIOC_DQBUF", &buffer)
        let seconds = Double(buffer.timestamp.tv_sec) + Double(buffer.timestamp.tv_usec) / 1e6
        return DequeuedBuffer(
            index: Int(buffer.index), bytesUsed: Int(buffer.bytesused), sequence: buffer.sequence, timestamp: seconds,
            monotonic: buffer.flags & CV4L2_BUF_FLAG_TIMESTAMP_MASK == CV4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
    }

    public func streamOn(_ fd: Int32) throws(V4L2Error) {
        var type = Int32(bitPattern: CV4L2_BUF_TYPE_VIDEO_CAPTURE)
        try ioctl(fd, CV4L2_VIDIOC_STREAMON, "VIDIOC_STREAMON", &type)
    }

    public func streamOff(_ fd: Int32) throws(V4L2Error) {
        var type = Int32(bitPattern: CV4L2_BUF_TYPE_VIDEO_CAPTURE)
        try ioctl(fd, CV4L2_VIDIOC_STREAMOFF, "VIDIOC_STREAMOFF", &type)
    }

    public func poll(_ fd: Int32, timeoutMilliseconds: Int32) throws(V4L2Error) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = try syscall("poll") { Glibc.poll(&entry, 1, timeoutMilliseconds) }
        if ready == 0 { return false }
        if entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && entry.revents & Int16(POLLIN) == 0 {
            throw V4L2Error(call: "poll", errno: ENODEV)
        }
        return true
    }

    private static func buffer(index: Int) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        buffer.memory = CV4L2_MEMORY_MMAP
        return buffer
    }

    private static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
