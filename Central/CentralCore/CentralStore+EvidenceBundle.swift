import Domain
import Evidence
import Foundation
import GRDB
import WireProtocol

// What central puts into an evidence bundle (docs/evidence.md), read from its
// store as plain values; `EvidenceBundle.build` turns them into the ZIP.

extension CentralStore {
    /// Why a bundle was not built.
    public enum EvidenceError: Error, Sendable, Hashable, CustomStringConvertible {
        case noSuchEvent(ViolationKey)
        /// Only violations and reviews are evidence; authorised passages and exits keep nothing.
        case notEvidence(ViolationKey, kind: String)

        public var description: String {
            switch self {
            case .noSuchEvent(let key): "no event \(key)"
            case .notEvidence(let key, let kind): "event \(key) is \(kind == "exit" ? "an" : "a") \(kind), not a violation or review"
            }
        }
    }

    /// The evidence bundle of an event, countersigned with `centralKey`: what
    /// `GET /api/v1/violations/{id}/evidence?reason=TEXT` answers.
    public func evidenceBundle(
        for key: ViolationKey, issuedBy: String, reason: String, centralKey: SigningKey, at issuedAt: Date = Date()
    ) throws -> Data {
        try EvidenceBundle.build(contents: evidenceContents(for: key, issuedBy: issuedBy, reason: reason, at: issuedAt), centralKey: centralKey)
    }

    /// Everything central knows for the bundle of `key`.
    public func evidenceContents(for key: ViolationKey, issuedBy: String, reason: String, at issuedAt: Date) throws -> EvidenceBundle.Contents {
        try database.read { db in
            guard let record = try Self.eventRecord(key, db) else { throw EvidenceError.noSuchEvent(key) }
            guard [DecisionKind.violation.rawValue, DecisionKind.review.rawValue].contains(record.row.kind) else {
                throw EvidenceError.notEvidence(key, kind: record.row.kind)
            }
            // MERGE (branch evidence): take event (with images, prev, sig), gate signing key, seal status,
            // image bytes and neighbours from `StoredEvidence`; the events table here holds none of them.
            let event = Self.sealedEvent(record)
            let neighbours = try EventRecord
                .filter(Column("gate_id") == key.gateID && Column("origin") == key.origin)
                .filter(Column("seq") >= key.seq - Int64(EvidenceBundle.chainReach) && Column("seq") <= key.seq + Int64(EvidenceBundle.chainReach))
                .filter(Column("seq") != key.seq)
                .order(Column("seq"))
                .fetchAll(db).map(Self.sealedEvent)
            let permits = try Self.permits(plate: event.plate, at: event.atMilliseconds, db)
            return EvidenceBundle.Contents(
                violationID: key.description, gateID: key.gateID, origin: key.origin, event: event,
                gatePublicKey: "", sealStatus: "not recorded", images: [:], neighbours: neighbours,
                permitSeq: permits.seq, permits: permits.states,
                // MERGE (branch control): the review queue's decisions on this event (who, when, action, reason).
                reviews: [],
                issuedBy: issuedBy, issuedAt: issuedAt, reason: reason)
        }
    }

    /// The event as the gate sent it, so that `EventSeal` rebuilds the payload the gate signed.
    /// MERGE (branch evidence): with `images`, `previousHash` and `signature` as stored.
    static func sealedEvent(_ record: EventRecord) -> Event {
        var event = record.row.event
        event.seq = record.row.seq ?? 0
        return event
    }

    static func eventRecord(_ key: ViolationKey, _ db: Database) throws -> EventRecord? {
        try EventRecord.fetchOne(db, key: ["gate_id": key.gateID, "origin": key.origin, "seq": key.seq])
    }

    /// The permits on `plate` as central knew them at `atMilliseconds` (the latest change to each
    /// made by then, if it was on that plate), and central's permit sequence then.
    ///
    /// A permit whose changes before the passage were compacted out of the log, and that has not
    /// changed since, is given as it stands now with no change time: it stood so then too, if it existed.
    /// Reading the change log this way scans it; a bundle is asked for rarely, by hand.
    public func permits(plate: String?, at atMilliseconds: Int64) throws -> (seq: Int64?, states: [EvidenceManifest.PermitState]) {
        try database.read { db in try Self.permits(plate: plate, at: atMilliseconds, db) }
    }

    static func permits(plate: String?, at atMilliseconds: Int64, _ db: Database) throws -> (seq: Int64?, states: [EvidenceManifest.PermitState]) {
        let seq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM permit_changes WHERE created_ms <= ?", arguments: [atMilliseconds])
        guard let plate else { return (seq, []) }
        let decoder = JSONDecoder()
        var states: [String: EvidenceManifest.PermitState] = [:]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT c.seq, c.json, c.created_ms FROM permit_changes c
                JOIN (SELECT permit_id, max(seq) AS seq FROM permit_changes WHERE created_ms <= ? GROUP BY permit_id) latest
                    ON latest.seq = c.seq
                WHERE json_extract(c.json, '$.plate') = ?
                """,
            arguments: [atMilliseconds, plate])
        for row in rows {
            guard let permit = try? decoder.decode(Permit.self, from: Data((row["json"] as String).utf8)) else { continue }
            states[permit.id] = EvidenceManifest.PermitState(seq: row["seq"], changedAtMilliseconds: row["created_ms"], permit: permit)
        }
        let oldestLogged = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM permit_changes") ?? .max
        for json in try String.fetchAll(db, sql: "SELECT json FROM permits WHERE plate = ? AND seq < ?", arguments: [plate, oldestLogged]) {
            guard let permit = try? decoder.decode(Permit.self, from: Data(json.utf8)), states[permit.id] == nil else { continue }
            states[permit.id] = EvidenceManifest.PermitState(seq: permit.seq, changedAtMilliseconds: nil, permit: permit)
        }
        return (seq, states.values.sorted { $0.permit.id < $1.permit.id })
    }
}
