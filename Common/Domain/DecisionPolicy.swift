/// Tunables of the decision, kept apart so a city can be stricter without code changes.
public struct DecisionPolicy: Sendable, Hashable {
    /// Reads below this confidence are never fined automatically: a person reviews them.
    public var confidentThreshold: Double

    public init(confidentThreshold: Double = 0.9) {
        self.confidentThreshold = confidentThreshold
    }

    public static let standard = DecisionPolicy()
}
