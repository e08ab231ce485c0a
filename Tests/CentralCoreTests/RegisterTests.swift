import TestSupport
import CentralCore
import Domain
import Foundation
import Testing

/// Municipal registers: a file is the whole truth about its register's permits.
@Suite struct RegisterTests {
    let store: CentralStore

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-registers-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite")))
    }

    func permit(_ id: String, _ plate: String, holder: String = "H") -> Permit {
        Permit(
            id: id, plate: PlateText(plate)!, profile: .resident, zones: ["casco-viejo"],
            validFrom: Date(timeIntervalSince1970: 1_780_000_000), holder: holder)
    }

    @Test("a dry run lists what would be added, changed and revoked, and writes nothing")
    func dryRunWritesNothing() throws {
        try store.applyRegister("residents", permits: [permit("R1", "1234BCD"), permit("R2", "2345CDF")])
        let head = try store.headSeq()
        let plan = try store.planRegister("residents", permits: [permit("R1", "1234BCD", holder: "moved"), permit("R3", "3456DFG")])
        #expect(plan.added.map(\.id) == ["R3"])
        #expect(plan.changed.map(\.id) == ["R1"])
        #expect(plan.revoked == ["R2"])
        #expect(try store.headSeq() == head, "nothing written")
        #expect(try store.permit(id: "R3") == nil)
    }

    @Test("applying revokes the register's permits missing from the file, and applying the same file again changes nothing")
    func applyIsIdempotent() throws {
        try store.applyRegister("residents", permits: [permit("R1", "1234BCD"), permit("R2", "2345CDF")])
        let first = try store.applyRegister("residents", permits: [permit("R1", "1234BCD")])
        #expect(first.revoked == ["R2"])
        #expect(try store.permit(id: "R2")?.status == .revoked)
        let head = try store.headSeq()
        let again = try store.applyRegister("residents", permits: [permit("R1", "1234BCD")])
        #expect(again.isEmpty)
        #expect(again.unchanged == 1)
        #expect(try store.headSeq() == head, "no new sequence: gates get nothing to apply")
    }

    @Test("a file naming a permit another register owns is refused whole: nothing of it is applied")
    func otherRegistersPermitRefusesAll() throws {
        try store.applyRegister("licences", permits: [permit("L1", "9999XYZ")])
        let head = try store.headSeq()
        #expect(throws: RegisterError.self) {
            try store.applyRegister("residents", permits: [permit("R1", "1234BCD"), permit("L1", "9999XYZ")])
        }
        #expect(try store.permit(id: "R1") == nil)
        #expect(try store.headSeq() == head)
    }

    @Test("export writes what import reads back to the same permits, windows, limits and quoted holders included")
    func exportRoundTrips() throws {
        var delivery = permit("D1", "5678FGH", holder: "Shop, \"La Ribera\"")
        delivery.profile = .delivery
        delivery.windows = [TimeWindow(days: [.monday, .tuesday, .friday], start: 7 * 60, end: 11 * 60, holidays: true)]
        delivery.maxStaySeconds = 1800
        delivery.validUntil = Date(timeIntervalSince1970: 1_790_000_000.123)
        try store.applyRegister("licences", permits: [delivery, permit("L2", "1234BCD")])
        let exported = try store.permits(register: "licences")
        let parsed = try PermitCSV.parse(PermitCSV.export(exported))
        #expect(parsed == exported.map { var p = $0; p.seq = 0; return p })
        #expect(try store.permits(register: "residents").isEmpty)
    }
}
