import Capture
import Foundation
import Glibc
import Logging
import Synchronization
import Testing

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double = 15, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Takes `count` frames from the stream, or fewer if `seconds` pass first.
func take(_ count: Int, from stream: AsyncStream<CapturedFrame>, seconds: Double = 5) async -> [CapturedFrame] {
    await withTaskGroup(of: [CapturedFrame].self) { group in
        group.addTask {
            var frames: [CapturedFrame] = []
            for await frame in stream {
                frames.append(frame)
                if frames.count == count { break }
            }
            return frames
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return []
        }
        let first = await group.next()!
        group.cancelAll()
        return first
    }
}

func quickConfiguration() -> CaptureConfiguration {
    var c = CaptureConfiguration(device: "/dev/video-emulated")
    c.width = 64
    c.height = 48
    c.stallTimeout = .milliseconds(300)
    c.pollInterval = .milliseconds(20)
    c.initialBackoff = .milliseconds(20)
    c.maximumBackoff = .milliseconds(100)
    c.queueDepth = 64
    return c
}

let testLogger = Logger(label: "capture-tests") { _ in SwiftLogNoOpLogHandler() }

@Suite("Capture through an emulated V4L2 device")
struct CameraCaptureTests {
    @Test("Capture starts, streams GREY frames of the configured size, sets exposure and gain and reports them")
    func startsAndStreams() async throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        var config = quickConfiguration()
        config.exposure = 120
        config.gain = 4
        let capture = CameraCapture(configuration: config, driver: driver, logger: testLogger)
        let before = Date()
        let frames = await take(5, from: capture.frames())
        #expect(frames.count == 5)
        #expect(frames.allSatisfy { $0.image.width == 64 && $0.image.height == 48 })
        // Each frame carries its own luma (the sequence number), in order, none repeated.
        let values = frames.map { $0.image.pixels[0] }
        #expect(Set(values).count == 5)
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        // Kernel timestamps became wall-clock times of this run.
        #expect(frames.allSatisfy { $0.capturedAt >= before.addingTimeInterval(-0.5) && $0.capturedAt <= Date().addingTimeInterval(0.5) })
        let state = capture.monitor.snapshot
        #expect(state.format == "GREY 64x48")
        #expect(state.exposure == 120 && state.gain == 4)
        #expect(driver.with { $0.controls[.exposureAuto] == 1 && $0.controls[.autoGain] == 0 })
        #expect(state.framesCaptured >= 5)
        #expect(await waitUntil { driver.with { $0.openFD == nil } }, "the device is closed once the consumer stops")
        #expect(driver.with { $0.mapped == 0 && $0.violations.isEmpty })
    }

    @Test("A device that refuses GREY (EINVAL) is negotiated down to YUYV and its luma is taken")
    func negotiatesYUYV() async throws {
        let driver = EmulatedVideoDriver(formats: [.yuyv])
        let capture = CameraCapture(configuration: quickConfiguration(), driver: driver, logger: testLogger)
        let frames = await take(2, from: capture.frames())
        #expect(frames.count == 2)
        #expect(capture.monitor.snapshot.format == "YUYV 64x48")
        // Luma only: every pixel equals the frame's value, no chroma (128) mixed in.
        #expect(frames.allSatisfy { f in f.image.pixels.allSatisfy { $0 == f.image.pixels[0] } })
        #expect(frames.map { $0.image.pixels[0] } != [128, 128])
    }

    @Test("A device offering none of the wanted formats is refused with a clear error, and capture keeps retrying without crashing")
    func refusesUnsupportedFormat() async throws {
        let driver = EmulatedVideoDriver(formats: [PixelFormat(rawValue: 0x3342_4752)])  // RGB3
        var device = try VideoDevice(opening: "/dev/video-emulated", driver: driver)
        #expect {
            _ = try device.negotiate(formats: [.grey, .yuyv], width: 64, height: 48)
        } throws: { error in
            (error as? CaptureError)?.code == .noSupportedFormat && "\(error)".contains("GREY (EINVAL)")
        }
        device.close()

        let capture = CameraCapture(configuration: quickConfiguration(), driver: driver, logger: testLogger)
        let stream = capture.frames()
        let consumer = Task { for await _ in stream {} }
        #expect(await waitUntil { capture.monitor.snapshot.reopenCount >= 2 })
        let state = capture.monitor.snapshot
        #expect(!state.streaming)
        #expect(state.lastError?.contains("no usable pixel format") == true)
        consumer.cancel()
        #expect(await waitUntil { driver.with { $0.openFD == nil } })
        #expect(driver.with { $0.violations.isEmpty && $0.opens == $0.closes })
    }

    @Test("ENODEV mid-stream is recorded as the reason, the device is closed and reopened, and frames resume")
    func recordsLoss() async throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        driver.with {
            $0.loseAfterFrames = 3
            $0.unplugOnLoss = false
        }
        let capture = CameraCapture(configuration: quickConfiguration(), driver: driver, logger: testLogger)
        let stream = capture.frames()
        let counter = Counter()
        let consumer = Task { for await _ in stream { counter.add() } }
        #expect(await waitUntil { counter.value >= 6 })
        let state = capture.monitor.snapshot
        #expect(state.reopenCount == 1 && state.streaming)
        #expect(state.lastError?.contains("poll failed") == true && state.lastError?.contains("errno \(ENODEV)") == true)
        consumer.cancel()
        #expect(await waitUntil { driver.with { $0.openFD == nil } })
        #expect(driver.with { $0.violations.isEmpty && $0.opens == 2 && $0.closes == 2 && $0.mapped == 0 })
    }

    @Test("A camera unplugged mid-stream: capture closes it, backs off while it is gone, reopens when it is back and streams again")
    func recoversFromLoss() async throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        driver.with { $0.loseAfterFrames = 3 }
        let capture = CameraCapture(configuration: quickConfiguration(), driver: driver, logger: testLogger)
        let stream = capture.frames()
        let counter = Counter()
        let consumer = Task { for await _ in stream { counter.add() } }
        #expect(await waitUntil { counter.value == 3 && !capture.monitor.snapshot.streaming })
        #expect(driver.with { $0.closes == 1 }, "the lost descriptor is closed")
        // Gone from /dev for a while: open fails, capture waits and tries again.
        #expect(await waitUntil { capture.monitor.snapshot.reopenCount >= 2 })
        #expect(counter.value == 3)
        driver.plugIn()
        #expect(await waitUntil { counter.value >= 6 })
        #expect(capture.monitor.snapshot.streaming)
        consumer.cancel()
        #expect(await waitUntil { driver.with { $0.openFD == nil } })
        #expect(driver.with { $0.violations.isEmpty && $0.opens == $0.closes && $0.mapped == 0 })
    }

    @Test("A device that stops delivering is declared stalled after the timeout, reopened, and frames flow again")
    func recoversFromStall() async throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        let capture = CameraCapture(configuration: quickConfiguration(), driver: driver, logger: testLogger)
        let stream = capture.frames()
        let counter = Counter()
        let consumer = Task { for await _ in stream { counter.add() } }
        #expect(await waitUntil { counter.value >= 2 })
        driver.stall()
        #expect(await waitUntil { capture.monitor.snapshot.reopenCount >= 1 })
        #expect(capture.monitor.snapshot.lastError?.contains("no frame for") == true)
        let before = counter.value
        driver.resume()
        #expect(await waitUntil { counter.value >= before + 3 })
        consumer.cancel()
        #expect(await waitUntil { driver.with { $0.openFD == nil } })
        #expect(driver.with { $0.violations.isEmpty && $0.opens == $0.closes })
    }

    @Test("A missing device is retried with bounded exponential backoff, not in a busy loop")
    func noBusyLoop() async throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        driver.unplug()
        var config = quickConfiguration()
        config.initialBackoff = .milliseconds(10)
        config.maximumBackoff = .milliseconds(80)
        let capture = CameraCapture(configuration: config, driver: driver, logger: testLogger)
        let stream = capture.frames()
        let consumer = Task { for await _ in stream {} }
        let started = Date()
        #expect(await waitUntil { capture.monitor.snapshot.reopenCount >= 6 })
        let elapsed = Date().timeIntervalSince(started)
        // 10 + 20 + 40 + 80 + 80 ms at least before the sixth reopen.
        #expect(elapsed >= 0.2)
        #expect(capture.monitor.snapshot.lastError?.contains("errno \(ENOENT)") == true)
        consumer.cancel()
    }

    @Test("The frame queue is bounded: a slow consumer gets the newest frames and the dropped ones are counted")
    func dropsOldest() async throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        var config = quickConfiguration()
        config.queueDepth = 2
        let capture = CameraCapture(configuration: config, driver: driver, logger: testLogger)
        let stream = capture.frames()
        #expect(await waitUntil { capture.monitor.snapshot.framesDropped >= 5 })
        var iterator = stream.makeAsyncIterator()
        let frame = await iterator.next()
        #expect(frame.map { $0.sequence >= 5 } == true, "the oldest frames went first")
        _ = iterator
    }

    @Test("Backoff doubles per failure up to the maximum and starts again after a session that delivered frames")
    func backoffPolicy() {
        var backoff = CaptureBackoff(initial: .milliseconds(500), maximum: .seconds(4))
        let waits = (0..<6).map { _ in backoff.next(deliveredFrames: false) }
        #expect(waits == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)])
        #expect(backoff.next(deliveredFrames: true) == .milliseconds(500))
        #expect(backoff.next(deliveredFrames: false) == .seconds(1))
    }

    @Test("A kernel CLOCK_MONOTONIC timestamp becomes the wall-clock time it happened")
    func monotonicToWallClock() {
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(MonotonicClock.wallClock(of: 1000.25, nowMonotonic: 1002.0, nowWall: wall) == wall.addingTimeInterval(-1.75))
        #expect(MonotonicClock.wallClock(of: 1003, nowMonotonic: 1002.0, nowWall: wall) == wall)
    }

    @Test("The emulated device keeps the kernel contract: a dequeued buffer is not handed out again before QBUF; EAGAIN when none is ready")
    func emulatorContract() throws {
        let driver = EmulatedVideoDriver(formats: [.grey])
        let fd = try driver.open("/dev/video-emulated")
        _ = try driver.setFormat(fd, VideoFormat(pixelFormat: .grey, width: 64, height: 48))
        #expect(try driver.requestBuffers(fd, count: 2) == 2)
        try driver.queueBuffer(fd, index: 0)
        try driver.queueBuffer(fd, index: 1)
        try driver.streamOn(fd)
        #expect(try driver.poll(fd, timeoutMilliseconds: 500))
        let first = try driver.dequeueBuffer(fd)
        #expect(try driver.poll(fd, timeoutMilliseconds: 500))
        let second = try driver.dequeueBuffer(fd)
        #expect(first.index != second.index)
        #expect(throws: V4L2Error(call: "VIDIOC_DQBUF", errno: EAGAIN)) { try driver.dequeueBuffer(fd) }
        #expect(try driver.poll(fd, timeoutMilliseconds: 30) == false, "no buffer queued: nothing can be filled")
        try driver.queueBuffer(fd, index: first.index)
        #expect(try driver.poll(fd, timeoutMilliseconds: 500))
        #expect(try driver.dequeueBuffer(fd).index == first.index)
        try driver.streamOff(fd)
        driver.close(fd)
    }
}

/// A counter shared between a consumer task and the test.
final class Counter: Sendable {
    private let storage = Mutex(0)
    var value: Int { storage.withLock { $0 } }
    func add() { storage.withLock { $0 += 1 } }
}
