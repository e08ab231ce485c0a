import Capture
import Foundation
import Glibc
import Synchronization

/// A V4L2 capture device in memory, keeping the kernel's contract for what capture uses.
///
/// Buffers are owned either by user space (after REQBUFS, after DQBUF) or by the driver
/// (after QBUF); only driver-owned buffers are filled, and a filled buffer is handed out
/// once until user space queues it again. DQBUF with nothing ready gives `EAGAIN`; an
/// unsupported format gives `EINVAL`; `loseDevice()` makes every call fail with `ENODEV`
/// (and `poll` report an error) until the descriptor is closed; `unplug()` makes `open`
/// fail with `ENOENT`; `stall()` keeps streaming on but delivers nothing.
final class EmulatedVideoDriver: VideoDriver, @unchecked Sendable {  // all state behind `lock`
    enum BufferState: Equatable { case user, queued, done }

    struct State {
        var present = true
        var formats: [PixelFormat]
        var width = 64
        var height = 48
        /// Frames per second the device produces while streaming (poll waits for the next).
        var framesPerSecond = 200.0
        var stalled = false
        /// Set by `loseDevice()`: the open descriptor is dead.
        var lostDescriptor: Int32?
        var loseAfterFrames: Int?
        /// Whether the device also vanishes from /dev when lost (open then gives ENOENT).
        var unplugOnLoss = true
        var openFD: Int32?
        var nextFD: Int32 = 100
        var opens = 0
        var closes = 0
        var format: VideoFormat?
        var streaming = false
        var buffers: [BufferState] = []
        var memory: [UnsafeMutableRawBufferPointer] = []
        var mapped = 0
        var sequence: UInt32 = 0
        var framesDelivered = 0
        var lastFrameTime = 0.0
        var controls: [CameraControl: Int32] = [.exposureAuto: 3, .exposureAbsolute: 250, .autoGain: 1, .gain: 10]
        /// Contract violations seen (a test fails if any).
        var violations: [String] = []
    }

    let lock = NSLock()
    var state: State

    init(formats: [PixelFormat] = [.grey]) {
        state = State(formats: formats)
    }

    func with<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    // MARK: Test controls

    func unplug() { with { $0.present = false } }
    func plugIn() { with { $0.present = true } }
    func stall() { with { $0.stalled = true } }
    func resume() { with { $0.stalled = false } }
    /// The device disappears mid-stream: the open descriptor answers ENODEV from now on.
    func loseDevice() { with { $0.lostDescriptor = $0.openFD; $0.present = false } }

    // MARK: VideoDriver

    private func check(_ fd: Int32, _ call: String, _ s: inout State) throws(V4L2Error) {
        if s.lostDescriptor == fd { throw V4L2Error(call: call, errno: ENODEV) }
        guard s.openFD == fd else {
            s.violations.append("\(call) on fd \(fd) that is not open")
            throw V4L2Error(call: call, errno: EBADF)
        }
    }

    func open(_ path: String) throws(V4L2Error) -> Int32 {
        let result: Result<Int32, V4L2Error> = with { s in
            guard s.present else { return .failure(V4L2Error(call: "open", errno: ENOENT)) }
            guard s.openFD == nil else { return .failure(V4L2Error(call: "open", errno: EBUSY)) }
            s.opens += 1
            s.nextFD += 1
            s.openFD = s.nextFD
            s.lostDescriptor = nil
            return .success(s.nextFD)
        }
        return try result.get()
    }

    func close(_ fd: Int32) {
        with { s in
            guard s.openFD == fd else {
                s.violations.append("close of fd \(fd) that is not open")
                return
            }
            if s.mapped > 0 { s.violations.append("closed with \(s.mapped) buffers still mapped") }
            s.closes += 1
            s.openFD = nil
            s.streaming = false
            s.buffers = []
            if s.lostDescriptor == fd { s.lostDescriptor = nil }
        }
    }

