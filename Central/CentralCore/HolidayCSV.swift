import Domain

/// The holiday calendar as CSV: `date,name` per line (YYYY-MM-DD), an
/// optional header, `#` comments, Windows line endings accepted.
public enum HolidayCSV {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var line: Int?
        public var reason: String
        public init(line: Int?, reason: String) {
            self.line = line
            self.reason = reason
        }
        public var description: String { (line.map { "line \($0): " } ?? "") + reason + "; nothing imported" }
    }

    /// Every holiday of the file, or the first problem (nothing is half-read).
    public static func parse(_ text: String) throws -> [(date: LocalDate, name: String)] {
        var holidays: [(date: LocalDate, name: String)] = []
        var seen: Set<LocalDate> = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: " \t")
            if trimmed.isEmpty || trimmed.hasPrefix("#") || (index == 0 && trimmed.lowercased().hasPrefix("date")) { continue }
            let fields = trimmed.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            let dateText = fields[0].trimmingCharacters(in: " \t")
            guard let date = LocalDate(dateText) else {
                throw Error(line: index + 1, reason: "'\(dateText.prefix(20))' is not a date (YYYY-MM-DD)")
            }
            guard seen.insert(date).inserted else { throw Error(line: index + 1, reason: "\(date) appears twice") }
            let name = fields.count > 1 ? fields[1].trimmingCharacters(in: " \t") : ""
            try checkName(name, line: index + 1)
            holidays.append((date, name))
        }
        guard !holidays.isEmpty else { throw Error(line: nil, reason: "no holidays in the file") }
        return holidays
    }

    /// Names are for people: at most 80 characters, no control characters.
    public static func checkName(_ name: String, line: Int?) throws {
        guard name.count <= 80, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Error(line: line, reason: "a holiday name has at most 80 printable characters")
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
