extension HolidayCalendar {
    /// A default for Bilbao over several years, so that a new central's
    /// calendar does not end on 31 December of its first year: 2026 as
    /// `bilbaoDefault`, later years computed from the rules that do not move
    /// (fixed-date national, Basque and Bizkaia holidays, and the Easter-based
    /// Maundy Thursday, Good Friday and Easter Monday). Holidays that the
    /// region moves each year (Saint Joseph, Sunday substitutes, Aste Nagusia)
    /// are not guessed. The operator replaces it with the official calendar
    /// (`bollard-central holidays import`).
    public static func bilbaoDefault(through lastYear: Int) -> HolidayCalendar {
        var dates = bilbaoDefault.dates
        guard lastYear >= 2027 else { return HolidayCalendar(dates) }
        for year in 2027...lastYear {
            let fixed = [(1, 1), (1, 6), (5, 1), (7, 25), (7, 31), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25)]
            for (month, day) in fixed {
                if let date = LocalDate(year: year, month: month, day: day) { dates.insert(date) }
            }
            let easter = easterSunday(year)
            for offset in [-3, -2, 1] {
                let civil = CivilCalendar.civilFromDays(easter.daysSinceEpoch + offset)
                dates.insert(LocalDate(unchecked: civil.year, month: civil.month, day: civil.day))
            }
        }
        return HolidayCalendar(dates)
    }

    /// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
    public static func easterSunday(_ year: Int) -> LocalDate {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(unchecked: year, month: month, day: day)
    }
}
