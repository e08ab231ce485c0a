/// Public holidays, configurable because each city and year differs: parsed from text with one "YYYY-MM-DD"
/// per line, '#' comments (whole-line or trailing) and blank lines allowed; a bad line throws an error naming
/// the line number.
public struct HolidayCalendar: Sendable, Codable, Hashable {
    public var dates: Set<LocalDate>

    public init(_ dates: Set<LocalDate> = []) {
        self.dates = dates
    }

    public init(parsing text: String) throws {
        var dates: Set<LocalDate> = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            let content = line.prefix { $0 != "#" }.trimmingWhitespace()
            if content.isEmpty { continue }
            guard let date = LocalDate(content) else {
                throw HolidayCalendarError.invalidLine(number: index + 1, content: String(line))
            }
            dates.insert(date)
        }
        self.init(dates)
    }

    public func contains(_ date: LocalDate) -> Bool {
        dates.contains(date)
    }

    /// Bilbao's 2026 public holidays (national, Basque Country and Bilbao local), from general knowledge.
    /// A DEFAULT to be replaced by the city's official calendar (BOPV/BOB) before production.
    /// Left out on purpose because unverified: the Aste Nagusia local holiday (its Friday moves each year)
    /// and a Monday substitute for 1 November, which falls on a Sunday in 2026.
    public static let bilbaoDefault = HolidayCalendar(Set([
        "2026-01-01",  // New Year's Day
        "2026-01-06",  // Epiphany
        "2026-03-19",  // Saint Joseph (Basque Country, 2026)
        "2026-04-02",  // Maundy Thursday
        "2026-04-03",  // Good Friday
        "2026-04-06",  // Easter Monday (Basque Country)
        "2026-05-01",  // Labour Day
        "2026-07-25",  // Saint James (Basque Country)
        "2026-07-31",  // Saint Ignatius of Loyola (Bizkaia local)
        "2026-08-15",  // Assumption
        "2026-10-12",  // National Day of Spain
        "2026-12-08",  // Immaculate Conception
        "2026-12-25",  // Christmas Day
    ].compactMap { LocalDate($0) }))

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(Set(try container.decode([LocalDate].self)))
    }

    /// Encodes as a sorted array of "YYYY-MM-DD" strings so equal calendars encode to equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dates.sorted())
    }
}

extension Substring {
    /// Trims spaces and tabs without Foundation, so the module's parsing stays self-contained.
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
