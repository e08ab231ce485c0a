import Foundation
import GRDB

// The evidence images waiting at the gate: sent after their event was
// acknowledged, deleted once central holds them whole.

extension EventBuffer {
    /// An image stored with an event, waiting to be uploaded.
    public struct PendingImage: Sendable, Hashable {
        public var origin: String
        public var seq: Int64
        public var role: String
        public var sha256: String
        public var bytes: Data
    }

    /// Images whose event central has acknowledged (its row is gone), oldest event first.
    public func pendingImages(limit: Int) throws -> [PendingImage] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT origin, seq, role, sha256, bytes FROM evidence_images
                    WHERE seq NOT IN (SELECT seq FROM events) ORDER BY seq, role LIMIT ?
                    """,
                arguments: [limit]
            ).map { PendingImage(origin: $0["origin"], seq: $0["seq"], role: $0["role"], sha256: $0["sha256"], bytes: $0["bytes"]) }
        }
    }

    /// Images stored and not yet delivered (health and tests).
    public func storedImageCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_images") ?? 0 }
    }

    /// Forgets an image: central holds it, or refused the gate's copy as
    /// bad (`rejected`, counted in `meta` as `evidence_rejected`).
    public func deleteImage(origin: String, seq: Int64, role: String, rejected: Bool = false) throws {
        try write { db in
            try db.execute(
                sql: "DELETE FROM evidence_images WHERE origin = ? AND seq = ? AND role = ?", arguments: [origin, seq, role])
            if rejected, db.changesCount > 0 {
                let count = Int64(try MetaRecord.fetchOne(db, key: "evidence_rejected")?.value ?? "0") ?? 0
                try Self.setMeta(db, "evidence_rejected", String(count + 1))
            }
        }
    }

    /// Images central refused as not matching their event since this database was created.
    public func rejectedImageCount() throws -> Int64 {
        Int64(try meta("evidence_rejected") ?? "0") ?? 0
    }
}
