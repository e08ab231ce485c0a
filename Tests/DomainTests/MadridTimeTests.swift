import Foundation
import Testing
import Domain

@Suite struct MadridTimeTests {
    private func local(_ iso: String) -> (String, Int, Int, Int, Int) {
        let l = MadridTime.local(Fixtures.at(iso))
        return (l.date.description, l.hour, l.minute, l.second, l.utcOffsetSeconds)
    }

    @Test func springForward2026() {
        #expect(local("2026-03-29T00:59:59Z") == ("2026-03-29", 1, 59, 59, 3600))
        #expect(local("2026-03-29T01:00:00Z") == ("2026-03-29", 3, 0, 0, 7200))
    }

    @Test func fallBack2026() {
        #expect(local("2026-10-25T00:59:59Z") == ("2026-10-25", 2, 59, 59, 7200))
        #expect(local("2026-10-25T01:00:00Z") == ("2026-10-25", 2, 0, 0, 3600))
    }

    /// Changeover instants for other years: last Sundays of March and October at 01:00 UTC.
    @Test(arguments: [
        ("2025-03-30T00:59:59Z", "2025-03-30", 1, 3600), ("2025-03-30T01:00:00Z", "2025-03-30", 3, 7200),
        ("2025-10-26T00:59:59Z", "2025-10-26", 2, 7200), ("2025-10-26T01:00:00Z", "2025-10-26", 2, 3600),
        ("2027-03-28T00:59:59Z", "2027-03-28", 1, 3600), ("2027-03-28T01:00:00Z", "2027-03-28", 3, 7200),
        ("2027-10-31T00:59:59Z", "2027-10-31", 2, 7200), ("2027-10-31T01:00:00Z", "2027-10-31", 2, 3600),
    ])
    func changeoversInOtherYears(iso: String, date: String, hour: Int, offset: Int) {
        let l = MadridTime.local(Fixtures.at(iso))
        #expect(l.date.description == date)
        #expect(l.hour == hour)
        #expect(l.utcOffsetSeconds == offset)
    }

    @Test func winterAndSummerMidnightCrossDates() {
        #expect(local("2026-01-31T23:30:00Z") == ("2026-02-01", 0, 30, 0, 3600))
        #expect(local("2026-07-31T22:00:00Z") == ("2026-08-01", 0, 0, 0, 7200))
        #expect(local("2026-12-31T23:00:00Z") == ("2027-01-01", 0, 0, 0, 3600))
    }

    @Test(arguments: [
        ("2026-01-01", Weekday.thursday), ("2026-03-29", .sunday), ("2026-10-25", .sunday),
        ("2024-02-29", .thursday), ("2025-12-31", .wednesday), ("2000-01-01", .saturday),
        ("1970-01-01", .thursday), ("2027-01-04", .monday), ("2100-03-01", .monday),
    ])
    func weekdays(date: String, weekday: Weekday) throws {
        #expect(Fixtures.date(date).weekday == weekday)
        let noon = try #require(MadridTime.instant(Fixtures.date(date), hour: 12, minute: 0))
        #expect(MadridTime.local(noon).weekday == weekday)
    }

    @Test func instantIsNilInTheSpringGap() {
        let day = Fixtures.date("2026-03-29")
        #expect(MadridTime.instant(day, hour: 2, minute: 0) == nil)
        #expect(MadridTime.instant(day, hour: 2, minute: 59, second: 59) == nil)
        #expect(MadridTime.instant(day, hour: 1, minute: 59, second: 59) == Fixtures.at("2026-03-29T00:59:59Z"))
        #expect(MadridTime.instant(day, hour: 3, minute: 0) == Fixtures.at("2026-03-29T01:00:00Z"))
    }

    @Test func instantPicksTheSummerOccurrenceOfTheRepeatedHour() {
        let day = Fixtures.date("2026-10-25")
        #expect(MadridTime.instant(day, hour: 2, minute: 30) == Fixtures.at("2026-10-25T00:30:00Z"))
        #expect(MadridTime.instant(day, hour: 3, minute: 0) == Fixtures.at("2026-10-25T02:00:00Z"))
        #expect(MadridTime.instant(day, hour: 1, minute: 59) == Fixtures.at("2026-10-24T23:59:00Z"))
    }

    @Test(arguments: [(24, 0, 0), (-1, 0, 0), (12, 60, 0), (12, 0, 60)])
    func instantRejectsOutOfRangeFields(hour: Int, minute: Int, second: Int) {
        #expect(MadridTime.instant(Fixtures.date("2026-05-05"), hour: hour, minute: minute, second: second) == nil)
    }

    /// Cross-checks the arithmetic against the system tz database over several years.
    @Test func agreesWithTzdataEveryNineteenMinutesFrom2024To2028() throws {
        let tz = try #require(TimeZone(identifier: "Europe/Madrid"), "tzdata is needed for this oracle")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = tz
        var t = Fixtures.at("2024-01-01T00:00:00Z")
        let end = Fixtures.at("2028-12-31T00:00:00Z")
        var mismatches: [Date] = []
        while t < end {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            let l = MadridTime.local(t)
            let isoWeekday = (c.weekday! + 5) % 7 + 1
            if l.date.year != c.year || l.date.month != c.month || l.date.day != c.day || l.hour != c.hour
                || l.minute != c.minute || l.weekday.rawValue != isoWeekday
                || l.utcOffsetSeconds != tz.secondsFromGMT(for: t) {
                mismatches.append(t)
            }
            t += 19 * 60
        }
        #expect(mismatches.isEmpty)
    }

    @Test func localDateParsingAndOrder() {
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("2024-02-29") != nil)
        #expect(LocalDate("2026-1-01") == nil)
        #expect(LocalDate("2026-13-01") == nil)
        #expect(LocalDate("2026/01/01") == nil)
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
        #expect(Fixtures.date("2026-01-31") < Fixtures.date("2026-02-01"))
        #expect(Fixtures.date("0987-06-05").description == "0987-06-05")
    }
}
