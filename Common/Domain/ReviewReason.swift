/// Why a read goes to a person instead of being decided automatically.
public enum ReviewReason: Sendable, Hashable {
    /// Text does not normalise to a plate.
    case unreadable
    /// Below the policy threshold and no exact valid permit.
    case lowConfidence(confidence: Double)
    /// The plate only matches a valid permit through an OCR confusion (0/O, 8/B, 1/I, 5/S, 2/Z, 6/G);
    /// fining it could fine an authorised vehicle misread.
    case confusionMatch(permitIDs: [String])
    /// The gate's clock is further from central's than the allowed skew: a
    /// violation decided on a time nobody can trust is not a fine, it is a question.
    case clockUntrusted(offsetMilliseconds: Int64)

    /// Stable code for storage and wire formats.
    public var code: String {
        switch self {
        case .unreadable: "unreadable"
        case .lowConfidence: "low_confidence"
        case .confusionMatch: "confusion_match"
        case .clockUntrusted: "clock_untrusted"
        }
    }
}
