import Foundation
import GRDB

// Event counts kept as they are written, one row per (UTC hour, kind). The dashboard,
// `/api/v1/gates` and `/metrics` show totals, cases waiting and today's hourly chart all day;
// counting a million events for each cost ~100 ms of a two-core machine every few seconds,
// which the dashboard's p99 paid. A tally row is updated in the transaction that stores its
// events, so the counts are exactly the table's, and cost one upsert per (hour, kind) of a batch.
// Seal problems per gate are tallied the same way: a fleet of unsigned gates would otherwise
// make status count a million `unsigned` seals every time it is read.

extension CentralStore {
    static func registerTallyMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("event-tallies-v1") { db in
            try db.execute(sql: """
                CREATE TABLE event_tallies (
                    hour INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    n INTEGER NOT NULL,
                    PRIMARY KEY (hour, kind)
                ) WITHOUT ROWID;
                INSERT INTO event_tallies (hour, kind, n) SELECT at_ms / 3600000, kind, count(*) FROM events GROUP BY 1, 2;
                CREATE INDEX case_states_state ON case_states(state);
                CREATE TABLE seal_tallies (
                    gate_id TEXT NOT NULL,
                    seal TEXT NOT NULL,
                    n INTEGER NOT NULL,
                    PRIMARY KEY (gate_id, seal)
                ) WITHOUT ROWID;
                INSERT INTO seal_tallies (gate_id, seal, n)
                    SELECT gate_id, seal, count(*) FROM event_seals WHERE seal != 'valid' GROUP BY 1, 2;
                """)
        }
    }

    /// The UTC hour an event counts in. Madrid's offsets are whole hours, so a Madrid
    /// day is a run of whole UTC hours (23, 24 or 25 of them).
    static func tallyHour(_ atMilliseconds: Int64) -> Int64 { atMilliseconds / 3_600_000 }

    /// Adds newly stored events to the tallies; call in the transaction that inserted them.
    static func tally(_ stored: some Sequence<(atMilliseconds: Int64, kind: String)>, _ db: any StoreConnection) throws {
        var counts: [TallyKey: Int] = [:]
        for event in stored { counts[TallyKey(hour: tallyHour(event.atMilliseconds), kind: event.kind), default: 0] += 1 }
        guard !counts.isEmpty else { return }
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO event_tallies (hour, kind, n) VALUES (?, ?, ?)
            ON CONFLICT (hour, kind) DO UPDATE SET n = event_tallies.n + excluded.n
            """)
        for (key, n) in counts { try upsert.execute(arguments: [key.hour, key.kind, n]) }
    }

    /// Adds newly recorded seals that do not hold to the gate's tally.
    static func tallySealProblems(_ problems: [SealStatus: Int], gateID: String, _ db: any StoreConnection) throws {
        guard !problems.isEmpty else { return }
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO seal_tallies (gate_id, seal, n) VALUES (?, ?, ?)
            ON CONFLICT (gate_id, seal) DO UPDATE SET n = seal_tallies.n + excluded.n
            """)
        for (status, n) in problems { try upsert.execute(arguments: [gateID, status.rawValue, n]) }
    }

    private struct TallyKey: Hashable {
        var hour: Int64
        var kind: String
    }
}
