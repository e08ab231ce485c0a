import Foundation
import Testing
import Domain

/// One permit checked at one moment and zone, with the expected verdict.
struct ValidityCase: Sendable, CustomTestStringConvertible {
    let name: String
    let permit: Permit
    let at: String
    var zone: ZoneID = Fixtures.zone
    let expected: PermitValidity
    var testDescription: String { name }
}

@Suite struct PermitValidityTests {
    static let loading = TimeWindow(days: Fixtures.monToSat, start: 420, end: 660)
    static let loadingOnHolidaysToo = TimeWindow(days: Fixtures.monToSat, start: 420, end: 660, holidays: true)
    static let stayFrom = Fixtures.at("2026-03-02T12:00:00+01:00")
    static let stayUntil = Fixtures.at("2026-03-05T12:00:00+01:00")

    // 2026-03-02 is a Monday (CET), 2026-03-08 a Sunday, 2026-03-19 a Thursday holiday, 2026-05-04 a Monday (CEST).
    static let cases: [ValidityCase] = [
        .init(name: "resident at 3am on a Sunday", permit: Fixtures.permit("r"), at: "2026-03-08T03:00:00+01:00", expected: .valid),
        .init(name: "resident on a holiday", permit: Fixtures.permit("r"), at: "2026-03-19T23:59:00+01:00", expected: .valid),
        .init(name: "resident in another zone", permit: Fixtures.permit("r"), at: "2026-03-02T10:00:00+01:00", zone: "abando", expected: .wrongZone),
        .init(name: "shopkeeper inside hours", permit: Fixtures.permit("s", profile: .shopkeeper, windows: [TimeWindow(days: Fixtures.monToSat, start: 360, end: 1260)]), at: "2026-03-07T20:59:00+01:00", expected: .valid),
        .init(name: "shopkeeper after hours", permit: Fixtures.permit("s", profile: .shopkeeper, windows: [TimeWindow(days: Fixtures.monToSat, start: 360, end: 1260)]), at: "2026-03-07T21:00:00+01:00", expected: .outsideTimeWindow),
        .init(name: "delivery Monday 08:00", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-02T08:00:00+01:00", expected: .valid),
        .init(name: "delivery Monday 07:00 exactly", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-02T07:00:00+01:00", expected: .valid),
        .init(name: "delivery Monday 10:59:59", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-02T10:59:59+01:00", expected: .valid),
        .init(name: "delivery Monday 06:59:59", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-02T06:59:59+01:00", expected: .outsideTimeWindow),
        .init(name: "delivery Monday 11:00 (end exclusive)", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-02T11:00:00+01:00", expected: .outsideTimeWindow),
        .init(name: "delivery Saturday 09:00", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-07T09:00:00+01:00", expected: .valid),
        .init(name: "delivery Sunday 09:00", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-08T09:00:00+01:00", expected: .outsideTimeWindow),
        .init(name: "delivery on a holiday Thursday", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-03-19T09:00:00+01:00", expected: .outsideTimeWindow),
        .init(name: "delivery on a holiday with holidays:true", permit: Fixtures.permit("d", profile: .delivery, windows: [loadingOnHolidaysToo]), at: "2026-03-19T09:00:00+01:00", expected: .valid),
        .init(name: "delivery summer 10:30 CEST", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-05-04T08:30:00Z", expected: .valid),
        .init(name: "delivery summer 11:30 CEST (10:30 CET would pass)", permit: Fixtures.permit("d", profile: .delivery, windows: [loading]), at: "2026-05-04T09:30:00Z", expected: .outsideTimeWindow),
        .init(name: "hotel guest before stay", permit: Fixtures.permit("h", profile: .hotelGuest, from: stayFrom, until: stayUntil), at: "2026-03-02T11:59:59+01:00", expected: .notYetValid),
        .init(name: "hotel guest at check-in", permit: Fixtures.permit("h", profile: .hotelGuest, from: stayFrom, until: stayUntil), at: "2026-03-02T12:00:00+01:00", expected: .valid),
        .init(name: "hotel guest during stay at night", permit: Fixtures.permit("h", profile: .hotelGuest, from: stayFrom, until: stayUntil), at: "2026-03-04T02:00:00+01:00", expected: .valid),
        .init(name: "hotel guest at check-out", permit: Fixtures.permit("h", profile: .hotelGuest, from: stayFrom, until: stayUntil), at: "2026-03-05T12:00:00+01:00", expected: .expired),
        .init(name: "taxi any hour", permit: Fixtures.permit("t", profile: .taxi), at: "2026-03-08T04:00:00+01:00", expected: .valid),
        .init(name: "taxi in another zone", permit: Fixtures.permit("t", profile: .taxi), at: "2026-03-08T04:00:00+01:00", zone: "abando", expected: .wrongZone),
        .init(name: "emergency ignores windows", permit: Fixtures.permit("e", profile: .emergency, windows: [loading]), at: "2026-03-08T03:00:00+01:00", expected: .valid),
        .init(name: "emergency suspended", permit: Fixtures.permit("e", profile: .emergency, status: .suspended), at: "2026-03-08T03:00:00+01:00", expected: .suspended),
        .init(name: "public service ignores windows", permit: Fixtures.permit("p", profile: .publicService, windows: [loading]), at: "2026-03-19T22:00:00+01:00", expected: .valid),
        .init(name: "public service still needs its zone", permit: Fixtures.permit("p", profile: .publicService, windows: [loading]), at: "2026-03-19T22:00:00+01:00", zone: "abando", expected: .wrongZone),
        .init(name: "disability badge, every zone", permit: Fixtures.permit("b", profile: .disabilityBadge, zones: ["*"]), at: "2026-03-02T18:00:00+01:00", zone: "abando", expected: .valid),
        .init(name: "disability badge, own windows apply", permit: Fixtures.permit("b", profile: .disabilityBadge, zones: ["*"], windows: [loading]), at: "2026-03-02T18:00:00+01:00", expected: .outsideTimeWindow),
        .init(name: "temporary before expiry", permit: Fixtures.permit("x", profile: .temporary, until: stayUntil), at: "2026-03-05T11:59:59+01:00", expected: .valid),
        .init(name: "temporary after expiry", permit: Fixtures.permit("x", profile: .temporary, until: stayUntil), at: "2026-03-05T12:00:01+01:00", expected: .expired),
        .init(name: "temporary not yet valid", permit: Fixtures.permit("x", profile: .temporary, from: stayFrom), at: "2026-03-01T12:00:00+01:00", expected: .notYetValid),
        .init(name: "suspended resident", permit: Fixtures.permit("r", status: .suspended), at: "2026-03-02T10:00:00+01:00", expected: .suspended),
        .init(name: "revoked resident", permit: Fixtures.permit("r", status: .revoked), at: "2026-03-02T10:00:00+01:00", expected: .revoked),
        .init(name: "revoked outranks expiry and zone", permit: Fixtures.permit("r", until: stayFrom, status: .revoked), at: "2026-03-09T10:00:00+01:00", zone: "abando", expected: .revoked),
        .init(name: "several zones, second matches", permit: Fixtures.permit("r", zones: ["abando", Fixtures.zone]), at: "2026-03-02T10:00:00+01:00", expected: .valid),
        .init(name: "no zones at all", permit: Fixtures.permit("r", zones: []), at: "2026-03-02T10:00:00+01:00", expected: .wrongZone),
    ]

    @Test(arguments: cases)
    func validity(of c: ValidityCase) {
        #expect(c.permit.validity(at: Fixtures.at(c.at), zone: c.zone, holidays: .bilbaoDefault) == c.expected)
    }

    @Test func everyProfileIsCovered() {
        #expect(Set(Self.cases.map(\.permit.profile)) == Set(Profile.allCases))
    }

    @Test(arguments: Profile.allCases)
    func onlyEmergencyAndPublicServiceIgnoreWindows(profile: Profile) {
        #expect(profile.ignoresTimeWindows == (profile == .emergency || profile == .publicService))
    }

    @Test func profileRawValuesAreSnakeCase() {
        #expect(Profile.allCases.map(\.rawValue) == [
            "resident", "shopkeeper", "hotel_guest", "delivery", "taxi", "emergency", "public_service",
            "disability_badge", "temporary",
        ])
    }
}
