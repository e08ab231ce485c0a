import TestSupport
@testable import CentralCore
import Domain
import Foundation
import Testing
import WireProtocol

/// The maximum-stay rule at central: entries paired with exits through the real store.
@Suite struct StayLedgerTests {
    let store: CentralStore
    let path: String
    let zone: ZoneID = "casco-viejo"

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-stays-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/central.sqlite"
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        try store.registerGate(Gate(id: "in-1", zone: zone, direction: .entry), publicKey: String(repeating: "a", count: 40))
        try store.registerGate(Gate(id: "out-1", zone: zone, direction: .exit), publicKey: String(repeating: "b", count: 40))
        try store.save(permits)
    }

    var permits: [Permit] {
        [
            Permit(id: "DELIVERY", plate: PlateText("1234BCD")!, profile: .delivery, zones: [zone], validFrom: .distantPast, maxStaySeconds: 1800),
            Permit(id: "RESIDENT", plate: PlateText("5678FGH")!, profile: .resident, zones: [zone], validFrom: .distantPast),
        ]
    }

    func madrid(_ date: String, _ hour: Int, _ minute: Int) -> Date { MadridTime.instant(LocalDate(date)!, hour: hour, minute: minute)! }

    var seq: Int64 { Int64.random(in: 1...1_000_000_000) }

    func entry(_ plate: String, at: Date, permit: String?) throws {
        let event = Event(
            seq: seq, atMilliseconds: Int64(at.timeIntervalSince1970 * 1000), kind: permit == nil ? .violation : .authorised, plate: plate,
            confidence: 0.97, permitID: permit)
        _ = try store.commit(events: [event], from: "in-1", origin: "o-in")
    }

    func exit(_ plate: String, at: Date) throws {
        let event = Event(seq: seq, atMilliseconds: Int64(at.timeIntervalSince1970 * 1000), kind: .exit, plate: plate, confidence: 0.96)
        _ = try store.commit(events: [event], from: "out-1", origin: "o-out")
    }

    /// What the rule made: (gate, kind, reason, at).
    func ruleEvents() throws -> [(gate: String, kind: String, reason: String, at: Date)] {
        try store.database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT * FROM events WHERE origin = ? ORDER BY gate_id, seq", arguments: [CentralStore.stayOrigin]).map {
                ($0["gate_id"], $0["kind"], $0["reason"], Date(timeIntervalSince1970: Double($0["at_ms"] as Int64) / 1000))
            }
        }
    }

    @Test("a delivery that leaves after 31 minutes of a 30-minute limit gets one overstay violation at the exit; one that leaves in time gets none")
    func overstayAtExit() throws {
        try entry("1234BCD", at: madrid("2026-06-10", 10, 0), permit: "DELIVERY")
        try exit("1234BCD", at: madrid("2026-06-10", 10, 20))
        #expect(try ruleEvents().isEmpty)
        try entry("1234BCD", at: madrid("2026-06-10", 12, 0), permit: "DELIVERY")
        try exit("1234BCD", at: madrid("2026-06-10", 12, 31))
        let made = try ruleEvents()
        #expect(made.count == 1)
        #expect(made.first?.gate == "out-1")
        #expect(made.first?.kind == "violation")
        #expect(made.first?.reason == StayRule.overstayReason)
        #expect(try store.pendingStays().open == 0, "a closed stay keeps no plate")
    }

    @Test("an exit uploaded before its entry (the entry gate was offline) still pairs with it")
    func exitBeforeEntryPairs() throws {
        try exit("1234BCD", at: madrid("2026-06-10", 11, 0))
        #expect(try store.pendingStays().unmatchedExits == 1)
        try entry("1234BCD", at: madrid("2026-06-10", 10, 0), permit: "DELIVERY")
        #expect(try ruleEvents().map(\.reason) == [StayRule.overstayReason])
        #expect(try store.pendingStays() == (0, 0))
    }

    @Test("an entry at 23:50 with 30 minutes and no exit is fined when the next day ends, not at midnight; an exit at 00:15 is within")
    func noExitAcrossMidnight() throws {
        try entry("1234BCD", at: madrid("2026-06-10", 23, 50), permit: "DELIVERY")
        #expect(try store.settleStays(now: madrid("2026-06-11", 0, 30)) == 0)
        #expect(try store.settleStays(now: madrid("2026-06-11", 23, 59)) == 0)
        #expect(try store.settleStays(now: madrid("2026-06-12", 0, 0)) == 1)
        let made = try ruleEvents()
        #expect(made.map(\.reason) == [StayRule.noExitReason])
        #expect(made.first?.gate == "in-1")
        #expect(made.first?.at == madrid("2026-06-11", 0, 20), "the violation is dated when the limit ran out")

        try entry("1234BCD", at: madrid("2026-06-12", 23, 50), permit: "DELIVERY")
        try exit("1234BCD", at: madrid("2026-06-13", 0, 15))
        #expect(try store.settleStays(now: madrid("2026-06-14", 0, 0)) == 0)
        #expect(try ruleEvents().count == 1)
    }

    @Test("a stay across the autumn clock change is measured in real time: 01:50 CEST to 02:10 CET is 80 minutes, an overstay")
    func stayAcrossFallBack() throws {
        let entered = madrid("2026-10-25", 1, 50)
        try entry("1234BCD", at: entered, permit: "DELIVERY")
        try exit("1234BCD", at: entered.addingTimeInterval(80 * 60))
        #expect(try ruleEvents().map(\.reason) == [StayRule.overstayReason])
    }

    @Test("an exit with no entry goes to review after the settle time, never a fine; a resident's exit with no entry is no concern")
    func exitWithoutEntryIsReviewed() throws {
        let at = madrid("2026-06-10", 9, 0)
        try exit("9999ZZZ", at: at)
        try exit("5678FGH", at: at)
        #expect(try store.settleStays(now: at.addingTimeInterval(60)) == 0, "a late entry may still come")
        #expect(try store.settleStays(now: at.addingTimeInterval(CentralStore.exitSettleSeconds)) == 1)
        let made = try ruleEvents()
        #expect(made.count == 1)
        #expect(made.first?.kind == "review")
        #expect(made.first?.reason == StayRule.exitWithoutEntryReason)
    }

    @Test("an entry with no limit is forgotten after a day, making no event")
    func unlimitedEntryIsForgotten() throws {
        let at = madrid("2026-06-10", 9, 0)
        try entry("5678FGH", at: at, permit: "RESIDENT")
        #expect(try store.pendingStays().open == 1)
        #expect(try store.settleStays(now: at.addingTimeInterval(CentralStore.unlimitedEntryKeptSeconds)) == 0)
        #expect(try store.pendingStays().open == 0)
        #expect(try ruleEvents().isEmpty)
    }

    /// A second store with the same gates and permits as the suite's.
    func twin() throws -> CentralStore {
        let twin = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path + "-twin.sqlite")))
        try twin.registerGate(Gate(id: "in-1", zone: zone, direction: .entry), publicKey: String(repeating: "a", count: 40))
        try twin.registerGate(Gate(id: "out-1", zone: zone, direction: .exit), publicKey: String(repeating: "b", count: 40))
        try twin.registerGate(Gate(id: "in-2", zone: zone, direction: .entry), publicKey: String(repeating: "c", count: 40))
        try store.registerGate(Gate(id: "in-2", zone: zone, direction: .entry), publicKey: String(repeating: "c", count: 40))
        try twin.save(permits)
        return twin
    }

    /// Everything the ingest of events leaves in a store, in a comparable form.
    func outcome(_ store: CentralStore) throws -> [String] {
        try store.database.read { db in
            let events = try StoreRow.fetchAll(
                db, sql: "SELECT gate_id, origin, seq, kind, plate, reason, at_ms FROM events ORDER BY gate_id, origin, seq"
            ).map { "event \($0["gate_id"] as String) \($0["origin"] as String) \($0["seq"] as Int64) \($0["kind"] as String) \(($0["plate"] as String?) ?? "-") \(($0["reason"] as String?) ?? "-") \($0["at_ms"] as Int64)" }
            let stays = try StoreRow.fetchAll(
                db, sql: "SELECT zone, plate, state, at_ms, gate_id, seq, max_stay_s, due_ms FROM stays ORDER BY id"
            ).map { "stay \($0["plate"] as String) \($0["state"] as String) \($0["at_ms"] as Int64) \($0["gate_id"] as String) \($0["seq"] as Int64) \(($0["max_stay_s"] as Int?).map(String.init) ?? "-") \($0["due_ms"] as Int64)" }
            let tallies = try StoreRow.fetchAll(db, sql: "SELECT hour, kind, n FROM event_tallies ORDER BY hour, kind").map {
                "tally \($0["hour"] as Int64) \($0["kind"] as String) \($0["n"] as Int64)"
            }
            return events + stays + tallies
        }
    }

    @Test("batches of several gates committed as one group pair stays and store events exactly as the same batches one at a time")
    func groupCommitPairsAsOneAtATime() throws {
        let twin = try twin()
        func at(_ hour: Int, _ minute: Int) -> Int64 { Int64(madrid("2026-06-10", hour, minute).timeIntervalSince1970 * 1000) }
        func event(_ seq: Int64, _ ms: Int64, _ kind: DecisionKind, _ plate: String?, permit: String? = nil) -> Event {
            Event(seq: seq, atMilliseconds: ms, kind: kind, plate: plate, confidence: 0.95, permitID: permit)
        }
        let batches: [CentralStore.EventBatch] = [
            // An exit uploaded before its entry, both in the group; a resident's exit with no entry; a stranger's exit.
            .init(events: [event(1, at(11, 0), .exit, "1234BCD"), event(2, at(11, 5), .exit, "5678FGH"), event(3, at(11, 6), .exit, "9999ZZZ")],
                  gateID: "out-1", origin: "o-out"),
            .init(events: [event(1, at(10, 0), .authorised, "1234BCD", permit: "DELIVERY"), event(2, at(10, 1), .violation, "7777KKK"),
                           event(3, at(12, 0), .authorised, "1234BCD", permit: "DELIVERY"), event(4, at(12, 2), .review, nil)],
                  gateID: "in-1", origin: "o-in"),
            // Two entries of one plate at two gates, then its exit: the later entry closes.
            .init(events: [event(1, at(12, 10), .authorised, "1234BCD", permit: "DELIVERY"), event(2, at(12, 20), .violation, "7777KKK")],
                  gateID: "in-2", origin: "o-in2"),
            .init(events: [event(4, at(12, 45), .exit, "1234BCD"), event(5, at(12, 50), .exit, "7777KKK")], gateID: "out-1", origin: "o-out"),
            // The same batch sent again inside the group (a lost ack): stored once, acknowledged twice.
            .init(events: [event(4, at(12, 45), .exit, "1234BCD"), event(5, at(12, 50), .exit, "7777KKK")], gateID: "out-1", origin: "o-out"),
        ]
        let grouped = try store.commit(batches)
        let oneByOne = try batches.map { try twin.commit([$0])[0] }
        #expect(grouped == oneByOne)
        #expect(grouped.map(\.seqs) == batches.map { $0.events.map(\.seq) })
        let expected = try outcome(twin)
        #expect(expected.contains { $0.hasPrefix("event out-1 central-stays") || $0.contains(StayRule.overstayReason) }, "the scenario makes an overstay")
        #expect(try outcome(store) == expected)
        // Pairing as the rule says: an exit closes the latest entry before it, an entry the earliest exit after it.
        let left = try store.database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT plate, state, at_ms FROM stays ORDER BY plate").map { "\($0["plate"] as String) \($0["state"] as String) \($0["at_ms"] as Int64)" }
        }
        #expect(left == ["1234BCD open \(at(12, 0))", "7777KKK open \(at(10, 1))", "9999ZZZ exit_unmatched \(at(11, 6))"])
        #expect(try store.pendingStays() == twin.pendingStays())
        #expect(try store.stayFindings() == twin.stayFindings())
    }
}
