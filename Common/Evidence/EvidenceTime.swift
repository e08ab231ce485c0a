import Domain
import Foundation

/// Instants as people in Bilbao read them: ISO 8601 with the Madrid offset in
/// force then, to the millisecond, e.g. `2026-11-28T05:09:40.123+01:00`.
/// Computed by `MadridTime` (no tzdata), so a bundle reads the same on any machine.
public enum EvidenceTime {
    public static func iso8601(milliseconds: Int64) -> String {
        let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
        let millis = Int(milliseconds - seconds * 1000)
        let local = MadridTime.local(Date(timeIntervalSince1970: TimeInterval(seconds)))
        let offset = local.utcOffsetSeconds
        let sign = offset < 0 ? "-" : "+"
        return "\(local.date)T\(two(local.hour)):\(two(local.minute)):\(two(local.second)).\(three(millis))"
            + "\(sign)\(two(abs(offset) / 3600)):\(two(abs(offset) % 3600 / 60))"
    }

    public static func iso8601(_ date: Date) -> String {
        iso8601(milliseconds: milliseconds(date))
    }

    /// Unix milliseconds of a date, rounded to the nearest.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func three(_ value: Int) -> String { value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)" }
}
