/// Why a holiday file was rejected; names the line so an operator can fix the file, not guess.
public enum HolidayCalendarError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `number` is 1-based; `content` is the offending line as written.
    case invalidLine(number: Int, content: String)

    public var description: String {
        switch self {
        case let .invalidLine(number, content):
            "holiday file line \(number): expected YYYY-MM-DD, found \"\(content)\""
        }
    }
}
