/// What to capture and how hard to try when the camera goes away.
public struct CaptureConfiguration: Sendable, Equatable {
    /// `/dev/video0`, or any path the driver opens.
    public var device: String
    public var width = 640
    public var height = 480
    public var framesPerSecond = 15
    /// Formats to ask for, in order; the first the driver accepts is used.
    public var formats: [PixelFormat] = PixelFormat.supported
    /// Manual exposure in 100 µs units; nil leaves the camera's automatic exposure on.
    public var exposure: Int32?
    /// Manual gain; nil leaves automatic gain on.
    public var gain: Int32?
    /// Memory-mapped buffers to ask the driver for.
    public var bufferCount = 4
    /// No frame for this long means the camera has stalled: close and reopen.
    public var stallTimeout: Duration = .seconds(5)
    /// How long one `poll` waits; bounds how late a stop or a stall is noticed.
    public var pollInterval: Duration = .milliseconds(200)
    /// First wait before reopening; doubles per failed attempt up to `maximumBackoff`.
    public var initialBackoff: Duration = .milliseconds(500)
    public var maximumBackoff: Duration = .seconds(30)
    /// Frames waiting for the recogniser; when full the oldest is dropped (and counted).
    public var queueDepth = 4

    public init(device: String) {
        self.device = device
    }
}
