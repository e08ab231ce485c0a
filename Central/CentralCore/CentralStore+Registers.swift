import Domain
import Foundation
import GRDB

// Municipal registers (issue 11): the council's registers of residents and
// business licences are each the whole truth about their own permits. A
// register file is compared with what central holds for that register: new
// ids are added, different ones changed, members missing from the file
// revoked. Applying is one transaction (all or nothing) and idempotent: the
// same file applied twice changes nothing the second time.

/// What applying a register file changes, or would change (a dry run).
public struct RegisterChanges: Sendable, Equatable, Codable {
    public var added: [Permit] = []
    public var changed: [Permit] = []
    /// Ids of members missing from the file, revoked by the apply.
    public var revoked: [String] = []
    public var unchanged = 0

    public var isEmpty: Bool { added.isEmpty && changed.isEmpty && revoked.isEmpty }

    public var summary: String {
        "\(added.count) added, \(changed.count) changed, \(revoked.count) revoked, \(unchanged) unchanged"
    }
}

/// Why a register file was refused as a whole (nothing applied).
public struct RegisterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.prefix(20).joined(separator: "\n") }
}

extension CentralStore {
    static func registerRegisterMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-registers") { db in
            try db.execute(sql: """
                CREATE TABLE register_members (
                    register TEXT NOT NULL,
                    permit_id TEXT NOT NULL UNIQUE,   -- a permit belongs to one register at most
                    PRIMARY KEY (register, permit_id)
                ) WITHOUT ROWID;
                """)
        }
    }

    /// What applying `permits` as the whole of `register` would change; nothing is written.
    public func planRegister(_ register: String, permits: [Permit]) throws -> RegisterChanges {
        try database.read { db in try Self.plan(db, register: register, permits: permits) }
    }

    /// Applies `permits` as the whole of `register` in one transaction; each change gets its sequence.
    @discardableResult
    public func applyRegister(_ register: String, permits: [Permit]) throws -> RegisterChanges {
        try database.write { db in
            var changes = try Self.plan(db, register: register, permits: permits)
            var revocations: [Permit] = []
            for id in changes.revoked {
                guard let json = try String.fetchOne(db, sql: "SELECT json FROM permits WHERE id = ?", arguments: [id]) else { continue }
                var permit = try JSONDecoder().decode(Permit.self, from: Data(json.utf8))
                permit.status = .revoked
                revocations.append(permit)
            }
            let saved = try Self.save(ArraySlice(changes.added + changes.changed + revocations), db)
            for permit in changes.added + changes.changed {
                try db.execute(sql: "INSERT INTO register_members (register, permit_id) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [register, permit.id])
            }
            // The returned permits carry the sequences they got.
            let bySeq = Dictionary(saved.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            changes.added = changes.added.map { bySeq[$0.id] ?? $0 }
            changes.changed = changes.changed.map { bySeq[$0.id] ?? $0 }
            return changes
        }
    }

    /// The permits of `register` (every permit when nil), in id order, for export.
    public func permits(register: String?) throws -> [Permit] {
        try database.read { db in
            let rows: [String]
            if let register {
                rows = try String.fetchAll(
                    db, sql: "SELECT p.json FROM permits p JOIN register_members m ON m.permit_id = p.id WHERE m.register = ? ORDER BY p.id",
                    arguments: [register])
            } else {
                rows = try String.fetchAll(db, sql: "SELECT json FROM permits ORDER BY id")
            }
            let decoder = JSONDecoder()
            return try rows.map { try decoder.decode(Permit.self, from: Data($0.utf8)) }
        }
    }

    private static func plan(_ db: any StoreConnection, register: String, permits: [Permit]) throws -> RegisterChanges {
        if let problem = InputLimits.permitIDProblem(register) {
            throw RegisterError(problems: ["register name: \(problem.reason)"])
        }
        var changes = RegisterChanges()
        var problems: [String] = []
        let members = Set(try String.fetchAll(db, sql: "SELECT permit_id FROM register_members WHERE register = ?", arguments: [register]))
        let decoder = JSONDecoder()
        for permit in permits {
            if let owner = try String.fetchOne(
                db, sql: "SELECT register FROM register_members WHERE permit_id = ? AND register <> ?", arguments: [permit.id, register])
            {
                problems.append("permit \(permit.id) belongs to register '\(owner)'")
                continue
            }
            guard let json = try String.fetchOne(db, sql: "SELECT json FROM permits WHERE id = ?", arguments: [permit.id]) else {
                changes.added.append(permit)
                continue
            }
            var held = try decoder.decode(Permit.self, from: Data(json.utf8))
            held.seq = 0
            var wanted = permit
            wanted.seq = 0
            // A permit not yet in any register is adopted by this one (a change only if its content differs).
            if held == wanted && members.contains(permit.id) { changes.unchanged += 1 } else { changes.changed.append(permit) }
        }
        guard problems.isEmpty else { throw RegisterError(problems: problems) }
        let inFile = Set(permits.map(\.id))
        for id in members.subtracting(inFile).sorted() {
            let status = try String.fetchOne(db, sql: "SELECT json FROM permits WHERE id = ?", arguments: [id])
                .map { try decoder.decode(Permit.self, from: Data($0.utf8)).status }
            if let status, status != .revoked { changes.revoked.append(id) }
        }
        return changes
    }
}
