import Foundation
import Logging
import Synchronization

/// Streams frames from a V4L2 camera and keeps streaming through camera loss.
///
/// The capture loop runs on its own thread (poll and DQBUF block; they never run on
/// the Swift cooperative pool). A session opens the device, negotiates format, rate and
/// controls, maps buffers and streams; a lost device (`ENODEV`, `EIO`, gone from /dev),
/// a stall (no frame for `stallTimeout`) or any other failure closes it, waits a
/// bounded exponential backoff and opens it again. Frames go into a bounded queue; when
/// the consumer falls behind, the oldest frame is dropped and counted.
public final class CameraCapture: Sendable {
    public let configuration: CaptureConfiguration
    public let monitor: CameraMonitor
    let driver: any VideoDriver
    let logger: Logger

    public init(configuration: CaptureConfiguration, driver: any VideoDriver = LibV4L2Driver(), monitor: CameraMonitor? = nil, logger: Logger) {
        self.configuration = configuration
        self.driver = driver
        self.monitor = monitor ?? CameraMonitor(device: configuration.device)
        self.logger = logger
    }

    /// Frames until the consumer stops iterating (which stops the capture thread).
    public func frames() -> AsyncStream<CapturedFrame> {
        let (stream, continuation) = AsyncStream.makeStream(of: CapturedFrame.self, bufferingPolicy: .bufferingNewest(max(1, configuration.queueDepth)))
        let stop = StopFlag()
        continuation.onTermination = { _ in stop.set() }
        let thread = Thread { [self] in
            self.loop(stop: stop) { frame in
                if case .dropped = continuation.yield(frame) { self.monitor.noteDropped() }
            }
            continuation.finish()
        }
        thread.name = "capture \(configuration.device)"
        thread.start()
        return stream
    }

    /// Sessions with backoff between them, until `stop` is set.
    func loop(stop: StopFlag, deliver: (CapturedFrame) -> Void) {
        var backoff = CaptureBackoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff)
        var first = true
        while !stop.isSet {
            if !first { monitor.update { $0.reopenCount += 1 } }
            first = false
            var delivered = false
            do {
                try session(stop: stop) { frame in
                    delivered = true
                    deliver(frame)
                }
                monitor.noteStopped(nil)
                return
            } catch {
                monitor.noteStopped(error)
                let delay = backoff.next(deliveredFrames: delivered)
                logger.warning(
                    "camera lost; reopening after backoff",
                    metadata: ["edge.camera": "\(configuration.device)", "error": "\(error)", "camera.backoff_ms": "\(delay.milliseconds)"])
                stop.wait(for: delay)
            }
        }
    }

    /// One open-configure-stream-close cycle. Returns when stopped; throws when the camera fails.
    func session(stop: StopFlag, deliver: (CapturedFrame) -> Void) throws {
        let config = configuration
        var device = try VideoDevice(opening: config.device, driver: driver)
        do {
            try stream(&device, stop: stop, deliver: deliver)
        } catch {
            device.close()
            throw error
        }
        device.close()
    }

    private func stream(_ device: inout VideoDevice, stop: StopFlag, deliver: (CapturedFrame) -> Void) throws {
        let config = configuration
        let caps = try device.capabilities()
        guard caps.canCapture, caps.canStream else {
            throw CaptureError(.notACaptureDevice, device: config.device, detail: "\(caps.card) (\(caps.driver)) cannot stream video capture")
        }
        let format = try device.negotiate(formats: config.formats, width: config.width, height: config.height)
        let fps = try device.setFrameRate(config.framesPerSecond)
        var exposure = device.control(.exposureAbsolute), gain = device.control(.gain)
        if let wanted = config.exposure {
            _ = try device.setControl(.exposureAuto, 1)  // V4L2_EXPOSURE_MANUAL
            exposure = try device.setControl(.exposureAbsolute, wanted)
        }
        if let wanted = config.gain {
            _ = try device.setControl(.autoGain, 0)
            gain = try device.setControl(.gain, wanted)
        }
        try device.startStreaming(bufferCount: config.bufferCount)
        monitor.update {
            $0.streaming = true
            $0.format = "\(format.pixelFormat) \(format.width)x\(format.height)"
            $0.requestedFramesPerSecond = fps
            $0.exposure = exposure
            $0.gain = gain
        }
        logger.info(
            "camera streaming",
            metadata: [
                "edge.camera": "\(config.device)", "camera.card": "\(caps.card)", "camera.format": "\(format.pixelFormat)",
                "camera.size": "\(format.width)x\(format.height)", "camera.fps": "\(fps.map { "\($0)" } ?? "driver default")",
                "camera.exposure": "\(exposure.map { "\($0)" } ?? "n/a")", "camera.gain": "\(gain.map { "\($0)" } ?? "n/a")",
            ])
        let clock = ContinuousClock()
        var lastFrame = clock.now
        while !stop.isSet {
            if let frame = try device.nextFrame(timeout: config.pollInterval) {
                lastFrame = clock.now
                monitor.noteFrame(at: frame.capturedAt)
                deliver(frame)
            } else if clock.now - lastFrame > config.stallTimeout {
                throw CaptureError(.stalled, device: config.device, detail: "no frame for \(config.stallTimeout)")
            }
        }
    }
}

/// Set once to stop the capture thread; its waits wake up when it is set.
final class StopFlag: Sendable {
    private let condition = Mutex(false)
    private let wakeup = NSCondition()

    var isSet: Bool { condition.withLock { $0 } }

    func set() {
        condition.withLock { $0 = true }
        wakeup.lock()
        wakeup.broadcast()
        wakeup.unlock()
    }

    /// Sleeps for `duration` or until set, whichever comes first.
    func wait(for duration: Duration) {
        let deadline = Date().addingTimeInterval(duration.seconds)
        wakeup.lock()
        defer { wakeup.unlock() }
        while !isSet, wakeup.wait(until: deadline) {}
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
