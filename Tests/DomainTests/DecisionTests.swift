import Foundation
import Testing
import Domain

@Suite struct DecisionTests {
    static let now = Fixtures.at("2026-03-02T09:00:00+01:00")  // a Monday, inside loading hours
    static let yesterday = Fixtures.at("2026-03-01T09:00:00+01:00")

    private func decideRead(
        _ text: String, confidence: Double = 0.99, gate: Gate = Fixtures.entry, _ permits: [Permit]
    ) -> Decision {
        decide(PlateRead(text: text, confidence: confidence, at: Self.now), at: gate,
               permits: PermitIndex(permits), holidays: .bilbaoDefault)
    }

    @Test func exitGateRecordsEvenUnreadableOrUnknownPlates() {
        #expect(decideRead("", gate: Fixtures.exit, []) == .exitRecorded)
        #expect(decideRead("9999ZZZ", confidence: 0.99, gate: Fixtures.exit, []) == .exitRecorded)
        #expect(decideRead("9999ZZZ", gate: Fixtures.exit, []).kind == .exit)
    }

    @Test(arguments: ["", "-", "Ñ", "ÑÑ-Ñ", "ABCDEFGHIJK"])
    func unreadableTextGoesToReview(text: String) {
        #expect(decideRead(text, [Fixtures.permit("p1")]) == .needsReview(.unreadable))
    }

    @Test(arguments: [0.0, 0.3, 0.99])
    func exactValidPermitAuthorisesWhateverTheConfidence(confidence: Double) {
        #expect(decideRead("1234 bcd", confidence: confidence, [Fixtures.permit("p1")]) == .authorised(permitID: "p1"))
    }

    @Test func severalValidPermitsPreferTheSmallestID() {
        let permits = [Fixtures.permit("p3"), Fixtures.permit("p1", profile: .delivery), Fixtures.permit("p2")]
        #expect(decideRead("1234BCD", permits) == .authorised(permitID: "p1"))
    }

    @Test func aValidPermitWinsOverInvalidOnesForTheSamePlate() {
        let permits = [Fixtures.permit("a", status: .revoked), Fixtures.permit("b", until: Self.yesterday), Fixtures.permit("c")]
        #expect(decideRead("1234BCD", permits) == .authorised(permitID: "c"))
    }

    /// (permit plate, misread plate): each OCR confusion pair the rules name.
    @Test(arguments: [
        ("BI0123AB", "BIO123AB"),  // 0/O
        ("1234BBC", "1234B8C"),    // 8/B
        ("BI1234AB", "BII234AB"),  // 1/I
        ("5555BCD", "S555BCD"),    // 5/S
        ("2222BCD", "Z222BCD"),    // 2/Z
        ("6666BCD", "G666BCD"),    // 6/G
        ("1234BCD", "1234BC0"),    // D/0
    ])
    func confusionWithAValidPermitGoesToReview(permitPlate: String, read: String) {
        let permits = [Fixtures.permit("p1", plate: permitPlate)]
        #expect(decideRead(read, confidence: 0.99, permits) == .needsReview(.confusionMatch(permitIDs: ["p1"])))
        #expect(decideRead(read, confidence: 0.2, permits) == .needsReview(.confusionMatch(permitIDs: ["p1"])))
    }

    @Test func confusionMatchListsIDsSortedAndOnlyValidOnes() {
        let permits = [
            Fixtures.permit("z9", plate: "1234B8C"), Fixtures.permit("a1", plate: "12348BC"),
            Fixtures.permit("m5", plate: "1234BBC"), Fixtures.permit("x0", plate: "1234B8C", status: .revoked),
        ]
        #expect(decideRead("123488C", permits) == .needsReview(.confusionMatch(permitIDs: ["a1", "m5", "z9"])))
    }

    @Test func confusionWithOnlyInvalidPermitsIsNoExcuse() {
        let permits = [Fixtures.permit("p1", plate: "1234BBC", until: Self.yesterday)]
        #expect(decideRead("1234B8C", confidence: 0.99, permits) == .notAuthorised(permitID: nil, validity: nil))
    }

