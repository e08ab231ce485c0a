import BollardSupport
import Capture
import Domain
import Foundation
import Logging
import PlateRecognition

/// Where frames come from: the camera (V4L2, its own issue) or, until then
/// and in tests, a list of image files played as if a camera delivered them.
public protocol FrameSource: Sendable {
    /// Frames in order; the stream ends when the source is exhausted.
    func frames() -> AsyncThrowingStream<GrayImage, any Error>
    /// The same frames with their capture time (the event's time when a frame is kept).
    func capturedFrames() -> AsyncThrowingStream<CapturedFrame, any Error>
}

extension FrameSource {
    /// Sources without a capture clock: a frame was captured when it arrived.
    public func capturedFrames() -> AsyncThrowingStream<CapturedFrame, any Error> {
        let frames = frames()
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var sequence: UInt32 = 0
                    for try await image in frames {
                        continuation.yield(CapturedFrame(image: image, sequence: sequence, capturedAt: Date()))
                        sequence &+= 1
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

/// Plays image files (JPEG, PGM, PPM) as frames at a fixed interval. A file
/// that is not an image is logged and skipped; the others still play.
public struct ImageFilesFrameSource: FrameSource {
    public let paths: [String]
    public let interval: Duration
    let logger: Logger

    public init(paths: [String], interval: Duration, logger: Logger) {
        self.paths = paths
        self.interval = interval
        self.logger = logger
    }

    /// The image files of a folder, in name order.
    public init(folder: String, interval: Duration, logger: Logger) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
            ["jpg", "jpeg", "pgm", "ppm"].contains(($0 as NSString).pathExtension.lowercased())
        }
        self.init(paths: names.sorted().map { folder + "/" + $0 }, interval: interval, logger: logger)
    }

    public func frames() -> AsyncThrowingStream<GrayImage, any Error> {
        let paths = paths
        let interval = interval
        let logger = logger
        return AsyncThrowingStream { continuation in
            let task = Task {
                for path in paths {
                    if Task.isCancelled { break }
                    do {
                        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                        continuation.yield(try ImageDecoder.decode(bytes))
                    } catch {
                        logger.error("frame skipped", metadata: ["frame.file": "\(path)", "error": "\(error)"])
                    }
                    try? await Task.sleep(for: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// The camera path: frames → recogniser → tracker → one read per vehicle.
///
/// The tracker votes across the frames in which a vehicle is seen, so the
/// gate decides on a vehicle, not on a frame. Recogniser and tracker are
/// confined to this source's task (one instance each).
public struct RecognizingReadSource: PlateReadSource {
    let frames: any FrameSource
    let model: RecognitionModel?
    let reader: PlateRecognizer.Reader
    let onFrame: @Sendable () -> Void
    /// What every read is marked as: `camera` for a live device, `video` for a recording played as one.
    let source: ReadSource
    /// Given every frame as it arrives (the gate keeps the latest for `bollardctl camera snapshot`).
    let keepFrame: (@Sendable (CapturedFrame) -> Void)?

    /// - Parameter model: checked at start by the caller; nil = the packaged model.
    /// - Parameter source: `camera` or `video`, stamped on every read (central fines only those two).
    /// - Parameter reader: how rows are read (`recognition_reader`).
    /// - Parameter onFrame: called for every frame, so health can report the last frame time.
    public init(
        frames: any FrameSource, model: RecognitionModel? = nil, source: ReadSource = .camera, reader: PlateRecognizer.Reader = .wholePlate,
        onFrame: @escaping @Sendable () -> Void = {}, keepFrame: (@Sendable (CapturedFrame) -> Void)? = nil
    ) {
        self.frames = frames
        self.model = model
        self.source = source
        self.reader = reader
        self.keepFrame = keepFrame
        self.onFrame = onFrame
    }

    /// Frames with reads kept for evidence while their vehicle may still be tracked
    /// (the most confident ones; 8 frames of 1280×720 are about 7 MB).
    static let keptFrames = 8

    public func run(sink: @escaping @Sendable (PlateRead) -> Void) async throws {
        var configuration = PlateRecognizer.Configuration()
        configuration.reader = reader
        let recognizer = try PlateRecognizer(model: model ?? RecognitionModel.packaged(), configuration: configuration)
        let tracker = PlateTracker()
        var frameNumber = 0
        // Frames in which something was read, by number: the tracker names the best one of a
        // vehicle when it closes the track. Bounded: past `keptFrames` the least confident goes.
        var kept: [Int: (frame: CapturedFrame, confidence: Double)] = [:]
        func emit(_ reads: [VehicleRead]) {
            for read in reads {
                let best = kept[read.bestFrame]?.frame
                let evidence = best.map { frame in
                    ReadEvidence(
                        width: frame.image.width, height: frame.image.height, pixels: frame.image.pixels, boxX: read.bestBox.x, boxY: read.bestBox.y,
                        boxWidth: read.bestBox.width, boxHeight: read.bestBox.height)
                }
                // The event's time is when the kept frame was captured, not when the tracker closed the track.
                sink(PlateRead(
                    text: read.text, confidence: read.confidence, at: best?.capturedAt ?? Date(), evidence: evidence, source: source,
                    characterConfidences: read.characterConfidences))
            }
            if let oldest = tracker.oldestOpenFrame {
                kept = kept.filter { $0.key >= oldest }
            } else {
                kept.removeAll()
            }
        }
        for try await frame in frames.capturedFrames() {
            onFrame()
            keepFrame?(frame)
            ProgressReporter.current?.beat()  // a camera that delivers frames is alive
            let candidates = recognizer.recognize(frame.image)
            if let confidence = candidates.map(\.confidence).max() {
                kept[frameNumber] = (frame, confidence)
                if kept.count > Self.keptFrames, let weakest = kept.min(by: { $0.value.confidence < $1.value.confidence })?.key {
                    kept[weakest] = nil
                }
            }
            emit(tracker.update(frame: frameNumber, reads: candidates))
            frameNumber += 1
        }
        emit(tracker.flush())
    }
}