    private func run<T>(_ fd: Int32, _ call: String, _ body: (inout State) throws(V4L2Error) -> T) throws(V4L2Error) -> T {
        lock.lock()
        defer { lock.unlock() }
        try check(fd, call, &state)
        return try body(&state)
    }

    func capabilities(_ fd: Int32) throws(V4L2Error) -> DeviceCapabilities {
        try run(fd, "VIDIOC_QUERYCAP") { _ in DeviceCapabilities(driver: "emulated", card: "Emulated camera", canCapture: true, canStream: true) }
    }

    func setFormat(_ fd: Int32, _ request: VideoFormat) throws(V4L2Error) -> VideoFormat {
        try run(fd, "VIDIOC_S_FMT") { (s) throws(V4L2Error) in
            guard !s.streaming, s.buffers.isEmpty else { throw V4L2Error(call: "VIDIOC_S_FMT", errno: EBUSY) }
            guard s.formats.contains(request.pixelFormat) else { throw V4L2Error(call: "VIDIOC_S_FMT", errno: EINVAL) }
            let bytes = request.pixelFormat == .yuyv ? 2 : 1
            let format = VideoFormat(
                pixelFormat: request.pixelFormat, width: s.width, height: s.height, bytesPerLine: s.width * bytes,
                imageSize: request.pixelFormat == .yuv420 ? s.width * s.height * 3 / 2 : s.width * s.height * bytes)
            s.format = format
            return format
        }
    }

    func setFrameRate(_ fd: Int32, _ framesPerSecond: Int) throws(V4L2Error) -> Double {
        try run(fd, "VIDIOC_S_PARM") { s in s.framesPerSecond }
    }

    func setControl(_ fd: Int32, _ control: CameraControl, _ value: Int32) throws(V4L2Error) {
        try run(fd, "VIDIOC_S_CTRL") { s in s.controls[control] = value }
    }

    func control(_ fd: Int32, _ control: CameraControl) throws(V4L2Error) -> Int32 {
        try run(fd, "VIDIOC_G_CTRL") { (s) throws(V4L2Error) in
            guard let value = s.controls[control] else { throw V4L2Error(call: "VIDIOC_G_CTRL", errno: EINVAL) }
            return value
        }
    }

    func requestBuffers(_ fd: Int32, count: Int) throws(V4L2Error) -> Int {
        try run(fd, "VIDIOC_REQBUFS") { (s) throws(V4L2Error) in
            guard !s.streaming else { throw V4L2Error(call: "VIDIOC_REQBUFS", errno: EBUSY) }
            if count == 0 {
                if s.mapped > 0 { throw V4L2Error(call: "VIDIOC_REQBUFS", errno: EBUSY) }
                s.buffers = []
                return 0
            }
            guard let format = s.format else { throw V4L2Error(call: "VIDIOC_REQBUFS", errno: EINVAL) }
            let granted = min(count, 8)
            s.buffers = Array(repeating: .user, count: granted)
            s.memory = (0..<granted).map { _ in .allocate(byteCount: format.imageSize, alignment: 16) }
            return granted
        }
    }

    func queryBuffer(_ fd: Int32, index: Int) throws(V4L2Error) -> BufferLocation {
        try run(fd, "VIDIOC_QUERYBUF") { (s) throws(V4L2Error) in
            guard s.buffers.indices.contains(index) else { throw V4L2Error(call: "VIDIOC_QUERYBUF", errno: EINVAL) }
            return BufferLocation(index: index, offset: Int64(index) << 20, length: s.memory[index].count)
        }
    }

    func map(_ fd: Int32, _ location: BufferLocation) throws(V4L2Error) -> UnsafeRawBufferPointer {
        try run(fd, "mmap") { (s) throws(V4L2Error) in
            let index = Int(location.offset >> 20)
            guard s.memory.indices.contains(index), location.length <= s.memory[index].count else { throw V4L2Error(call: "mmap", errno: EINVAL) }
            s.mapped += 1
            return UnsafeRawBufferPointer(s.memory[index])
        }
    }

