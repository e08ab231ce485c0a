import TestSupport
@testable import CentralCore
import Domain
import Foundation
import Testing
import WireProtocol

/// Only a read a camera took (live or recorded) can become a fine at central:
/// injected, generated, replayed and unknown-source reads are shown apart and never leave as sanctions.
@Suite struct ReadSourceTests {
    let store: CentralStore
    let path: String
    let zone: ZoneID = "casco-viejo"
    let ana = Actor(name: "ana", role: .operator_)
    /// 2026-07-14 12:00 Madrid.
    let noon = MadridTime.instant(LocalDate("2026-07-14")!, hour: 12, minute: 0)!

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-source-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/central.sqlite"
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        try store.registerGate(Gate(id: "in-1", zone: zone, direction: .entry), publicKey: String(repeating: "a", count: 40))
        try store.registerGate(Gate(id: "out-1", zone: zone, direction: .exit), publicKey: String(repeating: "b", count: 40))
    }

    var at: Int64 { Int64(noon.timeIntervalSince1970 * 1000) }

    func violation(_ seq: Int64, source: String?) -> Event {
        Event(seq: seq, atMilliseconds: at + seq, kind: .violation, plate: "1234BCD", confidence: 0.95, reason: nil, source: source)
    }

    @Test("each source is stored and shown; confirming is refused, saying why, for every source but camera and video")
    func confirmRefusedUnlessCamera() throws {
        let sources: [String?] = ["camera", "video", "replay", "generator", "injected", nil, "hologram"]
        try store.store(events: sources.enumerated().map { violation(Int64($0.offset + 1), source: $0.element) }, from: "in-1", origin: "o")
        for (index, source) in sources.enumerated() {
            let id = CaseID(gateID: "in-1", origin: "o", seq: Int64(index + 1))
            let expected = ReadSource(wire: source)
            #expect(try store.caseDetail(id)?.summary.source == expected)
            if expected == .camera || expected == .video {
                #expect(try store.act(.confirm(correctedPlate: nil), on: id, by: ana).summary.state == .confirmed)
            } else {
                #expect(throws: CaseActionError.notFineable(id, expected)) { try store.act(.confirm(correctedPlate: nil), on: id, by: ana) }
                #expect(try store.caseDetail(id)?.summary.state == .open, "a refused confirmation changes nothing")
                #expect(try store.caseDetail(id)?.actions.isEmpty == true)
                // It can still be dismissed.
                #expect(try store.act(.dismiss(reason: "commissioning test"), on: id, by: ana).summary.state == .dismissed)
            }
        }
        #expect(CaseActionError.notFineable(CaseID(gateID: "g", origin: "o", seq: 1), .injected).description.contains("injected by a technician"))
    }

    @Test("the sanctions export holds camera and video violations only, even when an injected one was confirmed behind the queue's back")
    func exportExcludesInjected() throws {
        try store.store(events: [violation(1, source: "camera"), violation(2, source: "injected"), violation(3, source: nil)], from: "in-1", origin: "o")
        _ = try store.act(.confirm(correctedPlate: nil), on: CaseID(gateID: "in-1", origin: "o", seq: 1), by: ana)
        try store.database.write { db in
            for seq in [2, 3] {
                try db.execute(
                    sql: "INSERT INTO case_states (gate_id, origin, seq, state, updated_ms) VALUES ('in-1', 'o', ?, 'confirmed', 0)", arguments: [seq])
            }
        }
        let export = try ViolationExport.make(store: store, day: LocalDate("2026-07-14")!)
        #expect(export.violations.map(\.id) == ["in-1~o~1"])
    }

    @Test("an overstay the stay rule raises from an injected entry or exit is marked as such, so it can never become a fine")
    func overstayInheritsTheWeakerSource() throws {
        try store.save([Permit(id: "DELIVERY", plate: PlateText("1234BCD")!, profile: .delivery, zones: [zone], validFrom: .distantPast, maxStaySeconds: 1800)])
        func pass(_ gate: String, _ kind: DecisionKind, minutes: Int64, seq: Int64, source: String) throws {
            let event = Event(
                seq: seq, atMilliseconds: at + minutes * 60_000, kind: kind, plate: "1234BCD", confidence: 0.97,
                permitID: kind == .authorised ? "DELIVERY" : nil, source: source)
            _ = try store.commit(events: [event], from: gate, origin: "o-" + gate)
        }
        try pass("in-1", .authorised, minutes: 0, seq: 1, source: "camera")
        try pass("out-1", .exit, minutes: 45, seq: 1, source: "injected")
        try pass("in-1", .authorised, minutes: 60, seq: 2, source: "camera")
        try pass("out-1", .exit, minutes: 105, seq: 2, source: "camera")
        let made = try store.database.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT source FROM events WHERE origin = ? ORDER BY at_ms", arguments: [CentralStore.stayOrigin])
                .map { $0["source"] as String? }
        }
        #expect(made == ["injected", "camera"])
    }
}
