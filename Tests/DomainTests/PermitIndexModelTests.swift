import Domain
import Foundation
import Testing
import TestSupport

/// The compact index against a plain model (dictionaries of permits) over thousands
/// of random upserts and removals on a few plates, so that plates and confusion keys
/// share chains and the hash tables' clusters are shifted by removals again and again.
@Suite struct PermitIndexModelTests {
    @Test("after every random change, every lookup answers what a plain model of the same changes answers", arguments: [1, 2, 3])
    func matchesModel(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        // Confusable pairs (0/O, 8/B, 1/I) share keys; few plates, many permits: long chains.
        let plates = ["1234BCD", "1234BC0", "I234BCD", "8888BBB", "B888BBB", "5555XYZ", "AB12", "ZZ9999ZZZ"].map { PlateText($0)! }
        let zones: [[ZoneID]] = [["casco-viejo"], ["casco-viejo", "ensanche"], ["*"]]
        var index = PermitIndex()
        var model: [String: Permit] = [:]
        for step in 0..<4_000 {
            let id = "p\(Int.random(in: 0..<60, using: &random))"
            if Int.random(in: 0..<4, using: &random) == 0 {
                index.remove(id: id)
                model[id] = nil
            } else {
                let permit = Permit(
                    id: id, plate: plates.randomElement(using: &random)!, profile: Profile.allCases.randomElement(using: &random)!,
                    zones: zones.randomElement(using: &random)!, validFrom: Date(timeIntervalSince1970: Double(step)),
                    validUntil: Bool.random(using: &random) ? nil : Date(timeIntervalSince1970: 1e9 + Double(step) / 1000),
                    maxStaySeconds: Bool.random(using: &random) ? nil : 1800, holder: "holder with a long reference \(step)", seq: Int64(step))
                index.upsert(permit)
                var kept = permit
                kept.holder = ""  // the holder stays in the gate's database, not in the index
                model[id] = kept
            }
            guard step % 97 == 0 || step == 3_999 else { continue }
            #expect(index.count == model.count)
            #expect(Set(index.all) == Set(model.values))
            for plate in plates {
                let expected = Set(model.values.filter { $0.plate == plate })
                #expect(Set(index.permits(for: plate)) == expected)
                let confusable = Set(model.values.filter { $0.plate.confusionKey == plate.confusionKey && $0.plate != plate })
                #expect(Set(index.confusablePermits(for: plate)) == confusable)
            }
            for (id, permit) in model { #expect(index.permit(id: id) == permit) }
        }
    }
}