    func unmap(_ memory: UnsafeRawBufferPointer) {
        with { $0.mapped -= 1 }
    }

    func queueBuffer(_ fd: Int32, index: Int) throws(V4L2Error) {
        try run(fd, "VIDIOC_QBUF") { (s) throws(V4L2Error) in
            guard s.buffers.indices.contains(index) else { throw V4L2Error(call: "VIDIOC_QBUF", errno: EINVAL) }
            guard s.buffers[index] == .user else {
                s.violations.append("QBUF of buffer \(index) the driver already owns")
                throw V4L2Error(call: "VIDIOC_QBUF", errno: EINVAL)
            }
            s.buffers[index] = .queued
        }
    }

    func dequeueBuffer(_ fd: Int32) throws(V4L2Error) -> DequeuedBuffer {
        try run(fd, "VIDIOC_DQBUF") { (s) throws(V4L2Error) in
            guard s.streaming else { throw V4L2Error(call: "VIDIOC_DQBUF", errno: EINVAL) }
            guard let index = s.buffers.firstIndex(of: .done) else { throw V4L2Error(call: "VIDIOC_DQBUF", errno: EAGAIN) }
            s.buffers[index] = .user
            let format = s.format!
            return DequeuedBuffer(
                index: index, bytesUsed: format.imageSize, sequence: s.sequence &- 1, timestamp: s.lastFrameTime, monotonic: true)
        }
    }

    func streamOn(_ fd: Int32) throws(V4L2Error) {
        try run(fd, "VIDIOC_STREAMON") { (s) throws(V4L2Error) in
            guard !s.buffers.isEmpty else { throw V4L2Error(call: "VIDIOC_STREAMON", errno: EINVAL) }
            s.streaming = true
        }
    }

    func streamOff(_ fd: Int32) throws(V4L2Error) {
        try run(fd, "VIDIOC_STREAMOFF") { s in
            s.streaming = false
            // STREAMOFF returns every buffer to user space, filled or not.
            s.buffers = s.buffers.map { _ in .user }
        }
    }

    /// Waits for the next frame time, then fills the first queued buffer.
    func poll(_ fd: Int32, timeoutMilliseconds: Int32) throws(V4L2Error) -> Bool {
        let deadline = MonotonicClock.now() + Double(timeoutMilliseconds) / 1000
        while true {
            let outcome: Result<Bool?, V4L2Error> = with { s in
                if s.lostDescriptor == fd { return .failure(V4L2Error(call: "poll", errno: ENODEV)) }
                if s.buffers.contains(.done) { return .success(true) }
                let now = MonotonicClock.now()
                if s.streaming, !s.stalled, now - s.lastFrameTime >= 1 / s.framesPerSecond,
                    let index = s.buffers.firstIndex(of: .queued)
                {
                    if let limit = s.loseAfterFrames, s.framesDelivered >= limit {
                        s.loseAfterFrames = nil
                        s.lostDescriptor = fd
                        if s.unplugOnLoss { s.present = false }
                        return .failure(V4L2Error(call: "poll", errno: ENODEV))
                    }
                    Self.fill(s.memory[index], format: s.format!, value: UInt8(truncatingIfNeeded: s.sequence))
                    s.buffers[index] = .done
                    s.sequence &+= 1
                    s.framesDelivered += 1
                    s.lastFrameTime = now
                    return .success(true)
                }
                return now >= deadline ? .success(false) : .success(nil)
            }
            if let ready = try outcome.get() { return ready }
            usleep(1000)
        }
    }

    /// Luma `value` everywhere (chroma 128), so a test can tell frames apart.
    static func fill(_ memory: UnsafeMutableRawBufferPointer, format: VideoFormat, value: UInt8) {
        memory.initializeMemory(as: UInt8.self, repeating: 128)
        let count = format.width * format.height
        for i in 0..<count {
            if format.pixelFormat == .yuyv { memory[2 * i] = value } else if format.pixelFormat != .mjpeg { memory[i] = value }
        }
    }
}
