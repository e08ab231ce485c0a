import Domain
import Foundation
import GRDB
import Synchronization
import WireProtocol

/// The gate's durable state: events not yet acknowledged by central, the
/// permit set it decides with, and the sequence it holds.
///
/// One SQLite file in WAL mode with `synchronous=FULL`: an event is on disk
/// before anyone is told it exists, and survives a power cut once committed.
/// The buffer is bounded: when full, authorised passages go first (their
/// details only matter for statistics); violations and reviews are never dropped.
public final class EventBuffer: Sendable {
    private let database: DatabaseQueue
    public let capacity: Int
    /// Folder of the database file, whose volume's free space health reports.
    public let directory: String
    /// Rows in `events`, kept beside the table so that appending never counts
    /// it; only changed inside write transactions, which the queue serialises.
    private let rowCount = Mutex(0)

    /// Opens (creating and migrating) the buffer at `path`.
    /// - Parameter maxBytes: a cap on the database file; past it writes fail as on a full disk.
    public init(path: String, capacity: Int, maxBytes: Int64? = nil) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if let maxBytes {
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(16, maxBytes / pageSize))")
            }
        }
        configuration.journalMode = .wal
        database = try DatabaseQueue(path: path, configuration: configuration)
        self.capacity = max(1, capacity)
        directory = (path as NSString).deletingLastPathComponent
        try Self.migrator.migrate(database)
        let count = try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
        rowCount.withLock { $0 = count }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // AUTOINCREMENT: a sequence is never reused, even after acknowledged rows are deleted.
            try db.execute(sql: """
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    at_ms INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    plate TEXT,
                    confidence REAL NOT NULL,
                    permit_id TEXT,
                    reason TEXT,
                    candidates TEXT,
                    created_ms INTEGER NOT NULL
                );
                CREATE INDEX events_droppable ON events(kind, seq);
                CREATE TABLE permits (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL);
                CREATE TABLE snapshot_staging (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL);
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
        }
        return migrator
    }

    // MARK: Events

    /// Commits an event and returns its sequence. Makes room first if the
    /// buffer is full, by dropping the oldest unsent authorised passages.
    public func append(read: PlateRead, decision: Decision, now: Date = Date()) throws -> Event {
        // The count changes only once the transaction has committed.
        let (event, delta) = try database.write { db -> (Event, Int) in
            var delta = 1
            let depth = count
            if depth >= capacity {
                let excess = depth - capacity + 1
                try db.execute(
                    sql: "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE kind IN ('authorised','exit') ORDER BY seq LIMIT ?)",
                    arguments: [excess])
                let dropped = db.changesCount
                if dropped > 0 {
                    try Self.addToCounter(db, "dropped_authorised", dropped)
                    delta -= dropped
                }
            }
            var event = Event(seq: 0, read: read, decision: decision)
            let candidates = event.candidates.map { $0.joined(separator: ",") }
            try db.execute(
                sql: """
                    INSERT INTO events (at_ms, kind, plate, confidence, permit_id, reason, candidates, created_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    event.atMilliseconds, event.kind.rawValue, event.plate, event.confidence, event.permitID,
                    event.reason, candidates, Int64(now.timeIntervalSince1970 * 1000),
                ])
            event.seq = db.lastInsertedRowID
            return (event, delta)
        }
        rowCount.withLock { $0 += delta }
        return event
    }

    /// The oldest unacknowledged events, in sequence order.
    public func pending(limit: Int) throws -> [Event] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, at_ms, kind, plate, confidence, permit_id, reason, candidates FROM events ORDER BY seq LIMIT ?",
                arguments: [limit]
            ).map { row in
                let candidates: String? = row["candidates"]
                return Event(
                    seq: row["seq"], atMilliseconds: row["at_ms"],
                    kind: DecisionKind(rawValue: row["kind"]) ?? .review, plate: row["plate"],
                    confidence: row["confidence"], permitID: row["permit_id"], reason: row["reason"],
                    candidates: candidates.map { $0.split(separator: ",").map(String.init) })
            }
        }
    }

    /// Forgets events central has committed.
    public func acknowledge(_ seqs: [Int64]) throws {
        guard !seqs.isEmpty else { return }
        let removed = try database.write { db -> Int in
            var removed = 0
            for chunk in stride(from: 0, to: seqs.count, by: 500) {
                let part = Array(seqs[chunk..<min(chunk + 500, seqs.count)])
                try db.execute(
                    sql: "DELETE FROM events WHERE seq IN (\(databaseQuestionMarks(count: part.count)))",
                    arguments: StatementArguments(part))
                removed += db.changesCount
            }
            return removed
        }
        rowCount.withLock { $0 -= removed }
    }

    /// Unacknowledged events, without touching the database.
    public var count: Int { rowCount.withLock { $0 } }

    public struct Depth: Sendable {
        public var count: Int
        public var oldestCreated: Date?
        public var droppedAuthorised: Int64
    }

    public func depth() throws -> Depth {
        try database.read { db in
            // The oldest row has the smallest seq: one index probe, not a scan.
            let oldest = try Int64.fetchOne(db, sql: "SELECT created_ms FROM events ORDER BY seq LIMIT 1")
            return Depth(
                count: count,
                oldestCreated: oldest.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                droppedAuthorised: try Self.counter(db, "dropped_authorised"))
        }
    }

    // MARK: Permits

    /// The stored permit set and the sequence it stands at.
    public func loadPermits() throws -> (permits: [Permit], seq: Int64) {
        try database.read { db in
            let decoder = JSONDecoder()
            var permits: [Permit] = []
            let cursor = try String.fetchCursor(db, sql: "SELECT json FROM permits")
            while let json = try cursor.next() {
                permits.append(try decoder.decode(Permit.self, from: Data(json.utf8)))
            }
            return (permits, try Self.counter(db, "permit_seq"))
        }
    }

    /// Applies consecutive changes and moves the held sequence to the last one, atomically.
    /// A change older than the stored permit is skipped (after a snapshot, re-delivered changes are harmless).
    public func apply(changes: [Permit], heldSeq: Int64) throws {
        try database.write { db in
            let encoder = JSONEncoder()
            for permit in changes {
                let json = String(decoding: try encoder.encode(permit), as: UTF8.self)
                try db.execute(
                    sql: """
                        INSERT INTO permits (id, seq, json) VALUES (?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, json = excluded.json WHERE excluded.seq > permits.seq
                        """,
                    arguments: [permit.id, permit.seq, json])
            }
            try Self.setMeta(db, "permit_seq", String(heldSeq))
        }
    }

    /// Starts receiving a snapshot: clears any half-received one.
    public func beginSnapshot() throws {
        try database.write { db in try db.execute(sql: "DELETE FROM snapshot_staging") }
    }

    public func stage(snapshotPage permits: [Permit]) throws {
        try database.write { db in
            let encoder = JSONEncoder()
            for permit in permits {
                let json = String(decoding: try encoder.encode(permit), as: UTF8.self)
                try db.execute(
                    sql: "INSERT OR REPLACE INTO snapshot_staging (id, seq, json) VALUES (?, ?, ?)",
                    arguments: [permit.id, permit.seq, json])
            }
        }
    }

    /// Replaces the permit set with the staged snapshot in one transaction.
    public func commitSnapshot(baseSeq: Int64) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM permits")
            try db.execute(sql: "INSERT INTO permits SELECT id, seq, json FROM snapshot_staging")
            try db.execute(sql: "DELETE FROM snapshot_staging")
            try Self.setMeta(db, "permit_seq", String(baseSeq))
        }
    }

    // MARK: Metadata

    public func meta(_ key: String) throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try database.write { db in try Self.setMeta(db, key, value) }
    }

    private static func setMeta(_ db: Database, _ key: String, _ value: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
    }

    private static func counter(_ db: Database, _ key: String) throws -> Int64 {
        Int64(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) ?? "0") ?? 0
    }

    private static func addToCounter(_ db: Database, _ key: String, _ amount: Int) throws {
        try setMeta(db, key, String(try counter(db, key) + Int64(amount)))
    }
}
