import Capture
import Foundation
import Logging
import PlateRecognition

/// The configured camera as a `FrameSource`: a V4L2 device, or a `.y4m` recording
/// played in real time as if a camera delivered it (looping when configured).
///
/// Both feed the same `RecognizingReadSource` as every other frame source, through
/// the capture side's bounded drop-oldest queue; `monitor` is what health reports.
public struct CameraFrameSource: FrameSource {
    public let device: String
    public let monitor: CameraMonitor
    let capture: Capture
    /// Lets frames of an unchanging street skip the recogniser; nil analyses every frame.
    let motionGate: MotionGate.Configuration?

    enum Capture: Sendable {
        case camera(CameraCapture)
        case video(Y4MPlayer)
    }

    /// Whether a `camera_device` value names a recording rather than a device.
    public static func isVideoFile(_ path: String) -> Bool {
        path.lowercased().hasSuffix(".y4m")
    }

    public init(configuration: EdgeConfiguration, device: String, logger: Logger) {
        self.device = device
        monitor = CameraMonitor(device: device)
        motionGate = configuration.cameraSkipUnchanged ? MotionGate.Configuration() : nil
        if Self.isVideoFile(device) {
            capture = .video(Y4MPlayer(path: device, loop: configuration.cameraLoop, queueDepth: configuration.cameraQueueFrames, monitor: monitor))
        } else {
            var config = CaptureConfiguration(device: device)
            config.width = configuration.cameraWidth
            config.height = configuration.cameraHeight
            config.framesPerSecond = configuration.cameraFramesPerSecond
            if let only = PixelFormat(name: configuration.cameraFormat) { config.formats = [only] }
            config.exposure = configuration.cameraExposure
            config.gain = configuration.cameraGain
            config.queueDepth = configuration.cameraQueueFrames
            config.stallTimeout = .milliseconds(Int64(configuration.cameraStallSeconds * 1000))
            capture = .camera(CameraCapture(configuration: config, monitor: monitor, logger: logger))
        }
    }

    public func frames() -> AsyncThrowingStream<GrayImage, any Error> {
        let frames = capturedFrames()
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await frame in frames { continuation.yield(frame.image) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The analysed frames with their capture time (the kernel's buffer timestamp, or the recording's play time).
    public func capturedFrames() -> AsyncThrowingStream<CapturedFrame, any Error> {
        switch capture {
        case .camera(let camera):
            let frames = camera.frames()
            let (monitor, motionGate) = (monitor, motionGate)
            return AsyncThrowingStream { continuation in
                let task = Task {
                    var gate = motionGate.map { MotionGate(configuration: $0) }
                    for await frame in frames {
                        let analyse = gate?.shouldAnalyse(frame.image) ?? true
                        monitor.noteAnalysed(analyse)
                        if analyse { continuation.yield(frame) }
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        case .video(let player):
            let frames = player.frames()
            let (monitor, motionGate) = (monitor, motionGate)
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        var gate = motionGate.map { MotionGate(configuration: $0) }
                        for try await frame in frames {
                            let analyse = gate?.shouldAnalyse(frame.image) ?? true
                            monitor.noteAnalysed(analyse)
                            if analyse { continuation.yield(frame) }
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
    }

    /// Plain-language findings for `bollardctl status`; empty when the camera is fine.
    public static func problems(_ state: CameraState, stallSeconds: Double, now: Date = Date()) -> [String] {
        var problems: [String] = []
        if !state.streaming, state.framesCaptured == 0, state.reopenCount == 0, state.lastError == nil {
            problems.append("camera \(state.device) not streaming yet")
        } else if !state.streaming {
            problems.append(
                "camera \(state.device) not streaming (reopened \(state.reopenCount) times)"
                    + (state.lastError.map { "; last error: \($0)" } ?? ""))
        } else if let age = state.lastFrameAge(now: now), age > stallSeconds {
            problems.append(String(format: "camera \(state.device): no frame for %.0f s", age))
        }
        if state.framesDropped > 0, state.framesCaptured > 0, Double(state.framesDropped) > 0.5 * Double(state.framesCaptured) {
            problems.append("camera \(state.device): recogniser behind, \(state.framesDropped) of \(state.framesCaptured) frames dropped")
        }
        return problems
    }

    /// One line for the status: `camera /dev/video0: YUYV 640x480, 14.9 fps, last frame 0.1 s ago, reopened 0 times`.
    public static func summary(_ state: CameraState, now: Date = Date()) -> String {
        let age = state.lastFrameAge(now: now).map { String(format: "%.1f s ago", $0) } ?? "none yet"
        return "camera \(state.device): \(state.streaming ? "streaming" : "NOT STREAMING") \(state.format ?? "no format"), "
            + String(format: "%.1f fps", state.measuredFramesPerSecond)
            + ", last frame \(age), reopened \(state.reopenCount) times, frames \(state.framesCaptured) captured, \(state.framesAnalysed) analysed, "
            + "\(state.framesSkipped) skipped, \(state.framesDropped) dropped"
            + (state.exposure.map { ", exposure \($0)" } ?? "") + (state.gain.map { ", gain \($0)" } ?? "")
    }
}
