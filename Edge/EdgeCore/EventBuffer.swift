import BollardSupport
import Domain
import Evidence
import Foundation
import GRDB
import Synchronization
import WireProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The gate's durable state: events not yet acknowledged by central, the
/// permit set it decides with, and the sequence it holds.
///
/// One SQLite file in WAL mode with `synchronous=FULL`: an event is on disk
/// before anyone is told it exists, and survives a power cut once committed.
/// The buffer is bounded: when full, authorised passages go first (their
/// details only matter for statistics); violations and reviews are never dropped.
///
/// A full disk is planned for: a reserve file beside the database is set
/// aside at start and given back the moment SQLite cannot commit, and
/// acknowledged rows are checkpointed out of the WAL so it cannot eat the disk.
public final class EventBuffer: Sendable {
    let database: any DatabaseWriter
    public let capacity: Int
    /// Folder of the database file, whose volume's free space health reports.
    public let directory: String
    /// The identity of this database, part of every event's identity at
    /// central: a wiped or replaced database gets a new one, so its events
    /// numbered from 1 again never collide with those central already holds.
    public let origin: String
    /// Rows in `events`, kept beside the table so that appending never counts
    /// it; only changed inside write transactions, which the writer serialises.
    let rowCount = Mutex(0)
    /// Drop counts as committed in `meta`, mirrored so health needs no read.
    let storedDropCounts = Mutex(GateHealth.Dropped())
    let reserve: DiskReserve
    /// Signs every committed event and chains it to the previous one; nil
    /// (tests of other things) commits events unsigned and unchained.
    let signingKey: SigningKey?
    /// The public half of the signing key in base64, announced in `hello`.
    public var signingPublicKey: String? { signingKey?.publicKeyBase64 }

