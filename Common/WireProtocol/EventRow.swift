import Domain

/// The columns an event is stored in, the same at the gate (its buffer) and
/// at central (its events and conflicts): defined once, here, so the two
/// stores cannot drift apart. Each side's record adds its own columns and
/// decodes and encodes these through the same coder (GRDB `Codable` records).
///
/// `candidates` is stored comma-joined, as both stores always have.
public struct EventRow: Codable, Sendable, Hashable {
    /// Nil until SQLite assigns it (the gate's AUTOINCREMENT key).
    public var seq: Int64?
    public var atMilliseconds: Int64
    public var kind: String
    public var plate: String?
    public var confidence: Double
    public var permitID: String?
    public var reason: String?
    public var candidates: String?
    /// Revision 5: where the read came from; NULL for events of older gates.
    public var source: String?
    /// Revision 5: per-character confidences, comma-joined with three decimals; NULL when not read per character.
    public var chars: String?

    public init(_ event: Event, assigningSeq: Bool = false) {
        seq = assigningSeq ? nil : event.seq
        atMilliseconds = event.atMilliseconds
        kind = event.kind.rawValue
        plate = event.plate
        confidence = event.confidence
        permitID = event.permitID
        reason = event.reason
        candidates = event.candidates?.joined(separator: ",")
        source = event.source
        chars = event.characterConfidences.map { $0.map { String(format: "%.3f", $0) }.joined(separator: ",") }
    }

    /// The event as it travels; an unknown stored kind reads as a review, to be looked at.
    public var event: Event {
        Event(
            seq: seq ?? 0, atMilliseconds: atMilliseconds, kind: DecisionKind(rawValue: kind) ?? .review, plate: plate,
            confidence: confidence, permitID: permitID, reason: reason,
            candidates: candidates.map { $0.split(separator: ",").map(String.init) }, source: source,
            characterConfidences: chars.map { $0.split(separator: ",").compactMap { Double($0) } })
    }

    /// Whether `other` records the same passage. A plate the store forgot
    /// (retention of authorised passages and exits) matches any plate.
    public func sameContent(as other: EventRow) -> Bool {
        let plateForgotten = plate == nil && (kind == DecisionKind.authorised.rawValue || kind == DecisionKind.exit.rawValue)
        return atMilliseconds == other.atMilliseconds && kind == other.kind && (plate == other.plate || plateForgotten)
            && confidence == other.confidence && permitID == other.permitID && reason == other.reason && candidates == other.candidates
            && source == other.source
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case seq, kind, plate, confidence, reason, candidates, source, chars
        case atMilliseconds = "at_ms"
        case permitID = "permit_id"
    }
}
