import Domain
import Foundation
import Testing

@Suite("Maximum stay")
struct StayRuleTests {
    func madrid(_ date: String, _ hour: Int, _ minute: Int) -> Date {
        MadridTime.instant(LocalDate(date)!, hour: hour, minute: minute)!
    }

    @Test("a stay longer than the permit's limit is an overstay by the seconds stayed; one within it, or with no limit, is not")
    func overstayBySeconds() {
        let entered = madrid("2026-06-10", 10, 0)
        #expect(StayRule.outcome(entered: entered, exited: madrid("2026-06-10", 10, 30), maxStaySeconds: 1800) == .within)
        #expect(StayRule.outcome(entered: entered, exited: madrid("2026-06-10", 10, 31), maxStaySeconds: 1800) == .overstay(seconds: 1860))
        #expect(StayRule.outcome(entered: entered, exited: madrid("2026-06-11", 10, 0), maxStaySeconds: nil) == .within)
    }

    @Test("across midnight the stay is measured in real time: 23:50 to 00:15 is 25 minutes, within 30")
    func acrossMidnight() {
        let entered = madrid("2026-06-10", 23, 50)
        #expect(StayRule.outcome(entered: entered, exited: madrid("2026-06-11", 0, 15), maxStaySeconds: 1800) == .within)
        #expect(StayRule.noExitDeadline(entered: entered, maxStaySeconds: 1800) == madrid("2026-06-12", 0, 0))
    }

    @Test("across the autumn DST change 01:50 CEST to 02:20 CET is 90 minutes of real time, an overstay of a 30-minute limit")
    func acrossFallBack() throws {
        // 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET. 01:50 CEST → 02:20 CET is 90 minutes.
        let entered = madrid("2026-10-25", 1, 50)
        let exited = Date(timeIntervalSince1970: entered.timeIntervalSince1970 + 90 * 60)
        #expect(MadridTime.local(exited).minuteOfDay == 2 * 60 + 20)
        #expect(StayRule.outcome(entered: entered, exited: exited, maxStaySeconds: 1800) == .overstay(seconds: 5400))
    }

    @Test("the end of a day with a DST change is local midnight: 23 hours after the spring day began, 25 after the autumn one")
    func dayEndsAtLocalMidnight() {
        let spring = madrid("2026-03-29", 0, 0)
        #expect(MadridTime.endOfDay(containing: spring).timeIntervalSince(spring) == 23 * 3600)
        let autumn = madrid("2026-10-25", 0, 0)
        #expect(MadridTime.endOfDay(containing: autumn).timeIntervalSince(autumn) == 25 * 3600)
    }
}
