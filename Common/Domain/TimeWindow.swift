/// A weekly window in Europe/Madrid wall-clock time. `start`/`end` are minutes since local midnight,
/// 0 ≤ start < end ≤ 1440, end exclusive. On a public holiday only windows with `holidays == true` apply
/// (a holiday replaces its weekday); on other days, windows whose `days` contain the weekday.
/// The initialiser does not validate (it cannot fail); an invalid range simply never matches.
public struct TimeWindow: Codable, Sendable, Hashable {
    public var days: Set<Weekday>
    public var start: Int
    public var end: Int
    public var holidays: Bool

    public init(days: Set<Weekday>, start: Int, end: Int, holidays: Bool = false) {
        self.days = days
        self.start = start
        self.end = end
        self.holidays = holidays
    }

    /// Whether the range is usable; decoding rejects anything else so bad permit files fail loudly.
    public var isValidRange: Bool { 0 <= start && start < end && end <= 1440 }

    /// Whether this window covers a local wall-clock moment; `isHoliday` replaces the weekday rule.
    public func contains(_ local: LocalDateTime, isHoliday: Bool) -> Bool {
        let dayApplies = isHoliday ? holidays : days.contains(local.weekday)
        return dayApplies && start <= local.minuteOfDay && local.minuteOfDay < end
    }

    /// Parses "HH:MM" (00:00...24:00) into minutes since midnight; strict so typos are not silently accepted.
    public static func minutes(_ hhmm: String) -> Int? {
        let b = Array(hhmm.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":") else { return nil }
        var digits: [Int] = []
        for i in [0, 1, 3, 4] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
            digits.append(Int(b[i] - UInt8(ascii: "0")))
        }
        let hour = digits[0] * 10 + digits[1]
        let minute = digits[2] * 10 + digits[3]
        guard minute < 60, hour < 24 || (hour == 24 && minute == 0) else { return nil }
        return hour * 60 + minute
    }

    /// Formats minutes since midnight as "HH:MM" for JSON.
    public static func hhmm(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    private enum CodingKeys: String, CodingKey {
        case days, from, to, holidays
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let days = try c.decodeIfPresent([Weekday].self, forKey: .days) ?? []
        let fromText = try c.decode(String.self, forKey: .from)
        let toText = try c.decode(String.self, forKey: .to)
        guard let start = TimeWindow.minutes(fromText) else {
            throw DecodingError.dataCorruptedError(forKey: .from, in: c, debugDescription: "not HH:MM: \(fromText)")
        }
        guard let end = TimeWindow.minutes(toText) else {
            throw DecodingError.dataCorruptedError(forKey: .to, in: c, debugDescription: "not HH:MM: \(toText)")
        }
        self.init(days: Set(days), start: start, end: end,
                  holidays: try c.decodeIfPresent(Bool.self, forKey: .holidays) ?? false)
        guard isValidRange else {
            throw DecodingError.dataCorruptedError(
                forKey: .to, in: c, debugDescription: "window must satisfy from < to: \(fromText)-\(toText)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        // Sorted so the same window always encodes to the same bytes.
        try c.encode(days.sorted { $0.rawValue < $1.rawValue }, forKey: .days)
        try c.encode(TimeWindow.hhmm(start), forKey: .from)
        try c.encode(TimeWindow.hhmm(end), forKey: .to)
        try c.encode(holidays, forKey: .holidays)
    }
}
