import Foundation
import GRDB

// Partial evidence uploads: chunks of an image wait in `evidence_chunks` until the
// last one arrives. A gate that never finishes (replaced, its disk wiped, the image
// dropped by its storage bounds) would leave them there for ever. Forgetting them is
// always safe: a gate that comes back asks to go on, central answers the offset it
// holds (now 0), and the gate sends the image again from the start.

extension CentralStore {
    static func registerStalledUploadMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("evidence-chunks-received") { db in
            // Chunks from before this column count as received at 0: forgotten at the first pass.
            try db.execute(sql: "ALTER TABLE evidence_chunks ADD COLUMN received_ms INTEGER NOT NULL DEFAULT 0")
        }
    }

    /// Forgets partial uploads whose last chunk arrived before `cutoff`; returns the images forgotten.
    @discardableResult
    public func forgetStalledUploads(before cutoff: Date) throws -> Int {
        try database.write { db in
            let stalled = try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT gate_id, origin, seq, role FROM evidence_chunks
                    GROUP BY gate_id, origin, seq, role HAVING max(received_ms) < ?
                    """,
                arguments: [Self.milliseconds(cutoff)])
            for image in stalled {
                try db.execute(
                    sql: "DELETE FROM evidence_chunks WHERE gate_id = ? AND origin = ? AND seq = ? AND role = ?",
                    arguments: [image["gate_id"] as String, image["origin"] as String, image["seq"] as Int64, image["role"] as String])
            }
            return stalled.count
        }
    }

    /// Images with an upload under way (for status and tests).
    public func uploadsInProgress() throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM evidence_chunks GROUP BY gate_id, origin, seq, role) AS uploads") ?? 0
        }
    }
}
