import Foundation
import GRDB

// Dashboard sessions, kept in the store rather than in one process's memory: a
// restart of central signs nobody out, every central instance sharing the store
// knows every session, and revoking a token ends its sessions at once (the lookup
// joins the token and refuses a revoked one). Only the SHA-256 of a session id is
// kept, as for tokens: a copy of the database opens no session.

/// A signed-in session as the store knows it.
public struct StoredSession: Sendable, Equatable {
    public var actor: Actor
    public var csrf: String
    public var expires: Date
}

extension CentralStore {
    static func registerSessionMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("dashboard-sessions-v1") { db in
            try db.execute(sql: """
                CREATE TABLE dashboard_sessions (
                    hash TEXT PRIMARY KEY,
                    token_name TEXT NOT NULL REFERENCES access_tokens(name),
                    csrf TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    expires_ms INTEGER NOT NULL
                );
                CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_ms);
                """)
        }
    }

    /// Opens a session for the token named `actor.name`, and forgets expired ones.
    /// Returns the session id (for the cookie; seen only here) and what the store keeps.
    public func openSession(for actor: Actor, lifetime: TimeInterval, now: Date = Date()) throws -> (id: String, session: StoredSession) {
        let id = AccessToken.generate()
        let session = StoredSession(actor: actor, csrf: AccessToken.generate(), expires: now.addingTimeInterval(lifetime))
        try database.write { db in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE expires_ms <= ?", arguments: [Self.milliseconds(now)])
            try db.execute(
                sql: "INSERT INTO dashboard_sessions (hash, token_name, csrf, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [AccessToken.hash(id), actor.name, session.csrf, Self.milliseconds(now), Self.milliseconds(session.expires)])
        }
        return (id, session)
    }

    /// The live session named by `id`: nil when unknown, expired, or its token revoked.
    public func session(id: String, now: Date = Date()) throws -> StoredSession? {
        guard id.hasPrefix(AccessToken.prefix), id.utf8.count < 200 else { return nil }
        return try database.read { db in
            guard let row = try StoreRow.fetchOne(
                db,
                sql: """
                    SELECT t.name, t.role, s.csrf, s.expires_ms FROM dashboard_sessions s
                    JOIN access_tokens t ON t.name = s.token_name
                    WHERE s.hash = ? AND s.expires_ms > ? AND t.revoked_ms IS NULL
                    """,
                arguments: [AccessToken.hash(id), Self.milliseconds(now)]),
                let role = AccessRole(rawValue: row["role"])
            else { return nil }
            return StoredSession(
                actor: Actor(name: row["name"], role: role), csrf: row["csrf"],
                expires: Date(timeIntervalSince1970: Double(row["expires_ms"] as Int64) / 1000))
        }
    }

    /// Signs a session out.
    public func closeSession(id: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE hash = ?", arguments: [AccessToken.hash(id)])
        }
    }
}
