/// What a gate reports about itself in every heartbeat.
///
/// Enough for an operator to tell, at a glance, whether a gate decides with
/// current permits, whether it is uploading, and whether its camera works.
public struct GateHealth: Codable, Sendable, Hashable {
    /// Permit sequence the gate decides with.
    public var permitSeq: Int64
    /// Events committed locally and not yet acknowledged by central.
    public var bufferDepth: Int
    /// Configured bound of the buffer.
    public var bufferCapacity: Int
    /// Age of the oldest unacknowledged event, seconds; 0 when none.
    public var oldestUnsentSeconds: Double
    /// Authorised-passage details dropped because the buffer was full.
    public var droppedAuthorised: Int64
    /// When the last camera frame arrived (Unix ms); nil until capture exists.
    public var lastFrameMilliseconds: Int64?
    /// Plates read per minute over the last minutes; 0 until recognition exists.
    public var recognitionRate: Double
    /// Free bytes on the data volume.
    public var diskFreeBytes: Int64
    /// The gate's clock, Unix ms, so central can spot a drifting clock.
    public var clockMilliseconds: Int64
    public var uptimeSeconds: Double
    /// "bollard-edge/x.y".
    public var software: String
    /// What the gate itself finds wrong, in plain words (optional on the
    /// wire): a message from central it could not take, a clock it does not trust.
    public var problems: [String]?

    public init(
        permitSeq: Int64, bufferDepth: Int, bufferCapacity: Int, oldestUnsentSeconds: Double,
        droppedAuthorised: Int64, lastFrameMilliseconds: Int64?, recognitionRate: Double,
        diskFreeBytes: Int64, clockMilliseconds: Int64, uptimeSeconds: Double, software: String
    ) {
        self.permitSeq = permitSeq
        self.bufferDepth = bufferDepth
        self.bufferCapacity = bufferCapacity
        self.oldestUnsentSeconds = oldestUnsentSeconds
        self.droppedAuthorised = droppedAuthorised
        self.lastFrameMilliseconds = lastFrameMilliseconds
        self.recognitionRate = recognitionRate
        self.diskFreeBytes = diskFreeBytes
        self.clockMilliseconds = clockMilliseconds
        self.uptimeSeconds = uptimeSeconds
        self.software = software
    }

    enum CodingKeys: String, CodingKey {
        case software
        case permitSeq = "permit_seq"
        case bufferDepth = "buffer_depth"
        case bufferCapacity = "buffer_capacity"
        case oldestUnsentSeconds = "oldest_unsent_s"
        case droppedAuthorised = "dropped_authorised"
        case lastFrameMilliseconds = "last_frame_ms"
        case recognitionRate = "recognition_rate"
        case diskFreeBytes = "disk_free_bytes"
        case clockMilliseconds = "clock_ms"
        case uptimeSeconds = "uptime_s"
        case problems
    }
}
