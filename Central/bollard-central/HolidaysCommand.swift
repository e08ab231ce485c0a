import ArgumentParser
import CentralCore
import Domain
import Foundation

extension BollardCentralCommand {
    /// The public-holiday calendar that time windows observe. Central keeps
    /// it; every change moves its sequence, and gates fetch it within a heartbeat.
    struct Holidays: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "holidays", abstract: "Manage the public-holiday calendar; every change reaches the gates.",
            subcommands: [List.self, Add.self, Remove.self, Import.self])
    }
}

extension BollardCentralCommand.Holidays {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List holidays as CSV (date,name), with the calendar's sequence.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this year.") var year: Int?

        func run() throws {
            let store = try store.openStore()
            print("date,name")
            for holiday in try store.namedHolidays() where year.map({ holiday.date.hasPrefix(String($0)) }) ?? true {
                print("\(holiday.date),\(holiday.name)")
            }
            FileHandle.standardError.write(Data("calendar sequence \(try store.holidaysSeq() ?? 0)\n".utf8))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a holiday (or rename one).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Date, YYYY-MM-DD.") var date: String
        @Option(help: "Name.") var name = ""

        func run() throws {
            guard let day = LocalDate(date) else { throw ValidationError("'\(date)' is not a date (YYYY-MM-DD)") }
            try HolidayCSV.checkName(name, line: nil)
            let store = try store.openStore()
            try store.addHolidays([(day, name)])
            print("holiday \(day) saved; calendar sequence \(try store.holidaysSeq() ?? 0)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a holiday.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Date, YYYY-MM-DD.") var date: String

        func run() throws {
            guard let day = LocalDate(date) else { throw ValidationError("'\(date)' is not a date (YYYY-MM-DD)") }
            let store = try store.openStore()
            guard try store.removeHolidays([day]) > 0 else { throw HolidayCSV.Error(line: nil, reason: "\(day) is not in the calendar") }
            print("holiday \(day) removed; calendar sequence \(try store.holidaysSeq() ?? 0)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import holidays from CSV (date,name; header optional), adding to the calendar or replacing it.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "CSV file.") var file: String
        @Flag(help: "Replace the whole calendar instead of adding.") var replace = false

        func run() throws {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw HolidayCSV.Error(line: nil, reason: "cannot read \(file): \(error.localizedDescription)")
            }
            let holidays = try HolidayCSV.parse(text)
            let store = try store.openStore()
            if replace { try store.setHolidays(HolidayCalendar([])) }
            let added = try store.addHolidays(holidays)
            let years = Set(holidays.map(\.date.year)).sorted().map(String.init).joined(separator: ", ")
            print("\(holidays.count) holidays read (\(added) new) for \(years); calendar sequence \(try store.holidaysSeq() ?? 0)")
        }
    }
}
