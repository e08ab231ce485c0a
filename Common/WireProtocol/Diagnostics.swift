import Domain

/// The gate's local diagnostics protocol: one JSON object per line over the
/// Unix socket `bollardctl` talks to (docs/protocol.md, "Diagnostics socket").
public enum DiagnosticsRequest: Codable, Sendable, Hashable {
    /// Everything a technician needs to tell what is wrong.
    case status
    /// Feed a plate read as if the camera had seen it.
    case inject(plate: String, confidence: Double)

    enum CodingKeys: String, CodingKey { case cmd, plate, confidence }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .cmd) {
        case "status": self = .status
        case "inject":
            self = .inject(
                plate: try container.decode(String.self, forKey: .plate),
                confidence: try container.decodeIfPresent(Double.self, forKey: .confidence) ?? 1.0)
        case let other: throw WireError(.unknownType, "unknown command '\(LogText.escaped(other, limit: 40))'")
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

    public init(
        gate: Gate, centralEndpoint: String, connected: Bool, secondsSinceCentral: Double?,
        permitCount: Int, health: GateHealth, problems: [String], camera: CameraStatus? = nil
    ) {
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
        case gate, connected, health, problems, camera
        case centralEndpoint = "central_endpoint"
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

    public init(ok: Bool, error: String? = nil, status: EdgeStatus? = nil, decision: DecisionKind? = nil, eventSeq: Int64? = nil) {
        self.ok = ok
        self.error = error
        self.status = status
        self.decision = decision
        self.eventSeq = eventSeq
    }

    public static func failure(_ message: String) -> DiagnosticsReply { DiagnosticsReply(ok: false, error: message) }

    enum CodingKeys: String, CodingKey {
        case ok, error, status, decision
        case eventSeq = "event_seq"
    }
}
