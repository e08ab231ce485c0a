import Foundation
import Testing
import Domain

@Suite struct PermitIndexTests {
    @Test func upsertReplacesPermitAndMovesItToItsNewPlate() {
        var index = PermitIndex([Fixtures.permit("p1", plate: "1234BCD")])
        index.upsert(Fixtures.permit("p1", plate: "5678FGH", status: .suspended))
        #expect(index.count == 1)
        #expect(index.permits(for: Fixtures.plate("1234BCD")).isEmpty)
        #expect(index.permits(for: Fixtures.plate("5678FGH")).map(\.id) == ["p1"])
        #expect(index.permit(id: "p1")?.status == .suspended)
        // The old plate's confusion entry must go too, or a misread of it would cite a moved permit.
        #expect(index.confusablePermits(for: Fixtures.plate("1234BC0")).isEmpty)
        #expect(index.confusablePermits(for: Fixtures.plate("5678F6H")).map(\.id) == ["p1"])
    }

    @Test func upsertOnSamePlateDoesNotDuplicate() {
        var index = PermitIndex([Fixtures.permit("p1")])
        index.upsert(Fixtures.permit("p1", profile: .taxi))
        #expect(index.permits(for: Fixtures.plate("1234BCD")).map(\.profile) == [.taxi])
    }

    @Test func removeDropsPermitFromEveryLookup() {
        var index = PermitIndex([Fixtures.permit("p1"), Fixtures.permit("p2", plate: "9999XYZ")])
        index.remove(id: "p1")
        index.remove(id: "unknown")
        #expect(index.count == 1)
        #expect(index.permit(id: "p1") == nil)
        #expect(index.permits(for: Fixtures.plate("1234BCD")).isEmpty)
        #expect(index.confusablePermits(for: Fixtures.plate("1234BC0")).isEmpty)
        #expect(index.all.map(\.id) == ["p2"])
    }

    @Test func aPlateCanHoldSeveralPermits() {
        var index = PermitIndex()
        index.upsert(Fixtures.permit("res", profile: .resident))
        index.upsert(Fixtures.permit("del", profile: .delivery))
        index.upsert(Fixtures.permit("other", plate: "1111AAA"))
        #expect(Set(index.permits(for: Fixtures.plate("1234 bcd")).map(\.id)) == ["res", "del"])
        index.remove(id: "res")
        #expect(index.permits(for: Fixtures.plate("1234BCD")).map(\.id) == ["del"])
        #expect(Set(index.all.map(\.id)) == ["del", "other"])
    }

    @Test func confusablePermitsExcludeTheExactPlate() {
        let index = PermitIndex([
            Fixtures.permit("exact", plate: "1234BBC"), Fixtures.permit("near", plate: "1234B8C"),
            Fixtures.permit("far", plate: "1234BCC"),
        ])
        #expect(index.confusablePermits(for: Fixtures.plate("1234BBC")).map(\.id) == ["near"])
        #expect(Set(index.confusablePermits(for: Fixtures.plate("12348BC")).map(\.id)) == ["exact", "near"])
    }

    /// Generated Spanish-style plates (4 digits + 3 consonants), all distinct with distinct confusion keys.
    static func generatedPlate(_ i: Int) -> String {
        let consonants = Array("BCDFGHJKLMNPRSTVWXYZ")
        let digits = String(i % 10_000)
        let letters = i / 10_000
        return String(repeating: "0", count: 4 - digits.count) + digits
            + String(consonants[letters / 400 % 20]) + String(consonants[letters / 20 % 20])
            + String(consonants[letters % 20])
    }

    @Test func millionPermitsBuildAndLookUp() throws {
        let n = 1_000_000
        let from = Fixtures.longAgo
        let index = PermitIndex((0..<n).lazy.map { i in
            Permit(id: "P\(i)", plate: Fixtures.plate(Self.generatedPlate(i)), profile: .resident,
                   zones: [Fixtures.zone], validFrom: from)
        })
        #expect(index.count == n)
        for i in [0, 1, 9_999, 10_000, 123_456, 654_321, n - 1] {
            let plate = Fixtures.plate(Self.generatedPlate(i))
            #expect(index.permits(for: plate).map(\.id) == ["P\(i)"])
            #expect(index.confusablePermits(for: plate).isEmpty)
            #expect(index.permit(id: "P\(i)")?.plate == plate)
        }
        // 0000BBB misread as 0000B8B must find P0 through the confusion index.
        #expect(Self.generatedPlate(0) == "0000BBB")
        #expect(index.confusablePermits(for: Fixtures.plate("0000B8B")).map(\.id) == ["P0"])
        #expect(index.permits(for: Fixtures.plate("0000B8B")).isEmpty)
        let read = PlateRead(text: "0123 bcd", confidence: 0.99, at: Fixtures.at("2026-03-02T09:00:00+01:00"))
        let expected = try #require(index.permits(for: Fixtures.plate("0123BCD")).first?.id)
        #expect(decide(read, at: Fixtures.entry, permits: index, holidays: .bilbaoDefault) == .authorised(permitID: expected))
    }
}