    /// Opens (creating and migrating) the buffer at `path`.
    /// - Parameter maxBytes: a cap on the database file; past it writes fail as on a full disk.
    /// - Parameter reserveBytes: space set aside beside the database for a full disk; 0 for none.
    public convenience init(
        path: String, capacity: Int, maxBytes: Int64? = nil, reserveBytes: Int64 = DiskReserve.defaultBytes, signingKey: SigningKey? = nil
    ) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // After a checkpoint resets the WAL, shrink it back: a burst must not keep its space.
            try db.execute(sql: "PRAGMA journal_size_limit = \(8 << 20)")
            if let maxBytes {
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(16, maxBytes / pageSize))")
            }
        }
        configuration.journalMode = .wal
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try self.init(
            writer: queue, capacity: capacity, directory: (path as NSString).deletingLastPathComponent,
            reserve: DiskReserve(path: path + ".reserve", bytes: reserveBytes), signingKey: signingKey)
    }

    /// Runs on any writer, so tests can use an in-memory `DatabaseQueue()`.
    /// - Parameters:
    ///   - directory: the folder whose volume's free space health reports and the reserve guards.
    ///   - reserve: space given back when the disk fills; none by default.
    public init(
        writer: any DatabaseWriter, capacity: Int, directory: String = "", reserve: DiskReserve? = nil, signingKey: SigningKey? = nil
    ) throws {
        database = writer
        self.signingKey = signingKey
        self.capacity = max(1, capacity)
        self.directory = directory
        self.reserve = reserve ?? DiskReserve(path: "", bytes: 0)
        try Self.migrator.migrate(writer)
        let (count, origin, drops) = try writer.read { db in
            (try EventRecord.fetchCount(db), try MetaRecord.fetchOne(db, key: "origin")?.value ?? "", try Self.storedDrops(db))
        }
        rowCount.withLock { $0 = count }
        storedDropCounts.withLock { $0 = drops }
        self.origin = origin
        self.reserve.restoreIfSpace()
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
        migrator.registerMigration("v2") { db in
            // A database that already numbered events keeps origin "", the
            // identity central knows its events by; a new one gets its own.
            let numbered = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
            try setMeta(db, "origin", numbered > 0 ? "" : UUID().uuidString.lowercased())
        }
        migrator.registerMigration("v3-evidence") { db in
            // Each event keeps its seal (prev, sig) and image digests as sent; the images'
            // bytes wait in their own table until central has them, after the event itself.
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN images TEXT;
                ALTER TABLE events ADD COLUMN prev TEXT;
                ALTER TABLE events ADD COLUMN sig TEXT;
                CREATE TABLE evidence_images (
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    bytes BLOB NOT NULL,
                    PRIMARY KEY (origin, seq, role)
                );
                """)
        }
        migrator.registerMigration("v4-read-source") { db in
            // Where each read came from (camera, video, replay, generator, injected): central fines only camera and video reads.
            try db.execute(sql: "ALTER TABLE events ADD COLUMN source TEXT")
        }
        migrator.registerMigration("v5-char-confidences") { db in
            // The recogniser's confidence per character, for the reviewer at central.
            try db.execute(sql: "ALTER TABLE events ADD COLUMN chars TEXT")
        }
        registerStorageBoundsMigration(&migrator)
        return migrator
    }

    // MARK: Events

    /// Commits an event and returns its sequence. Makes room first if the
    /// buffer is full, by dropping the oldest unsent authorised passages.
    ///
    /// The event is sealed in the transaction that assigns its seq: `prev` is
    /// the hash of the previous event of this database (kept in `meta` as
    /// `last_hash`, so it survives restarts and the deletion of acknowledged
    /// rows) and the signature covers `images`' digests, whose bytes are stored
    /// beside it for the evidence upload.
    public func append(read: PlateRead, decision: Decision, images: [EvidenceImage] = [], now: Date = Date()) throws -> Event {
        // Once the reserve is spent, half of it stays free for acknowledgements
        // and checkpoints: those are what give the disk back.
        if reserve.isReleased, let free = reserve.headroomShortfall(freeBytes: DiskSpace.freeBytes(atPath: directory)) {
            throw DiskFullError(freeBytes: free)
        }
        // The count changes only once the transaction has committed.
        let (event, delta, drops) = try write { db -> (Event, Int, GateHealth.Dropped) in
            var delta = 1
            var drops = GateHealth.Dropped()
            let depth = count
            if depth >= capacity {
                let excess = depth - capacity + 1
                // The oldest passages go first (index events_droppable).
                let passages = [DecisionKind.authorised.rawValue, DecisionKind.exit.rawValue]
                let victims = try EventRecord.filter(passages.contains(Column("kind"))).order(Column("seq")).limit(excess).fetchAll(db)
                for victim in victims {
                    try EventRecord.deleteOne(db, key: victim.row.seq)
                    drops[DecisionKind(rawValue: victim.row.kind) ?? .authorised] += 1
                }
                if drops.total > 0 {
                    try Self.addDrops(db, drops)
                    delta -= Int(drops.total)
                }
            }
            var unsealed = Event(seq: 0, read: read, decision: decision)
            if !images.isEmpty { unsealed.images = images.map(\.digest) }
            var record = EventRecord(unsealed, created: now)
            try record.insert(db)
            var event = record.event
            if let signingKey {
                let previous = try MetaRecord.fetchOne(db, key: "last_hash")?.value ?? EventSeal.genesis
                event = try EventSeal.seal(event, origin: origin, previous: previous, key: signingKey.privateKey)
                try db.execute(
                    sql: "UPDATE events SET prev = ?, sig = ? WHERE seq = ?", arguments: [event.previousHash, event.signature, event.seq])
                try Self.setMeta(db, "last_hash", EventSeal.hash(of: event, origin: origin))
            }
            for image in images {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO evidence_images (origin, seq, role, sha256, bytes, kind, size, created_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        origin, event.seq, image.role, image.digest.sha256, image.jpeg, event.kind.rawValue, image.jpeg.count,
                        Int64(now.timeIntervalSince1970 * 1000),
                    ])
            }
            return (event, delta, drops)
        }
        rowCount.withLock { $0 += delta }
        if drops.total > 0 { storedDropCounts.withLock { $0 = $0 + drops } }
        return event
    }

    /// Raised instead of writing when the reserve is spent and the volume has
    /// less free than half of it: the decision is held in memory meanwhile.
    public struct DiskFullError: Error, CustomStringConvertible {
        public var freeBytes: Int64
        public var description: String { "disk full: \(freeBytes) bytes free, kept for acknowledgements" }
    }

    /// A write transaction that survives a full disk once: when SQLite cannot
    /// commit for lack of space, the reserve is given back and the WAL
    /// truncated, and the transaction is tried again.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch let error as DatabaseError where Self.isOutOfSpace(error) {
            reserve.release()
            checkpoint()
            return try database.write(body)
        }
    }

    static func isOutOfSpace(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_FULL || error.extendedResultCode == .SQLITE_IOERR_WRITE
    }

    /// Moves committed WAL frames into the database and truncates the WAL to
    /// zero bytes, giving its space back to the volume. Best effort.
    func checkpoint() {
        _ = try? database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// The sequence the next event will get is above `seq` (central's answer
    /// to hello): a database restored from an old backup numbers new events
    /// past those central already holds under this origin, instead of
    /// colliding with them. Returns whether the sequence moved.
    @discardableResult
    public func moveSequence(past seq: Int64) throws -> Bool {
        try write { db in
            let current = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'")
            guard (current ?? 0) < seq else { return false }
            if current == nil {
                try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)", arguments: [seq])
            } else {
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'", arguments: [seq])
            }
            return true
        }
    }

    /// The oldest unacknowledged events, in sequence order.
    public func pending(limit: Int) throws -> [Event] {
        try database.read { db in
            try EventRecord.order(Column("seq")).limit(limit).fetchAll(db).map(\.event)
        }
    }

    /// Forgets events central has committed.
    public func acknowledge(_ seqs: [Int64]) throws {
        guard !seqs.isEmpty else { return }
        let removed = try write { db -> Int in
            var removed = 0
            for chunk in stride(from: 0, to: seqs.count, by: 500) {
                removed += try EventRecord.deleteAll(db, keys: seqs[chunk..<min(chunk + 500, seqs.count)])
            }
            return removed
        }
        rowCount.withLock { $0 -= removed }
        // Deleted rows sit in the WAL until a checkpoint: give the space back
        // when the buffer drains, when the disk is tight, or when the WAL grew.
        if count == 0 || reserve.isReleased || walBytes > 8 << 20 {
            checkpoint()
            reserve.restoreIfSpace()
        }
    }

    private var walBytes: Int64 {
        let size = try? FileManager.default.attributesOfItem(atPath: database.path + "-wal")[.size] as? NSNumber
        return size?.int64Value ?? 0
    }

    /// Adds decisions dropped while the disk refused writes to the counts in
    /// `meta`, once the disk takes writes again.
    public func addDrops(_ drops: GateHealth.Dropped) throws {
        guard drops.total > 0 else { return }
        try write { db in try Self.addDrops(db, drops) }
        storedDropCounts.withLock { $0 = $0 + drops }
    }

    /// Decisions dropped since this database was created, by kind, as committed.
    public func storedDrops() throws -> GateHealth.Dropped {
        try database.read { db in try Self.storedDrops(db) }
    }

    /// The same counts without touching the database.
    public var dropCounts: GateHealth.Dropped { storedDropCounts.withLock { $0 } }

    /// Gives the reserve back to the volume if space returned (after the held
    /// decisions are in and acknowledgements shrank the files).
    public func restoreReserveIfSpace() { reserve.restoreIfSpace() }

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
            let oldest = try EventRecord.order(Column("seq")).fetchOne(db)
            let drops = dropCounts
            return Depth(
                count: count,
                oldestCreated: oldest.map { Date(timeIntervalSince1970: Double($0.createdMilliseconds) / 1000) },
                droppedAuthorised: drops.authorised + drops.exit)
        }
    }

    // MARK: Permits

    /// The stored permit set and the sequence it stands at.
    public func loadPermits() throws -> (permits: [Permit], seq: Int64) {
        try database.read { db in
            (try PermitRecord.fetchAll(db).map(\.json), try Self.counter(db, "permit_seq"))
        }
    }

    /// The stored set straight into an index, row by row: a gate holding a city-wide set
    /// never has every permit as a `Permit` value in memory at once (that peak was 2–3× the index).
    public func loadPermitIndex() throws -> (index: PermitIndex, seq: Int64) {
        try database.read { db in
            var index = PermitIndex(reservingCapacity: try PermitRecord.fetchCount(db))
            let cursor = try PermitRecord.fetchCursor(db)
            while let record = try cursor.next() { index.upsert(record.json) }
            return (index, try Self.counter(db, "permit_seq"))
        }
    }

    /// Applies consecutive changes and moves the held sequence to the last one, atomically.
    /// A change older than the stored permit is skipped (after a snapshot, re-delivered changes are harmless).
    /// `PermitStore.commit(changes:heldSeq:)` calls this, then updates the index.
    public func apply(changes: [Permit], heldSeq: Int64) throws {
        try write { db in
            for permit in changes {
                if let stored = try PermitRecord.fetchOne(db, key: permit.id), stored.seq >= permit.seq { continue }
                try PermitRecord(permit).save(db)
            }
            try Self.setMeta(db, "permit_seq", String(heldSeq))
        }
    }

    /// Starts receiving a snapshot: clears any half-received one.
    public func beginSnapshot() throws {
        try write { db in _ = try StagedPermitRecord.deleteAll(db) }
    }

    public func stage(snapshotPage permits: [Permit]) throws {
        try write { db in
            for permit in permits { try StagedPermitRecord(permit).save(db) }
        }
    }

    /// Replaces the permit set with the staged snapshot in one transaction.
    /// `PermitStore.commitSnapshot(baseSeq:)` calls this, then replaces the index.
    public func commitSnapshot(baseSeq: Int64) throws {
        try write { db in
            _ = try PermitRecord.deleteAll(db)
            try db.execute(sql: "INSERT INTO permits SELECT id, seq, json FROM snapshot_staging")
            _ = try StagedPermitRecord.deleteAll(db)
            try Self.setMeta(db, "permit_seq", String(baseSeq))
        }
    }

    // MARK: Metadata

    public func meta(_ key: String) throws -> String? {
        try database.read { db in try MetaRecord.fetchOne(db, key: key)?.value }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write { db in try Self.setMeta(db, key, value) }
    }

    static func setMeta(_ db: Database, _ key: String, _ value: String) throws {
        try MetaRecord(key: key, value: value).save(db)
    }

    private static func counter(_ db: Database, _ key: String) throws -> Int64 {
        Int64(try MetaRecord.fetchOne(db, key: key)?.value ?? "0") ?? 0
    }

    private static func addToCounter(_ db: Database, _ key: String, _ amount: Int64) throws {
        try setMeta(db, key, String(try counter(db, key) + amount))
    }

    /// Counters in `meta`, one per kind: `dropped_authorised`, `dropped_exit`, `dropped_violation`, `dropped_review`.
    private static let dropKinds: [DecisionKind] = [.authorised, .exit, .violation, .review]

    static func addDrops(_ db: Database, _ drops: GateHealth.Dropped) throws {
        for kind in dropKinds where drops[kind] > 0 { try addToCounter(db, "dropped_\(kind.rawValue)", drops[kind]) }
    }

    private static func storedDrops(_ db: Database) throws -> GateHealth.Dropped {
        var drops = GateHealth.Dropped()
        for kind in dropKinds { drops[kind] = try counter(db, "dropped_\(kind.rawValue)") }
        return drops
    }
}
