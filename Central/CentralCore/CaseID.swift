/// A violation or review as the control centre names it: `GATE~ORIGIN~SEQ`,
/// the event's key in one URL-safe string (gate ids and origins hold no `~`).
public struct CaseID: Hashable, Sendable, Codable, CustomStringConvertible {
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
