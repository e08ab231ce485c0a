import Domain
import Foundation
import GRDB
import WireProtocol

/// Central's durable state: registered gates, permits with their change
/// log, events from every gate, and the last health each gate reported.
///
/// SQLite in WAL mode with `synchronous=FULL`: an event is acknowledged to a
/// gate only after the COMMIT that holds it, so an acknowledged event survives
/// a crash or power cut. `(gate_id, origin, seq)` is the events' primary key,
/// which makes a re-sent event a no-op; a repeat with other content is kept
/// as a conflict.
public final class CentralStore: Sendable {
    /// The engine underneath. Central's own code goes through the store's functions; tests and
    /// benchmarks read it to check what was stored.
    public let database: any StoreDatabase
    /// The folder of the database file: the disk whose free space central reports (for PostgreSQL,
    /// the working directory: the database's disk is the database server's to watch).
    public let directory: String
    /// Where the store lives: `sqlite:PATH` or `postgres://…`.
    public let location: StoreLocation

    /// A SQLite store at `path` (the default engine).
    public convenience init(path: String) throws {
        try self.init(location: .sqlite(path: path))
    }

    public init(location: StoreLocation, postgresPoolSize: Int = 8) throws {
        self.location = location
        switch location {
        case .sqlite(let path):
            directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
            database = try SQLiteStoreDatabase(path: path, migrator: Self.migrator)
        case .postgres(let url):
            directory = FileManager.default.currentDirectoryPath
            database = try PostgresStoreDatabase(url: url, poolSize: postgresPoolSize)
        }
    }

    /// Which engine this store runs on.
    public var engine: StoreEngine { database.engine }

    /// Permit-change notifications heard so far (PostgreSQL), nil without them (SQLite): see StoreDatabase.
    public var permitChangeSignals: Int? { database.permitChangeSignals }

    /// Starts hearing permit-change notifications (PostgreSQL); see StoreDatabase.
    public func listenForPermitChanges() { database.listenForPermitChanges() }

