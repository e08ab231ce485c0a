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
        case noSuchEvent(CaseID)
        /// Only violations and reviews are evidence; authorised passages and exits keep nothing.
        case notEvidence(CaseID, kind: String)

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
        for key: CaseID, issuedBy: String, reason: String, centralKey: SigningKey, at issuedAt: Date = Date()
    ) throws -> Data {
        try EvidenceBundle.build(contents: evidenceContents(for: key, issuedBy: issuedBy, reason: reason, at: issuedAt), centralKey: centralKey)
    }

    /// Everything central knows for the bundle of `key`.
    public func evidenceContents(for key: CaseID, issuedBy: String, reason: String, at issuedAt: Date) throws -> EvidenceBundle.Contents {
        try database.read { db in
            guard let record = try Self.eventRecord(key, db) else { throw EvidenceError.noSuchEvent(key) }
            guard [DecisionKind.violation.rawValue, DecisionKind.review.rawValue].contains(record.row.kind) else {
                throw EvidenceError.notEvidence(key, kind: record.row.kind)
            }
            guard let stored = try Self.storedEvidence(db, gateID: key.gateID, origin: key.origin, seq: key.seq) else {
                throw EvidenceError.noSuchEvent(key)
            }
            let event = stored.event
            let permits = try Self.permits(plate: event.plate, at: event.atMilliseconds, db)
            let reviews = try StoreRow.fetchAll(
                db, sql: "SELECT action, reason, outcome, actor, at_ms FROM case_actions WHERE gate_id = ? AND origin = ? AND seq = ? ORDER BY id",
                arguments: [key.gateID, key.origin, key.seq]
            ).map { row in
                EvidenceBundle.Contents.Review(
                    at: Date(timeIntervalSince1970: Double(row["at_ms"] as Int64) / 1000), by: row["actor"], action: row["action"],
                    reason: [row["reason"] as String?, row["outcome"] as String?].compactMap { $0 }.filter { !$0.isEmpty }
                        .joined(separator: "; "))
            }
            var contents = EvidenceBundle.Contents(
                violationID: key.description, gateID: key.gateID, origin: key.origin, event: event,
                gatePublicKey: stored.signingPublicKey ?? "", sealStatus: stored.seal?.rawValue ?? "not recorded", images: stored.images,
                neighbours: stored.before + stored.after, permitSeq: permits.seq, permits: permits.states, reviews: reviews,
                issuedBy: issuedBy, issuedAt: issuedAt, reason: reason)
            contents.recordedHashes = stored.hashes
            return contents
        }
    }

    /// The event as the gate sent it (`images`, `prev` and `sig` included), so that `EventSeal`
    /// rebuilds the payload the gate signed.
    static func sealedEvent(_ record: EventRecord, _ db: any StoreConnection) throws -> Event {
        try eventAsSent(db, gateID: record.gateID, origin: record.origin, seq: record.row.seq ?? 0) ?? record.row.event
    }

    static func eventRecord(_ key: CaseID, _ db: any StoreConnection) throws -> EventRecord? {
        try EventRecord.fetchOne(db, gateID: key.gateID, origin: key.origin, seq: key.seq)
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

    static func permits(plate: String?, at atMilliseconds: Int64, _ db: any StoreConnection) throws -> (seq: Int64?, states: [EvidenceManifest.PermitState]) {
        let seq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM permit_changes WHERE created_ms <= ?", arguments: [atMilliseconds])
        guard let plate else { return (seq, []) }
        let decoder = JSONDecoder()
        var states: [String: EvidenceManifest.PermitState] = [:]
        let rows = try StoreRow.fetchAll(
            db,
            sql: """
                SELECT c.seq, c.json, c.created_ms FROM permit_changes c
                JOIN (SELECT permit_id, max(seq) AS seq FROM permit_changes WHERE created_ms <= ? GROUP BY permit_id) latest
                    ON latest.seq = c.seq
                WHERE \(db.jsonField("c.json", "plate")) = ?
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
