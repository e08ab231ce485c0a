import Glibc
import PlateRecognition

/// An open V4L2 capture device and its memory-mapped buffers.
///
/// Not copyable: one owner holds the descriptor and must end with `close()`, which
/// stops streaming, unmaps and frees the buffers and closes the descriptor. A device
/// dropped without `close()` is a bug (the deinit asserts, then closes).
public struct VideoDevice: ~Copyable {
    public let path: String
    let driver: any VideoDriver
    let fd: Int32
    private var mappings: [UnsafeRawBufferPointer] = []
    private var streaming = false
    /// The format the driver agreed to (after `configure`).
    public private(set) var format: VideoFormat?
    private var closed = false

    /// Opens `path` through `driver`.
    /// - Throws: `V4L2Error` from `open` (`ENOENT` when there is no such device).
    public init(opening path: String, driver: any VideoDriver) throws {
        self.path = path
        self.driver = driver
        do { fd = try driver.open(path) } catch { throw Self.attach(error, path) }
    }

    private static func attach(_ error: V4L2Error, _ path: String) -> V4L2Error {
        var error = error
        error.device = path
        return error
    }


    /// What the device is.
    public func capabilities() throws -> DeviceCapabilities {
        try withPath(path) { [driver, fd] in try driver.capabilities(fd) }
    }

    /// Negotiates the first of `formats` the driver gives back unchanged (libv4l2 may
    /// convert to it); `EINVAL` or a substituted format moves on to the next.
    /// - Throws: `CaptureError.noSupportedFormat` when none is accepted; `V4L2Error` otherwise.
    public mutating func negotiate(formats: [PixelFormat], width: Int, height: Int) throws -> VideoFormat {
        var refused: [String] = []
        for wanted in formats {
            do {
                let got = try withPath(path) { [driver, fd] in
                    try driver.setFormat(fd, VideoFormat(pixelFormat: wanted, width: width, height: height))
                }
                if got.pixelFormat == wanted, got.width > 0, got.height > 0 {
                    format = got
                    return got
                }
                refused.append("\(wanted) (driver offered \(got.pixelFormat))")
            } catch where (error as? V4L2Error)?.errno == EINVAL {
                refused.append("\(wanted) (EINVAL)")
            }
        }
        throw CaptureError(.noSupportedFormat, device: path, detail: "no usable pixel format: " + refused.joined(separator: ", "))
    }

    /// Asks for a frame rate; a driver without VIDIOC_S_PARM keeps its own (nil).
    public func setFrameRate(_ fps: Int) throws -> Double? {
        do {
            return try withPath(path) { [driver, fd] in try driver.setFrameRate(fd, fps) }
        } catch let error as V4L2Error where error.errno == EINVAL || error.errno == ENOTTY {
            return nil
        }
    }

    /// Sets a control and reads it back; nil when the camera has no such control.
    public func setControl(_ control: CameraControl, _ value: Int32) throws -> Int32? {
        do {
            try withPath(path) { [driver, fd] in try driver.setControl(fd, control, value) }
            return try withPath(path) { [driver, fd] in try driver.control(fd, control) }
        } catch let error as V4L2Error where error.errno == EINVAL || error.errno == ENOTTY || error.errno == ERANGE {
            return nil
        }
    }

    /// The current value of a control; nil when the camera has none.
    public func control(_ control: CameraControl) -> Int32? {
        try? driver.control(fd, control)
    }

    /// Requests and maps `count` buffers, queues them all and starts streaming.
    public mutating func startStreaming(bufferCount: Int) throws {
        let granted = try withPath(path) { [driver, fd] in try driver.requestBuffers(fd, count: bufferCount) }
        guard granted > 0 else { throw V4L2Error(call: "VIDIOC_REQBUFS", errno: ENOMEM, device: path) }
        for index in 0..<granted {
            let location = try withPath(path) { [driver, fd] in try driver.queryBuffer(fd, index: index) }
            mappings.append(try withPath(path) { [driver, fd] in try driver.map(fd, location) })
        }
        for index in 0..<granted { try withPath(path) { [driver, fd] in try driver.queueBuffer(fd, index: index) } }
        try withPath(path) { [driver, fd] in try driver.streamOn(fd) }
        streaming = true
    }

    /// Waits up to `timeout` for a frame; returns it with the buffer already re-queued,
    /// or nil when none came (timeout or `EAGAIN`).
    /// - Throws: `V4L2Error` (device lost and others), `CaptureError.badFrame`.
    public func nextFrame(timeout: Duration) throws -> CapturedFrame? {
        guard let format else { preconditionFailure("nextFrame before negotiate") }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard try withPath(path, { [driver, fd] in try driver.poll(fd, timeoutMilliseconds: milliseconds) }) else { return nil }
        let buffer: DequeuedBuffer
        do {
            buffer = try driver.dequeueBuffer(fd)
        } catch {
            if error.isWouldBlock { return nil }
            throw Self.attach(error, path)
        }
        guard mappings.indices.contains(buffer.index) else {
            throw CaptureError(.badFrame, device: path, detail: "driver returned buffer \(buffer.index) of \(mappings.count)")
        }
        // Copy the luma out, then hand the buffer straight back so the driver never runs dry.
        let image: GrayImage
        do {
            image = try LumaExtractor.luma(mappings[buffer.index], bytesUsed: buffer.bytesUsed, format: format, device: path)
        } catch {
            try withPath(path) { [driver, fd] in try driver.queueBuffer(fd, index: buffer.index) }
            throw error
        }
        try withPath(path) { [driver, fd] in try driver.queueBuffer(fd, index: buffer.index) }
        let when = buffer.monotonic ? MonotonicClock.wallClock(of: buffer.timestamp) : .now
        return CapturedFrame(image: image, sequence: buffer.sequence, capturedAt: when)
    }

    /// Stops streaming, unmaps and frees the buffers, closes the descriptor. Errors on
    /// the way (a device already gone) are ignored: the descriptor is released regardless.
    public consuming func close() {
        if streaming { _ = try? driver.streamOff(fd) }
        for mapping in mappings { driver.unmap(mapping) }
        if !mappings.isEmpty { _ = try? driver.requestBuffers(fd, count: 0) }
        mappings = []
        driver.close(fd)
        closed = true
    }

    deinit {
        if !closed {
            assertionFailure("VideoDevice \(path) dropped without close()")
            driver.close(fd)
        }
    }
}

/// Runs one driver call and names the device in its error (drivers do not know paths).
private func withPath<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch var error as V4L2Error {
        error.device = path
        throw error
    }
}
