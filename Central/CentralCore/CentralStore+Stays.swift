import Domain
import Foundation
import GRDB
import WireProtocol

// The maximum-stay rule at central (issue 11): entries wait for their exit in
// `stays`, exits with no entry wait a little for a late entry, and what the
// rule finds becomes an event of central's own origin at the gate concerned —
// a violation (overstay) or a review (an exit with no entry), reviewed like
// any other. Rows hold plates, so each lives only until the rule is done with it.

extension CentralStore {
    /// The origin of the events the stay rule makes (gates' origins never start with "central").
    public static let stayOrigin = "central-stays"

    /// How long an exit with no entry waits for an entry a buffering gate may still upload.
    public static let exitSettleSeconds: Double = 600

    /// How long an entry with no limit is kept for pairing (a resident's car parked overnight):
    /// the retention of an authorised vehicle's plate.
    public static let unlimitedEntryKeptSeconds: Double = 86_400

    static func registerStayMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-stays") { db in
            try db.execute(sql: """
                CREATE TABLE stays (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    zone TEXT NOT NULL,
                    plate TEXT NOT NULL,
                    state TEXT NOT NULL,          -- 'open' (an entry) or 'exit_unmatched'
                    at_ms INTEGER NOT NULL,       -- the entry's time, or the exit's
                    gate_id TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    permit_id TEXT,
                    max_stay_s INTEGER,
                    confidence REAL NOT NULL,
                    due_ms INTEGER NOT NULL       -- when settleStays acts on a row left alone
                );
                CREATE INDEX stays_by_plate ON stays(zone, plate, state, at_ms);
                CREATE INDEX stays_due ON stays(due_ms);
                """)
        }
    }

    /// Pairs newly stored events with the stays they open or close (inside the ingest transaction).
    func recordStays(_ db: any StoreConnection, events: [Event], gateID: String, origin: String) throws {
        // Cached statements: this runs inside every ingest transaction (compiling the SQL each time cost
        // three quarters of central's ingest rate).
        guard let gate = try StoreRow.fetchOne(db.cachedStatement(sql: "SELECT zone, direction FROM gates WHERE id = ?"), arguments: [gateID])
        else { return }
        let zone: String = gate["zone"]
        let isExit = (gate["direction"] as String) == Direction.exit.rawValue
        for event in events {
            guard let plate = event.plate else { continue }
            let at = Date(timeIntervalSince1970: Double(event.atMilliseconds) / 1000)
            if isExit {
                try recordExit(db, event: event, plate: plate, at: at, zone: zone, gateID: gateID, origin: origin)
            } else {
                try recordEntry(db, event: event, plate: plate, at: at, zone: zone, gateID: gateID, origin: origin)
            }
        }
    }

    private func recordEntry(_ db: any StoreConnection, event: Event, plate: String, at: Date, zone: String, gateID: String, origin: String) throws {
        // The limit of the permit that let the vehicle in; a vehicle let in by none has no limit to keep.
        var maxStay: Int?
        if event.kind == .authorised, let permitID = event.permitID,
            let json = try String.fetchOne(db.cachedStatement(sql: "SELECT json FROM permits WHERE id = ?"), arguments: [permitID])
        {
            maxStay = try JSONDecoder().decode(Permit.self, from: Data(json.utf8)).maxStaySeconds
        }
        // An exit uploaded before its entry (the entry gate was buffering) pairs now.
        if let exit = try StoreRow.fetchOne(
            db.cachedStatement(
                sql: "SELECT * FROM stays WHERE zone = ? AND plate = ? AND state = 'exit_unmatched' AND at_ms >= ? ORDER BY at_ms LIMIT 1"),
            arguments: [zone, plate, event.atMilliseconds])
        {
            try db.execute(sql: "DELETE FROM stays WHERE id = ?", arguments: [exit["id"] as Int64])
            let exited = Date(timeIntervalSince1970: Double(exit["at_ms"] as Int64) / 1000)
            if case .overstay(let seconds) = StayRule.outcome(entered: at, exited: exited, maxStaySeconds: maxStay) {
                try recordRuleEvent(
                    db, gateID: exit["gate_id"], at: exit["at_ms"], kind: .violation, plate: plate, confidence: exit["confidence"],
                    permitID: event.permitID, reason: StayRule.overstayReason, stayedSeconds: seconds,
                    source: Self.weakerSource(event.source, exit["source"]))
            }
            return
        }
        let due = StayRule.noExitDeadline(entered: at, maxStaySeconds: maxStay) ?? at.addingTimeInterval(Self.unlimitedEntryKeptSeconds)
        try db.cachedStatement(
            sql: """
                INSERT INTO stays (zone, plate, state, at_ms, gate_id, origin, seq, permit_id, max_stay_s, confidence, due_ms, source)
                VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            zone, plate, event.atMilliseconds, gateID, origin, event.seq, event.permitID, maxStay, event.confidence, Self.milliseconds(due), event.source,
        ])
    }

    private func recordExit(_ db: any StoreConnection, event: Event, plate: String, at: Date, zone: String, gateID: String, origin: String) throws {
        if let entry = try StoreRow.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM stays WHERE zone = ? AND plate = ? AND state = 'open' AND at_ms <= ? ORDER BY at_ms DESC LIMIT 1"),
            arguments: [zone, plate, event.atMilliseconds])
        {
            try db.execute(sql: "DELETE FROM stays WHERE id = ?", arguments: [entry["id"] as Int64])
            let entered = Date(timeIntervalSince1970: Double(entry["at_ms"] as Int64) / 1000)
            if case .overstay(let seconds) = StayRule.outcome(entered: entered, exited: at, maxStaySeconds: entry["max_stay_s"]) {
                try recordRuleEvent(
                    db, gateID: gateID, at: event.atMilliseconds, kind: .violation, plate: plate, confidence: event.confidence,
                    permitID: entry["permit_id"], reason: StayRule.overstayReason, stayedSeconds: seconds,
                    source: Self.weakerSource(entry["source"], event.source))
            }
            return
        }
        // No entry: a vehicle whose permit lets it stay without limit (a resident back from days away) is no concern;
        // any other waits for a late entry, then goes to review (never a fine: the entry read may just have failed).
        if try holdsUnlimitedPermit(db, plate: plate, zone: zone, at: at) { return }
        try db.execute(
            sql: """
                INSERT INTO stays (zone, plate, state, at_ms, gate_id, origin, seq, permit_id, max_stay_s, confidence, due_ms, source)
                VALUES (?, ?, 'exit_unmatched', ?, ?, ?, ?, NULL, NULL, ?, ?, ?)
                """,
            arguments: [
                zone, plate, event.atMilliseconds, gateID, origin, event.seq, event.confidence,
                Self.milliseconds(at.addingTimeInterval(Self.exitSettleSeconds)), event.source,
            ])
    }

    private func holdsUnlimitedPermit(_ db: any StoreConnection, plate: String, zone: String, at: Date) throws -> Bool {
        let decoder = JSONDecoder()
        for json in try String.fetchAll(db, sql: "SELECT json FROM permits WHERE plate = ?", arguments: [plate]) {
            let permit = try decoder.decode(Permit.self, from: Data(json.utf8))
            // Time windows don't matter here: a resident may leave at any hour.
            let current = permit.validFrom <= at && permit.validUntil.map { at < $0 } ?? true
            if permit.maxStaySeconds == nil, permit.status == .active, current, permit.zones.contains(where: { $0 == zone || $0 == "*" }) {
                return true
            }
        }
        return false
    }

    /// Acts on the stays whose time is up: an entry with a limit and no exit by the end of its
    /// limit's day becomes a violation; an exit still without entry becomes a review; an entry
    /// with no limit is forgotten. Returns how many rule events were made.
    @discardableResult
    public func settleStays(now: Date) throws -> Int {
        // In transactions of a few hundred stays: the write lock is every gate's too (on PostgreSQL
        // each statement is a round trip, and 10,000 stays in one transaction held ingest up for seconds).
        let transactionSize = 500
        var made = 0
        while true {
            let (settled, raised) = try database.write { db -> (Int, Int) in
                var raised = 0
                let rows = try StoreRow.fetchAll(
                    db, sql: "SELECT * FROM stays WHERE due_ms <= ? ORDER BY due_ms LIMIT ?", arguments: [Self.milliseconds(now), transactionSize])
                for chunk in Self.chunks(of: rows.map { $0["id"] as Int64 }, size: Self.rowsPerInsert) {
                    var ids = StoreArguments(values: [])
                    for id in chunk { ids += [id] }
                    try db.execute(sql: "DELETE FROM stays WHERE id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))", arguments: ids)
                }
                for row in rows {
                    let state: String = row["state"]
                    if state == "exit_unmatched" {
                        try recordRuleEvent(
                            db, gateID: row["gate_id"], at: row["at_ms"], kind: .review, plate: row["plate"], confidence: row["confidence"],
                            permitID: nil, reason: StayRule.exitWithoutEntryReason, stayedSeconds: nil, source: row["source"])
                        raised += 1
                    } else if let maxStay = row["max_stay_s"] as Int? {
                        try recordRuleEvent(
                            db, gateID: row["gate_id"], at: (row["at_ms"] as Int64) + Int64(maxStay) * 1000, kind: .violation,
                            plate: row["plate"], confidence: row["confidence"], permitID: row["permit_id"], reason: StayRule.noExitReason,
                            stayedSeconds: nil, source: row["source"])
                        raised += 1
                    }
                }
                return (rows.count, raised)
            }
            made += raised
            if settled < transactionSize { return made }
        }
    }

    /// Stays waiting for their other half (entries and unmatched exits), for status and tests.
    public func pendingStays() throws -> (open: Int, unmatchedExits: Int) {
        try database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM stays WHERE state = 'open'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM stays WHERE state = 'exit_unmatched'") ?? 0
            )
        }
    }

    /// What the rule has raised so far: overstay violations (at an exit or for want of one) and exits with no entry.
    public func stayFindings() throws -> (overstays: Int, exitsWithoutEntry: Int) {
        try database.read { db in
            let row = try StoreRow.fetchOne(
                db, sql: "SELECT sum(CASE WHEN reason <> ? THEN 1 ELSE 0 END) AS overstays, sum(CASE WHEN reason = ? THEN 1 ELSE 0 END) AS exits FROM events WHERE origin = ?",
                arguments: [StayRule.exitWithoutEntryReason, StayRule.exitWithoutEntryReason, Self.stayOrigin])
            return (row?["overstays"] ?? 0, row?["exits"] ?? 0)
        }
    }

    /// An event of central's own origin at `gateID`, numbered after the last one the rule made there.
    private func recordRuleEvent(
        _ db: any StoreConnection, gateID: String, at: Int64, kind: DecisionKind, plate: String, confidence: Double, permitID: String?,
        reason: String, stayedSeconds: Int?, source: String?
    ) throws {
        let seq = (try Int64.fetchOne(
            db, sql: "SELECT max(seq) FROM events WHERE gate_id = ? AND origin = ?", arguments: [gateID, Self.stayOrigin]) ?? 0) + 1
        try db.execute(
            sql: """
                INSERT INTO events (gate_id, origin, seq, at_ms, kind, plate, confidence, permit_id, reason, candidates, received_ms, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
                """,
            arguments: [gateID, Self.stayOrigin, seq, at, kind.rawValue, plate, confidence, permitID, reason, Self.nowMilliseconds(), source])
        try Self.tally(CollectionOfOne((at, kind.rawValue)), db)
    }

    /// The source a rule event inherits from the reads it rests on: the least trustworthy of
    /// them, so an injected entry or exit can never make an overstay fine.
    static func weakerSource(_ first: String?, _ second: String?) -> String? {
        if !ReadSource(wire: first).mayBecomeFine { return first }
        if !ReadSource(wire: second).mayBecomeFine { return second }
        return first
    }

}
