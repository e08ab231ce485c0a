/// Central's name for one event: `GATE~ORIGIN~SEQ`, e.g. `porticos-01~a1b2~42`.
///
/// `(gate, origin, seq)` is the event's primary key at central; `~` appears in
/// neither a gate id nor an origin and needs no escaping in a URL path, so the
/// text form is the id of the API (`/api/v1/violations/{id}`), of the sanctions
/// export and of an evidence bundle. Events from gates that send no origin have
/// an empty one: `gate~~42`.
public struct ViolationKey: Sendable, Hashable, Codable, LosslessStringConvertible {
    public var gateID: String
    public var origin: String
    public var seq: Int64

    public init(gateID: String, origin: String, seq: Int64) {
        self.gateID = gateID
        self.origin = origin
        self.seq = seq
    }

    /// Reads `GATE~ORIGIN~SEQ`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let seq = Int64(parts[2]), seq > 0 else { return nil }
        self.init(gateID: String(parts[0]), origin: String(parts[1]), seq: seq)
    }

    public var description: String { "\(gateID)~\(origin)~\(seq)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let key = ViolationKey(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not GATE~ORIGIN~SEQ: \(text)"))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
