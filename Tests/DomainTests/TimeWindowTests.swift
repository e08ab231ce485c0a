import Foundation
import Testing
import Domain

@Suite struct TimeWindowTests {
    @Test(arguments: [("00:00", 0), ("07:00", 420), ("11:30", 690), ("23:59", 1439), ("24:00", 1440)])
    func parsesHHMM(text: String, minutes: Int) {
        #expect(TimeWindow.minutes(text) == minutes)
    }

    @Test(arguments: ["24:01", "25:00", "7:00", "07:60", "07-00", "0700", "", "ab:cd", "07:00 "])
    func rejectsMalformedHHMM(text: String) {
        #expect(TimeWindow.minutes(text) == nil)
    }

    @Test func decodesAndEncodesTheDocumentedJSON() throws {
        let json = #"{"days":["tue","mon"],"from":"07:00","to":"11:00","holidays":false}"#
        let window = try JSONDecoder().decode(TimeWindow.self, from: Data(json.utf8))
        #expect(window == TimeWindow(days: [.monday, .tuesday], start: 420, end: 660))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = String(decoding: try encoder.encode(window), as: UTF8.self)
        #expect(encoded == #"{"days":["mon","tue"],"from":"07:00","holidays":false,"to":"11:00"}"#)
    }

    @Test func holidaysDefaultsToFalseWhenAbsent() throws {
        let json = #"{"days":["sun"],"from":"00:00","to":"24:00"}"#
        let window = try JSONDecoder().decode(TimeWindow.self, from: Data(json.utf8))
        #expect(window == TimeWindow(days: [.sunday], start: 0, end: 1440, holidays: false))
    }

    @Test(arguments: [
        #"{"days":["mon"],"from":"11:00","to":"07:00"}"#,
        #"{"days":["mon"],"from":"07:00","to":"07:00"}"#,
        #"{"days":["mon"],"from":"07:00","to":"25:00"}"#,
        #"{"days":["monday"],"from":"07:00","to":"11:00"}"#,
    ])
    func decodingRejectsInvalidWindows(json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TimeWindow.self, from: Data(json.utf8))
        }
    }

    @Test func weekdayCodesRoundTrip() throws {
        let data = try JSONEncoder().encode(Weekday.allCases)
        #expect(String(decoding: data, as: UTF8.self) == #"["mon","tue","wed","thu","fri","sat","sun"]"#)
        #expect(try JSONDecoder().decode([Weekday].self, from: data) == Weekday.allCases)
    }

    /// 02:00–02:30 does not exist on spring-forward day, so no instant of that day may match it.
    @Test func gapWindowNeverMatchesOnSpringForwardDay() {
        let window = TimeWindow(days: Set(Weekday.allCases), start: 120, end: 150)
        func matchingMinutes(from: String, to: String) -> Int {
            var t = Fixtures.at(from), count = 0
            while t < Fixtures.at(to) {
                if window.contains(MadridTime.local(t), isHoliday: false) { count += 1 }
                t += 60
            }
            return count
        }
        #expect(matchingMinutes(from: "2026-03-28T23:00:00Z", to: "2026-03-29T22:00:00Z") == 0)
        #expect(matchingMinutes(from: "2026-03-27T23:00:00Z", to: "2026-03-28T23:00:00Z") == 30)
    }

    /// 02:00–03:00 happens twice on fall-back day: the window covers two real hours.
    @Test func repeatedHourMatchesTwiceOnFallBackDay() {
        let window = TimeWindow(days: [.sunday], start: 120, end: 180)
        var t = Fixtures.at("2026-10-24T22:00:00Z"), matched: [Date] = []
        while t < Fixtures.at("2026-10-25T23:00:00Z") {
            if window.contains(MadridTime.local(t), isHoliday: false) { matched.append(t) }
            t += 60
        }
        #expect(matched.count == 120)
        #expect(matched.first == Fixtures.at("2026-10-25T00:00:00Z"))
        #expect(matched.last == Fixtures.at("2026-10-25T01:59:00Z"))
    }
}
