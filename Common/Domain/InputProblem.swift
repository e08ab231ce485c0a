/// Why a value given to Bollard (on the command line, in a CSV file, on the wire) is refused:
/// the field it was given for and the reason, so the person who wrote it can correct it.
public struct InputProblem: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field as the input names it (`id`, `holder`, `zones[2]`, …).
    public var field: String
    /// What is wrong and what would be accepted; never holds the refused value itself when that could be personal data.
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
