import Foundation

/// Wall-clock time in Europe/Madrid computed arithmetically with the EU rule (CET UTC+1; CEST UTC+2 from the
/// last Sunday of March 01:00 UTC until the last Sunday of October 01:00 UTC). No Foundation Calendar/TimeZone:
/// it must be fast (the decision path runs it) and not depend on tzdata being installed.
/// Correct for instants since 1996, when the EU rule took its present form.
public enum MadridTime {
    /// Local wall-clock time of an instant (sub-second parts are truncated towards the past).
    public static func local(_ instant: Date) -> LocalDateTime {
        let utc = Int(instant.timeIntervalSince1970.rounded(.down))
        let offset = utcOffset(utc)
        let localSeconds = utc + offset
        let days = CivilCalendar.floorDiv(localSeconds, 86_400)
        let secondOfDay = localSeconds - days * 86_400
        let civil = CivilCalendar.civilFromDays(days)
        return LocalDateTime(
            date: LocalDate(unchecked: civil.year, month: civil.month, day: civil.day),
            minuteOfDay: secondOfDay / 60,
            second: secondOfDay % 60,
            weekday: CivilCalendar.weekday(daysSinceEpoch: days),
            utcOffsetSeconds: offset)
    }

    /// The instant of a local wall time; for a time that does not exist (spring-forward gap) returns nil;
    /// for an ambiguous one (autumn fall-back) returns the first (CEST) occurrence. Nil for out-of-range fields.
    public static func instant(_ date: LocalDate, hour: Int, minute: Int, second: Int = 0) -> Date? {
        guard (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second) else { return nil }
        let localSeconds = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        // Try summer time first so the ambiguous hour resolves to its earlier (CEST) occurrence.
        for offset in [7200, 3600] {
            let utc = localSeconds - offset
            if utcOffset(utc) == offset {
                return Date(timeIntervalSince1970: TimeInterval(utc))
            }
        }
        return nil
    }

    /// UTC offset in seconds in force at a Unix time.
    static func utcOffset(_ utc: Int) -> Int {
        // The changeovers are in March and October, so the UTC year is the local year wherever it matters.
        let year = CivilCalendar.civilFromDays(CivilCalendar.floorDiv(utc, 86_400)).year
        let start = CivilCalendar.lastSunday(year: year, month: 3) * 86_400 + 3600
        let end = CivilCalendar.lastSunday(year: year, month: 10) * 86_400 + 3600
        return (start <= utc && utc < end) ? 7200 : 3600
    }
}

extension MadridTime {
    /// The first instant of the Madrid day after the one `instant` falls on:
    /// local midnight, 23, 24 or 25 hours after the day began (DST changes).
    public static func endOfDay(containing instant: Date) -> Date {
        let today = local(instant).date
        let civil = CivilCalendar.civilFromDays(today.daysSinceEpoch + 1)
        let tomorrow = LocalDate(unchecked: civil.year, month: civil.month, day: civil.day)
        // Midnight exists on every day of the EU rule (changes happen at 02:00/03:00 local).
        return Self.instant(tomorrow, hour: 0, minute: 0)!
    }
}
