/// The gate's camera as the technician sees it in `bollardctl status`
/// (docs/protocol.md §7): whether it streams, in what format, and what became
/// of its frames. Heartbeats carry it to central too (revision 4).
public struct CameraStatus: Codable, Sendable, Hashable {
    /// The configured device, or the `.y4m` recording played as one.
    public var device: String
    public var streaming: Bool
    /// Negotiated format, e.g. `YUYV 640x480`; nil until one is agreed.
    public var format: String?
    /// Frame rate measured over the recent frames (0 when not streaming).
    public var framesPerSecond: Double
    /// Seconds since the last frame; nil if none came yet.
    public var lastFrameAgeSeconds: Double?
    /// Times the device was reopened after a loss.
    public var reopenCount: Int
    /// Why the camera last stopped, if it did.
    public var lastError: String?
    public var framesCaptured: Int
    /// Frames given to the recogniser.
    public var framesAnalysed: Int
    /// Frames the motion gate let skip the recogniser (nothing changed).
    public var framesSkipped: Int
    /// Frames dropped because the recogniser fell behind.
    public var framesDropped: Int
    /// Exposure (100 µs units) and gain as read back from the camera; nil: no such control, or a recording.
    public var exposure: Int32?
    public var gain: Int32?

    public init(
        device: String, streaming: Bool, format: String?, framesPerSecond: Double, lastFrameAgeSeconds: Double?,
        reopenCount: Int, lastError: String?, framesCaptured: Int, framesAnalysed: Int, framesSkipped: Int,
        framesDropped: Int, exposure: Int32?, gain: Int32?
    ) {
        self.device = device
        self.streaming = streaming
        self.format = format
        self.framesPerSecond = framesPerSecond
        self.lastFrameAgeSeconds = lastFrameAgeSeconds
        self.reopenCount = reopenCount
        self.lastError = lastError
        self.framesCaptured = framesCaptured
        self.framesAnalysed = framesAnalysed
        self.framesSkipped = framesSkipped
        self.framesDropped = framesDropped
        self.exposure = exposure
        self.gain = gain
    }

    enum CodingKeys: String, CodingKey {
        case device, streaming, format, exposure, gain
        case framesPerSecond = "fps"
        case lastFrameAgeSeconds = "last_frame_age_s"
        case reopenCount = "reopen_count"
        case lastError = "last_error"
        case framesCaptured = "frames_captured"
        case framesAnalysed = "frames_analysed"
        case framesSkipped = "frames_skipped"
        case framesDropped = "frames_dropped"
    }
}
