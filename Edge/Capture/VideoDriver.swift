/// The narrow seam between capture and the kernel.
///
/// Each method is one V4L2 operation on an open descriptor, typed instead of a raw
/// `ioctl`, so that tests can put an emulated device behind it. `LibV4L2Driver` calls
/// libv4l2; an emulated driver must keep the kernel's contract (see docs/capture.md).
/// Errors carry the errno the kernel would give (`EAGAIN` from `dequeueBuffer` when no
/// buffer is ready, `EINVAL` for an impossible request, `ENODEV` when the device is gone).
public protocol VideoDriver: Sendable {
    /// Opens the device non-blocking (`O_RDWR | O_NONBLOCK`).
    func open(_ path: String) throws(V4L2Error) -> Int32
    /// Closes the descriptor; errors are not reported (the descriptor is gone either way).
    func close(_ fd: Int32)
    /// VIDIOC_QUERYCAP.
    func capabilities(_ fd: Int32) throws(V4L2Error) -> DeviceCapabilities
    /// VIDIOC_S_FMT: the driver may adjust size and format; returns what it chose.
    func setFormat(_ fd: Int32, _ request: VideoFormat) throws(V4L2Error) -> VideoFormat
    /// VIDIOC_S_PARM: asks for a frame rate; returns the rate the driver set.
    func setFrameRate(_ fd: Int32, _ framesPerSecond: Int) throws(V4L2Error) -> Double
    /// VIDIOC_S_CTRL.
    func setControl(_ fd: Int32, _ control: CameraControl, _ value: Int32) throws(V4L2Error)
    /// VIDIOC_G_CTRL.
    func control(_ fd: Int32, _ control: CameraControl) throws(V4L2Error) -> Int32
    /// VIDIOC_REQBUFS with memory-mapped buffers; `count` 0 frees them. Returns the count granted.
    func requestBuffers(_ fd: Int32, count: Int) throws(V4L2Error) -> Int
    /// VIDIOC_QUERYBUF: where buffer `index` lives.
    func queryBuffer(_ fd: Int32, index: Int) throws(V4L2Error) -> BufferLocation
    /// mmap of one buffer.
    func map(_ fd: Int32, _ location: BufferLocation) throws(V4L2Error) -> UnsafeRawBufferPointer
    /// munmap of a mapping `map` returned.
    func unmap(_ memory: UnsafeRawBufferPointer)
    /// VIDIOC_QBUF: hands buffer `index` to the driver.
    func queueBuffer(_ fd: Int32, index: Int) throws(V4L2Error)
    /// VIDIOC_DQBUF: takes a filled buffer back; throws `EAGAIN` when none is ready.
    func dequeueBuffer(_ fd: Int32) throws(V4L2Error) -> DequeuedBuffer
    /// VIDIOC_STREAMON.
    func streamOn(_ fd: Int32) throws(V4L2Error)
    /// VIDIOC_STREAMOFF: also returns every queued buffer to user space.
    func streamOff(_ fd: Int32) throws(V4L2Error)
    /// poll for POLLIN; false on timeout. `POLLERR`/`POLLHUP` throw (device lost).
    func poll(_ fd: Int32, timeoutMilliseconds: Int32) throws(V4L2Error) -> Bool
}

/// A pixel format as a V4L2 fourcc.
public struct PixelFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    static func fourcc(_ s: StaticString) -> PixelFormat {
        let b = s.utf8Start
        return PixelFormat(rawValue: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
    }

    public static let grey = fourcc("GREY")
    public static let yuyv = fourcc("YUYV")
    /// Planar 4:2:0 (YU12); libv4l2 converts any camera format into it.
    public static let yuv420 = fourcc("YU12")
    public static let mjpeg = fourcc("MJPG")

    /// The formats capture can take the luma of, in order of preference.
    public static let supported: [PixelFormat] = [.grey, .yuv420, .yuyv, .mjpeg]

    /// The configuration's name for a format (`grey`, `yuyv`, `yuv420`, `mjpeg`).
    public init?(name: String) {
        switch name.lowercased() {
        case "grey", "gray": self = .grey
        case "yuyv": self = .yuyv
        case "yuv420", "yu12": self = .yuv420
        case "mjpeg", "mjpg": self = .mjpeg
        default: return nil
        }
    }

    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> ($0 * 8)) }, as: UTF8.self)
    }
}

/// Size and pixel format of the frames.
public struct VideoFormat: Hashable, Sendable {
    public var pixelFormat: PixelFormat
    public var width: Int
    public var height: Int
    /// Bytes per row of the first plane (0 = let the driver decide).
    public var bytesPerLine: Int
    /// Bytes of a whole frame (0 = let the driver decide).
    public var imageSize: Int

    public init(pixelFormat: PixelFormat, width: Int, height: Int, bytesPerLine: Int = 0, imageSize: Int = 0) {
        self.pixelFormat = pixelFormat
        self.width = width
        self.height = height
        self.bytesPerLine = bytesPerLine
        self.imageSize = imageSize
    }
}

/// What VIDIOC_QUERYCAP says about a device.
public struct DeviceCapabilities: Hashable, Sendable {
    public var driver: String
    public var card: String
    public var canCapture: Bool
    public var canStream: Bool

    public init(driver: String, card: String, canCapture: Bool, canStream: Bool) {
        self.driver = driver
        self.card = card
        self.canCapture = canCapture
        self.canStream = canStream
    }
}

/// The camera controls that matter for plates.
public enum CameraControl: Sendable, Hashable, CaseIterable {
    /// Manual (1) or automatic (3) exposure: V4L2_CID_EXPOSURE_AUTO.
    case exposureAuto
    /// Exposure time in 100 µs units: V4L2_CID_EXPOSURE_ABSOLUTE.
    case exposureAbsolute
    case autoGain
    case gain
}

/// Where a driver's buffer lives, for mmap.
public struct BufferLocation: Hashable, Sendable {
    public var index: Int
    public var offset: Int64
    public var length: Int

    public init(index: Int, offset: Int64, length: Int) {
        self.index = index
        self.offset = offset
        self.length = length
    }
}

/// A filled buffer handed back by VIDIOC_DQBUF.
public struct DequeuedBuffer: Hashable, Sendable {
    public var index: Int
    public var bytesUsed: Int
    public var sequence: UInt32
    /// The kernel's capture time, seconds on `CLOCK_MONOTONIC` when `monotonic` is true.
    public var timestamp: Double
    public var monotonic: Bool

    public init(index: Int, bytesUsed: Int, sequence: UInt32, timestamp: Double, monotonic: Bool) {
        self.index = index
        self.bytesUsed = bytesUsed
        self.sequence = sequence
        self.timestamp = timestamp
        self.monotonic = monotonic
    }
}
