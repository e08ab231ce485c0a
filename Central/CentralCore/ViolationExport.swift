import Domain
import Evidence
import Foundation
import GRDB
import WireProtocol

/// The daily batch for the municipal sanctions office: the confirmed
/// violations of one Madrid-local day, one line each, as CSV or JSON.
///
/// Each line carries the violation's evidence hash: the SHA-256 of the event
/// payload the gate signed (`EventSeal.hash`, the manifest's `seal.event_hash`,
/// printed by `bollardctl evidence verify`). The signed payload holds the
/// images' SHA-256, so the hash pins the images too, and it is the same in
/// every bundle of that violation whenever it is issued, whereas the ZIP's
/// own hash changes with who asked for it and when.
public struct ViolationExport: Sendable, Equatable, Codable {
    public var day: String
    /// When the batch was made, ISO 8601 in Madrid time.
    public var generatedAt: String
    /// How `evidence_sha256` is computed, stated in the batch itself.
    public var evidenceHash: String
    public var violations: [Line]

    public static let evidenceHashDefinition =
        "SHA-256 of the event payload the gate signed (manifest seal.event_hash); it covers the images' SHA-256"

    enum CodingKeys: String, CodingKey {
        case day, violations
        case generatedAt = "generated_at"
        case evidenceHash = "evidence_hash"
    }

    /// One confirmed violation.
    public struct Line: Sendable, Equatable, Codable {
        /// `CaseID` text: `GATE~ORIGIN~SEQ`.
        public var id: String
        /// When the vehicle passed, ISO 8601 with the Madrid offset.
        public var time: String
        public var gate: String
        public var plate: String
        /// The gate's decision (`violation`, or `review` for a read an operator confirmed).
        public var decision: String
        public var permitID: String
        /// Why it was not authorised (a `PermitValidity`, e.g. `no_permit`, `expired`).
        public var reason: String
        /// The operator's decision, or `none` when the gate's decision stands without review.
        public var reviewDecision: String
        public var reviewer: String
        public var evidenceSHA256: String

        enum CodingKeys: String, CodingKey {
            case id, time, gate, plate, decision, reason, reviewer
            case permitID = "permit_id"
            case reviewDecision = "review_decision"
            case evidenceSHA256 = "evidence_sha256"
        }

        static let csvHeader = "id,time,gate,plate,decision,permit_id,reason,review_decision,reviewer,evidence_sha256"

        var csv: String {
            [id, time, gate, plate, decision, permitID, reason, reviewDecision, reviewer, evidenceSHA256].map(Self.field).joined(separator: ",")
        }

        /// RFC 4180 quoting where needed, and a leading quote against spreadsheet formulas.
        static func field(_ text: String) -> String {
            var text = text
            if let first = text.first, "=+-@".contains(first) { text = "'" + text }
            guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    /// The confirmed violations that happened on `day` in Madrid, in time order.
    public static func make(store: CentralStore, day: LocalDate, now: Date = Date()) throws -> ViolationExport {
        let (start, end) = bounds(of: day)
        let lines = try store.confirmedViolations(from: start, to: end)
        return ViolationExport(
            day: day.description, generatedAt: EvidenceTime.iso8601(now), evidenceHash: evidenceHashDefinition, violations: lines)
    }

    /// `[start, end)` of a Madrid-local day in Unix milliseconds (23 or 25 hours on changeover days).
    static func bounds(of day: LocalDate) -> (Int64, Int64) {
        // Midnight exists every day in Madrid: the clocks change at 02:00 and 03:00.
        let start = MadridTime.instant(day, hour: 0, minute: 0)!
        let next = MadridTime.local(start.addingTimeInterval(36 * 3600)).date
        let end = MadridTime.instant(next, hour: 0, minute: 0)!
        return (EvidenceTime.milliseconds(start), EvidenceTime.milliseconds(end))
    }

    /// The batch as CSV: a header line, then one line per violation (CRLF-free, UTF-8).
    public var csv: String {
        ([Line.csvHeader] + violations.map(\.csv)).joined(separator: "\n") + "\n"
    }

    /// The batch as JSON (sorted keys, indented).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}

extension CentralStore {
    /// Violations between two instants that are confirmed, with their export lines.
    ///
    /// The one place that says what "confirmed" means: a person confirmed the case in the review
    /// queue (a violation the gate decided, a review, or an overstay the stay rule raised); the
    /// line carries the plate as confirmed (an operator may have corrected it), the outcome and who.
    /// Only reads from a camera or a video qualify: an injected, generated, replayed or unknown-source
    /// read never leaves as a fine, even if a confirmation reached the database some other way.
    public func confirmedViolations(from start: Int64, to end: Int64) throws -> [ViolationExport.Line] {
        try database.read { db in
            let rows = try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT e.gate_id, e.origin, e.seq FROM events e
                    JOIN case_states c ON c.gate_id = e.gate_id AND c.origin = e.origin AND c.seq = e.seq
                    WHERE c.state = ? AND e.at_ms >= ? AND e.at_ms < ? AND \(Self.fineableSourceCondition)
                    ORDER BY e.at_ms, e.gate_id, e.origin, e.seq
                    """,
                arguments: [CaseState.confirmed.rawValue, start, end])
            return try rows.compactMap { row -> ViolationExport.Line? in
                let gateID: String = row["gate_id"], origin: String = row["origin"], seq: Int64 = row["seq"]
                guard let event = try Self.eventAsSent(db, gateID: gateID, origin: origin, seq: seq) else { return nil }
                let action = try StoreRow.fetchOne(
                    db,
                    sql: "SELECT plate, outcome, actor FROM case_actions WHERE gate_id = ? AND origin = ? AND seq = ? AND action = 'confirm' ORDER BY id DESC LIMIT 1",
                    arguments: [gateID, origin, seq])
                return ViolationExport.Line(
                    id: CaseID(gateID: gateID, origin: origin, seq: seq).description,
                    time: EvidenceTime.iso8601(milliseconds: event.atMilliseconds), gate: gateID,
                    plate: (action?["plate"] as String?) ?? event.plate ?? "", decision: event.kind.rawValue, permitID: event.permitID ?? "",
                    reason: event.reason ?? "", reviewDecision: (action?["outcome"] as String?) ?? "confirmed",
                    reviewer: (action?["actor"] as String?) ?? "",
                    evidenceSHA256: EventSeal.hash(of: event, origin: origin))
            }
        }
    }
}
