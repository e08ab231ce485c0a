import Foundation

/// What the gate's health reports about its camera; a snapshot, safe to pass around.
public struct CameraState: Sendable, Equatable {
    /// The configured device (or video file).
    public var device: String
    public var streaming = false
    /// Negotiated format, e.g. `YUYV 640x480`; nil until one is agreed.
    public var format: String?
    /// Frame rate the driver agreed to, if it says.
    public var requestedFramesPerSecond: Double?
    /// Frame rate measured over the last frames.
    public var measuredFramesPerSecond: Double = 0
    public var lastFrameAt: Date?
    /// Times the device was reopened after a loss.
    public var reopenCount = 0
    /// Why the camera last stopped, if it did.
    public var lastError: String?
    /// Exposure and gain as read back from the camera (nil: no such control or not read).
    public var exposure: Int32?
    public var gain: Int32?
    /// Frames taken from the device.
    public var framesCaptured = 0
    /// Frames dropped because the recogniser fell behind (the oldest goes first).
    public var framesDropped = 0
    /// Frames given to the recogniser.
    public var framesAnalysed = 0
    /// Frames the motion gate let skip the recogniser (nothing changed).
    public var framesSkipped = 0

    public init(device: String) {
        self.device = device
    }

    /// Seconds since the last frame, or nil if none came yet.
    public func lastFrameAge(now: Date = Date()) -> Double? {
        lastFrameAt.map { now.timeIntervalSince($0) }
    }
}
