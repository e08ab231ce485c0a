import Foundation
import GRDB
import WireProtocol

// Central's event rows as `Codable` records. The event's own columns are
// `EventRow`, the definition the gate's buffer stores too.

extension CentralStore {
    /// An event as central holds it, under `(gate_id, origin, seq)`.
    struct EventRecord: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "events"
        var gateID: String
        var origin: String
        var row: EventRow
        var receivedMilliseconds: Int64

        enum CodingKeys: String, CodingKey {
            case origin
            case gateID = "gate_id"
            case receivedMilliseconds = "received_ms"
        }

        init(gateID: String, origin: String, event: Event, received: Int64) {
            self.gateID = gateID
            self.origin = origin
            row = EventRow(event)
            receivedMilliseconds = received
        }

        // The shared columns are flattened into this row: same coder, same row.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            gateID = try container.decode(String.self, forKey: .gateID)
            origin = try container.decode(String.self, forKey: .origin)
            receivedMilliseconds = try container.decode(Int64.self, forKey: .receivedMilliseconds)
            row = try EventRow(from: decoder)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(gateID, forKey: .gateID)
            try container.encode(origin, forKey: .origin)
            try container.encode(receivedMilliseconds, forKey: .receivedMilliseconds)
            try row.encode(to: encoder)
        }

        /// The conflict this event becomes when central already holds its key with other content.
        var conflict: ConflictRecord { ConflictRecord(event: self) }
    }

    /// An event whose `(gate_id, origin, seq)` central already held with
    /// other content: kept apart, never dropped, reported in status.
    struct ConflictRecord: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "event_conflicts"
        var event: EventRecord

        init(event: EventRecord) { self.event = event }
        init(from decoder: any Decoder) throws { event = try EventRecord(from: decoder) }
        func encode(to encoder: any Encoder) throws { try event.encode(to: encoder) }
    }
}
