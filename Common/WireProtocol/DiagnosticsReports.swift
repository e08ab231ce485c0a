import Domain

// The answers of the technician's commands beyond `status` (docs/diagnostics.md).
// Each is a plain value the gate fills and `bollardctl` prints, in words or as JSON.

/// One thing wrong with the gate, how bad it is, and what to do about it.
public struct DiagnosticsFinding: Codable, Sendable, Hashable {
    /// How bad: ordered so that the worst sorts first.
    public enum Severity: String, Codable, Sendable, Hashable, Comparable {
        /// The gate loses or misjudges passages now.
        case critical
        /// The gate works, but something will go wrong if left alone.
        case warning
        /// Worth knowing; nothing to fix.
        case notice

        var rank: Int {
            switch self {
            case .critical: 0
            case .warning: 1
            case .notice: 2
            }
        }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    /// What is wrong, in plain words.
    public var problem: String
    /// What the technician should do.
    public var action: String

    public init(_ severity: Severity, _ problem: String, action: String) {
        self.severity = severity
        self.problem = problem
        self.action = action
    }
}

/// One read the gate decided, for `bollardctl reads --follow`.
public struct DiagnosticsRead: Codable, Sendable, Hashable {
    /// Position in the gate's list of recent reads; ask for reads after it.
    public var cursor: Int64
    /// The event's sequence; nil when the decision could not be stored.
    public var seq: Int64?
    public var atMilliseconds: Int64
    /// Masked (`12**XYZ`) unless asked for and allowed by the gate's configuration; nil when unreadable.
    public var plate: String?
    public var confidence: Double
    public var kind: DecisionKind
    public var permitID: String?
    public var reason: String?
    public var source: ReadSource

    public init(
        cursor: Int64, seq: Int64?, atMilliseconds: Int64, plate: String?, confidence: Double, kind: DecisionKind, permitID: String?,
        reason: String?, source: ReadSource
    ) {
        self.cursor = cursor
        self.seq = seq
        self.atMilliseconds = atMilliseconds
        self.plate = plate
        self.confidence = confidence
        self.kind = kind
        self.permitID = permitID
        self.reason = reason
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case cursor, seq, plate, confidence, kind, reason, source
        case atMilliseconds = "at_ms"
        case permitID = "permit_id"
    }

    /// A plate with all but its first two and last three characters hidden (`1234XYZ` → `12**XYZ`);
    /// a plate of five or fewer keeps only its first and last.
    public static func mask(_ plate: String) -> String {
        let characters = Array(plate)
        let (head, tail) = characters.count > 5 ? (2, 3) : (1, 1)
        guard characters.count > head + tail else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(head)) + String(repeating: "*", count: characters.count - head - tail) + String(characters.suffix(tail))
    }
}

/// The link to central, for `bollardctl sync`.
public struct DiagnosticsSync: Codable, Sendable, Hashable {
    public var endpoint: String
    public var connected: Bool
    /// Seconds since central last answered anything; nil if never.
    public var secondsSinceCentral: Double?
    /// Seconds since central last acknowledged events; nil if never since start.
    public var secondsSinceAck: Double?
    public var permitSeq: Int64
    /// Central's permit sequence as last heard; nil until heard.
    public var centralHeadSeq: Int64?
    /// Events committed here and not yet acknowledged, and the age of the oldest.
    public var unsentEvents: Int
    public var oldestUnsentSeconds: Double
    /// Gate clock minus central's, milliseconds (positive: the gate is behind); nil until measured.
    public var clockOffsetMilliseconds: Int64?
    public var maxClockSkewMilliseconds: Int64
    public var lastError: String?
    /// Why the gate cannot connect, when it cannot and the reason is known (`bollardctl sync` prints it with the fix).
    public var diagnosis: DiagnosticsFinding?
    /// Every configured central endpoint in failover order (`endpoint` is the one in use), and how many
    /// times the gate moved from one to the next since start; absent from gates without failover.
    public var endpoints: [String]?
    public var failovers: Int?

    public init(
        endpoint: String, connected: Bool, secondsSinceCentral: Double?, secondsSinceAck: Double?, permitSeq: Int64, centralHeadSeq: Int64?,
        unsentEvents: Int, oldestUnsentSeconds: Double, clockOffsetMilliseconds: Int64?, maxClockSkewMilliseconds: Int64, lastError: String?,
        diagnosis: DiagnosticsFinding? = nil
    ) {
        self.endpoint = endpoint
        self.connected = connected
        self.secondsSinceCentral = secondsSinceCentral
        self.secondsSinceAck = secondsSinceAck
        self.permitSeq = permitSeq
        self.centralHeadSeq = centralHeadSeq
        self.unsentEvents = unsentEvents
        self.oldestUnsentSeconds = oldestUnsentSeconds
        self.clockOffsetMilliseconds = clockOffsetMilliseconds
        self.maxClockSkewMilliseconds = maxClockSkewMilliseconds
        self.lastError = lastError
        self.diagnosis = diagnosis
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, connected, diagnosis, endpoints, failovers
        case secondsSinceCentral = "seconds_since_central"
        case secondsSinceAck = "seconds_since_ack"
        case permitSeq = "permit_seq"
        case centralHeadSeq = "central_head_seq"
        case unsentEvents = "unsent_events"
        case oldestUnsentSeconds = "oldest_unsent_s"
        case clockOffsetMilliseconds = "clock_offset_ms"
        case maxClockSkewMilliseconds = "max_clock_skew_ms"
        case lastError = "last_error"
    }
}

