/// The outcome for one read at one gate.
public enum Decision: Sendable, Hashable {
    case authorised(permitID: String)
    /// Exit gates record the passage; leaving is never an offence.
    case exitRecorded
    /// A violation: entering without a permit valid for this zone at this moment. `permitID`/`validity` say which
    /// exact-plate permit was found and why it did not count, or nil/nil when the plate has none.
    case notAuthorised(permitID: String?, validity: PermitValidity?)
    case needsReview(ReviewReason)

    public var kind: DecisionKind {
        switch self {
        case .authorised: .authorised
        case .exitRecorded: .exit
        case .notAuthorised: .violation
        case .needsReview: .review
        }
    }
}
