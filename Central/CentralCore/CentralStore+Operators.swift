import Foundation
import GRDB

// The control centre's tables: access tokens, review decisions, case states
// and the audit log. Registered after the core migrations, under their own names.

extension CentralStore {
    static func registerControlCentreMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("control-centre-v1") { db in
            try db.execute(sql: """
                CREATE TABLE access_tokens (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_ms INTEGER NOT NULL,
                    revoked_ms INTEGER
                );
                CREATE TABLE case_states (
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    updated_ms INTEGER NOT NULL,
                    PRIMARY KEY (gate_id, origin, seq)
                ) WITHOUT ROWID;
                CREATE TABLE case_actions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    plate TEXT,
                    reason TEXT,
                    outcome TEXT,
                    actor TEXT NOT NULL,
                    role TEXT NOT NULL,
                    at_ms INTEGER NOT NULL
                );
                CREATE INDEX case_actions_event ON case_actions(gate_id, origin, seq);
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    at_ms INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    role TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE INDEX events_gate_kind ON events(gate_id, kind, at_ms);
                CREATE INDEX events_at ON events(at_ms);
                """)
        }
    }

    // MARK: Access tokens

    /// Creates a token for `name` with `role` and returns it: the only time it is seen.
    public func createToken(name: String, role: AccessRole) throws -> String {
        guard Self.validTokenName(name) else { throw AccessTokenError.invalidName(name) }
        let token = AccessToken.generate()
        try database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM access_tokens WHERE name = ?", arguments: [name]) ?? false {
                throw AccessTokenError.nameTaken(name)
            }
            try db.execute(
                sql: "INSERT INTO access_tokens (name, role, hash, created_ms) VALUES (?, ?, ?, ?)",
                arguments: [name, role.rawValue, AccessToken.hash(token), Self.nowMilliseconds()])
        }
        return token
    }

    static func validTokenName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-@".unicodeScalars.contains($0) }
    }

    public func tokens() throws -> [AccessTokenRecord] {
        try database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT * FROM access_tokens ORDER BY name").compactMap { row in
                guard let role = AccessRole(rawValue: row["role"]) else { return nil }
                return AccessTokenRecord(name: row["name"], role: role, createdMilliseconds: row["created_ms"], revokedMilliseconds: row["revoked_ms"])
            }
        }
    }

    /// Revokes a token by name; false if unknown or already revoked. The name stays taken.
    @discardableResult
    public func revokeToken(name: String) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql: "UPDATE access_tokens SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL",
                arguments: [Self.nowMilliseconds(), name])
            let revoked = db.changesCount > 0
            // Its dashboard sessions end with it (the session lookup also refuses a revoked token).
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE token_name = ?", arguments: [name])
            return revoked
        }
    }

    /// Who a presented token belongs to, or nil when unknown or revoked.
    public func actor(forToken token: String) throws -> Actor? {
        guard token.hasPrefix(AccessToken.prefix), token.utf8.count < 200 else { return nil }
        return try database.read { db in
            guard let row = try StoreRow.fetchOne(
                db, sql: "SELECT name, role FROM access_tokens WHERE hash = ? AND revoked_ms IS NULL", arguments: [AccessToken.hash(token)]),
                let role = AccessRole(rawValue: row["role"])
            else { return nil }
            return Actor(name: row["name"], role: role)
        }
    }
}
