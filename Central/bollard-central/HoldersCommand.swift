import ArgumentParser
import CentralCore
import Foundation

extension BollardCentralCommand {
    struct Holders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "holders",
            abstract: "Permit holders the citizens' app acts for: hotels and their guest quota, shops and their delivery quota (docs/citizens-api.md).",
            subcommands: [SetHolder.self, List.self, Import.self, Export.self])
    }
}

extension BollardCentralCommand.Holders {
    struct SetHolder: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Add a holder, or change its kind, zones and quotas.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The holder's opaque id, as the council's app knows it.") var id: String
        @Option(help: "person, hotel or shop.") var kind: String
        @Option(help: "Comma-separated zones its guests' and deliveries' permits are for.") var zones: String
        @Option(help: "Hotels: guest vehicles registered for any one night.") var guestQuota = 0
        @Option(help: "Shops: delivery vehicles registered at once.") var deliveryQuota = 0

        func run() throws {
            guard let kind = Holder.Kind(rawValue: kind) else {
                throw ValidationError("--kind must be one of \(Holder.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let holder = Holder(
                id: id, kind: kind, zones: zones.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                guestQuota: guestQuota, deliveryQuota: deliveryQuota)
            do { try store.openStore().saveHolder(holder) } catch { throw ValidationError("\(error)") }
            print("holder \(id): \(kind.rawValue) in \(holder.zones.joined(separator: ",")), guest quota \(guestQuota), delivery quota \(deliveryQuota)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every holder with its kind, zones and quotas.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            for holder in try store.openStore().holders() {
                print("\(holder.id)  \(holder.kind.rawValue)  \(holder.zones.joined(separator: ","))  guests \(holder.guestQuota)  deliveries \(holder.deliveryQuota)")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or update holders from CSV (\(HolderCSV.header)), zones ';'-separated; all or nothing.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Only say what would change.") var dryRun = false

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read \(file) as UTF-8 text")
            }
            let holders: [Holder]
            do { holders = try HolderCSV.parse(text) } catch { throw ValidationError("\(file) refused, nothing applied:\n\(error)") }
            let changes = try store.openStore().importHolders(holders, dryRun: dryRun)
            print((dryRun ? "dry run, nothing written: would be " : "holders: ") + changes.summary)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every holder as CSV, as import reads it.")
        @OptionGroup var store: StoreOptions

        func run() throws { print(HolderCSV.export(try store.openStore().holders()), terminator: "") }
    }
}
