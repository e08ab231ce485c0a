import Foundation

/// The maximum-stay rule: a permit may limit how long a vehicle stays in its
/// zone (a delivery 30 minutes, a guest's drop-off an hour). Central pairs a
/// vehicle's entry with its next exit; this type says what a pair, or a stay
/// with no exit, amounts to. Pure: the times are instants, so a stay across
/// midnight or a DST change is measured in real seconds, and "the day" is
/// Madrid's local day.
public enum StayRule {
    /// What an entry/exit pair, or an entry alone, comes to.
    public enum Outcome: Equatable, Sendable {
        /// Left within the limit (or no limit).
        case within
        /// Stayed `seconds`, longer than the permit allows.
        case overstay(seconds: Int)
        /// No exit seen before the end of the day on which the limit ran out.
        case noExitSeen
    }

    /// Review reasons central records for what the rule finds (violations are reviewed like any other).
    public static let overstayReason = "overstay"
    public static let noExitReason = "overstay_no_exit"
    public static let exitWithoutEntryReason = "exit_without_entry"

    /// The outcome of a stay from `entered` to `exited` under `maxStaySeconds`.
    public static func outcome(entered: Date, exited: Date, maxStaySeconds: Int?) -> Outcome {
        guard let maxStaySeconds else { return .within }
        let stayed = Int(exited.timeIntervalSince(entered).rounded(.down))
        return stayed > maxStaySeconds ? .overstay(seconds: stayed) : .within
    }

    /// When an entry with no exit becomes `noExitSeen`: the end of the Madrid
    /// day on which its limit runs out (an entry at 23:50 with 30 minutes is
    /// judged at the end of the next day, not at midnight). Nil: no limit.
    public static func noExitDeadline(entered: Date, maxStaySeconds: Int?) -> Date? {
        guard let maxStaySeconds else { return nil }
        return MadridTime.endOfDay(containing: entered.addingTimeInterval(TimeInterval(maxStaySeconds)))
    }
}
