import Crypto
import Foundation
import GRDB

/// One line of the audit log: who did what to which subject, and why.
///
/// `hash` is SHA-256 over `prev_hash` and the entry's own fields, so changing,
/// deleting or reordering any entry breaks every hash after it.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var seq: Int64
    public var atMilliseconds: Int64
    public var actor: String
    public var role: String
    public var action: String
    public var subject: String
    public var reason: String
    public var previousHash: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, actor, role, action, subject, reason, hash
        case atMilliseconds = "at_ms"
        case previousHash = "prev_hash"
    }

    /// The hash this entry must carry, given its fields and `previousHash`.
    public var expectedHash: String {
        // A JSON array of the fields: unambiguous whatever a reason holds (commas, line breaks).
        let fields = [String(seq), String(atMilliseconds), actor, role, action, subject, reason]
        let json = (try? JSONEncoder().encode(fields)) ?? Data()
        let digest = SHA256.hash(data: Data((previousHash + "\n").utf8) + json)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// The append-only, hash-chained audit log: every review action and every read
/// of evidence or images is written here, with who, when, what and why.
///
/// The table refuses UPDATE and DELETE (triggers); `verify` finds a row that
/// was changed behind SQLite's back anyway.
public struct AuditLog: Sendable {
    public static let genesis = String(repeating: "0", count: 64)
    let store: CentralStore

    public init(store: CentralStore) { self.store = store }

    /// Appends an entry. The evidence route calls this with action `evidence.download`,
    /// the violation id as subject and the police officer's stated reason.
    @discardableResult
    public func record(actor: Actor, action: String, subject: String, reason: String = "") throws -> AuditEntry {
        try store.database.write { db in try Self.append(db, actor: actor, action: action, subject: subject, reason: reason) }
    }

    /// Appends inside a caller's transaction, so an action and its audit entry commit together.
    static func append(_ db: any StoreConnection, actor: Actor, action: String, subject: String, reason: String) throws -> AuditEntry {
        let last = try StoreRow.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        var entry = AuditEntry(
            seq: (last?["seq"] as Int64? ?? 0) + 1, atMilliseconds: CentralStore.nowMilliseconds(), actor: actor.name,
            role: actor.role.rawValue, action: action, subject: subject, reason: reason,
            previousHash: last?["hash"] ?? genesis, hash: "")
        entry.hash = entry.expectedHash
        try db.execute(
            sql: "INSERT INTO audit_log (seq, at_ms, actor, role, action, subject, reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [entry.seq, entry.atMilliseconds, entry.actor, entry.role, entry.action, entry.subject, entry.reason, entry.previousHash, entry.hash])
        return entry
    }

    /// Entries newest first, before `beforeSeq` when given, at most `limit`.
    public func entries(beforeSeq: Int64? = nil, limit: Int = 100) throws -> [AuditEntry] {
        try store.database.read { db in
            try StoreRow.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [beforeSeq ?? .max, limit]
            ).map(Self.entry)
        }
    }

    static func entry(_ row: StoreRow) -> AuditEntry {
        AuditEntry(
            seq: row["seq"], atMilliseconds: row["at_ms"], actor: row["actor"], role: row["role"], action: row["action"],
            subject: row["subject"], reason: row["reason"], previousHash: row["prev_hash"], hash: row["hash"])
    }

    /// Where the chain breaks, if it does.
    public struct Break: Error, Sendable, Equatable, CustomStringConvertible {
        public var seq: Int64
        public var problem: Problem
        public enum Problem: String, Sendable, Equatable {
            case hashMismatch = "its hash does not match its fields (the entry was changed)"
            case previousMismatch = "its prev_hash is not the hash of the entry before (an entry was removed, inserted or changed)"
            case gap = "its seq does not follow the entry before (an entry was removed)"
        }
        public var description: String { "audit entry \(seq): \(problem.rawValue)" }
        public init(seq: Int64, problem: Problem) {
            self.seq = seq
            self.problem = problem
        }
    }

    /// Walks the whole chain in order; returns the number of entries, or throws the first `Break`.
    @discardableResult
    public func verify() throws -> Int {
        try store.database.read { db in
            var previous = Self.genesis
            var expectedSeq: Int64 = 1
            var count = 0
            let rows = try StoreRow.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY seq")
            while let row = try rows.next() {
                let entry = Self.entry(row)
                if entry.seq != expectedSeq { throw Break(seq: entry.seq, problem: .gap) }
                if entry.previousHash != previous { throw Break(seq: entry.seq, problem: .previousMismatch) }
                if entry.hash != entry.expectedHash { throw Break(seq: entry.seq, problem: .hashMismatch) }
                previous = entry.hash
                expectedSeq += 1
                count += 1
            }
            return count
        }
    }
}
