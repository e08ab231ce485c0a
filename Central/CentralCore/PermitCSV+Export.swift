import Domain
import Foundation

extension PermitCSV {
    /// The file `parse` reads back to the same permits (sequences aside): instants as Unix
    /// milliseconds, so nothing is rounded to a day; the header line first.
    public static func export(_ permits: [Permit]) -> String {
        ([header] + permits.map(line(for:))).joined(separator: "\n") + "\n"
    }

    /// One permit as a CSV row.
    public static func line(for permit: Permit) -> String {
        func ms(_ date: Date) -> String { String(Int64((date.timeIntervalSince1970 * 1000).rounded())) }
        let fields = [
            permit.id, permit.plate.normalized, permit.profile.rawValue, permit.zones.joined(separator: ";"), ms(permit.validFrom),
            permit.validUntil.map(ms) ?? "", permit.windows.map(windowText).joined(separator: ";"),
            permit.maxStaySeconds.map(String.init) ?? "", permit.status.rawValue, permit.holder,
        ]
        return fields.map(quotedIfNeeded).joined(separator: ",")
    }

    /// `mon,wed,hol 07:00-11:00`: days listed one by one, as `window(_:)` reads them.
    public static func windowText(_ window: TimeWindow) -> String {
        let names: [Weekday: String] = [
            .monday: "mon", .tuesday: "tue", .wednesday: "wed", .thursday: "thu", .friday: "fri", .saturday: "sat", .sunday: "sun",
        ]
        let days = window.days.sorted { $0.rawValue < $1.rawValue }.compactMap { names[$0] } + (window.holidays ? ["hol"] : [])
        func time(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }
        return days.joined(separator: ",") + " " + time(window.start) + "-" + time(window.end)
    }

    public static func quotedIfNeeded(_ field: String) -> String {
        guard field.contains(",") || field.contains("\"") || field.hasPrefix(" ") || field.hasSuffix(" ") else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
