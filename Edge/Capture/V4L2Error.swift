import Glibc

/// A failed call into the video device: which call, the errno and the device.
///
/// `device` is filled in by `VideoDevice`, which knows the path; drivers leave it empty.
public struct V4L2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The operation, named as the kernel names it (`open`, `VIDIOC_DQBUF`, `poll`, `mmap`).
    public var call: String
    public var errno: Int32
    public var device: String

    public init(call: String, errno: Int32, device: String = "") {
        self.call = call
        self.errno = errno
        self.device = device
    }

    /// No buffer is ready yet (non-blocking DQBUF); not a failure.
    public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }

    /// The camera is gone or broken: close it and reopen later.
    public var isDeviceLost: Bool { errno == ENODEV || errno == EIO || errno == ENXIO || errno == ENOENT }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return "\(device.isEmpty ? "video device" : device): \(call) failed: \(reason) (errno \(errno))"
    }
}

/// Why a capture session ended other than by a failed call.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The device is not a streaming capture device.
        case notACaptureDevice
        /// None of the requested pixel formats was accepted.
        case noSupportedFormat
        /// No frame arrived within the stall timeout.
        case stalled
        /// A frame could not be turned into an image.
        case badFrame
    }

    public var code: Code
    public var device: String
    public var detail: String

    public init(_ code: Code, device: String, detail: String) {
        self.code = code
        self.device = device
        self.detail = detail
    }

    public var description: String { "\(device): \(detail)" }
}
