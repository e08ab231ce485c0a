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
    ///
    /// Set-based: what the events touch (their gates, the permits that let them in, the stays
    /// waiting under their plates, the permits of exiting plates) is read in a few statements,
    /// the events are paired in memory in their order, exactly as one at a time would pair them,
    /// and what is left is written back in multi-row statements. On PostgreSQL each statement is
    /// a round trip; three per plated event held a 256-event batch for most of a second.
    func recordStays(_ db: any StoreConnection, batches: [EventBatch]) throws {
        let plated = batches.flatMap { batch in
            batch.events.lazy.filter { $0.plate != nil }.map { (event: $0, gateID: batch.gateID, origin: batch.origin) }
        }
        guard !plated.isEmpty else { return }
        var gates: [String: (zone: String, isExit: Bool)] = [:]
        for row in try Self.fetchAll(db, in: Set(plated.map(\.gateID)).sorted().map { .text($0) }, sql: { "SELECT id, zone, direction FROM gates WHERE id IN (\($0))" }) {
            gates[row["id"]] = (row["zone"], (row["direction"] as String) == Direction.exit.rawValue)
        }
        // The limit of the permit that let each vehicle in; a vehicle let in by none has no limit to keep.
        let admittingPermits = Set(plated.compactMap { item -> String? in
            guard item.event.kind == .authorised, gates[item.gateID]?.isExit == false else { return nil }
            return item.event.permitID
        })
        var maxStays: [String: Int?] = [:]
        let decoder = JSONDecoder()
        for row in try Self.fetchAll(db, in: admittingPermits.sorted().map { .text($0) }, sql: { "SELECT id, json FROM permits WHERE id IN (\($0))" }) {
            maxStays[row["id"]] = try decoder.decode(Permit.self, from: Data((row["json"] as String).utf8)).maxStaySeconds
        }
        // Every stay waiting under a (zone, plate) the events touch (per zone: `zone = ? AND plate IN (…)` is an index range on both engines).
        var waiting = StaysInMemory()
        var platesByZone: [String: Set<String>] = [:]
        for item in plated { if let zone = gates[item.gateID]?.zone { platesByZone[zone, default: []].insert(item.event.plate!) } }
        for (zone, plates) in platesByZone.sorted(by: { $0.key < $1.key }) {
            for row in try Self.fetchAll(
                db, in: plates.sorted().map { .text($0) }, leading: [.text(zone)], sql: { "SELECT * FROM stays WHERE zone = ? AND plate IN (\($0)) ORDER BY id" })
            {
                waiting.load(PendingStay(row))
            }
        }
        // Exiting plates' permits, for the exits that find no entry.
        var permitsByPlate: [String: [Permit]] = [:]
        let exitPlates = Set(plated.compactMap { item in gates[item.gateID]?.isExit == true ? item.event.plate : nil })
        for row in try Self.fetchAll(db, in: exitPlates.sorted().map { .text($0) }, sql: { "SELECT plate, json FROM permits WHERE plate IN (\($0))" }) {
            permitsByPlate[row["plate"], default: []].append(try decoder.decode(Permit.self, from: Data((row["json"] as String).utf8)))
        }

        for item in plated {
            guard let gate = gates[item.gateID], let plate = item.event.plate else { continue }
            let event = item.event
            let key = StayKey(zone: gate.zone, plate: plate)
            let at = Date(timeIntervalSince1970: Double(event.atMilliseconds) / 1000)
            if gate.isExit {
                // The latest entry at or before the exit closes.
                if let entry = waiting.take(key, state: "open", latestAtOrBefore: event.atMilliseconds) {
                    let entered = Date(timeIntervalSince1970: Double(entry.atMilliseconds) / 1000)
                    if case .overstay(let seconds) = StayRule.outcome(entered: entered, exited: at, maxStaySeconds: entry.maxStaySeconds) {
                        try recordRuleEvent(
                            db, gateID: item.gateID, at: event.atMilliseconds, kind: .violation, plate: plate, confidence: event.confidence,
                            permitID: entry.permitID, reason: StayRule.overstayReason, stayedSeconds: seconds,
                            source: Self.weakerSource(entry.source, event.source))
                    }
                    continue
                }
                // No entry: a vehicle whose permit lets it stay without limit (a resident back from days away) is no concern;
                // any other waits for a late entry, then goes to review (never a fine: the entry read may just have failed).
                if Self.holdsUnlimitedPermit(permitsByPlate[plate] ?? [], zone: gate.zone, at: at) { continue }
                waiting.add(PendingStay(
                    id: nil, key: key, state: "exit_unmatched", atMilliseconds: event.atMilliseconds, gateID: item.gateID, origin: item.origin,
                    seq: event.seq, permitID: nil, maxStaySeconds: nil, confidence: event.confidence,
                    dueMilliseconds: Self.milliseconds(at.addingTimeInterval(Self.exitSettleSeconds)), source: event.source))
            } else {
                let maxStay = event.kind == .authorised ? event.permitID.flatMap { maxStays[$0] } ?? nil : nil
                // An exit uploaded before its entry (the entry gate was buffering) pairs now: the earliest one at or after the entry.
                if let exit = waiting.take(key, state: "exit_unmatched", earliestAtOrAfter: event.atMilliseconds) {
                    let exited = Date(timeIntervalSince1970: Double(exit.atMilliseconds) / 1000)
                    if case .overstay(let seconds) = StayRule.outcome(entered: at, exited: exited, maxStaySeconds: maxStay) {
                        try recordRuleEvent(
                            db, gateID: exit.gateID, at: exit.atMilliseconds, kind: .violation, plate: plate, confidence: exit.confidence,
                            permitID: event.permitID, reason: StayRule.overstayReason, stayedSeconds: seconds,
                            source: Self.weakerSource(event.source, exit.source))
                    }
                    continue
                }
                let due = StayRule.noExitDeadline(entered: at, maxStaySeconds: maxStay) ?? at.addingTimeInterval(Self.unlimitedEntryKeptSeconds)
                waiting.add(PendingStay(
                    id: nil, key: key, state: "open", atMilliseconds: event.atMilliseconds, gateID: item.gateID, origin: item.origin,
                    seq: event.seq, permitID: event.permitID, maxStaySeconds: maxStay, confidence: event.confidence,
                    dueMilliseconds: Self.milliseconds(due), source: event.source))
            }
        }

        for chunk in Self.chunks(of: waiting.taken.sorted(), size: Self.rowsPerInsert) {
            try db.execute(
                sql: "DELETE FROM stays WHERE id IN (\(Self.parameterList(chunk.count)))",
                arguments: StoreArguments(values: chunk.map { .integer($0) }))
        }
        for chunk in Self.chunks(of: waiting.added, size: Self.rowsPerInsert) {
            var arguments = StoreArguments(values: [])
            for stay in chunk {
                arguments += [
                    stay.key.zone, stay.key.plate, stay.state, stay.atMilliseconds, stay.gateID, stay.origin, stay.seq, stay.permitID,
                    stay.maxStaySeconds, stay.confidence, stay.dueMilliseconds, stay.source,
                ]
            }
            try db.chunkStatement(sql: """
                INSERT INTO stays (zone, plate, state, at_ms, gate_id, origin, seq, permit_id, max_stay_s, confidence, due_ms, source)
                VALUES \(Self.placeholders(rows: chunk.count, columns: 12))
                """, full: chunk.count == Self.rowsPerInsert
            ).execute(arguments: arguments)
        }
    }

    struct StayKey: Hashable {
        var zone: String
        var plate: String
    }

    /// A row of `stays`, held (`id` set) or about to be inserted (`id` nil).
    struct PendingStay {
        var id: Int64?
        var key: StayKey
        var state: String
        var atMilliseconds: Int64
        var gateID: String
        var origin: String
        var seq: Int64
        var permitID: String?
        var maxStaySeconds: Int?
        var confidence: Double
        var dueMilliseconds: Int64
        var source: String?
        /// For an added row, when it was added.
        var serial: Int?
    }

    /// The stays of the plates a batch touches while it is paired: rows held are taken (to delete),
    /// rows the batch opens are added (to insert, unless a later event of the batch takes them).
    struct StaysInMemory {
        private var byKey: [StayKey: [PendingStay]] = [:]
        /// Ids of held rows taken.
        private(set) var taken: [Int64] = []

        /// Added rows not taken, by the order they were added in (their ids follow the events' order, as one at a time).
        private var addedSerials: [Int: PendingStay] = [:]
        private var nextSerial = 0

        /// Rows to insert, in the order they were added.
        var added: [PendingStay] { addedSerials.sorted { $0.key < $1.key }.map(\.value) }

        mutating func load(_ stay: PendingStay) { byKey[stay.key, default: []].append(stay) }

        mutating func add(_ stay: PendingStay) {
            var stay = stay
            stay.serial = nextSerial
            nextSerial += 1
            addedSerials[stay.serial!] = stay
            byKey[stay.key, default: []].append(stay)
        }

        /// The first row in `state` with the earliest time at or after `at` (held rows before added ones at equal times).
        mutating func take(_ key: StayKey, state: String, earliestAtOrAfter at: Int64) -> PendingStay? {
            take(key) { rows in
                rows.indices.filter { rows[$0].state == state && rows[$0].atMilliseconds >= at }
                    .min { rows[$0].atMilliseconds < rows[$1].atMilliseconds }
            }
        }

        /// The row in `state` with the latest time at or before `at`.
        mutating func take(_ key: StayKey, state: String, latestAtOrBefore at: Int64) -> PendingStay? {
            take(key) { rows in
                rows.indices.filter { rows[$0].state == state && rows[$0].atMilliseconds <= at }
                    .min { rows[$0].atMilliseconds > rows[$1].atMilliseconds }
            }
        }

        private mutating func take(_ key: StayKey, choose: ([PendingStay]) -> Int?) -> PendingStay? {
            guard var rows = byKey[key], let index = choose(rows) else { return nil }
            let stay = rows.remove(at: index)
            byKey[key] = rows
            if let id = stay.id { taken.append(id) }
            if let serial = stay.serial { addedSerials[serial] = nil }
            return stay
        }
    }

    /// Whether one of the plate's permits lets it stay in `zone` without limit at `at`.
    static func holdsUnlimitedPermit(_ permits: [Permit], zone: String, at: Date) -> Bool {
        permits.contains { permit in
            // Time windows don't matter here: a resident may leave at any hour.
            let current = permit.validFrom <= at && permit.validUntil.map { at < $0 } ?? true
            return permit.maxStaySeconds == nil && permit.status == .active && current && permit.zones.contains { $0 == zone || $0 == "*" }
        }
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

extension CentralStore.PendingStay {
    /// A row of `stays` as held.
    init(_ row: StoreRow) {
        self.init(
            id: row["id"], key: CentralStore.StayKey(zone: row["zone"], plate: row["plate"]), state: row["state"], atMilliseconds: row["at_ms"],
            gateID: row["gate_id"], origin: row["origin"], seq: row["seq"], permitID: row["permit_id"], maxStaySeconds: row["max_stay_s"],
            confidence: row["confidence"], dueMilliseconds: row["due_ms"], source: row["source"])
    }
}
