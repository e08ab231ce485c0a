/// The outcome class of a decision, for counters and storage where the detail does not matter.
public enum DecisionKind: String, Codable, Sendable {
    case authorised, exit, violation, review
}
