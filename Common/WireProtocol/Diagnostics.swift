import Domain

/// The gate's local diagnostics protocol: one JSON object per line over the
/// Unix socket `bollardctl` talks to (docs/diagnostics.md).
public enum DiagnosticsRequest: Codable, Sendable, Hashable {
    /// Everything a technician needs to tell what is wrong.
    case status
    /// Feed a plate read as if the camera had seen it (only while `allow_injection` is on).
    case inject(plate: String, confidence: Double)
    /// The camera's state.
    case camera
    /// The latest camera frame as JPEG.
    case snapshot
    /// Reads decided after `cursor` (0: the recent ones the gate still holds); whole plates only if allowed.
    case reads(after: Int64, showPlates: Bool)
    /// The link to central.
    case sync
    /// The event buffer.
    case buffer
    /// What the gate would decide for a plate now, and why.
    case permitLookup(plate: String)
    /// The running configuration, checked.
    case configCheck
    /// Camera, disk, clock, keys and central, each checked.
    case selftest
    /// Sets the log level until the gate restarts.
    case logLevel(String)

    enum CodingKeys: String, CodingKey { case cmd, plate, confidence, after, level
        case showPlates = "show_plates"
    }

    /// The command names, as `cmd` spells them.
    public static let commands = ["status", "inject", "camera", "snapshot", "reads", "sync", "buffer", "permit_lookup", "config_check", "selftest", "log_level"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .cmd) {
        case "status": self = .status
        case "inject":
            self = .inject(
                plate: try container.decode(String.self, forKey: .plate),
                confidence: try container.decodeIfPresent(Double.self, forKey: .confidence) ?? 1.0)
        case "camera": self = .camera
        case "snapshot": self = .snapshot
        case "reads":
            self = .reads(
                after: try container.decodeIfPresent(Int64.self, forKey: .after) ?? 0,
                showPlates: try container.decodeIfPresent(Bool.self, forKey: .showPlates) ?? false)
        case "sync": self = .sync
        case "buffer": self = .buffer
        case "permit_lookup": self = .permitLookup(plate: try container.decode(String.self, forKey: .plate))
        case "config_check": self = .configCheck
        case "selftest": self = .selftest
        case "log_level": self = .logLevel(try container.decode(String.self, forKey: .level))
        case let other:
            throw WireError(.unknownType, "unknown command '\(LogText.escaped(other, limit: 40))'; known: \(Self.commands.joined(separator: ", "))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .status: try container.encode("status", forKey: .cmd)
        case .inject(let plate, let confidence):
            try container.encode("inject", forKey: .cmd)
            try container.encode(plate, forKey: .plate)
            try container.encode(confidence, forKey: .confidence)
        case .camera: try container.encode("camera", forKey: .cmd)
        case .snapshot: try container.encode("snapshot", forKey: .cmd)
        case .reads(let after, let showPlates):
            try container.encode("reads", forKey: .cmd)
            try container.encode(after, forKey: .after)
            if showPlates { try container.encode(true, forKey: .showPlates) }
        case .sync: try container.encode("sync", forKey: .cmd)
        case .buffer: try container.encode("buffer", forKey: .cmd)
        case .permitLookup(let plate):
            try container.encode("permit_lookup", forKey: .cmd)
            try container.encode(plate, forKey: .plate)
        case .configCheck: try container.encode("config_check", forKey: .cmd)
        case .selftest: try container.encode("selftest", forKey: .cmd)
        case .logLevel(let level):
            try container.encode("log_level", forKey: .cmd)
            try container.encode(level, forKey: .level)
        }
    }
}

/// A gate's own view of itself, for the technician.
public struct EdgeStatus: Codable, Sendable, Hashable {
    public var gate: Gate
    public var centralEndpoint: String
    /// Whether central answered recently.
    public var connected: Bool
    /// Seconds since central last answered; nil if never.
    public var secondsSinceCentral: Double?
    public var permitCount: Int
    public var health: GateHealth
    /// Plain-language findings, most serious first; empty when all is well.
    public var problems: [String]
    /// The camera's state; nil when the gate has no camera configured.
    public var camera: CameraStatus?
    /// The same problems, worst first, each with how bad it is and what to do (absent from older gates).
    public var findings: [DiagnosticsFinding]?
    /// Every configured central endpoint in failover order (`centralEndpoint` is the one in use),
    /// and the moves from one to the next since start (absent from older gates).
    public var centralEndpoints: [String]?
    public var failovers: Int?

    public init(
        gate: Gate, centralEndpoint: String, connected: Bool, secondsSinceCentral: Double?,
        permitCount: Int, health: GateHealth, problems: [String], camera: CameraStatus? = nil, findings: [DiagnosticsFinding]? = nil
    ) {
        self.findings = findings
        self.gate = gate
        self.centralEndpoint = centralEndpoint
        self.connected = connected
        self.secondsSinceCentral = secondsSinceCentral
        self.permitCount = permitCount
        self.health = health
        self.problems = problems
        self.camera = camera
    }

    enum CodingKeys: String, CodingKey {
        case gate, connected, health, problems, camera, findings, failovers
        case centralEndpoint = "central_endpoint"
        case centralEndpoints = "central_endpoints"
        case secondsSinceCentral = "seconds_since_central"
        case permitCount = "permit_count"
    }
}

/// The answer to one `DiagnosticsRequest`.
public struct DiagnosticsReply: Codable, Sendable, Hashable {
    public var ok: Bool
    public var error: String?
    public var status: EdgeStatus?
    /// For `inject`: the decision kind and the event sequence it was stored under.
    public var decision: DecisionKind?
    public var eventSeq: Int64?
    /// `camera`: the camera's state (nil: no camera configured).
    public var camera: CameraStatus?
    /// `snapshot`: the latest frame.
    public var snapshot: DiagnosticsSnapshot?
    /// `reads`: the reads after the cursor asked for, oldest first, and the cursor to ask from next.
    public var reads: [DiagnosticsRead]?
    public var next: Int64?
    /// `reads`: plates are masked (whole plates were not asked for, or the gate does not allow them).
    public var platesMasked: Bool?
    /// `sync`, `buffer`, `permit_lookup`, `config_check`: their reports.
    public var sync: DiagnosticsSync?
    public var buffer: DiagnosticsBuffer?
    public var lookup: DiagnosticsLookup?
    public var config: DiagnosticsConfig?
    /// `selftest`: each check.
    public var checks: [DiagnosticsCheck]?
    /// `log_level`: the level now in force.
    public var logLevel: String?

    public init(ok: Bool, error: String? = nil, status: EdgeStatus? = nil, decision: DecisionKind? = nil, eventSeq: Int64? = nil) {
        self.ok = ok
        self.error = error
        self.status = status
        self.decision = decision
        self.eventSeq = eventSeq
    }

    public static func failure(_ message: String) -> DiagnosticsReply { DiagnosticsReply(ok: false, error: message) }

    enum CodingKeys: String, CodingKey {
        case ok, error, status, decision, camera, snapshot, reads, next, sync, buffer, lookup, config, checks
        case eventSeq = "event_seq"
        case platesMasked = "plates_masked"
        case logLevel = "log_level"
    }
}
