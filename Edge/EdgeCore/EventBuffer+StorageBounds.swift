import Domain
import Foundation
import GRDB
import WireProtocol

// How much a gate keeps while central cannot take it (issue 12): the event buffer is bounded
// by count (`buffer_capacity`, authorised passages and exits dropped first) and by the disk
// (the reserve); this bounds the rest by age and size. What goes first, in order:
//
// 1. authorised passages and exits central never received, older than `authorised_max_age_days`
//    (a plate is personal data; a stay that old is settled at central without them);
// 2. evidence images older than `evidence_max_age_days`;
// 3. past `evidence_quota_mib`: full frames of reviews, then full frames of violations, then
//    crops of reviews, then crops of violations, oldest first within each;
// 4. never, by these bounds: the events of violations and reviews themselves (only a full disk
//    can cost one, and that is counted and reported).
//
// Every drop is counted: events in `health.dropped` (shown by `bollardctl buffer` and central's
// status), images in `evidence_dropped` in `meta` (read by `evidenceStorage()`, shown by
// `bollardctl buffer` and as a warning in `bollardctl status`).

/// The age and size bounds of what a gate keeps; defaults suit a small unit with an 8 GB card.
public struct StorageBounds: Sendable, Equatable {
    public var evidenceQuotaBytes: Int64 = 512 << 20
    public var evidenceMaxAge: TimeInterval = 30 * 86_400
    public var authorisedMaxAge: TimeInterval = 7 * 86_400

    public init() {}

    public init(evidenceQuotaMiB: Int, evidenceMaxAgeDays: Double, authorisedMaxAgeDays: Double) {
        evidenceQuotaBytes = Int64(evidenceQuotaMiB) << 20
        evidenceMaxAge = evidenceMaxAgeDays * 86_400
        authorisedMaxAge = authorisedMaxAgeDays * 86_400
    }
}

/// What one pass of the bounds removed.
public struct StorageTrim: Sendable, Equatable {
    public var passages = 0
    public var expiredImages = 0
    public var imagesOverQuota = 0
    public var bytesFreed: Int64 = 0
    public var isEmpty: Bool { passages == 0 && expiredImages == 0 && imagesOverQuota == 0 }
}

extension EventBuffer {
    static func registerStorageBoundsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-evidence-bounds") { db in
            // Kind, size and age of each stored image, so the quota can choose what goes first.
            // Images stored before keep their event's kind if it is still here, else count as violations.
            try db.execute(
                sql: """
                    ALTER TABLE evidence_images ADD COLUMN kind TEXT;
                    ALTER TABLE evidence_images ADD COLUMN size INTEGER;
                    ALTER TABLE evidence_images ADD COLUMN created_ms INTEGER;
                    UPDATE evidence_images SET size = length(bytes), created_ms = ?,
                        kind = coalesce((SELECT kind FROM events WHERE events.seq = evidence_images.seq), 'violation');
                    """, arguments: [Int64(Date().timeIntervalSince1970 * 1000)])
        }
    }

    /// Applies `bounds` once, in the documented order; returns what went.
    @discardableResult
    public func enforce(_ bounds: StorageBounds, now: Date = Date()) throws -> StorageTrim {
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let (trim, drops) = try write { db -> (StorageTrim, GateHealth.Dropped) in
            var trim = StorageTrim()
            // 1. Old authorised passages and exits, never received by central.
            let passageCutoff = nowMilliseconds - Int64(bounds.authorisedMaxAge * 1000)
            var drops = GateHealth.Dropped()
            for kind in [DecisionKind.authorised, .exit] {
                try db.execute(
                    sql: "DELETE FROM events WHERE kind = ? AND at_ms < ?", arguments: [kind.rawValue, passageCutoff])
                drops[kind] += Int64(db.changesCount)
            }
            if drops.total > 0 { try Self.addDrops(db, drops) }
            trim.passages = Int(drops.total)
            // 2. Images past their age.
            let imageCutoff = nowMilliseconds - Int64(bounds.evidenceMaxAge * 1000)
            let expiredBytes = try Int64.fetchOne(
                db, sql: "SELECT coalesce(sum(size), 0) FROM evidence_images WHERE created_ms < ?", arguments: [imageCutoff]) ?? 0
            try db.execute(sql: "DELETE FROM evidence_images WHERE created_ms < ?", arguments: [imageCutoff])
            trim.expiredImages = db.changesCount
            trim.bytesFreed += expiredBytes
            // 3. Over the quota: frames before crops, reviews before violations, oldest first.
            var stored = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM evidence_images") ?? 0
            if stored > bounds.evidenceQuotaBytes {
                let candidates = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT origin, seq, role, size FROM evidence_images
                        ORDER BY (role != 'frame'), (kind != 'review'), created_ms, seq
                        """)
                var victims: [(String, Int64, String)] = []
                while stored > bounds.evidenceQuotaBytes, let row = try candidates.next() {
                    victims.append((row["origin"], row["seq"], row["role"]))
                    let size: Int64 = row["size"] ?? 0
                    stored -= size
                    trim.bytesFreed += size
                }
                for (origin, seq, role) in victims {
                    try db.execute(
                        sql: "DELETE FROM evidence_images WHERE origin = ? AND seq = ? AND role = ?", arguments: [origin, seq, role])
                }
                trim.imagesOverQuota = victims.count
            }
            let dropped = trim.expiredImages + trim.imagesOverQuota
            if dropped > 0 {
                let before = Int64(try MetaRecord.fetchOne(db, key: "evidence_dropped")?.value ?? "0") ?? 0
                try Self.setMeta(db, "evidence_dropped", String(before + Int64(dropped)))
            }
            return (trim, drops)
        }
        if drops.total > 0 {
            // The same bookkeeping as the capacity drops in `append`, once committed.
            rowCount.withLock { $0 -= Int(drops.total) }
            storedDropCounts.withLock { $0 = $0 + drops }
        }
        if !trim.isEmpty { checkpoint() }
        return trim
    }

    /// Bytes of evidence images stored and images dropped by the bounds since this database was created.
    public func evidenceStorage() throws -> (bytes: Int64, dropped: Int64) {
        try database.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM evidence_images") ?? 0,
                Int64(try MetaRecord.fetchOne(db, key: "evidence_dropped")?.value ?? "0") ?? 0
            )
        }
    }
}
