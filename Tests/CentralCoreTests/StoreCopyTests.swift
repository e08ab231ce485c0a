import TestSupport
@testable import CentralCore
import Domain
import Foundation
import Testing
import WireProtocol

/// `bollard-central store copy`: a city's SQLite store moved into PostgreSQL (runs in the PostgreSQL pass).
@Suite(.enabled(if: TestEngine.isPostgres, "copies into PostgreSQL: runs with BOLLARD_TEST_ENGINE=postgres"))
struct StoreCopyTests {
    let zone: ZoneID = "casco-viejo"

    /// A SQLite store with rows in the tables a city fills: gates, permits and their change log,
    /// events with seals, tallies and open stays, holidays, a token, webhooks and the audit log.
    func citySQLiteStore() throws -> (store: CentralStore, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-copy-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/central.sqlite"
        let store = try CentralStore(location: .sqlite(path: path))
        try store.registerGate(Gate(id: "in-1", zone: zone, direction: .entry), publicKey: String(repeating: "a", count: 40))
        try store.registerGate(Gate(id: "out-1", zone: zone, direction: .exit), publicKey: String(repeating: "b", count: 40))
        let permits = (0..<1_200).map { number in
            Permit(id: "P\(number)", plate: PlateText(String(format: "%04dBCD", number))!, profile: .delivery, zones: [zone], validFrom: .distantPast,
                   maxStaySeconds: 1800)
        }
        try store.save(permits)
        try store.save([permits[0]])
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let events = (1...600).map { seq in
            Event(seq: Int64(seq), atMilliseconds: now - 60_000 + Int64(seq), kind: .authorised, plate: String(format: "%04dBCD", seq), confidence: 0.97,
                  permitID: "P\(seq)")
        }
        _ = try store.commit(events: events, from: "in-1", origin: "o-in")
        try store.setHolidays(.bilbaoDefault(through: 2027))
        _ = try store.createToken(name: "officer", role: .police)
        _ = try store.addWebhook(id: "city", url: "https://example.invalid/hook")
        for number in 0..<3 {
            try AuditLog(store: store).record(actor: Actor(name: "officer", role: .police), action: "evidence.download", subject: "case-\(number)", reason: "court")
        }
        return (store, path)
    }

    func counts(_ store: CentralStore, tables: [String]) throws -> [String: Int] {
        try store.database.read { db in
            var counts: [String: Int] = [:]
            for table in tables { counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0 }
            return counts
        }
    }

    @Test("every row of a SQLite store reaches an empty PostgreSQL store; the permit sequence, the audit chain and new ids go on from where they were")
    func copiesEverythingAndGoesOn() throws {
        let (source, path) = try citySQLiteStore()
        let target = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path + "-target")))
        let report = try source.copy(into: target)
        let tables = report.tables.map(\.name)
        #expect(Set(tables).isSuperset(of: ["events", "event_seals", "permits", "permit_changes", "stays", "audit_log", "gates", "holidays"]))
        let held = try counts(source, tables: tables)
        #expect(try counts(target, tables: tables) == held)
        #expect(Dictionary(uniqueKeysWithValues: report.tables.map { ($0.name, $0.rows) }) == held)
        #expect(held["events"] == 600 && held["stays"] == 600 && held["audit_log"] == 3)

        #expect(try target.headSeq() == source.headSeq())
        #expect(try target.eventCounts() == source.eventCounts())
        #expect(try AuditLog(store: target).verify() == 3, "the hash chain holds after the copy")
        // Central goes on on PostgreSQL: the next change is numbered after the copied ones, new rows get new ids.
        let head = try source.headSeq()
        try target.save([Permit(id: "NEW", plate: PlateText("9999ZZZ")!, profile: .resident, zones: [zone], validFrom: .distantPast)])
        #expect(try target.headSeq() == head + 1)
        let entry = Event(seq: 601, atMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), kind: .authorised, plate: "0700BCD", confidence: 0.9, permitID: "P700")
        _ = try target.commit(events: [entry], from: "in-1", origin: "o-in")
        #expect(try target.pendingStays().open == 601, "a new stay row does not collide with a copied id")
        try AuditLog(store: target).record(actor: Actor(name: "officer", role: .police), action: "evidence.download", subject: "case-9", reason: "court")
        #expect(try AuditLog(store: target).verify() == 4)
    }

    @Test("a copy into a PostgreSQL store that already holds rows is refused and changes nothing")
    func refusesATargetWithRows() throws {
        let (source, path) = try citySQLiteStore()
        let target = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path + "-target")))
        try target.registerGate(Gate(id: "other", zone: zone, direction: .entry), publicKey: String(repeating: "c", count: 40))
        #expect(throws: StoreError.self) { try source.copy(into: target) }
        #expect(try target.gates().map(\.gate.id) == ["other"])
        #expect(try target.permitCount() == 0)
    }
}
