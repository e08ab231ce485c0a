/// An event as central names it: `GATE~ORIGIN~SEQ`, e.g. `porticos-01~a1b2~42`.
///
/// `(gate, origin, seq)` is the event's primary key at central; `~` appears in
/// neither a gate id nor an origin and needs no escaping in a URL path, so the
/// text form is the id of the API (`/api/v1/violations/{id}`), of the sanctions
/// export and of an evidence bundle. Events from gates that send no origin have
/// an empty one: `gate~~42`.
public struct CaseID: Hashable, Sendable, Codable, LosslessStringConvertible {
    public var gateID: String
    public var origin: String
    public var seq: Int64

    public init(gateID: String, origin: String, seq: Int64) {
        self.gateID = gateID
        self.origin = origin
        self.seq = seq
    }

    /// Parses `GATE~ORIGIN~SEQ`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].utf8.count <= 64, parts[1].utf8.count <= 64,
            let seq = Int64(parts[2]), seq > 0
        else { return nil }
        self.init(gateID: String(parts[0]), origin: String(parts[1]), seq: seq)
    }

    public var description: String { "\(gateID)~\(origin)~\(seq)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = CaseID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not GATE~ORIGIN~SEQ"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Where a violation or review stands in the queue.
public enum CaseState: String, Codable, Sendable, CaseIterable {
    /// Nobody has acted on it yet.
    case open
    /// A person confirmed it: a violation to fine.
    case confirmed
    /// A person dismissed it (or a corrected plate held a valid permit).
    case dismissed
    /// An operator passed it to a supervisor.
    case escalated
}
