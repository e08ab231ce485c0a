import Foundation

/// The bounds on every value an operator or a peer gives Bollard, in one place so that the command
/// line, CSV import and the wire refuse the same things (docs/protocol.md §3 states them).
/// They keep one permit small enough that a page of them fits in a frame, and ids safe to print.
public enum InputLimits {
    /// Permit ids: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`; never `#…`, which a CSV file reads as a comment.
    public static let permitIDLength = 1...64
    /// Gate and zone ids: `[a-z0-9][a-z0-9._-]{0,63}`; safe in file names, logs and tab-separated listings.
    public static let gateIDLength = 1...64
    public static let holderLength = 0...200
    public static let zonesPerPermit = 1...16
    public static let windowsPerPermit = 0...16
    /// Longest `max_stay_s`: one year.
    public static let maxStaySeconds = 1...31_536_000
    /// Instants (`*_ms`) from 2000-01-01 to 2100-01-01 UTC: a clock or a date outside is a mistake, not a time.
    public static let instantMilliseconds: ClosedRange<Int64> = 946_684_800_000...4_102_444_800_000
    /// Sequences and counts stay within the integers every JSON reader holds exactly (2^53 − 1).
    public static let largestInteger: Int64 = 9_007_199_254_740_991

    /// Nil when `text` is a valid permit id, else why not.
    public static func permitIDProblem(_ text: String, field: String = "id") -> InputProblem? {
        identifierProblem(text, field: field, upperCase: true, what: "a permit id")
    }

    /// Nil when `text` is a valid gate id, else why not.
    public static func gateIDProblem(_ text: String, field: String = "id") -> InputProblem? {
        identifierProblem(text, field: field, upperCase: false, what: "a gate id")
    }

    /// Nil when `text` is a valid zone id (or `*`, every zone), else why not.
    public static func zoneIDProblem(_ text: String, field: String = "zone") -> InputProblem? {
        text == "*" ? nil : identifierProblem(text, field: field, upperCase: false, what: "a zone id")
    }

    /// Nil when `text` is an acceptable opaque reference (holder), else why not.
    public static func holderProblem(_ text: String, field: String = "holder") -> InputProblem? {
        guard holderLength.contains(text.count) else {
            return InputProblem(field: field, reason: "at most \(holderLength.upperBound) characters, not \(text.count)")
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return InputProblem(field: field, reason: "must not hold control characters (line breaks, tabs)")
        }
        return nil
    }

    /// Nil when `milliseconds` is within the instant window, else why not.
    public static func instantProblem(_ milliseconds: Int64, field: String) -> InputProblem? {
        instantMilliseconds.contains(milliseconds)
            ? nil : InputProblem(field: field, reason: "must be between 2000-01-01 and 2100-01-01 (Unix ms \(instantMilliseconds))")
    }

    private static func identifierProblem(_ text: String, field: String, upperCase: Bool, what: String) -> InputProblem? {
        let alphabet = upperCase ? "[A-Za-z0-9][A-Za-z0-9._-]{0,63}" : "[a-z0-9][a-z0-9._-]{0,63}"
        let count = text.unicodeScalars.count
        guard count >= 1 else { return InputProblem(field: field, reason: "\(what) must not be empty (\(alphabet))") }
        guard count <= 64 else { return InputProblem(field: field, reason: "\(what) holds at most 64 characters, not \(count)") }
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            let value = scalar.value
            let isDigit = (0x30...0x39).contains(value)
            let isLower = (0x61...0x7A).contains(value)
            let isUpper = (0x41...0x5A).contains(value)
            let isAlphanumeric = isDigit || isLower || (upperCase && isUpper)
            let allowed = offset == 0 ? isAlphanumeric : isAlphanumeric || scalar == "." || scalar == "_" || scalar == "-"
            if !allowed {
                return InputProblem(
                    field: field, reason: "\(what) must match \(alphabet): character \(offset + 1) (U+\(String(value, radix: 16, uppercase: true))) is not allowed")
            }
        }
        return nil
    }
}
