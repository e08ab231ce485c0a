import Foundation

/// A moment as a Bilbao clock shows it: what time windows and holidays are written against.
public struct LocalDateTime: Sendable, Hashable {
    public let date: LocalDate
    /// Minutes since local midnight, 0..<1440.
    public let minuteOfDay: Int
    public let second: Int
    public let weekday: Weekday
    /// 3600 in winter (CET), 7200 in summer (CEST); distinguishes the two 02:xx hours on fall-back day.
    public let utcOffsetSeconds: Int

    public var hour: Int { minuteOfDay / 60 }
    public var minute: Int { minuteOfDay % 60 }

    init(date: LocalDate, minuteOfDay: Int, second: Int, weekday: Weekday, utcOffsetSeconds: Int) {
        self.date = date
        self.minuteOfDay = minuteOfDay
        self.second = second
        self.weekday = weekday
        self.utcOffsetSeconds = utcOffsetSeconds
    }
}