    @Test func exactInvalidPlusConfusableValidGoesToReview() {
        let permits = [Fixtures.permit("own", plate: "1234B8C", status: .suspended), Fixtures.permit("other", plate: "1234BBC")]
        #expect(decideRead("1234B8C", permits) == .needsReview(.confusionMatch(permitIDs: ["other"])))
    }

    @Test func lowConfidenceUnknownPlateGoesToReview() {
        #expect(decideRead("9999XYZ", confidence: 0.5, [Fixtures.permit("p1")]) == .needsReview(.lowConfidence(confidence: 0.5)))
    }

    @Test func confidentUnknownPlateIsAViolation() {
        let decision = decideRead("9999XYZ", confidence: 0.95, [Fixtures.permit("p1")])
        #expect(decision == .notAuthorised(permitID: nil, validity: nil))
        #expect(decision.kind == .violation)
    }

    @Test func confidentExactButExpiredIsAViolationCitingIt() {
        let permits = [Fixtures.permit("p1", profile: .temporary, until: Self.yesterday)]
        #expect(decideRead("1234BCD", confidence: 0.95, permits) == .notAuthorised(permitID: "p1", validity: .expired))
    }

    @Test func lowConfidenceExactButExpiredGoesToReviewNotToAFine() {
        let permits = [Fixtures.permit("p1", until: Self.yesterday)]
        #expect(decideRead("1234BCD", confidence: 0.5, permits) == .needsReview(.lowConfidence(confidence: 0.5)))
    }

    @Test func violationCitesThePermitThatCameClosest() {
        let permits = [
            Fixtures.permit("a", status: .revoked),
            Fixtures.permit("b", zones: ["abando"]),
            Fixtures.permit("c", until: Self.yesterday),
        ]
        #expect(decideRead("1234BCD", permits) == .notAuthorised(permitID: "b", validity: .wrongZone))
    }

    @Test func evaluatesAtTheReadInstant() {
        let delivery = Fixtures.permit("d1", profile: .delivery, windows: [TimeWindow(days: Fixtures.monToSat, start: 420, end: 660)])
        let index = PermitIndex([delivery])
        let inside = PlateRead(text: "1234BCD", confidence: 0.99, at: Fixtures.at("2026-03-02T10:00:00+01:00"))
        let outside = PlateRead(text: "1234BCD", confidence: 0.99, at: Fixtures.at("2026-03-02T12:00:00+01:00"))
        #expect(decide(inside, at: Fixtures.entry, permits: index, holidays: .bilbaoDefault) == .authorised(permitID: "d1"))
        #expect(decide(outside, at: Fixtures.entry, permits: index, holidays: .bilbaoDefault)
            == .notAuthorised(permitID: "d1", validity: .outsideTimeWindow))
    }

    @Test(arguments: [(0.9, DecisionKind.violation), (0.8999, .review), (Double.nan, .review), (1.0, .violation)])
    func thresholdIsInclusiveAndNaNIsNotConfident(confidence: Double, kind: DecisionKind) {
        #expect(decideRead("9999XYZ", confidence: confidence, []).kind == kind)
    }

    @Test func policyThresholdIsConfigurable() {
        let read = PlateRead(text: "9999XYZ", confidence: 0.95, at: Self.now)
        let strict = DecisionPolicy(confidentThreshold: 0.97)
        #expect(decide(read, at: Fixtures.entry, permits: PermitIndex(), holidays: .init(), policy: strict)
            == .needsReview(.lowConfidence(confidence: 0.95)))
        #expect(DecisionPolicy.standard.confidentThreshold == 0.9)
    }

    @Test func kindsAndReviewCodes() {
        #expect(Decision.authorised(permitID: "x").kind == .authorised)
        #expect(Decision.needsReview(.unreadable).kind == .review)
        #expect(ReviewReason.unreadable.code == "unreadable")
        #expect(ReviewReason.lowConfidence(confidence: 0.1).code == "low_confidence")
        #expect(ReviewReason.confusionMatch(permitIDs: []).code == "confusion_match")
    }
}
