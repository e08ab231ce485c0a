import Foundation
import PlateRecognition

/// Runs the gate's own recognition path (recogniser → tracker, as the camera read
/// source does) over a `.y4m` file as fast as it can; for `bollard-edge recognize --video`.
public struct VideoRecognition {
    /// Frames and time spent per stage.
    public struct Summary: Sendable, Equatable {
        public var frames = 0
        /// Frames the motion gate let skip the recogniser.
        public var skipped = 0
        public var vehicles = 0
        public var seconds = 0.0
        public var readSeconds = 0.0
        public var motionSeconds = 0.0
        public var recognizeSeconds = 0.0
        public var trackSeconds = 0.0

        public var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }

        /// `frames 250 (120 skipped as unchanged), 312.4 frames/s, ms per frame: read 0.21, motion 0.05, recognise 2.80, track 0.01; vehicles 2`
        public var line: String {
            func ms(_ s: Double) -> String { String(format: "%.2f", frames > 0 ? s * 1000 / Double(frames) : 0) }
            return "frames \(frames) (\(skipped) skipped as unchanged), \(String(format: "%.1f", framesPerSecond)) frames/s, "
                + "ms per frame: read \(ms(readSeconds)), motion \(ms(motionSeconds)), recognise \(ms(recognizeSeconds)), track \(ms(trackSeconds)); vehicles \(vehicles)"
        }
    }

    public let recognizer: PlateRecognizer
    public let tracker: PlateTracker
    /// Lets unchanged frames skip the recogniser, as at the gate; nil analyses every frame.
    public let motionGate: MotionGate.Configuration?

    public init(
        recognizer: PlateRecognizer = PlateRecognizer(), tracker: PlateTracker = PlateTracker(),
        motionGate: MotionGate.Configuration? = MotionGate.Configuration()
    ) {
        self.recognizer = recognizer
        self.tracker = tracker
        self.motionGate = motionGate
    }

    /// Plays `path` through recogniser and tracker; `onVehicle` gets each vehicle the
    /// tracker emits, in order.
    /// - Throws: `Y4MError` for a corrupt or truncated file (vehicles before it are emitted).
    public func run(path: String, onVehicle: (VehicleRead) -> Void) throws(Y4MError) -> Summary {
        let clock = ContinuousClock()
        var summary = Summary()
        let started = clock.now
        let reader = try Y4MReader(path: path)
        var gate = motionGate.map { MotionGate(configuration: $0) }
        func emit(_ reads: [VehicleRead]) {
            summary.vehicles += reads.count
            reads.forEach(onVehicle)
        }
        do {
            while true {
                var t = clock.now
                guard let image = try reader.next() else { break }
                summary.readSeconds += (clock.now - t).seconds
                t = clock.now
                let analyse = gate?.shouldAnalyse(image) ?? true
                summary.motionSeconds += (clock.now - t).seconds
                guard analyse else {
                    summary.skipped += 1
                    summary.frames += 1
                    continue
                }
                t = clock.now
                let reads = recognizer.recognize(image)
                summary.recognizeSeconds += (clock.now - t).seconds
                t = clock.now
                let closed = tracker.update(frame: summary.frames, reads: reads)
                summary.trackSeconds += (clock.now - t).seconds
                emit(closed)
                summary.frames += 1
            }
        } catch {
            emit(tracker.flush())
            throw error
        }
        emit(tracker.flush())
        summary.seconds = (clock.now - started).seconds
        return summary
    }

    /// The JSON line `tools/score-video` reads:
    /// `{"frame": N, "plates": [{"text": "…", "confidence": 0.97, "box": [x, y, w, h]}]}`,
    /// `frame` being the frame kept as evidence (the tracker's best).
    public static func jsonLine(_ read: VehicleRead) -> String {
        let b = read.bestBox
        return "{\"frame\": \(read.bestFrame), \"plates\": [{\"text\": \(jsonString(read.text)), "
            + "\"confidence\": \(String(format: "%.4f", read.confidence)), \"box\": [\(b.x), \(b.y), \(b.width), \(b.height)]}]}"
    }

    /// The plain line: `frame 42: 1234BCD (0.97) at 120,300 180x40`.
    public static func textLine(_ read: VehicleRead) -> String {
        let b = read.bestBox
        return "frame \(read.bestFrame): \(read.text) (\(String(format: "%.2f", read.confidence))) at \(b.x),\(b.y) \(b.width)x\(b.height)"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
