import Domain

/// Messages central sends to a gate (docs/protocol.md, "Central to gate").
public enum CentralMessage: Sendable, Hashable {
    case welcome(Welcome)
    /// Consecutive permit changes (each permit as it is after its change,
    /// carrying its `seq`), pushed as they happen or answering `sync`.
    case changes(Changes)
    /// The gate is too far behind for changes: it must fetch a snapshot.
    case snapshotRequired(headSeq: Int64)
    case snapshotPage(SnapshotPage)
    /// Sequences of events central has committed (including ones it already had).
    case ack(seqs: [Int64])
    /// Central's newest permit sequence, its clock, and (optional on the
    /// wire) the sequence of its holiday calendar.
    case heartbeatAck(headSeq: Int64, serverTimeMilliseconds: Int64, holidaysSeq: Int64? = nil)
    case error(WireError, inReplyTo: String?)
    /// Revision 4: how much of an evidence image central holds.
    case evidenceAck(EvidenceAck)

    public struct Welcome: Codable, Sendable, Hashable {
        public var version: Int
        /// The gate as central registered it: id, zone, direction.
        public var gate: Gate
        public var headSeq: Int64
        /// Public holidays (YYYY-MM-DD) that time windows observe.
        public var holidays: [String]
        public var serverTimeMilliseconds: Int64
        /// The calendar's own change sequence (optional on the wire): a gate
        /// whose held one differs says hello again to fetch the calendar.
        public var holidaysSeq: Int64?
        /// The highest event seq central holds for the `(gate, origin)` the
        /// hello named (revision 3): a gate restored from an old backup moves
        /// its own sequence past it so its new events do not collide.
        public var lastEventSeq: Int64?

        public init(
            version: Int, gate: Gate, headSeq: Int64, holidays: [String], serverTimeMilliseconds: Int64, holidaysSeq: Int64? = nil,
            lastEventSeq: Int64? = nil
        ) {
            self.version = version
            self.gate = gate
            self.headSeq = headSeq
            self.holidays = holidays
            self.serverTimeMilliseconds = serverTimeMilliseconds
            self.holidaysSeq = holidaysSeq
            self.lastEventSeq = lastEventSeq
        }

        enum CodingKeys: String, CodingKey {
            case version, gate, holidays
            case headSeq = "head_seq"
            case lastEventSeq = "last_event_seq"
            case serverTimeMilliseconds = "server_time_ms"
            case holidaysSeq = "holidays_seq"
        }
    }

    public struct Changes: Codable, Sendable, Hashable {
        /// Strictly increasing, consecutive `seq`s.
        public var permits: [Permit]
        /// Central's newest sequence when it sent this.
        public var headSeq: Int64

        public init(permits: [Permit], headSeq: Int64) {
            self.permits = permits
            self.headSeq = headSeq
        }

        enum CodingKeys: String, CodingKey {
            case permits
            case headSeq = "head_seq"
        }
    }

    public struct SnapshotPage: Codable, Sendable, Hashable {
        /// Central's sequence when it read this page; the gate holds the
        /// first page's `baseSeq` once the last page is in, then syncs from it.
        public var baseSeq: Int64
        /// Permits ordered by id, after the requested id.
        public var permits: [Permit]
        /// The id to ask the next page after; nil on the last page.
        public var nextAfter: String?

        public init(baseSeq: Int64, permits: [Permit], nextAfter: String?) {
            self.baseSeq = baseSeq
            self.permits = permits
            self.nextAfter = nextAfter
        }

        enum CodingKeys: String, CodingKey {
            case permits
            case baseSeq = "base_seq"
            case nextAfter = "next_after"
        }
    }

    public var type: String {
        switch self {
        case .welcome: "welcome"
        case .changes: "changes"
        case .snapshotRequired: "snapshot_required"
        case .snapshotPage: "snapshot_page"
        case .ack: "ack"
        case .heartbeatAck: "heartbeat_ack"
        case .error: "error"
        case .evidenceAck: "evidence_ack"
        }
    }
}

extension CentralMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case v, type, seqs, code, message, versions
        case headSeq = "head_seq"
        case serverTimeMilliseconds = "server_time_ms"
        case inReplyTo = "in_reply_to"
        case holidaysSeq = "holidays_seq"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "welcome": self = .welcome(try Welcome(from: decoder))
        case "changes": self = .changes(try Changes(from: decoder))
        case "snapshot_required": self = .snapshotRequired(headSeq: try container.decode(Int64.self, forKey: .headSeq))
        case "snapshot_page": self = .snapshotPage(try SnapshotPage(from: decoder))
        case "ack": self = .ack(seqs: try container.decode([Int64].self, forKey: .seqs))
        case "heartbeat_ack":
            self = .heartbeatAck(
                headSeq: try container.decode(Int64.self, forKey: .headSeq),
                serverTimeMilliseconds: try container.decode(Int64.self, forKey: .serverTimeMilliseconds),
                holidaysSeq: try container.decodeIfPresent(Int64.self, forKey: .holidaysSeq))
        case "error":
            let code = try container.decode(String.self, forKey: .code)
            let message = try container.decode(String.self, forKey: .message)
            self = .error(
                WireError(WireError.Code(rawValue: code) ?? .invalid, message),
                inReplyTo: try container.decodeIfPresent(String.self, forKey: .inReplyTo))
        case "evidence_ack": self = .evidenceAck(try EvidenceAck(from: decoder))
        default: throw WireError(.unknownType, "unknown message type '\(LogText.escaped(type, limit: 40))'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ProtocolVersion.current, forKey: .v)
        try container.encode(type, forKey: .type)
        switch self {
        case .welcome(let welcome): try welcome.encode(to: encoder)
        case .changes(let changes): try changes.encode(to: encoder)
        case .snapshotRequired(let head): try container.encode(head, forKey: .headSeq)
        case .snapshotPage(let page): try page.encode(to: encoder)
        case .ack(let seqs): try container.encode(seqs, forKey: .seqs)
        case .heartbeatAck(let head, let time, let holidays):
            try container.encode(head, forKey: .headSeq)
            try container.encode(time, forKey: .serverTimeMilliseconds)
            try container.encodeIfPresent(holidays, forKey: .holidaysSeq)
        case .error(let error, let inReplyTo):
            try container.encode(error.code.rawValue, forKey: .code)
            try container.encode(error.message, forKey: .message)
            try container.encode(inReplyTo, forKey: .inReplyTo)
            // Machine-readable, so a peer can pick a version it shares.
            if error.code == .unsupportedVersion { try container.encode(ProtocolVersion.supported, forKey: .versions) }
        case .evidenceAck(let ack): try ack.encode(to: encoder)
        }
    }
}