/// The event buffer, for `bollardctl buffer`.
public struct DiagnosticsBuffer: Codable, Sendable, Hashable {
    public var depth: Int
    public var capacity: Int
    /// Age of the oldest unsent event, seconds (0 when empty).
    public var oldestSeconds: Double
    /// Unsent events by decision kind.
    public var byKind: [String: Int]
    /// Decisions dropped since the database was made, by kind.
    public var dropped: GateHealth.Dropped
    /// Evidence images waiting for upload.
    public var pendingImages: Int
    /// Bytes of evidence images held, against the quota (`evidence_quota_mib`); absent from older gates.
    public var evidenceBytes: Int64?
    public var evidenceQuotaBytes: Int64?
    /// Evidence images the storage bounds dropped (age or quota) since the database was made.
    public var evidenceImagesDropped: Int64?
    public var path: String

    public init(
        depth: Int, capacity: Int, oldestSeconds: Double, byKind: [String: Int], dropped: GateHealth.Dropped, pendingImages: Int, path: String
    ) {
        self.depth = depth
        self.capacity = capacity
        self.oldestSeconds = oldestSeconds
        self.byKind = byKind
        self.dropped = dropped
        self.pendingImages = pendingImages
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case depth, capacity, dropped, path
        case oldestSeconds = "oldest_s"
        case byKind = "by_kind"
        case pendingImages = "pending_images"
        case evidenceBytes = "evidence_bytes"
        case evidenceQuotaBytes = "evidence_quota_bytes"
        case evidenceImagesDropped = "evidence_images_dropped"
    }
}

/// What the gate would decide for a plate now, and why, for `bollardctl permits lookup`.
public struct DiagnosticsLookup: Codable, Sendable, Hashable {
    public var plate: String
    public var decision: DecisionKind
    /// The permit that decides (authorising, or the closest one that failed).
    public var permitID: String?
    /// Why, in plain words: the rule of `decide` that applied.
    public var rule: String
    /// Every permit held for the plate (and its look-alikes), each with why it counts or not now.
    public var permits: [Candidate]

    public struct Candidate: Codable, Sendable, Hashable {
        public var id: String
        public var plate: String
        public var profile: String
        public var status: String
        /// `valid`, or a `PermitValidity` reason (`expired`, `outside_time_window`, …).
        public var validity: String
        public var zones: [String]
        /// The permit's weekly windows as text, e.g. `mon-fri 07:00-11:00`; empty = any time.
        public var windows: [String]
        public var validFrom: String
        public var validUntil: String?
        /// Whether it matches only through an OCR look-alike (confusion match).
        public var lookalike: Bool

        public init(
            id: String, plate: String, profile: String, status: String, validity: String, zones: [String], windows: [String], validFrom: String,
            validUntil: String?, lookalike: Bool
        ) {
            self.id = id
            self.plate = plate
            self.profile = profile
            self.status = status
            self.validity = validity
            self.zones = zones
            self.windows = windows
            self.validFrom = validFrom
            self.validUntil = validUntil
            self.lookalike = lookalike
        }

        enum CodingKeys: String, CodingKey {
            case id, plate, profile, status, validity, zones, windows, lookalike
            case validFrom = "valid_from"
            case validUntil = "valid_until"
        }
    }

    public init(plate: String, decision: DecisionKind, permitID: String?, rule: String, permits: [Candidate]) {
        self.plate = plate
        self.decision = decision
        self.permitID = permitID
        self.rule = rule
        self.permits = permits
    }

    enum CodingKeys: String, CodingKey {
        case plate, decision, rule, permits
        case permitID = "permit_id"
    }
}

/// One check of `selftest` or `config check`: what was checked, whether it passed, and the fix when not.
public struct DiagnosticsCheck: Codable, Sendable, Hashable {
    public var name: String
    public var ok: Bool
    /// What was found, in plain words.
    public var detail: String
    /// What to do when it failed.
    public var action: String?

    public init(_ name: String, ok: Bool, _ detail: String, action: String? = nil) {
        self.name = name
        self.ok = ok
        self.detail = detail
        self.action = action
    }
}

/// The running configuration, for `bollardctl config check`.
public struct DiagnosticsConfig: Codable, Sendable, Hashable {
    /// Every key with the value in force, in the documented order.
    public var values: [Setting]
    /// Checks of what the values point at (files, devices, folders).
    public var checks: [DiagnosticsCheck]

    public struct Setting: Codable, Sendable, Hashable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(values: [Setting], checks: [DiagnosticsCheck]) {
        self.values = values
        self.checks = checks
    }
}

/// The latest camera frame, for `bollardctl camera snapshot`.
public struct DiagnosticsSnapshot: Codable, Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// Seconds since the frame was captured.
    public var ageSeconds: Double
    /// The frame as grey JPEG, standard base64.
    public var jpegBase64: String

    public init(width: Int, height: Int, ageSeconds: Double, jpegBase64: String) {
        self.width = width
        self.height = height
        self.ageSeconds = ageSeconds
        self.jpegBase64 = jpegBase64
    }

    enum CodingKeys: String, CodingKey {
        case width, height
        case ageSeconds = "age_s"
        case jpegBase64 = "jpeg_base64"
    }
}
