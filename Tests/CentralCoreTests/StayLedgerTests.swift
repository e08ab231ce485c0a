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
        try store.save([
            Permit(id: "DELIVERY", plate: PlateText("1234BCD")!, profile: .delivery, zones: [zone], validFrom: .distantPast, maxStaySeconds: 1800),
            Permit(id: "RESIDENT", plate: PlateText("5678FGH")!, profile: .resident, zones: [zone], validFrom: .distantPast),
        ])
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
}
