import Foundation
import Testing
import Domain

@Suite struct PermitLimitsTests {
    @Test("a permit within every limit has no problems")
    func acceptsOrdinaryPermit() {
        var permit = Fixtures.permit("P-0000042", zones: ["casco-viejo", "ensanche"], until: Fixtures.at("2030-01-01T00:00:00Z"))
        permit.holder = "H42"
        permit.maxStaySeconds = 1800
        #expect(permit.problems.isEmpty)
    }

    @Test("a 100 KB holder is refused (a page of such permits would not fit in a frame)")
    func refusesHugeHolder() {
        var permit = Fixtures.permit("P1")
        permit.holder = String(repeating: "h", count: 100_000)
        #expect(permit.problems.map(\.field) == ["holder"])
        permit.holder = String(repeating: "h", count: 200)
        #expect(permit.problems.isEmpty)
    }

    @Test("permit ids outside [A-Za-z0-9][A-Za-z0-9._-]{0,63} are refused, with the field named",
        arguments: ["", "#B6", "a b", "P\n1", "../x", String(repeating: "P", count: 65), "-P"])
    func refusesBadIDs(id: String) {
        #expect(Fixtures.permit(id).problems.map(\.field) == ["id"])
    }

    @Test("valid_until before valid_from is refused")
    func refusesBackwardValidity() {
        let permit = Fixtures.permit("P1", from: Fixtures.at("2026-06-01T00:00:00Z"), until: Fixtures.at("2026-01-01T00:00:00Z"))
        #expect(permit.problems.map(\.field) == ["valid_until"])
    }

    @Test("dates outside 2000…2100 are refused")
    func refusesInstantsOutsideTheWindow() {
        #expect(Fixtures.permit("P1", from: Date(timeIntervalSince1970: 0)).problems.map(\.field) == ["valid_from"])
        #expect(Fixtures.permit("P1", until: Date(timeIntervalSince1970: 9e12)).problems.map(\.field) == ["valid_until"])
    }

    @Test("more than 16 zones, a bad zone id, more than 16 windows and a zero stay are each refused")
    func refusesOtherFields() {
        #expect(Fixtures.permit("P1", zones: (0..<17).map { "z\($0)" }).problems.map(\.field) == ["zones"])
        #expect(Fixtures.permit("P1", zones: []).problems.map(\.field) == ["zones"])
        #expect(Fixtures.permit("P1", zones: ["ok", "Bad Zone"]).problems.map(\.field) == ["zones[2]"])
        #expect(Fixtures.permit("P1", zones: ["*"]).problems.isEmpty)
        let window = TimeWindow(days: [.monday], start: 60, end: 120)
        #expect(Fixtures.permit("P1", windows: Array(repeating: window, count: 17)).problems.map(\.field) == ["windows"])
        var permit = Fixtures.permit("P1")
        permit.maxStaySeconds = 0
        #expect(permit.problems.map(\.field) == ["max_stay_s"])
    }

    @Test("gate ids follow [a-z0-9][a-z0-9._-]{0,63}", arguments: [
        ("gate-07", true), ("cv.01_a", true), ("", false), ("g\n1", false), ("g\t1", false), ("../etc", false),
        (String(repeating: "g", count: 5_000), false), ("Gate", false), (String(repeating: "g", count: 64), true),
    ])
    func gateIDs(id: String, accepted: Bool) {
        #expect((InputLimits.gateIDProblem(id) == nil) == accepted)
    }
}
