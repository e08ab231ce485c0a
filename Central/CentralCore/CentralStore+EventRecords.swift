import Foundation
import WireProtocol

// Central's event rows. The event's own columns are `EventRow`, the definition
// the gate's buffer stores too.

extension CentralStore {
    /// An event as central holds it, under `(gate_id, origin, seq)`.
    struct EventRecord {
        var gateID: String
        var origin: String
        var row: EventRow
        var receivedMilliseconds: Int64

        init(gateID: String, origin: String, event: Event, received: Int64) {
            self.gateID = gateID
            self.origin = origin
            row = EventRow(event)
            receivedMilliseconds = received
        }

        /// A row of `events` or `event_conflicts` (`SELECT *`).
        init(_ stored: StoreRow) {
            gateID = stored["gate_id"]
            origin = stored["origin"]
            receivedMilliseconds = stored["received_ms"]
            var event = EventRow(
                Event(seq: stored["seq"], atMilliseconds: stored["at_ms"], kind: .review, plate: nil, confidence: 0))
            event.kind = stored["kind"]
            event.plate = stored["plate"]
            event.confidence = stored["confidence"]
            event.permitID = stored["permit_id"]
            event.reason = stored["reason"]
            event.candidates = stored["candidates"]
            event.source = stored.hasColumn("source") ? stored["source"] : nil
            event.chars = stored.hasColumn("chars") ? stored["chars"] : nil
            row = event
        }

        static func fetchOne(_ statement: any StoreStatement, arguments: StoreArguments) throws -> EventRecord? {
            try StoreRow.fetchOne(statement, arguments: arguments).map(EventRecord.init)
        }

        static func fetchOne(_ db: any StoreConnection, gateID: String, origin: String, seq: Int64) throws -> EventRecord? {
            try StoreRow.fetchOne(
                db, sql: "SELECT * FROM events WHERE gate_id = ? AND origin = ? AND seq = ?", arguments: [gateID, origin, seq]
            ).map(EventRecord.init)
        }

        /// The conflict this event becomes when central already holds its key with other content.
        var conflict: ConflictRecord { ConflictRecord(event: self) }
    }

    /// An event whose `(gate_id, origin, seq)` central already held with
    /// other content: kept apart, never dropped, reported in status.
    struct ConflictRecord {
        var event: EventRecord

        init(event: EventRecord) { self.event = event }

        /// The conflicts already kept for one event identity.
        static func fetchAll(_ db: any StoreConnection, gateID: String, origin: String, seq: Int64) throws -> [ConflictRecord] {
            try StoreRow.fetchAll(
                db, sql: "SELECT * FROM event_conflicts WHERE gate_id = ? AND origin = ? AND seq = ?", arguments: [gateID, origin, seq]
            ).map { ConflictRecord(event: EventRecord($0)) }
        }

        func insert(_ db: any StoreConnection) throws {
            let row = event.row
            try db.execute(
                sql: """
                    INSERT INTO event_conflicts (gate_id, origin, seq, at_ms, kind, plate, confidence, permit_id, reason, candidates, received_ms, source, chars)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    event.gateID, event.origin, row.seq, row.atMilliseconds, row.kind, row.plate, row.confidence, row.permitID, row.reason,
                    row.candidates, event.receivedMilliseconds, row.source, row.chars,
                ])
        }
    }
}
