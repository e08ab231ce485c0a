import TestSupport
@testable import CentralCore
import Domain
import Evidence
import Foundation
import Testing
import WireProtocol

@Suite("Central: evidence contents and the sanctions export")
struct ViolationEvidenceTests {
    let store: CentralStore
    let path: String
    /// 2026-07-14 (CEST, UTC+2) 00:00 local = 2026-07-13 22:00 UTC.
    let dayStart: Int64 = 1_783_980_000_000

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-evidence-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/central.sqlite"
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
    }

    func violation(_ seq: Int64, at: Int64, plate: String = "1234BCD", reason: String = "no_permit") -> Event {
        Event(seq: seq, atMilliseconds: at, kind: .violation, plate: plate, confidence: 0.9, reason: reason, source: "camera")
    }

    /// An operator confirms every open violation (only confirmed cases leave for the sanctions office).
    func confirmViolations() throws {
        let db = store.database
        let keys = try db.read { db in
            try StoreRow.fetchAll(db, sql: "SELECT gate_id, origin, seq FROM events WHERE kind = 'violation'")
                .map { CaseID(gateID: $0["gate_id"], origin: $0["origin"], seq: $0["seq"]) }
        }
        for key in keys { _ = try store.act(.confirm(correctedPlate: nil), on: key, by: Actor(name: "ana", role: .operator_)) }
    }

    /// Sets when central recorded permit change `seq` (the store stamps changes with the wall clock).
    func backdate(change seq: Int64, to milliseconds: Int64) throws {
        let queue = store.database
        try queue.write { db in
            try db.execute(sql: "UPDATE permit_changes SET created_ms = ? WHERE seq = ?", arguments: [milliseconds, seq])
        }
    }

    @Test("a violation id is GATE~ORIGIN~SEQ, read back the same, and nothing else reads as one")
    func violationKey() {
        let key = CaseID(gateID: "porticos-01", origin: "db-1", seq: 42)
        #expect(key.description == "porticos-01~db-1~42")
        #expect(CaseID("porticos-01~db-1~42") == key)
        #expect(CaseID("g~~7") == CaseID(gateID: "g", origin: "", seq: 7))
        for bad in ["", "g~o", "g~o~x", "~o~1", "g~o~0", "g~o~1~2"] { #expect(CaseID(bad) == nil) }
    }

    @Test("the export holds the confirmed violations of the Madrid day only, in time order, with the evidence hash")
    func exportOfADay() throws {
        try store.store(
            events: [
                violation(1, at: dayStart - 1),  // 23:59:59.999 the day before
                violation(2, at: dayStart + 3_600_000, plate: "5678FGH", reason: "expired"),
                Event(seq: 3, atMilliseconds: dayStart + 3_700_000, kind: .review, plate: "1234BCB", confidence: 0.4, reason: "low_confidence", source: "camera"),
                Event(seq: 4, atMilliseconds: dayStart + 3_800_000, kind: .authorised, plate: "1111AAA", confidence: 0.99, permitID: "P1"),
                violation(5, at: dayStart + 86_400_000 - 1),  // 23:59:59.999
                violation(6, at: dayStart + 86_400_000),  // the next day
            ], from: "porticos-01", origin: "db-1")
        try store.store(events: [violation(1, at: dayStart + 60_000, plate: "9999ZZZ")], from: "arriaga-02", origin: "db-2")
        #expect(try ViolationExport.make(store: store, day: LocalDate("2026-07-14")!).violations.isEmpty, "nothing confirmed yet")
        try confirmViolations()
        let export = try ViolationExport.make(store: store, day: LocalDate("2026-07-14")!, now: Date(timeIntervalSince1970: 1_784_100_000))
        #expect(export.violations.map(\.id) == ["arriaga-02~db-2~1", "porticos-01~db-1~2", "porticos-01~db-1~5"])
        let line = export.violations[1]
        #expect(line.time == "2026-07-14T01:00:00.000+02:00")
        #expect(line.plate == "5678FGH" && line.reason == "expired" && line.decision == "violation" && line.gate == "porticos-01")
        #expect(line.evidenceSHA256 == EventSeal.hash(of: violation(2, at: dayStart + 3_600_000, plate: "5678FGH", reason: "expired"), origin: "db-1"))
        let csv = export.csv.split(separator: "\n")
        #expect(csv.first == "id,time,gate,plate,decision,permit_id,reason,review_decision,reviewer,evidence_sha256")
        #expect(csv[2] == "porticos-01~db-1~2,2026-07-14T01:00:00.000+02:00,porticos-01,5678FGH,violation,,expired,\(line.reviewDecision),ana,\(line.evidenceSHA256)")
        #expect(csv.count == 4)
        let decoded = try JSONDecoder().decode(ViolationExport.self, from: try export.json())
        #expect(decoded == export)
        let object = try JSONSerialization.jsonObject(with: try export.json()) as? [String: Any]
        #expect((object?["violations"] as? [[String: Any]])?.first?["evidence_sha256"] as? String == export.violations[0].evidenceSHA256)
    }

    @Test("the day of the spring changeover is 23 hours long, of the autumn one 25")
    func changeoverDays() throws {
        try store.store(
            events: [
                violation(1, at: 1_774_738_800_000 - 1),  // 2026-03-29 00:00 CET is 2026-03-28T23:00Z; just before
                violation(2, at: 1_774_738_800_000),
                violation(3, at: 1_774_738_800_000 + 23 * 3_600_000 - 1),
                violation(4, at: 1_774_738_800_000 + 23 * 3_600_000),
            ], from: "g", origin: "o")
        try confirmViolations()
        let spring = try ViolationExport.make(store: store, day: LocalDate("2026-03-29")!)
        #expect(spring.violations.map(\.id) == ["g~o~2", "g~o~3"])
        #expect(spring.violations.last?.time == "2026-03-29T23:59:59.999+02:00")
    }

    @Test("a CSV field with a comma or quote is quoted, and one that a spreadsheet would run as a formula is defused")
    func csvQuoting() throws {
        try store.store(events: [Event(seq: 1, atMilliseconds: dayStart, kind: .violation, plate: "1234BCD", confidence: 0.9, permitID: "=HYPERLINK(\"x\")", source: "camera")], from: "g", origin: "o")
        try confirmViolations()
        let csv = try ViolationExport.make(store: store, day: LocalDate("2026-07-14")!).csv
        #expect(csv.contains(",\"'=HYPERLINK(\"\"x\"\")\","))
    }

    @Test("evidence contents: the event, two neighbours each side of the same origin, the permits on the plate as they stood then")
    func evidenceContents() throws {
        let passage = dayStart + 3_600_000
        var permit = DemoFleet.permit(1, zone: "casco-viejo", now: Date(timeIntervalSince1970: Double(passage) / 1000))
        permit.plate = PlateText("1234BCD")!
        let saved = try store.save(permit)  // seq 1: active
        _ = try store.setStatus(.revoked, permitID: permit.id)  // seq 2: revoked after the passage
        var other = DemoFleet.permit(2, zone: "casco-viejo", now: Date())
        other.plate = PlateText("5555XYZ")!
        try store.save(other)  // seq 3: another plate
        try backdate(change: 1, to: passage - 60_000)
        try backdate(change: 2, to: passage + 60_000)
        try backdate(change: 3, to: passage - 30_000)

        var events = (1...7).map { Event(seq: Int64($0), atMilliseconds: passage - 4_000 + Int64($0) * 1000, kind: .authorised, plate: "1111AAA", confidence: 0.99) }
        events[3] = violation(4, at: passage, reason: "revoked")
        try store.store(events: events, from: "porticos-01", origin: "db-1")
        try store.store(events: [violation(5, at: passage)], from: "porticos-01", origin: "db-other")

        let key = CaseID(gateID: "porticos-01", origin: "db-1", seq: 4)
        let issued = Date(timeIntervalSince1970: 1_790_000_000)
        let contents = try store.evidenceContents(for: key, issuedBy: "police agente-12", reason: "expediente 7", at: issued)
        #expect(contents.violationID == "porticos-01~db-1~4")
        #expect(contents.event.seq == 4 && contents.event.plate == "1234BCD" && contents.event.reason == "revoked")
        #expect(contents.neighbours.map(\.seq) == [2, 3, 5, 6])
        #expect(contents.permitSeq == 3)
        #expect(contents.permits.map(\.seq) == [saved.seq])
        #expect(contents.permits.first?.permit.status == .active)
        #expect(contents.issuedBy == "police agente-12" && contents.reason == "expediente 7")

        #expect(throws: CentralStore.EvidenceError.noSuchEvent(CaseID(gateID: "porticos-01", origin: "db-1", seq: 99))) {
            try store.evidenceContents(for: CaseID(gateID: "porticos-01", origin: "db-1", seq: 99), issuedBy: "", reason: "", at: issued)
        }
        #expect(throws: CentralStore.EvidenceError.notEvidence(CaseID(gateID: "porticos-01", origin: "db-1", seq: 1), kind: "authorised")) {
            try store.evidenceContents(for: CaseID(gateID: "porticos-01", origin: "db-1", seq: 1), issuedBy: "", reason: "", at: issued)
        }
    }

    @Test("a bundle built from the store carries central's countersignature and the event's own hash")
    func bundleFromStore() throws {
        try store.store(events: [violation(1, at: dayStart)], from: "g", origin: "o")
        let centralKey = SigningKey()
        let zip = try store.evidenceBundle(for: CaseID("g~o~1")!, issuedBy: "police", reason: "test", centralKey: centralKey)
        let report = EvidenceVerifier.verify(zip, centralKey: centralKey.publicKey)
        #expect(report.lines.contains { $0.outcome == .passed && $0.text.contains("manifest.sig verifies with the central key given") })
        try confirmViolations()
        #expect(try report.eventHash == ViolationExport.make(store: store, day: LocalDate("2026-07-14")!).violations.first?.evidenceSHA256)
    }
}
