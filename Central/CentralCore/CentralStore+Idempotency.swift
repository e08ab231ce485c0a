import Foundation
import GRDB

// Idempotency keys (issue 11): an app that times out and sends a creating request again
// with the same `Idempotency-Key` gets the first answer back instead of a second permit.
// A key is claimed before the work and completed with the answer; keys belong to the
// token that sent them and are forgotten after a day.

/// What a claimed idempotency key says about a request.
public enum IdempotencyClaim: Sendable, Equatable {
    /// First use: do the work, then `completeIdempotencyKey`.
    case new
    /// Seen and answered: send this answer again.
    case replay(status: Int, contentType: String, body: Data)
    /// The key was used for a different request (another body or route).
    case mismatch
    /// The first request with this key is still being worked on.
    case inProgress
}

extension CentralStore {
    /// How long an answer is kept for a retry.
    public static let idempotencyKeyLifetime: TimeInterval = 86_400

    static func registerIdempotencyMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("idempotency-keys-v1") { db in
            try db.execute(sql: """
                CREATE TABLE idempotency_keys (
                    actor TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    status INTEGER,
                    content_type TEXT,
                    body BLOB,
                    created_ms INTEGER NOT NULL,
                    PRIMARY KEY (actor, key)
                ) WITHOUT ROWID;
                CREATE INDEX idempotency_keys_created ON idempotency_keys(created_ms);
                """)
        }
    }

    /// Claims `key` for `actor`'s request with `fingerprint` (a hash of method, path and body).
    public func claimIdempotencyKey(actor: String, key: String, fingerprint: String, now: Date = Date()) throws -> IdempotencyClaim {
        try database.write { db in
            let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
            try db.execute(
                sql: "DELETE FROM idempotency_keys WHERE created_ms < ?",
                arguments: [nowMilliseconds - Int64(Self.idempotencyKeyLifetime * 1000)])
            if let row = try StoreRow.fetchOne(
                db, sql: "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE actor = ? AND key = ?",
                arguments: [actor, key])
            {
                guard (row["fingerprint"] as String) == fingerprint else { return .mismatch }
                guard let status: Int = row["status"] else { return .inProgress }
                return .replay(status: status, contentType: row["content_type"] ?? "application/json", body: row["body"] ?? Data())
            }
            try db.execute(
                sql: "INSERT INTO idempotency_keys (actor, key, fingerprint, created_ms) VALUES (?, ?, ?, ?)",
                arguments: [actor, key, fingerprint, nowMilliseconds])
            return .new
        }
    }

    /// Keeps the answer to a claimed key, for retries.
    public func completeIdempotencyKey(actor: String, key: String, status: Int, contentType: String, body: Data) throws {
        try database.write { db in
            try db.execute(
                sql: "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE actor = ? AND key = ?",
                arguments: [status, contentType, body, actor, key])
        }
    }

    /// Gives a claimed key back when the work failed without an answer worth repeating.
    public func releaseIdempotencyKey(actor: String, key: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE actor = ? AND key = ? AND status IS NULL", arguments: [actor, key])
        }
    }
}
