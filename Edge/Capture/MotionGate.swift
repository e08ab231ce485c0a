import PlateRecognition

/// A cheap change detector that lets frames of an empty, unchanging street skip the
/// full recogniser.
///
/// Each frame is shrunk (box filter) and compared with the thumbnail of the last
/// analysed frame; it is analysed when enough thumbnail pixels changed. After a
/// change, every frame is analysed for `holdFrames` (so the tracker sees a vehicle
/// leave and closes its track promptly), and at least one frame in `heartbeatFrames`
/// is analysed whatever happens (a vehicle that stopped is still seen). Comparing
/// with the last *analysed* frame, not the previous one, catches slow movement.
public struct MotionGate: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Shrink factor of the thumbnail (8: 640×480 becomes 80×60).
        public var downscale = 8
        /// Grey-level difference for a thumbnail pixel to count as changed.
        public var pixelThreshold = 12
        /// Share of thumbnail pixels that must change to count as motion.
        public var changedFraction = 0.002
        public var holdFrames = 15
        public var heartbeatFrames = 25

        public init() {}
    }

    public let configuration: Configuration
    private var reference: GrayImage?
    private var frame = 0
    private var lastMotion = Int.min / 2
    private var lastAnalysed = Int.min / 2

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether this frame should go to the recogniser.
    public mutating func shouldAnalyse(_ image: GrayImage) -> Bool {
        defer { frame += 1 }
        let factor = max(1, min(configuration.downscale, image.width / 8, image.height / 8))
        let thumbnail = image.downscaled(by: factor)
        var analyse: Bool
        if let reference, reference.width == thumbnail.width, reference.height == thumbnail.height {
            var changed = 0
            let threshold = configuration.pixelThreshold
            reference.pixels.withUnsafeBufferPointer { old in
                thumbnail.pixels.withUnsafeBufferPointer { new in
                    for i in 0..<new.count where abs(Int(new[i]) - Int(old[i])) > threshold { changed += 1 }
                }
            }
            if Double(changed) >= configuration.changedFraction * Double(thumbnail.pixels.count) { lastMotion = frame }
            analyse = frame - lastMotion <= configuration.holdFrames || frame - lastAnalysed >= configuration.heartbeatFrames
        } else {
            lastMotion = frame
            analyse = true
        }
        if analyse {
            reference = thumbnail
            lastAnalysed = frame
        }
        return analyse
    }
}
