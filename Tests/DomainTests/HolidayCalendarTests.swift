import Foundation
import Testing
import Domain

@Suite struct HolidayCalendarTests {
    @Test func parsesDatesCommentsAndBlankLines() throws {
        let text = """
        # Bilbao 2026
        2026-01-01

          2026-01-06   # Epiphany\r
        2026-01-06
        """
        let calendar = try HolidayCalendar(parsing: text)
        #expect(calendar.dates == [Fixtures.date("2026-01-01"), Fixtures.date("2026-01-06")])
        #expect(calendar.contains(Fixtures.date("2026-01-06")))
        #expect(!calendar.contains(Fixtures.date("2026-01-07")))
    }

    @Test func emptyTextIsAnEmptyCalendar() throws {
        #expect(try HolidayCalendar(parsing: "\n# nothing\n").dates.isEmpty)
    }

    @Test(arguments: [
        ("2026-01-01\n# ok\n\n2026-02-30\n", 4, "2026-02-30"),
        ("2026-1-6", 1, "2026-1-6"),
        ("2026-01-01\r\n2026-01-06 extra\r\n", 2, "2026-01-06 extra"),
    ])
    func badLineThrowsWithItsNumber(text: String, line: Int, content: String) {
        #expect(throws: HolidayCalendarError.invalidLine(number: line, content: content)) {
            try HolidayCalendar(parsing: text)
        }
    }

    @Test func errorDescriptionNamesTheLine() {
        #expect(HolidayCalendarError.invalidLine(number: 7, content: "x").description.contains("line 7"))
    }

    @Test(arguments: ["2026-01-01", "2026-01-06", "2026-04-03", "2026-04-06", "2026-07-31", "2026-12-25"])
    func bilbaoDefaultHasKnownHolidays(date: String) {
        #expect(HolidayCalendar.bilbaoDefault.contains(Fixtures.date(date)))
    }

    @Test(arguments: ["2026-01-02", "2026-04-04", "2026-04-05", "2026-12-24", "2025-12-25"])
    func bilbaoDefaultOmitsOrdinaryDays(date: String) {
        #expect(!HolidayCalendar.bilbaoDefault.contains(Fixtures.date(date)))
    }

    @Test func codesAsSortedDateStrings() throws {
        let calendar = HolidayCalendar([Fixtures.date("2026-12-25"), Fixtures.date("2026-01-01")])
        let data = try JSONEncoder().encode(calendar)
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-01-01","2026-12-25"]"#)
        #expect(try JSONDecoder().decode(HolidayCalendar.self, from: data) == calendar)
    }

    /// A holiday replaces its weekday: weekday windows stop applying and holiday windows start.
    @Test func holidayReplacesWeekday() {
        let holidays = HolidayCalendar([Fixtures.date("2026-03-19")])  // a Thursday
        let weekdayWindow = TimeWindow(days: [.thursday], start: 420, end: 660)
        let holidayWindow = TimeWindow(days: [], start: 420, end: 660, holidays: true)
        let holiday = MadridTime.local(Fixtures.at("2026-03-19T08:00:00+01:00"))
        let ordinaryThursday = MadridTime.local(Fixtures.at("2026-03-12T08:00:00+01:00"))
        #expect(!weekdayWindow.contains(holiday, isHoliday: holidays.contains(holiday.date)))
        #expect(holidayWindow.contains(holiday, isHoliday: holidays.contains(holiday.date)))
        #expect(weekdayWindow.contains(ordinaryThursday, isHoliday: holidays.contains(ordinaryThursday.date)))
        #expect(!holidayWindow.contains(ordinaryThursday, isHoliday: holidays.contains(ordinaryThursday.date)))
    }
}
