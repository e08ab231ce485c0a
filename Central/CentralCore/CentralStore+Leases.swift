import Foundation
import GRDB

// Leases on background jobs, so that a pass which must run once (retention, the
// maximum-stay pass) runs on one central instance at a time however many share the
// store; webhook notifications are claimed row by row instead (CentralStore+Webhooks).
// The upsert below is the same text in SQLite and PostgreSQL.

/// A job's lease as the store holds it.
public struct JobLeaseRecord: Sendable, Equatable {
    public var job: String
    public var holder: String
    public var expires: Date
}

extension CentralStore {
    static func registerLeaseMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("job-leases-v1") { db in
            try db.execute(sql: """
                CREATE TABLE job_leases (
                    job TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    expires_ms INTEGER NOT NULL
                )
                """)
        }
    }

    /// Claims `job` for `holder` until `now + duration`, or renews the holder's own lease.
    /// False while another holder's lease has not expired.
    public func claimLease(_ job: String, holder: String, duration: TimeInterval, now: Date = Date()) throws -> Bool {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job_leases (job, holder, expires_ms) VALUES (?, ?, ?)
                    ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
                    WHERE job_leases.holder = excluded.holder OR job_leases.expires_ms <= ?
                    """,
                arguments: [job, holder, Self.milliseconds(now.addingTimeInterval(duration)), Self.milliseconds(now)])
            return db.changesCount > 0
        }
    }

    /// Gives the lease up at once (a graceful stop), so another instance need not wait for it to expire.
    public func releaseLease(_ job: String, holder: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM job_leases WHERE job = ? AND holder = ?", arguments: [job, holder])
        }
    }

    public func leases() throws -> [JobLeaseRecord] {
        try database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT job, holder, expires_ms FROM job_leases ORDER BY job").map {
                JobLeaseRecord(job: $0["job"], holder: $0["holder"], expires: Date(timeIntervalSince1970: Double($0["expires_ms"] as Int64) / 1000))
            }
        }
    }
}
