import Domain
import Foundation
import GRDB
import WireProtocol

// The rows of the gate's database as `Codable` records: the columns are
// named once, by coding keys, and GRDB maps them.

extension EventBuffer {
    /// An unacknowledged event: the columns central stores too (`EventRow`)
    /// and when the gate committed it.
    struct EventRecord: Codable, FetchableRecord, MutablePersistableRecord {
        static let databaseTableName = "events"
        var row: EventRow
        var createdMilliseconds: Int64
        /// The image digests as JSON (revision 4), the seal's `prev` and `sig`.
        var images: String?
        var previousHash: String?
        var signature: String?

        init(_ event: Event, created: Date) {
            row = EventRow(event, assigningSeq: true)
            createdMilliseconds = Int64(created.timeIntervalSince1970 * 1000)
            images = event.images.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
            previousHash = event.previousHash
            signature = event.signature
        }

        /// The event as it is uploaded, seal included.
        var event: Event {
            var event = row.event
            event.images = images.flatMap { try? JSONDecoder().decode([EventImageDigest].self, from: Data($0.utf8)) }
            event.previousHash = previousHash
            event.signature = signature
            return event
        }

        enum CodingKeys: String, CodingKey {
            case images
            case createdMilliseconds = "created_ms"
            case previousHash = "prev"
            case signature = "sig"
        }

        // The shared columns are flattened into this row: same coder, same row.
        init(from decoder: any Decoder) throws {
            row = try EventRow(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            createdMilliseconds = try container.decode(Int64.self, forKey: .createdMilliseconds)
            images = try container.decodeIfPresent(String.self, forKey: .images)
            previousHash = try container.decodeIfPresent(String.self, forKey: .previousHash)
            signature = try container.decodeIfPresent(String.self, forKey: .signature)
        }

        func encode(to encoder: any Encoder) throws {
            try row.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(createdMilliseconds, forKey: .createdMilliseconds)
            try container.encodeIfPresent(images, forKey: .images)
            try container.encodeIfPresent(previousHash, forKey: .previousHash)
            try container.encodeIfPresent(signature, forKey: .signature)
        }

        mutating func didInsert(_ inserted: InsertionSuccess) { row.seq = inserted.rowID }
    }

    /// A permit the gate decides with, stored whole as JSON beside its id and sequence.
    struct PermitRecord: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "permits"
        var id: String
        var seq: Int64
        var json: Permit

        init(_ permit: Permit) {
            id = permit.id
            seq = permit.seq
            json = permit
        }
    }

    /// A permit of a snapshot being received; replaces `permits` once the last page is in.
    struct StagedPermitRecord: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "snapshot_staging"
        var id: String
        var seq: Int64
        var json: Permit

        init(_ permit: Permit) {
            id = permit.id
            seq = permit.seq
            json = permit
        }
    }

    /// One key of the gate's metadata: `origin`, `permit_seq`, `gate`, `holidays`, `dropped_<kind>`.
    struct MetaRecord: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "meta"
        var key: String
        var value: String
    }
}
