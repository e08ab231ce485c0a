import Domain

/// Messages a gate sends to central (docs/protocol.md, "Gate to central").
public enum GateMessage: Sendable, Hashable {
    /// First message on every connection, and again whenever the gate has
    /// heard nothing for a while: central answers `welcome`.
    case hello(Hello)
    /// Ask for the permit changes after `fromSeq`.
    case sync(fromSeq: Int64)
    /// Ask for one page of the full permit set, after permit id `afterID`.
    case snapshot(afterID: String?)
    /// Upload committed events; central answers `ack`. `origin` names the
    /// gate database that numbered them (revision 3; nil is origin "").
    case events([Event], origin: String? = nil)
    case heartbeat(GateHealth)
    /// Revision 4: a chunk of an evidence image of an acknowledged event;
    /// central answers `evidence_ack`.
    case evidence(EvidenceChunk)

    public struct Hello: Codable, Sendable, Hashable {
        public var versions: [Int]
        public var software: String
        /// The permit sequence the gate holds.
        public var permitSeq: Int64
        /// What the gate believes its id is; informational only: central
        /// takes the gate's identity from its CURVE key.
        public var gateID: String?
        /// The identity of the gate's database (revision 3): central answers
        /// with the highest event seq it holds for this origin.
        public var origin: String?
        /// The raw 32-byte Ed25519 public key the gate signs events with, base64
        /// (revision 4): central pins it at the first hello unless one is registered.
        public var signingKey: String?

        public init(
            versions: [Int] = ProtocolVersion.supported, software: String, permitSeq: Int64, gateID: String?, origin: String? = nil,
            signingKey: String? = nil
        ) {
            self.versions = versions
            self.software = software
            self.permitSeq = permitSeq
            self.gateID = gateID
            self.origin = origin
            self.signingKey = signingKey
        }

        enum CodingKeys: String, CodingKey {
            case versions, software, origin
            case permitSeq = "permit_seq"
            case gateID = "gate_id"
            case signingKey = "signing_key"
        }
    }

    /// The `type` field on the wire.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .sync: "sync"
        case .snapshot: "snapshot"
        case .events: "events"
        case .heartbeat: "heartbeat"
        case .evidence: "evidence"
        }
    }
}

extension GateMessage: Codable {
    enum CodingKeys: String, CodingKey {
        case v, type, hello, events, health, origin
        case fromSeq = "from_seq"
        case afterID = "after_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "hello": self = .hello(try Hello(from: decoder))
        case "sync": self = .sync(fromSeq: try container.decode(Int64.self, forKey: .fromSeq))
        case "snapshot": self = .snapshot(afterID: try container.decodeIfPresent(String.self, forKey: .afterID))
        case "events":
            self = .events(
                try container.decode([Event].self, forKey: .events), origin: try container.decodeIfPresent(String.self, forKey: .origin))
        case "heartbeat": self = .heartbeat(try container.decode(GateHealth.self, forKey: .health))
        case "evidence": self = .evidence(try EvidenceChunk(from: decoder))
        default: throw WireError(.unknownType, "unknown message type '\(LogText.escaped(type, limit: 40))'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ProtocolVersion.current, forKey: .v)
        try container.encode(type, forKey: .type)
        switch self {
        case .hello(let hello): try hello.encode(to: encoder)
        case .sync(let from): try container.encode(from, forKey: .fromSeq)
        case .snapshot(let after): try container.encode(after, forKey: .afterID)
        case .events(let events, let origin):
            try container.encode(events, forKey: .events)
            try container.encodeIfPresent(origin, forKey: .origin)
        case .heartbeat(let health): try container.encode(health, forKey: .health)
        case .evidence(let chunk): try chunk.encode(to: encoder)
        }
    }
}
