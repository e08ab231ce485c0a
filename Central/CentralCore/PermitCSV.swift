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
/// (a field holding a comma is written in double quotes). Lines end in LF or CRLF;
/// the header line is optional, blank lines are skipped. Every value is held to
/// `InputLimits` (docs/protocol.md §3.2). An id may appear once per file.
/// Every bad row is reported with its line number; nothing is imported then.
public enum PermitCSV {
    /// One refused row: its 1-based line, and the field and reason when one field is to blame.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var field: String?
        public var reason: String
        public var description: String { "line \(line): " + (field.map { "\($0): " } ?? "") + reason }
    }

    /// Why a file was refused as a whole; lists every bad row (the first 20 when printed).
    public struct ParseError: Error, CustomStringConvertible {
        public var problems: [Problem]
        public var description: String {
            problems.prefix(20).map(\.description).joined(separator: "\n") + (problems.count > 20 ? "\n… \(problems.count - 20) more" : "")
        }
    }

    public static let header = "id,plate,profile,zones,valid_from,valid_until,windows,max_stay_s,status,holder"

    /// Every permit of the file, or a `ParseError` naming every bad line; a file without a single permit is an error too.
    public static func parse(_ text: String) throws(ParseError) -> [Permit] {
        var permits: [Permit] = []
        var problems: [Problem] = []
        var firstLine: [String: Int] = [:]
        // `isNewline` also splits at "\r\n", which Swift holds as one Character (a plain "\n" split never matches it).
        for (number, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || (number == 0 && line.hasPrefix("id,")) { continue }
            do {
                let permit = try parseRow(line)
                if let earlier = firstLine[permit.id] {
                    problems.append(Problem(line: number + 1, field: "id", reason: "permit id already given on line \(earlier)"))
                } else {
                    firstLine[permit.id] = number + 1
                    permits.append(permit)
                }
            } catch {
                problems.append(Problem(line: number + 1, field: error.field.isEmpty ? nil : error.field, reason: error.reason))
            }
        }
        guard problems.isEmpty else { throw ParseError(problems: problems) }
        guard !permits.isEmpty else {
            throw ParseError(problems: [Problem(line: 1, field: nil, reason: "no permit rows found (expected \(header))")])
        }
        return permits
    }

    static func parseRow(_ line: String) throws(InputProblem) -> Permit {
        let fields = try splitFields(line)
        guard fields.count == 10 else { throw InputProblem(field: "", reason: "expected 10 fields, found \(fields.count)") }
        return try permit(
            id: fields[0], plate: fields[1], profile: fields[2], zones: fields[3], validFrom: fields[4], validUntil: fields[5],
            windows: fields[6], maxStay: fields[7], status: fields[8], holder: fields[9])
    }

    /// Builds a permit from the text of each field, as the CSV columns and `permits add` options hold them,
    /// and holds it to `InputLimits`; the first problem found is thrown.
    public static func permit(
        id: String, plate: String, profile: String, zones: String, validFrom: String, validUntil: String,
        windows: String, maxStay: String, status: String, holder: String
    ) throws(InputProblem) -> Permit {
        if let problem = InputLimits.permitIDProblem(id) { throw problem }
        let plateText: PlateText
        do { plateText = try PlateText(validating: plate) } catch { throw InputProblem(field: "plate", reason: error.description) }
        guard let profileValue = Profile(rawValue: profile) else {
            throw InputProblem(field: "profile", reason: "'\(profile.prefix(40))' is not one of \(Profile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let zoneList = zones.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let from = try instant(validFrom, field: "valid_from") else { throw InputProblem(field: "valid_from", reason: "is required") }
        let until = try instant(validUntil, field: "valid_until")
        let windowList = try self.windows(windows)
        var maxStaySeconds: Int?
        if !maxStay.isEmpty {
            guard let seconds = Int(maxStay) else { throw InputProblem(field: "max_stay_s", reason: "must be a whole number of seconds") }
            maxStaySeconds = seconds
        }
        let statusValue = status.isEmpty ? PermitStatus.active : PermitStatus(rawValue: status)
        guard let statusValue else { throw InputProblem(field: "status", reason: "must be active, suspended or revoked") }
        let permit = Permit(
            id: id, plate: plateText, profile: profileValue, zones: zoneList, validFrom: from, validUntil: until,
            windows: windowList, maxStaySeconds: maxStaySeconds, status: statusValue, holder: holder, seq: 0)
        try permit.validate()
        return permit
    }

    /// Splits one CSV row; a field in double quotes may hold commas (`"sat,hol 08:00-10:00"`) and `""` for a quote.
    static func splitFields(_ line: String) throws(InputProblem) -> [String] {
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
        guard !quoted else { throw InputProblem(field: "", reason: "unterminated quoted field") }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }

    /// `YYYY-MM-DD` (Madrid midnight) or Unix milliseconds; nil for empty text.
    public static func instant(_ text: String, field: String) throws(InputProblem) -> Date? {
        if text.isEmpty { return nil }
        if let milliseconds = Int64(text) {
            if let problem = InputLimits.instantProblem(milliseconds, field: field) { throw problem }
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
        guard let date = LocalDate(text), let instant = MadridTime.instant(date, hour: 0, minute: 0) else {
            throw InputProblem(field: field, reason: "must be YYYY-MM-DD or Unix milliseconds")
        }
        return instant
    }

    /// Windows separated by ';', e.g. `mon-fri 07:00-11:00;sat,sun 08:00-10:00`; empty text is no window (any time).
    public static func windows(_ text: String) throws(InputProblem) -> [TimeWindow] {
        var windows: [TimeWindow] = []
        for part in text.split(separator: ";") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            windows.append(try window(String(part)))
        }
        return windows
    }

    static func window(_ text: String) throws(InputProblem) -> TimeWindow {
        let shown = String(text.trimmingCharacters(in: .whitespaces).prefix(40))
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw InputProblem(field: "windows", reason: "window '\(shown)' must be 'DAYS HH:MM-HH:MM'") }
        let times = parts[1].split(separator: "-")
        guard times.count == 2, let start = TimeWindow.minutes(String(times[0])), let end = TimeWindow.minutes(String(times[1])), start < end else {
            throw InputProblem(field: "windows", reason: "window '\(shown)' has a bad time range")
        }
        var days: Set<Weekday> = []
        var holidays = false
        let names = ["mon": Weekday.monday, "tue": .tuesday, "wed": .wednesday, "thu": .thursday, "fri": .friday, "sat": .saturday, "sun": .sunday]
        for item in parts[0].split(separator: ",") {
            let range = item.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            if range == ["hol"] { holidays = true; continue }
            guard (1...2).contains(range.count), let first = names[range[0]], let last = names[range[range.count - 1]], first.rawValue <= last.rawValue else {
                throw InputProblem(field: "windows", reason: "window '\(shown)' has bad days '\(item.prefix(20))' (mon…sun, a range like mon-fri, or hol)")
            }
            for raw in first.rawValue...last.rawValue { days.insert(Weekday(rawValue: raw)!) }
        }
        return TimeWindow(days: days, start: start, end: end, holidays: holidays)
    }
}
