import Foundation
import Logging

/// A `.y4m` recording played as if a camera delivered it, so a gate can run on
/// recorded traffic.
///
/// Paced at the file's frame rate (or `fallbackFramesPerSecond`), on its own thread,
/// into the same bounded drop-oldest queue as the camera; optionally looping. The
/// camera state reports it like a camera (format `Y4M WxH`).
public final class Y4MPlayer: Sendable {
    public let path: String
    public let loop: Bool
    public let fallbackFramesPerSecond: Double
    public let queueDepth: Int
    public let monitor: CameraMonitor

    public init(path: String, loop: Bool, fallbackFramesPerSecond: Double = 25, queueDepth: Int = 4, monitor: CameraMonitor? = nil) {
        self.path = path
        self.loop = loop
        self.fallbackFramesPerSecond = fallbackFramesPerSecond
        self.queueDepth = queueDepth
        self.monitor = monitor ?? CameraMonitor(device: path)
    }

    /// Frames in real time; ends at the end of the file (unless looping) or with a `Y4MError`.
    public func frames() -> AsyncThrowingStream<CapturedFrame, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: CapturedFrame.self, throwing: (any Error).self, bufferingPolicy: .bufferingNewest(max(1, queueDepth)))
        let stop = StopFlag()
        continuation.onTermination = { _ in stop.set() }
        let thread = Thread { [self] in
            do {
                try self.play(stop: stop) { frame in
                    if case .dropped = continuation.yield(frame) { self.monitor.noteDropped() }
                }
                self.monitor.noteStopped(nil)
                continuation.finish()
            } catch {
                self.monitor.noteStopped(error)
                continuation.finish(throwing: error)
            }
        }
        thread.name = "y4m \(path)"
        thread.start()
        return stream
    }

    private func play(stop: StopFlag, deliver: (CapturedFrame) -> Void) throws {
        let reader = try Y4MReader(path: path)
        let fps = reader.header.framesPerSecond ?? fallbackFramesPerSecond
        let interval = 1 / max(fps, 0.1)
        monitor.update {
            $0.streaming = true
            $0.format = "Y4M \(reader.header.width)x\(reader.header.height)"
            $0.requestedFramesPerSecond = fps
        }
        var sequence: UInt32 = 0
        var due = Date()
        while !stop.isSet {
            guard let image = try reader.next() else {
                guard loop, reader.frameIndex > 0 else {
                    let played = reader.frameIndex
                    monitor.update { $0.lastError = "the recording ended after \(played) frames" }
                    return
                }
                try reader.rewind()
                continue
            }
            let now = Date()
            monitor.noteFrame(at: now)
            deliver(CapturedFrame(image: image, sequence: sequence, capturedAt: now))
            sequence &+= 1
            due = max(due.addingTimeInterval(interval), now)
            stop.wait(for: .milliseconds(Int64(max(0, due.timeIntervalSinceNow) * 1000)))
        }
    }
}
