import Domain
import Foundation

/// Reads permits from CSV, the format `bollard-central permits import` takes:
///
/// ```
/// id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder
/// P1,1234 BCD,resident,casco-viejo,2026-01-01,,,,active,H1
/// P2,5678 FGH,delivery,casco-viejo;ensanche,2026-01-01,2026-12-31,"mon-fri 07:00-11:00;sat,hol 08:00-10:00",1800,active,H2
/// ```
/// `zones` and `windows` separate entries with ';'. Dates are local Madrid
/// midnights (`YYYY-MM-DD`) or Unix milliseconds. A window is `DAYS HH:MM-HH:MM`
/// where DAYS is `mon`, `mon-fri`, `sat,sun`, or `hol` for public holidays
/// (a field holding a comma is written in double quotes).
/// Every bad row is reported with its line number; nothing is imported then.
public enum PermitCSV {
    public struct ParseError: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { problems.prefix(20).joined(separator: "\n") + (problems.count > 20 ? "\n… \(problems.count - 20) more" : "") }
    }

    public static let header = "id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder"

    public static func parse(_ text: String) throws -> [Permit] {
        var permits: [Permit] = []
        var problems: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || (number == 0 && line.hasPrefix("id,")) { continue }
            do { permits.append(try parseRow(line)) } catch {
                problems.append("line \(number + 1): \(error)")
            }
        }
        guard problems.isEmpty else { throw ParseError(problems: problems) }
        return permits
    }

    struct RowError: Error, CustomStringConvertible {
        var description: String
    }

    static func parseRow(_ line: String) throws -> Permit {
        let fields = try splitFields(line)
        guard fields.count == 10 else { throw RowError(description: "expected 10 fields, found \(fields.count)") }
        guard !fields[0].isEmpty, fields[0].count <= 64 else { throw RowError(description: "id must be 1...64 characters") }
        guard let plate = PlateText(fields[1]) else { throw RowError(description: "plate is not a plate") }
        guard let profile = Profile(rawValue: fields[2]) else {
            throw RowError(description: "profile '\(fields[2])' is not one of \(Profile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let zones = fields[3].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !zones.isEmpty else { throw RowError(description: "zones is empty") }
        guard let validFrom = try instant(fields[4], field: "valid_from") else { throw RowError(description: "valid_from is required") }
        let validUntil = try instant(fields[5], field: "valid_until")
        let windows = try fields[6].split(separator: ";").map { try window(String($0)) }
        var maxStay: Int?
        if !fields[7].isEmpty {
            guard let seconds = Int(fields[7]), seconds > 0 else { throw RowError(description: "max_stay_s must be a positive integer") }
            maxStay = seconds
        }
        let status = fields[8].isEmpty ? PermitStatus.active : PermitStatus(rawValue: fields[8])
        guard let status else { throw RowError(description: "status must be active, suspended or revoked") }
        return Permit(
            id: fields[0], plate: plate, profile: profile, zones: zones, validFrom: validFrom, validUntil: validUntil,
            windows: windows, maxStaySeconds: maxStay, status: status, holder: fields[9], seq: 0)
    }

    /// Splits one CSV row; a field in double quotes may hold commas (`"sat,hol 08:00-10:00"`) and `""` for a quote.
    static func splitFields(_ line: String) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            switch (character, quoted) {
            case ("\"", false) where current.trimmingCharacters(in: .whitespaces).isEmpty:
                quoted = true
                current = ""
            case ("\"", true):
                if let next = characters.next() {
                    if next == "\"" { current.append("\"") } else {
                        quoted = false
                        if next == "," { fields.append(current); current = "" } else { current.append(next) }
                    }
                } else {
                    quoted = false
                }
            case (",", false):
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            default:
                current.append(character)
            }
        }
        guard !quoted else { throw RowError(description: "unterminated quoted field") }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }

    static func instant(_ text: String, field: String) throws -> Date? {
        if text.isEmpty { return nil }
        if let milliseconds = Int64(text) { return Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        guard let date = LocalDate(text), let instant = MadridTime.instant(date, hour: 0, minute: 0) else {
            throw RowError(description: "\(field) must be YYYY-MM-DD or Unix milliseconds")
        }
        return instant
    }

    static func window(_ text: String) throws -> TimeWindow {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw RowError(description: "window '\(text)' must be 'DAYS HH:MM-HH:MM'") }
        let times = parts[1].split(separator: "-")
        guard times.count == 2, let start = TimeWindow.minutes(String(times[0])), let end = TimeWindow.minutes(String(times[1])), start < end else {
            throw RowError(description: "window '\(text)' has a bad time range")
        }
        var days: Set<Weekday> = []
        var holidays = false
        let names = ["mon": Weekday.monday, "tue": .tuesday, "wed": .wednesday, "thu": .thursday, "fri": .friday, "sat": .saturday, "sun": .sunday]
        for item in parts[0].split(separator: ",") {
            let range = item.split(separator: "-").map(String.init)
            if range == ["hol"] { holidays = true; continue }
            guard let first = names[range[0]], let last = names[range.last!], range.count <= 2, first.rawValue <= last.rawValue else {
                throw RowError(description: "window '\(text)' has bad days '\(item)'")
            }
            for raw in first.rawValue...last.rawValue { days.insert(Weekday(rawValue: raw)!) }
        }
        return TimeWindow(days: days, start: start, end: end, holidays: holidays)
    }
}