    /// Closes the engine's connections (PostgreSQL); SQLite closes with the store.
    public func close() { database.close() }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE gates (
                    id TEXT PRIMARY KEY,
                    zone TEXT NOT NULL,
                    direction TEXT NOT NULL,
                    public_key TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL,
                    registered_ms INTEGER NOT NULL
                );
                CREATE TABLE permits (
                    id TEXT PRIMARY KEY,
                    plate TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    json TEXT NOT NULL
                );
                CREATE INDEX permits_plate ON permits(plate);
                CREATE TABLE permit_changes (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    permit_id TEXT NOT NULL,
                    json TEXT NOT NULL,
                    created_ms INTEGER NOT NULL
                );
                CREATE TABLE events (
                    gate_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    at_ms INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    plate TEXT,
                    confidence REAL NOT NULL,
                    permit_id TEXT,
                    reason TEXT,
                    candidates TEXT,
                    received_ms INTEGER NOT NULL,
                    PRIMARY KEY (gate_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX events_kind ON events(kind, at_ms);
                CREATE TABLE gate_health (
                    gate_id TEXT PRIMARY KEY,
                    last_seen_ms INTEGER NOT NULL,
                    health TEXT NOT NULL
                );
                CREATE TABLE holidays (date TEXT PRIMARY KEY);
                """)
        }
        migrator.registerMigration("v2") { db in
            // A gate database's origin becomes part of an event's identity, so a
            // gate whose database was wiped or replaced numbers events from 1 under
            // a new origin instead of colliding with what central holds. Events
            // stored before origins existed keep origin "" (a gate that sends none).
            try db.execute(sql: """
                CREATE TABLE events_v2 (
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    at_ms INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    plate TEXT,
                    confidence REAL NOT NULL,
                    permit_id TEXT,
                    reason TEXT,
                    candidates TEXT,
                    received_ms INTEGER NOT NULL,
                    PRIMARY KEY (gate_id, origin, seq)
                ) WITHOUT ROWID;
                INSERT INTO events_v2 (gate_id, origin, seq, at_ms, kind, plate, confidence, permit_id, reason, candidates, received_ms)
                    SELECT gate_id, '', seq, at_ms, kind, plate, confidence, permit_id, reason, candidates, received_ms FROM events;
                DROP TABLE events;
                ALTER TABLE events_v2 RENAME TO events;
                CREATE INDEX events_kind ON events(kind, at_ms);
                CREATE TABLE event_conflicts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    at_ms INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    plate TEXT,
                    confidence REAL NOT NULL,
                    permit_id TEXT,
                    reason TEXT,
                    candidates TEXT,
                    received_ms INTEGER NOT NULL
                );
                CREATE INDEX event_conflicts_key ON event_conflicts(gate_id, origin, seq);
                """)
        }
        migrator.registerMigration("v2-holiday-calendar-sequence") { db in
            // The calendar gets its own change sequence, which reaches gates like permits do.
            try db.execute(sql: """
                ALTER TABLE holidays ADD COLUMN name TEXT NOT NULL DEFAULT '';
                CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO settings (key, value) SELECT 'holidays_seq', '1' WHERE EXISTS (SELECT 1 FROM holidays);
                """)
        }
        registerStayMigrations(&migrator)
        registerRegisterMigrations(&migrator)
        registerWebhookMigrations(&migrator)
        registerControlCentreMigrations(&migrator)
        registerEvidenceMigration(&migrator)
        registerReadSourceMigration(&migrator)
        registerTallyMigration(&migrator)
        registerHolderMigrations(&migrator)
        registerIdempotencyMigration(&migrator)
        registerSessionMigration(&migrator)
        registerStalledUploadMigration(&migrator)
        registerLeaseMigration(&migrator)
        return migrator
    }

    // MARK: Gates

    public struct GateRecord: Sendable, Equatable, Codable {
        public var gate: Gate
        public var publicKey: String
        public var revoked: Bool
        /// The Ed25519 key its events are checked with (base64), registered or pinned at its first hello.
        public var signingKey: String? = nil
        /// `registered` or `pinned` (trust on first use).
        public var signingKeySource: String? = nil
    }

    /// Why a gate was not registered.
    public enum RegistrationError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The gate id or zone breaks `InputLimits`.
        case invalid(InputProblem)
        /// The key already admits another gate.
        case keyBelongsToAnotherGate(String)
        /// The id is registered with another key; replacing it must be asked for.
        case idRegisteredWithAnotherKey(String)

        public var description: String {
            switch self {
            case .invalid(let problem): "\(problem)"
            case .keyBelongsToAnotherGate(let owner): "that key is already registered to gate \(owner)"
            case .idRegisteredWithAnotherKey(let id):
                "gate \(id) is already registered with another key; give --replace-key to replace it (the old key stops working)"
            }
        }
    }

    /// Registers a gate, or updates its zone and direction. Re-keying an existing id happens only with
    /// `replaceKey`: a typo in `--id` must not silently lock out another gate. A key can belong to one gate only.
    public func registerGate(_ gate: Gate, publicKey: String, replaceKey: Bool = false) throws {
        if let problem = InputLimits.gateIDProblem(gate.id) { throw RegistrationError.invalid(problem) }
        if gate.zone == "*" { throw RegistrationError.invalid(InputProblem(field: "zone", reason: "a gate guards one zone, not '*'")) }
        if let problem = InputLimits.zoneIDProblem(gate.zone) { throw RegistrationError.invalid(problem) }
        try database.write { db in
            if let owner = try String.fetchOne(db, sql: "SELECT id FROM gates WHERE public_key = ?", arguments: [publicKey]), owner != gate.id {
                throw RegistrationError.keyBelongsToAnotherGate(owner)
            }
            if !replaceKey, let current = try String.fetchOne(db, sql: "SELECT public_key FROM gates WHERE id = ?", arguments: [gate.id]),
                current != publicKey
            {
                throw RegistrationError.idRegisteredWithAnotherKey(gate.id)
            }
            try db.execute(
                sql: """
                    INSERT INTO gates (id, zone, direction, public_key, status, registered_ms) VALUES (?, ?, ?, ?, 'registered', ?)
                    ON CONFLICT(id) DO UPDATE SET zone = excluded.zone, direction = excluded.direction,
                        public_key = excluded.public_key, status = 'registered'
                    """,
                arguments: [gate.id, gate.zone, gate.direction.rawValue, publicKey, Self.nowMilliseconds()])
        }
    }

    /// Revokes a gate: its key is refused from now on. Returns false if unknown.
    @discardableResult
    public func revokeGate(id: String) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "UPDATE gates SET status = 'revoked' WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func gates() throws -> [GateRecord] {
        try database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT * FROM gates ORDER BY id").map(Self.gateRecord)
        }
    }

    public func gate(publicKey: String) throws -> GateRecord? {
        try database.read { db in
            try StoreRow.fetchOne(db, sql: "SELECT * FROM gates WHERE public_key = ?", arguments: [publicKey]).map(Self.gateRecord)
        }
    }

    private static func gateRecord(_ row: StoreRow) -> GateRecord {
        GateRecord(
            gate: Gate(id: row["id"], zone: row["zone"], direction: Direction(rawValue: row["direction"]) ?? .entry),
            publicKey: row["public_key"], revoked: (row["status"] as String) == "revoked", signingKey: row["signing_key"],
            signingKeySource: row["signing_key_source"])
    }

    // MARK: Permits

    /// Records a change: the permit as it is now gets the next global sequence.
    /// SQLite serialises writers, so sequences are strictly increasing across
    /// every process writing this file (the daemon, the CLI).
    @discardableResult
    public func save(_ permit: Permit) throws -> Permit {
        try save([permit]).last!
    }

    /// Records several changes, in order: in one transaction, or in
    /// transactions of `transactionSize` for a bulk import, so that the gate
    /// server (another writer of this file) never waits long for the lock.
    ///
    /// SQLite's locks are not fair: a writer that starts its next transaction
    /// the moment it commits can keep a waiting writer (whose busy handler
    /// sleeps up to 100 ms between tries) out for the whole import. So a bulk
    /// save pauses `pause` between transactions; 100 ms lets any waiter in.
    @discardableResult
    public func save(_ permits: [Permit], transactionSize: Int = .max, pause: Duration = .zero) throws -> [Permit] {
        var saved: [Permit] = []
        saved.reserveCapacity(permits.count)
        var start = permits.startIndex
        repeat {
            let end = permits.index(start, offsetBy: min(max(1, transactionSize), permits.endIndex - start))
            saved += try database.write { db in try Self.save(permits[start..<end], db) }
            start = end
            if (start < permits.endIndex) && (pause > .zero) {
                Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
            }
        } while start < permits.endIndex
        return saved
    }

    static func save(_ permits: ArraySlice<Permit>, _ db: any StoreConnection) throws -> [Permit] {
        guard !permits.isEmpty else { return [] }
        let encoder = JSONEncoder()
        let now = Self.nowMilliseconds()
        // The numbers are taken under the write lock, not from a sequence: PostgreSQL's sequences
        // skip the numbers of rolled-back transactions, and a gate waits for every number in turn.
        var next = (try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM permit_changes") ?? 0) + 1
        var saved: [(permit: Permit, json: String)] = []
        saved.reserveCapacity(permits.count)
        for var permit in permits {
            permit.seq = next
            next += 1
            saved.append((permit, String(decoding: try encoder.encode(permit), as: UTF8.self)))
        }
        // Multi-row statements: a bulk import is a few statements per 64 permits, not three per permit
        // (each a round trip on PostgreSQL, where the write lock is held meanwhile).
        for chunk in chunks(of: saved, size: rowsPerInsert) {
            var arguments = StoreArguments(values: [])
            for item in chunk { arguments += [item.permit.seq, item.permit.id, item.json, now] }
            try db.chunkStatement(sql: """
                INSERT INTO permit_changes (seq, permit_id, json, created_ms) VALUES \(placeholders(rows: chunk.count, columns: 4))
                """, full: chunk.count == Self.rowsPerInsert).execute(arguments: arguments)
        }
        // The permit table holds each permit's last change; a permit changed twice in one save is
        // written once (one upsert may not touch a row twice).
        var lastIndex: [String: Int] = [:]
        for (index, item) in saved.enumerated() { lastIndex[item.permit.id] = index }
        let latest = saved.indices.filter { lastIndex[saved[$0].permit.id] == $0 }.map { saved[$0] }
        for chunk in chunks(of: latest, size: rowsPerInsert) {
            var arguments = StoreArguments(values: [])
            for item in chunk { arguments += [item.permit.id, item.permit.plate.normalized, item.permit.seq, item.json, item.permit.holder] }
            try db.chunkStatement(sql: """
                INSERT INTO permits (id, plate, seq, json, holder) VALUES \(placeholders(rows: chunk.count, columns: 5))
                ON CONFLICT (id) DO UPDATE SET plate = excluded.plate, seq = excluded.seq, json = excluded.json, holder = excluded.holder
                """, full: chunk.count == Self.rowsPerInsert).execute(arguments: arguments)
        }
        // One query per transaction, not per permit: most centrals have no receiver.
        if try Int.fetchOne(db, sql: "SELECT count(*) FROM webhooks WHERE topics LIKE '%permit.changed%'") ?? 0 > 0 {
            for item in saved { try enqueueWebhooks(db, topic: "permit.changed", body: item.json) }
        }
        // Every instance's gate server hears it at COMMIT and pushes at once (PostgreSQL; SQLite's poll).
        if db.engine == .postgres { try db.execute(sql: "NOTIFY \(PostgresStoreDatabase.permitChannel)") }
        return saved.map(\.permit)
    }

    public func permit(id: String) throws -> Permit? {
        try database.read { db in
            try String.fetchOne(db, sql: "SELECT json FROM permits WHERE id = ?", arguments: [id])
                .map { try JSONDecoder().decode(Permit.self, from: Data($0.utf8)) }
        }
    }

    /// Sets a permit's status (revoke, suspend, reinstate) as a new change. Returns nil if unknown.
    public func setStatus(_ status: PermitStatus, permitID: String) throws -> Permit? {
        guard var permit = try permit(id: permitID) else { return nil }
        permit.status = status
        return try save(permit)
    }

    /// The permit change head and the holiday calendar's sequence, in one read.
    public func heads() throws -> (permits: Int64, holidays: Int64?) {
        try database.read { db in (try Self.headSeq(db), try Self.holidaysSeq(db)) }
    }

    public func headSeq() throws -> Int64 {
        try database.read { db in try Self.headSeq(db) }
    }

    static func headSeq(_ db: any StoreConnection) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(seq) FROM permit_changes") ?? 0
    }

    /// When the change after `seq` was made (for lag): nil if none.
    public func changeTime(after seq: Int64) throws -> Date? {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT created_ms FROM permit_changes WHERE seq > ? ORDER BY seq LIMIT 1", arguments: [seq])
                .map { Date(timeIntervalSince1970: Double($0) / 1000) }
        }
    }

    public enum ChangesAnswer: Sendable {
        case changes([Permit], head: Int64)
        case snapshotRequired(head: Int64)
    }

    /// Changes after `seq`, at most `limit`; or "snapshot required" when the
    /// log no longer reaches back that far, the gate is more than
    /// `snapshotBeyond` behind, or it claims a sequence central never issued.
    ///
    /// A page holds at most `limit` permits and at most `maxBytes` of their
    /// JSON (but always one), so that it fits a frame whatever the permits hold.
    public func changes(after seq: Int64, limit: Int, maxBytes: Int = .max, snapshotBeyond: Int64 = 50_000) throws -> ChangesAnswer {
        try database.read { db in
            let head = try Self.headSeq(db)
            if seq > head { return .snapshotRequired(head: head) }
            if seq == head { return .changes([], head: head) }
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM permit_changes") ?? 1
            if seq < 0 || seq + 1 < oldest || head - seq > snapshotBeyond { return .snapshotRequired(head: head) }
            let rows = try String.fetchCursor(
                db, sql: "SELECT json FROM permit_changes WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
            return .changes(try Self.decodePage(rows, maxBytes: maxBytes).permits, head: head)
        }
    }

    /// One page of the current permit set, ordered by id: at most `limit`
    /// permits and `maxBytes` of their JSON (but always one).
    public func snapshotPage(after id: String?, limit: Int, maxBytes: Int = .max) throws -> CentralMessage.SnapshotPage {
        try database.read { db in
            let head = try Self.headSeq(db)
            let rows = try String.fetchCursor(
                db, sql: "SELECT json FROM permits WHERE id > ? ORDER BY id LIMIT ?", arguments: [id ?? "", limit + 1])
            let page = try Self.decodePage(rows, limit: limit, maxBytes: maxBytes)
            return CentralMessage.SnapshotPage(baseSeq: head, permits: page.permits, nextAfter: page.more ? page.permits.last?.id : nil)
        }
    }

    /// Decodes stored permit JSON until `limit` permits or `maxBytes` of JSON
    /// (the first always fits); `more` says whether rows were left over.
    private static func decodePage(
        _ rows: StoreCursor<String>, limit: Int = .max, maxBytes: Int
    ) throws -> (permits: [Permit], more: Bool) {
        let decoder = JSONDecoder()
        var permits: [Permit] = []
        var bytes = 0
        while let json = try rows.next() {
            let size = json.utf8.count + 1
            if permits.count >= limit || (!permits.isEmpty && bytes + size > maxBytes) { return (permits, true) }
            permits.append(try decoder.decode(Permit.self, from: Data(json.utf8)))
            bytes += size
        }
        return (permits, false)
    }

    public func permitCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM permits") ?? 0 }
    }

    /// Drops change-log entries older than the newest `keep`; gates further behind get a snapshot.
    public func compactChangeLog(keep: Int64) throws {
        try database.write { db in
            let head = try Self.headSeq(db)
            try db.execute(sql: "DELETE FROM permit_changes WHERE seq <= ?", arguments: [head - keep])
        }
    }

    // MARK: Events

    /// What committing a batch did.
    public struct Stored: Sendable, Equatable {
        /// Every sequence of the batch, in order: all are safe at central now.
        public var seqs: [Int64]
        /// Sequences central already held with other content: the incoming
        /// events were kept in `event_conflicts`, never silently dropped.
        public var conflicts: [Int64]
    }

    /// Commits events from a gate and returns the sequences now held,
    /// including ones that were already there (a retry after a lost ack).
    @discardableResult
    public func store(events: [Event], from gateID: String, origin: String = "") throws -> [Int64] {
        try commit(events: events, from: gateID, origin: origin).seqs
    }

    /// The events one message of a gate brought: one gate database (`origin`), seqs increasing.
    public struct EventBatch: Sendable {
        public var events: [Event]
        public var gateID: String
        public var origin: String
        public init(events: [Event], gateID: String, origin: String) {
            self.events = events
            self.gateID = gateID
            self.origin = origin
        }
    }

    /// Commits events under `(gate, origin, seq)`. A repeat with the same
    /// content is a retry and changes nothing; a repeat with different content
    /// (a gate database restored from an old backup) is a conflict, kept with
    /// its own row so nothing a gate decided is lost.
    public func commit(events: [Event], from gateID: String, origin: String) throws -> Stored {
        try commit([EventBatch(events: events, gateID: gateID, origin: origin)])[0]
    }

    /// Commits several batches (of any gates) in one transaction, each as `commit(events:from:origin:)`
    /// would: group commit. The gate server gathers the batches of a round, so that a round costs one
    /// transaction and a few multi-row statements, not a transaction per batch (on PostgreSQL every
    /// statement is a round trip; on SQLite every commit a WAL append). Either all are stored or none.
    public func commit(_ batches: [EventBatch]) throws -> [Stored] {
        guard !batches.isEmpty else { return [] }
        // Hashes and signatures are checked before the write lock is taken (see SealChecks), in parallel,
        // for the events central does not hold yet: a batch sent again after a lost ack costs no
        // verification (an event that arrives in between is checked under the lock).
        let (keyTexts, held) = try database.read { db in
            (try Self.signingKeys(db, gateIDs: batches.map(\.gateID)), try Self.heldKeys(db, batches: batches))
        }
        let checked = SealChecks.checkAll(
            batches.map { batch in
                EventBatch(events: batch.events.filter { !held.contains(EventKey(gateID: batch.gateID, origin: batch.origin, seq: $0.seq)) },
                           gateID: batch.gateID, origin: batch.origin)
            },
            keyTexts: keyTexts)
        return try database.write { db in
            let now = Self.nowMilliseconds()
            // The hot path of ingest: every batch in multi-row INSERTs that return the keys they stored,
            // so that a round costs a few statements, not one per event.
            var stored: [EventKey: Int] = [:]
            let rows = batches.flatMap { batch in batch.events.map { (batch: batch, event: $0) } }
            for chunk in Self.chunks(of: rows, size: Self.rowsPerInsert) {
                let insert = try db.chunkStatement(sql: """
                    INSERT INTO events (gate_id, origin, seq, at_ms, kind, plate, confidence, permit_id, reason, candidates, received_ms, source, chars)
                    VALUES \(Self.placeholders(rows: chunk.count, columns: 13)) ON CONFLICT DO NOTHING RETURNING gate_id, origin, seq
                    """, full: chunk.count == Self.rowsPerInsert)
                var arguments = StoreArguments(values: [])
                for (batch, event) in chunk {
                    let row = EventRow(event)
                    arguments += [
                        batch.gateID, batch.origin, event.seq, row.atMilliseconds, row.kind, row.plate, row.confidence, row.permitID, row.reason,
                        row.candidates, now, row.source, row.chars,
                    ]
                }
                for row in try StoreRow.fetchAll(insert, arguments: arguments) {
                    stored[EventKey(gateID: row[0], origin: row[1], seq: row[2]), default: 0] += 1
                }
            }
            var results: [Stored] = []
            var insertedBatches: [EventBatch] = []
            var insertedChecks: [SealChecks] = []
            for (index, batch) in batches.enumerated() {
                var inserted: [Event] = []
                var repeated: [Event] = []
                for event in batch.events {
                    let key = EventKey(gateID: batch.gateID, origin: batch.origin, seq: event.seq)
                    if let count = stored[key], count > 0 {
                        stored[key] = count - 1
                        inserted.append(event)
                    } else {
                        repeated.append(event)
                    }
                }
                let conflicts = try Self.keepConflicts(repeated, gateID: batch.gateID, origin: batch.origin, received: now, db)
                results.append(Stored(seqs: batch.events.map(\.seq), conflicts: conflicts))
                if !inserted.isEmpty {
                    insertedBatches.append(EventBatch(events: inserted, gateID: batch.gateID, origin: batch.origin))
                    insertedChecks.append(checked[index])
                }
            }
            try Self.tally(insertedBatches.lazy.flatMap(\.events).map { ($0.atMilliseconds, $0.kind.rawValue) }, db)
            try Self.recordSeals(of: insertedBatches, checked: insertedChecks, db)
            try recordStays(db, batches: insertedBatches)
            return results
        }
    }

    struct EventKey: Hashable {
        var gateID: String
        var origin: String
        var seq: Int64
    }

    /// The keys of the batches' events that central holds already (one range read per batch).
    static func heldKeys(_ db: any StoreConnection, batches: [EventBatch]) throws -> Set<EventKey> {
        Set(try fetchAll(db, "gate_id, origin, seq", from: "events", seqRangesOf: batches).map { EventKey(gateID: $0[0], origin: $0[1], seq: $0[2]) })
    }

    /// The signing keys held for gates (nil for a gate with none, absent for an unknown gate).
    static func signingKeys(_ db: any StoreConnection, gateIDs: [String]) throws -> [String: String?] {
        var keys: [String: String?] = [:]
        for row in try fetchAll(db, in: Set(gateIDs).sorted().map { .text($0) }, sql: { "SELECT id, signing_key FROM gates WHERE id IN (\($0))" }) {
            keys[row["id"]] = .some(row["signing_key"])
        }
        return keys
    }

    /// Compares events already held (a batch sent again after a lost ack repeats every event) with
    /// what central holds, read in a few statements; those with other content are kept as conflicts.
    /// Returns their seqs.
    private static func keepConflicts(_ repeated: [Event], gateID: String, origin: String, received: Int64, _ db: any StoreConnection) throws -> [Int64] {
        guard !repeated.isEmpty else { return [] }
        var held: [Int64: EventRecord] = [:]
        for row in try fetchAll(
            db, in: Set(repeated.map(\.seq)).sorted().map { .integer($0) }, leading: [.text(gateID), .text(origin)],
            sql: { "SELECT * FROM events WHERE gate_id = ? AND origin = ? AND seq IN (\($0))" })
        {
            let record = EventRecord(row)
            held[record.row.seq ?? 0] = record
        }
        var conflicts: [Int64] = []
        for event in repeated {
            let record = EventRecord(gateID: gateID, origin: origin, event: event, received: received)
            if let held = held[event.seq], held.row.sameContent(as: record.row) { continue }
            conflicts.append(event.seq)
            // A conflict re-sent after a lost ack is kept once.
            let known = try ConflictRecord.fetchAll(db, gateID: gateID, origin: origin, seq: event.seq)
            if known.contains(where: { $0.event.row.sameContent(as: record.row) }) { continue }
            try record.conflict.insert(db)
        }
        return conflicts
    }

    /// Rows per multi-row statement (and values per `IN` list): a group commit of 4,096 events is a
    /// few dozen statements, not hundreds (on PostgreSQL each is a round trip). 500 rows of 13 values
    /// stay well under SQLite's 32,766 parameters and PostgreSQL's 65,535.
    static let rowsPerInsert = 500

    /// `(?, ?), (?, ?)` for `rows` rows of `columns` values.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// `?, ?, ?` for an `IN (…)` list of `count` values.
    static func parameterList(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// The rows of a query over many values, run with them in `IN (…)` lists of at most
    /// `rowsPerInsert`: `sql` gets each list's placeholders, `leading` the arguments before it.
    static func fetchAll(
        _ db: any StoreConnection, in values: [StoreValue], leading: [StoreValue] = [], sql: (_ list: String) -> String
    ) throws -> [StoreRow] {
        var rows: [StoreRow] = []
        for chunk in chunks(of: values, size: rowsPerInsert) {
            rows += try StoreRow.fetchAll(
                db.chunkStatement(sql: sql(parameterList(chunk.count)), full: chunk.count == rowsPerInsert),
                arguments: StoreArguments(values: leading + chunk))
        }
        return rows
    }

    /// The rows of `table` in each batch's seq range moved by `offset` (`columns` selected), 16 ranges a statement.
    static func fetchAll(_ db: any StoreConnection, _ columns: String, from table: String, seqRangesOf batches: [EventBatch], offset: Int64 = 0) throws -> [StoreRow] {
        var rows: [StoreRow] = []
        for chunk in chunks(of: batches.filter { !$0.events.isEmpty }, size: 16) {
            var arguments = StoreArguments(values: [])
            for batch in chunk {
                let seqs = batch.events.map(\.seq)
                arguments += [batch.gateID, batch.origin, seqs.min()! + offset, seqs.max()! + offset]
            }
            let ranges = Array(repeating: "(gate_id = ? AND origin = ? AND seq BETWEEN ? AND ?)", count: chunk.count).joined(separator: " OR ")
            rows += try StoreRow.fetchAll(db.chunkStatement(sql: "SELECT \(columns) FROM \(table) WHERE \(ranges)", full: chunk.count == 16), arguments: arguments)
        }
        return rows
    }

    static func chunks<T>(of items: [T], size: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }

    /// The highest event sequence held for a gate database, 0 if none: a gate
    /// restored from a backup numbers its next events past it.
    public func lastEventSeq(gateID: String, origin: String) throws -> Int64 {
        try database.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(seq) FROM events WHERE gate_id = ? AND origin = ?", arguments: [gateID, origin]) ?? 0
        }
    }

    /// Conflicting events kept per gate (only gates that have some).
    public func conflictCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for row in try StoreRow.fetchAll(db, sql: "SELECT gate_id, count(*) AS n FROM event_conflicts GROUP BY gate_id") {
                counts[row["gate_id"]] = row["n"]
            }
            return counts
        }
    }

    /// Forgets the plates of authorised passages and exits older than `cutoff`:
    /// a plate is personal data, and an authorised vehicle's read is kept only
    /// as long as a rule (a maximum stay) may need it. Violations and reviews keep theirs.
    @discardableResult
    public func forgetAuthorisedPlates(before cutoff: Date) throws -> Int {
        try database.write { db in
            try db.execute(
                sql: "UPDATE events SET plate = NULL WHERE kind IN ('authorised', 'exit') AND at_ms < ? AND plate IS NOT NULL",
                arguments: [Int64(cutoff.timeIntervalSince1970 * 1000)])
            let forgotten = db.changesCount
            // Conflicts are events too: the same retention applies to them.
            try db.execute(
                sql: "UPDATE event_conflicts SET plate = NULL WHERE kind IN ('authorised', 'exit') AND at_ms < ? AND plate IS NOT NULL",
                arguments: [Int64(cutoff.timeIntervalSince1970 * 1000)])
            return forgotten + db.changesCount
        }
    }

    public struct EventCounts: Sendable, Equatable, Codable {
        public var total: Int
        public var violations: Int
        public var reviews: Int
        public init(total: Int, violations: Int, reviews: Int) {
            self.total = total
            self.violations = violations
            self.reviews = reviews
        }
    }

    public func eventCounts() throws -> EventCounts {
        try database.read { db in
            // From the tallies: counting a million rows cost ~100 ms, polled by the dashboard.
            let row = try StoreRow.fetchOne(db, sql: """
                SELECT coalesce(sum(n), 0) AS total, coalesce(sum(CASE kind WHEN 'violation' THEN n END), 0) AS violations,
                    coalesce(sum(CASE kind WHEN 'review' THEN n END), 0) AS reviews
                FROM event_tallies
                """)
            return EventCounts(total: row?["total"] ?? 0, violations: row?["violations"] ?? 0, reviews: row?["reviews"] ?? 0)
        }
    }

    /// Every (gate, seq) pair stored, for tests and audits.
    public func eventKeys(gateID: String) throws -> [Int64] {
        try database.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM events WHERE gate_id = ? ORDER BY seq", arguments: [gateID]) }
    }

    /// Plates stored per event sequence, for audits and tests.
    public func eventPlates(gateID: String) throws -> [Int64: String?] {
        try database.read { db in
            var plates: [Int64: String?] = [:]
            for row in try StoreRow.fetchAll(db, sql: "SELECT seq, plate FROM events WHERE gate_id = ?", arguments: [gateID]) {
                plates[row["seq"]] = .some(row["plate"])
            }
            return plates
        }
    }

    // MARK: Health

    /// Records when each gate was last heard and, when it sent one, its
    /// last health. A gate that uploads but sends no heartbeat is still alive.
    public func saveHealth(_ reports: [(gateID: String, lastSeen: Date, health: GateHealth?)]) throws {
        guard !reports.isEmpty else { return }
        try database.write { db in
            let encoder = JSONEncoder()
            for report in reports {
                let seen = Int64(report.lastSeen.timeIntervalSince1970 * 1000)
                if let health = report.health {
                    try db.execute(
                        sql: """
                            INSERT INTO gate_health (gate_id, last_seen_ms, health) VALUES (?, ?, ?)
                            ON CONFLICT (gate_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms, health = excluded.health
                            """,
                        arguments: [report.gateID, seen, String(decoding: try encoder.encode(health), as: UTF8.self)])
                } else {
                    try db.execute(
                        sql: """
                            INSERT INTO gate_health (gate_id, last_seen_ms, health) VALUES (?, ?, 'null')
                            ON CONFLICT(gate_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms
                            """,
                        arguments: [report.gateID, seen])
                }
            }
        }
    }

    public func healthReports() throws -> [String: (lastSeen: Date, health: GateHealth?)] {
        try database.read { db in
            var result: [String: (Date, GateHealth?)] = [:]
            for row in try StoreRow.fetchAll(db, sql: "SELECT * FROM gate_health") {
                let health = try? JSONDecoder().decode(GateHealth.self, from: Data((row["health"] as String).utf8))
                result[row["gate_id"]] = (Date(timeIntervalSince1970: Double(row["last_seen_ms"] as Int64) / 1000), health)
            }
            return result
        }
    }

    // MARK: Holidays

    public func holidays() throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "SELECT date FROM holidays ORDER BY date") }
    }

    /// The calendar as gates receive it: every date and the calendar's sequence (nil before any calendar).
    public func holidayCalendar() throws -> (dates: [String], seq: Int64?) {
        try database.read { db in
            (try String.fetchAll(db, sql: "SELECT date FROM holidays ORDER BY date"), try Self.holidaysSeq(db))
        }
    }

    /// The holiday calendar's change sequence: it moves with every change, and gates fetch the calendar when it does.
    public func holidaysSeq() throws -> Int64? {
        try database.read { db in try Self.holidaysSeq(db) }
    }

    static func holidaysSeq(_ db: any StoreConnection) throws -> Int64? {
        try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'holidays_seq'").flatMap { Int64($0) }
    }

    /// Holidays with their names, in date order.
    public func namedHolidays() throws -> [(date: String, name: String)] {
        try database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT date, name FROM holidays ORDER BY date").map { ($0["date"], $0["name"]) }
        }
    }

    /// Replaces the whole calendar.
    public func setHolidays(_ calendar: HolidayCalendar) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM holidays")
            for date in calendar.dates.sorted() {
                try db.execute(sql: "INSERT INTO holidays (date) VALUES (?)", arguments: [date.description])
            }
            try Self.bumpHolidaysSeq(db)
        }
    }

    /// Adds (or renames) holidays; returns how many dates were new.
    @discardableResult
    public func addHolidays(_ holidays: [(date: LocalDate, name: String)]) throws -> Int {
        try database.write { db in
            var added = 0
            for holiday in holidays {
                let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM holidays WHERE date = ?", arguments: [holiday.date.description]) ?? false
                try db.execute(
                    sql: "INSERT INTO holidays (date, name) VALUES (?, ?) ON CONFLICT(date) DO UPDATE SET name = excluded.name",
                    arguments: [holiday.date.description, holiday.name])
                if !existed { added += 1 }
            }
            if !holidays.isEmpty { try Self.bumpHolidaysSeq(db) }
            return added
        }
    }

    /// Removes holidays; returns how many existed.
    @discardableResult
    public func removeHolidays(_ dates: [LocalDate]) throws -> Int {
        try database.write { db in
            var removed = 0
            for date in dates {
                try db.execute(sql: "DELETE FROM holidays WHERE date = ?", arguments: [date.description])
                removed += db.changesCount
            }
            if removed > 0 { try Self.bumpHolidaysSeq(db) }
            return removed
        }
    }

    private static func bumpHolidaysSeq(_ db: any StoreConnection) throws {
        let next = (try holidaysSeq(db) ?? 0) + 1
        try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('holidays_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", arguments: [String(next)])
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
    /// An instant as the integer Unix milliseconds the tables hold, rounded like `Permit`'s.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
