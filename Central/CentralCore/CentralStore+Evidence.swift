import Crypto
import Evidence
import Foundation
import Synchronization
import GRDB
import WireProtocol

// Evidence at central (revision 4): the gates' signing keys, each event's
// seal as received and whether it holds, and the evidence images, uploaded
// in resumable chunks and stored content-addressed.

extension CentralStore {
    /// Whether an event's seal holds, as checked on ingest.
    public enum SealStatus: String, Sendable, Codable, CaseIterable {
        /// Signed with the gate's key, and chained to the stored previous event when central holds it.
        case valid
        /// The event carries no signature (a revision-3 gate).
        case unsigned
        /// Signed, but not with the key central holds for the gate (or not at all).
        case badSignature = "bad_signature"
        /// The signature holds, but `prev` is not the hash of the stored event before it.
        case chainBreak = "chain_break"
        /// Signed, but central holds no signing key for the gate to check it with.
        case unverified
    }

    static func registerEvidenceMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-evidence") { db in
            try db.execute(sql: """
                ALTER TABLE gates ADD COLUMN signing_key TEXT;
                ALTER TABLE gates ADD COLUMN signing_key_source TEXT;
                ALTER TABLE gates ADD COLUMN signing_key_refused TEXT;
                CREATE TABLE event_seals (
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    hash TEXT NOT NULL,
                    prev TEXT,
                    sig TEXT,
                    images TEXT,
                    seal TEXT NOT NULL,
                    PRIMARY KEY (gate_id, origin, seq)
                ) WITHOUT ROWID;
                CREATE INDEX event_seals_problems ON event_seals(gate_id, seal) WHERE seal != 'valid';
                CREATE TABLE evidence_blobs (sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
                CREATE TABLE evidence_images (
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    sha256 TEXT NOT NULL REFERENCES evidence_blobs(sha256),
                    received_ms INTEGER NOT NULL,
                    PRIMARY KEY (gate_id, origin, seq, role)
                ) WITHOUT ROWID;
                CREATE TABLE evidence_chunks (
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    offset INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (gate_id, origin, seq, role, offset)
                ) WITHOUT ROWID;
                """)
        }
    }

    // MARK: Signing keys

    /// A signing key that is not a raw 32-byte Ed25519 public key in base64.
    public struct InvalidSigningKey: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "'\(text)' is not a 32-byte Ed25519 public key in base64 (44 characters)" }
    }

    /// Whether `text` is a signing public key central can check events with.
    public static func isSigningKey(_ text: String) -> Bool {
        SigningKey.publicKey(base64: text) != nil
    }

    /// Registers the gate's signing public key (base64 of 32 bytes), replacing any pinned one.
    public func setSigningKey(gateID: String, publicKey: String) throws {
        guard SigningKey.publicKey(base64: publicKey) != nil else {
            throw InvalidSigningKey(text: publicKey)
        }
        try database.write { db in
            try db.execute(
                sql: "UPDATE gates SET signing_key = ?, signing_key_source = 'registered', signing_key_refused = NULL WHERE id = ?",
                arguments: [publicKey, gateID])
        }
    }

    /// Forgets a gate's signing key, so the next hello pins the one it announces (a replaced gate unit).
    public func forgetSigningKey(gateID: String) throws {
        try database.write { db in
            try db.execute(
                sql: "UPDATE gates SET signing_key = NULL, signing_key_source = NULL, signing_key_refused = NULL WHERE id = ?",
                arguments: [gateID])
        }
    }

    /// What central made of the signing key a gate announced in `hello`.
    public enum AnnouncedKey: Equatable, Sendable {
        /// The key central holds.
        case matches
        /// Central held none: this one is pinned now (trust on first use).
        case pinned
        /// Not the key central holds; `firstTime` when it was not refused before.
        case mismatch(held: String, firstTime: Bool)
    }

    /// Compares an announced key with the one held, pinning it if none is.
    public func checkAnnouncedSigningKey(gateID: String, announced: String) throws -> AnnouncedKey {
        try database.write { db in
            guard let row = try StoreRow.fetchOne(db, sql: "SELECT signing_key, signing_key_refused FROM gates WHERE id = ?", arguments: [gateID])
            else { return .matches }
            guard let held = row["signing_key"] as String? else {
                try db.execute(
                    sql: "UPDATE gates SET signing_key = ?, signing_key_source = 'pinned', signing_key_refused = NULL WHERE id = ?",
                    arguments: [announced, gateID])
                return .pinned
            }
            if held == announced {
                if row["signing_key_refused"] as String? != nil {
                    try db.execute(sql: "UPDATE gates SET signing_key_refused = NULL WHERE id = ?", arguments: [gateID])
                }
                return .matches
            }
            let before = row["signing_key_refused"] as String?
            if before != announced {
                try db.execute(sql: "UPDATE gates SET signing_key_refused = ? WHERE id = ?", arguments: [announced, gateID])
            }
            return .mismatch(held: held, firstTime: before != announced)
        }
    }

    /// Gates whose last announced signing key was refused, with that key.
    public func refusedSigningKeys() throws -> [String: String] {
        try database.read { db in
            var refused: [String: String] = [:]
            for row in try StoreRow.fetchAll(db, sql: "SELECT id, signing_key_refused FROM gates WHERE signing_key_refused IS NOT NULL") {
                refused[row["id"]] = row["signing_key_refused"]
            }
            return refused
        }
    }

    // MARK: Seals

    /// Checks and records the seal of events just stored (in their order, so
    /// that one batch chains within itself). Nothing is refused: an event
    /// whose seal does not hold is kept, acknowledged and reported.
    static func recordSeals(of events: [Event], gateID: String, origin: String, checked: SealChecks? = nil, _ db: any StoreConnection) throws {
        try recordSeals(of: [EventBatch(events: events, gateID: gateID, origin: origin)], checked: checked.map { [$0] }, db)
    }

    /// `recordSeals` for several batches, in a few statements whatever their number.
    /// `checked[i]`, when given, is batch i's checks made before the transaction.
    static func recordSeals(of batches: [EventBatch], checked: [SealChecks]? = nil, _ db: any StoreConnection) throws {
        let kept = batches.indices.filter { !batches[$0].events.isEmpty }
        guard !kept.isEmpty else { return }
        let keyTexts = try signingKeys(db, gateIDs: kept.map { batches[$0].gateID })
        // Checked before the transaction with the key central held then; a key changed in
        // between (rare: a re-registration) means checking again here, under the lock.
        let checks = kept.map { index -> SealChecks in
            let batch = batches[index], keyText = keyTexts[batch.gateID] ?? nil
            if let early = checked?[index], early.keyText == keyText { return early }
            return SealChecks(batch.events, origin: batch.origin, keyText: keyText)
        }
        let batches = kept.map { batches[$0] }
        // Each event's check, made once: the one made before the transaction, or made now.
        let results = zip(batches, checks).map { batch, check in
            batch.events.map { check.bySeq[$0.seq] ?? SealChecks.check($0, origin: batch.origin, key: check.key) }
        }
        // The hash each event's predecessor has once the seals before it are stored: the seals already held
        // (which an insert never replaces) over those of this batch. One range read per batch, 16 to a statement.
        var hashBefore: [EventKey: String] = [:]
        for (batch, batchResults) in zip(batches, results) {
            for (event, result) in zip(batch.events, batchResults) {
                hashBefore[EventKey(gateID: batch.gateID, origin: batch.origin, seq: event.seq)] = result.hash
            }
        }
        for row in try fetchAll(db, "gate_id, origin, seq, hash", from: "event_seals", seqRangesOf: batches, offset: -1) {
            hashBefore[EventKey(gateID: row[0], origin: row[1], seq: row[2])] = row[3]
        }
        let encoder = JSONEncoder()
        var statuses: [(batch: EventBatch, event: Event, hash: String, images: String?, status: SealStatus)] = []
        for (batch, batchResults) in zip(batches, results) {
            for (event, result) in zip(batch.events, batchResults) {
                let status: SealStatus
                switch result.signature {
                case .unsigned: status = .unsigned
                case .noKey: status = .unverified
                case .doesNotVerify: status = .badSignature
                case .verifies:
                    if let before = hashBefore[EventKey(gateID: batch.gateID, origin: batch.origin, seq: event.seq - 1)],
                        before != (event.previousHash ?? EventSeal.genesis)
                    {
                        status = .chainBreak
                    } else {
                        status = .valid
                    }
                }
                let images = try event.images.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
                statuses.append((batch, event, result.hash, images, status))
            }
        }
        var problems: [String: [SealStatus: Int]] = [:]
        for chunk in chunks(of: statuses, size: rowsPerInsert) {
            let insert = try db.chunkStatement(sql: """
                INSERT INTO event_seals (gate_id, origin, seq, hash, prev, sig, images, seal) VALUES \(placeholders(rows: chunk.count, columns: 8))
                ON CONFLICT DO NOTHING RETURNING gate_id, seal
                """, full: chunk.count == Self.rowsPerInsert)
            var arguments = StoreArguments(values: [])
            for item in chunk {
                arguments += [
                    item.batch.gateID, item.batch.origin, item.event.seq, item.hash, item.event.previousHash, item.event.signature, item.images,
                    item.status.rawValue,
                ]
            }
            for row in try StoreRow.fetchAll(insert, arguments: arguments) {
                let status = SealStatus(rawValue: row["seal"]) ?? .unverified
                if status != .valid { problems[row["gate_id"], default: [:]][status, default: 0] += 1 }
            }
        }
        for (gateID, counts) in problems.sorted(by: { $0.key < $1.key }) { try tallySealProblems(counts, gateID: gateID, db) }
    }

    /// The part of checking a batch's seals that needs no database: each event's hash and
    /// whether its signature verifies with the gate's key. Ed25519 verification is the
    /// largest cost of ingest, so it runs before the write transaction: another writer (the
    /// other central instance, the CLI) is not held up by it.
    struct SealChecks: Sendable {
        enum Signature: Sendable { case unsigned, noKey, doesNotVerify, verifies }
        struct Check: Sendable {
            var hash: String
            var signature: Signature
        }
        /// The gate's signing key as stored when checked (base64), nil when it has none.
        let keyText: String?
        let key: Curve25519.Signing.PublicKey?
        var bySeq: [Int64: Check] = [:]

        init(_ events: [Event], origin: String, keyText: String?) {
            self.keyText = keyText
            key = keyText.flatMap(SigningKey.publicKey(base64:))
            for event in events { bySeq[event.seq] = Self.check(event, origin: origin, key: key) }
        }

        /// Checks of several batches, spread over the cores (Ed25519 verification is CPU-bound).
        static func checkAll(_ batches: [EventBatch], keyTexts: [String: String?]) -> [SealChecks] {
            let results = Mutex<[Int: SealChecks]>([:])
            DispatchQueue.concurrentPerform(iterations: batches.count) { index in
                let batch = batches[index]
                let checks = SealChecks(batch.events, origin: batch.origin, keyText: keyTexts[batch.gateID] ?? nil)
                results.withLock { $0[index] = checks }
            }
            return results.withLock { all in batches.indices.map { all[$0]! } }
        }

        static func check(_ event: Event, origin: String, key: Curve25519.Signing.PublicKey?) -> Check {
            let payload = EventSeal.payload(of: event, origin: origin)
            let hash = EventSeal.hexDigest(payload)
            guard let text = event.signature else { return Check(hash: hash, signature: .unsigned) }
            guard let key else { return Check(hash: hash, signature: .noKey) }
            guard let signature = Data(base64Encoded: text), signature.count == 64, key.isValidSignature(signature, for: payload) else {
                return Check(hash: hash, signature: .doesNotVerify)
            }
            return Check(hash: hash, signature: .verifies)
        }
    }

    /// The seal status of one stored event; nil when central holds no seal for it (stored before revision 4).
    public func sealStatus(gateID: String, origin: String, seq: Int64) throws -> SealStatus? {
        try database.read { db in
            try String.fetchOne(
                db, sql: "SELECT seal FROM event_seals WHERE gate_id = ? AND origin = ? AND seq = ?", arguments: [gateID, origin, seq]
            ).flatMap(SealStatus.init(rawValue:))
        }
    }

    /// Events whose seal does not hold, per gate and status (only gates that have some).
    public func sealProblemCounts() throws -> [String: [SealStatus: Int]] {
        try database.read { db in
            var counts: [String: [SealStatus: Int]] = [:]
            for row in try StoreRow.fetchAll(db, sql: "SELECT gate_id, seal, n FROM seal_tallies WHERE n > 0") {
                guard let status = SealStatus(rawValue: row["seal"]) else { continue }
                counts[row["gate_id"], default: [:]][status] = row["n"]
            }
            return counts
        }
    }

    // MARK: Evidence images

    /// Takes one chunk of an evidence image. Chunks are kept durably as they
    /// come, so an upload resumes at the answered offset after a restart of
    /// either side; the last one completes the image only if its SHA-256 is
    /// the digest in the stored, signed event. Unknown events, images the
    /// event does not list and mismatching images are answered with an error
    /// and leave nothing stored.
    public func receiveEvidence(_ chunk: EvidenceChunk, gateID: String) throws -> EvidenceAck {
        func answer(_ next: Int, complete: Bool = false, error: String? = nil) -> EvidenceAck {
            EvidenceAck(origin: chunk.origin, seq: chunk.seq, role: chunk.role, nextOffset: next, complete: complete, error: error)
        }
        return try database.write { db in
            let eventKey: StoreArguments = [gateID, chunk.origin, chunk.seq]
            guard let imagesJSON = try StoreRow.fetchOne(
                db, sql: "SELECT images FROM event_seals WHERE gate_id = ? AND origin = ? AND seq = ?", arguments: eventKey)
            else { return answer(0, error: "central holds no event \(chunk.seq) of origin '\(chunk.origin)'") }
            let images = (imagesJSON["images"] as String?).flatMap { try? JSONDecoder().decode([EventImageDigest].self, from: Data($0.utf8)) } ?? []
            guard let digest = images.first(where: { $0.role == chunk.role }), digest.sha256 == chunk.sha256, digest.bytes == chunk.totalBytes
            else { return answer(0, error: "event \(chunk.seq) lists no \(chunk.role) image with that sha256 and size") }
            let imageKey: StoreArguments = eventKey + [chunk.role]
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM evidence_images WHERE gate_id = ? AND origin = ? AND seq = ? AND role = ?", arguments: imageKey) ?? false
            {
                return answer(digest.bytes, complete: true)
            }
            let held = try Int.fetchOne(
                db, sql: "SELECT coalesce(sum(length(data)), 0) FROM evidence_chunks WHERE gate_id = ? AND origin = ? AND seq = ? AND role = ?",
                arguments: imageKey) ?? 0
            // Not where central stands (a resend, or a gate that restarted): say where to go on from.
            guard chunk.offset == held, !chunk.data.isEmpty else { return answer(held) }
            try db.execute(
                sql: "INSERT INTO evidence_chunks (gate_id, origin, seq, role, \"offset\", data, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: imageKey + [chunk.offset, chunk.data, Self.nowMilliseconds()])
            let next = held + chunk.data.count
            guard next == digest.bytes else { return answer(next) }
            var whole = Data(capacity: digest.bytes)
            for part in try Data.fetchAll(
                db, sql: "SELECT data FROM evidence_chunks WHERE gate_id = ? AND origin = ? AND seq = ? AND role = ? ORDER BY \"offset\"",
                arguments: imageKey)
            {
                whole.append(part)
            }
            try db.execute(sql: "DELETE FROM evidence_chunks WHERE gate_id = ? AND origin = ? AND seq = ? AND role = ?", arguments: imageKey)
            let actual = EventSeal.hexDigest(whole)
            guard actual == digest.sha256 else {
                return answer(0, error: "the image's sha256 is \(actual), not \(digest.sha256) as the signed event says: the gate's copy is bad")
            }
            try db.execute(sql: "INSERT INTO evidence_blobs (sha256, bytes) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [actual, whole])
            try db.execute(
                sql: "INSERT INTO evidence_images (gate_id, origin, seq, role, sha256, received_ms) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: imageKey + [actual, Self.nowMilliseconds()])
            return answer(digest.bytes, complete: true)
        }
    }

    /// The bytes of a stored evidence image, by role, of one event.
    public func evidenceImages(gateID: String, origin: String, seq: Int64) throws -> [String: Data] {
        try database.read { db in try Self.evidenceImages(db, gateID: gateID, origin: origin, seq: seq) }
    }

    static func evidenceImages(_ db: any StoreConnection, gateID: String, origin: String, seq: Int64) throws -> [String: Data] {
        var images: [String: Data] = [:]
        let rows = try StoreRow.fetchAll(
            db,
            sql: """
                SELECT i.role, b.bytes FROM evidence_images i JOIN evidence_blobs b ON b.sha256 = i.sha256
                WHERE i.gate_id = ? AND i.origin = ? AND i.seq = ?
                """,
            arguments: [gateID, origin, seq])
        for row in rows { images[row["role"]] = row["bytes"] }
        return images
    }

    /// Images stored in all, counting each distinct content once (tests, audits).
    public func evidenceBlobCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM evidence_blobs") ?? 0 }
    }

    // MARK: The evidence bundle

    /// One event with everything needed to show it is what the gate decided
    /// (see `StoredEvidence`), or nil when central holds no such event.
    public func storedEvidence(gateID: String, origin: String, seq: Int64) throws -> StoredEvidence? {
        try database.read { db in try Self.storedEvidence(db, gateID: gateID, origin: origin, seq: seq) }
    }

    static func storedEvidence(_ db: any StoreConnection, gateID: String, origin: String, seq: Int64) throws -> StoredEvidence? {
        do {
            guard let event = try Self.eventAsSent(db, gateID: gateID, origin: origin, seq: seq) else { return nil }
            let before = try Int64.fetchAll(
                db, sql: "SELECT seq FROM events WHERE gate_id = ? AND origin = ? AND seq < ? ORDER BY seq DESC LIMIT 2",
                arguments: [gateID, origin, seq]
            ).reversed()
            let after = try Int64.fetchAll(
                db, sql: "SELECT seq FROM events WHERE gate_id = ? AND origin = ? AND seq > ? ORDER BY seq LIMIT 2",
                arguments: [gateID, origin, seq])
            let row = try StoreRow.fetchOne(db, sql: "SELECT signing_key FROM gates WHERE id = ?", arguments: [gateID])
            let seal = try String.fetchOne(
                db, sql: "SELECT seal FROM event_seals WHERE gate_id = ? AND origin = ? AND seq = ?", arguments: [gateID, origin, seq])
            var hashes: [Int64: String] = [:]
            for row in try StoreRow.fetchAll(
                db, sql: "SELECT seq, hash FROM event_seals WHERE gate_id = ? AND origin = ? AND seq BETWEEN ? AND ?",
                arguments: [gateID, origin, before.first ?? seq, after.last ?? seq])
            {
                hashes[row["seq"]] = row["hash"]
            }
            return StoredEvidence(
                gateID: gateID, origin: origin, event: event, signingPublicKey: row?["signing_key"],
                seal: seal.flatMap(SealStatus.init(rawValue:)),
                images: try Self.evidenceImages(db, gateID: gateID, origin: origin, seq: seq),
                before: try before.compactMap { try Self.eventAsSent(db, gateID: gateID, origin: origin, seq: $0) },
                after: try after.compactMap { try Self.eventAsSent(db, gateID: gateID, origin: origin, seq: $0) }, hashes: hashes)
        }
    }

    /// The event as the gate sent it: its columns, with the seal's images, prev and sig.
    static func eventAsSent(_ db: any StoreConnection, gateID: String, origin: String, seq: Int64) throws -> Event? {
        guard let record = try EventRecord.fetchOne(db, gateID: gateID, origin: origin, seq: seq) else { return nil }
        var event = record.row.event
        if let seal = try StoreRow.fetchOne(
            db, sql: "SELECT prev, sig, images FROM event_seals WHERE gate_id = ? AND origin = ? AND seq = ?", arguments: [gateID, origin, seq])
        {
            event.previousHash = seal["prev"]
            event.signature = seal["sig"]
            event.images = (seal["images"] as String?).flatMap { try? JSONDecoder().decode([EventImageDigest].self, from: Data($0.utf8)) }
        }
        return event
    }
}
