import Domain

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
    /// Authorised passages and exits dropped (buffer full, or memory full
    /// while the disk refused them); kept for peers of revision 2.
    public var droppedAuthorised: Int64
    /// Every decision dropped, by kind (revision 3, optional): a gate never
    /// drops a violation or a review while it can drop a passage instead,
    /// and says so here when it had to.
    public var dropped: Dropped?
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
    /// The camera, when the gate has one (revision 4, optional): streaming,
    /// format, frame rate, last frame age, reopens, frames dropped — the
    /// operator's view of the same object `bollardctl status` shows (§7).
    public var camera: CameraStatus?
    /// Seconds between this gate's heartbeats (optional): central calls a gate
    /// offline only after three of them are missed, whatever the interval.
    public var heartbeatSeconds: Double?

    public init(
        permitSeq: Int64, bufferDepth: Int, bufferCapacity: Int, oldestUnsentSeconds: Double,
        droppedAuthorised: Int64, lastFrameMilliseconds: Int64?, recognitionRate: Double,
        diskFreeBytes: Int64, clockMilliseconds: Int64, uptimeSeconds: Double, software: String,
        dropped: Dropped? = nil, camera: CameraStatus? = nil
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
        self.dropped = dropped
        self.camera = camera
    }

    /// Decisions a gate could not keep, counted by kind since its database was created.
    public struct Dropped: Codable, Sendable, Hashable {
        public var authorised: Int64
        public var exit: Int64
        public var violation: Int64
        public var review: Int64

        public init(authorised: Int64 = 0, exit: Int64 = 0, violation: Int64 = 0, review: Int64 = 0) {
            self.authorised = authorised
            self.exit = exit
            self.violation = violation
            self.review = review
        }

        public var total: Int64 { authorised + exit + violation + review }

        /// The count for one kind of decision.
        public subscript(kind: DecisionKind) -> Int64 {
            get {
                switch kind {
                case .authorised: authorised
                case .exit: exit
                case .violation: violation
                case .review: review
                }
            }
            set {
                switch kind {
                case .authorised: authorised = newValue
                case .exit: exit = newValue
                case .violation: violation = newValue
                case .review: review = newValue
                }
            }
        }

        public static func + (lhs: Dropped, rhs: Dropped) -> Dropped {
            Dropped(
                authorised: lhs.authorised + rhs.authorised, exit: lhs.exit + rhs.exit,
                violation: lhs.violation + rhs.violation, review: lhs.review + rhs.review)
        }
    }

    enum CodingKeys: String, CodingKey {
        case software, dropped
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
        case problems, camera
        case heartbeatSeconds = "heartbeat_s"
    }
}
