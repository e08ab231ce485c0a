import ArgumentParser
import CentralCore
import Domain
import Foundation

extension BollardCentralCommand {
    struct Permits: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "permits", abstract: "Manage permits; every change reaches the gates.",
            subcommands: [Import.self, Export.self, Add.self, Revoke.self, Suspend.self, Reinstate.self, Show.self])
    }
}

extension BollardCentralCommand.Permits {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import permits from CSV (\(PermitCSV.header)).",
            discussion: """
                Without --register, every row is added or replaced. With --register NAME the file is the whole of \
                that municipal register: new ids are added, different ones changed, and the register's permits missing \
                from the file revoked, all in one transaction; applying the same file again changes nothing. \
                --dry-run prints what would change and writes nothing.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "The municipal register this file is the whole of (e.g. residents, licences).") var register: String?
        @Flag(help: "Show what would change (added, changed, revoked) and write nothing.") var dryRun = false
        @Argument(help: "CSV file.") var file: String

        func run() throws {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw AdminError.unreadableFile(path: file, reason: error.localizedDescription)
            }
            let permits: [Permit]
            do { permits = try PermitCSV.parse(text) } catch { throw AdminError.importRefused(path: file, error) }
            let central = try store.openStore()
            if let register {
                let changes: RegisterChanges
                do {
                    changes = dryRun ? try central.planRegister(register, permits: permits) : try central.applyRegister(register, permits: permits)
                } catch let error as RegisterError { throw AdminError.registerRefused(path: file, error) }
                print((dryRun ? "dry run, nothing written: would be " : "register \(register): ") + changes.summary)
                for permit in changes.added { print("  + \(permit.id)") }
                for permit in changes.changed { print("  ~ \(permit.id)") }
                for id in changes.revoked { print("  - \(id)") }
                return
            }
            guard !dryRun else {
                print("dry run, nothing written: \(permits.count) permits would be added or replaced")
                return
            }
            // In transactions of 1,000 with a pause between them: the gate server, another writer of
            // the same file, never waits long for the lock (a 100,000-row import takes ~10 s longer).
            let saved = try central.save(permits, transactionSize: 1_000, pause: .milliseconds(100))
            print("imported \(saved.count) permits; sequence now \(saved.last?.seq ?? 0)")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write permits as CSV, the format import reads back.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only the permits of this municipal register.") var register: String?
        @Option(help: "Write to this file instead of standard output.") var out: String?

        func run() throws {
            let text = PermitCSV.export(try store.openStore().permits(register: register))
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } else {
                print(text, terminator: "")
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or replace one permit.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Permit id.") var id: String
        @Option(help: "Plate.") var plate: String
        @Option(help: "Profile: \(Profile.allCases.map(\.rawValue).joined(separator: ", ")).") var profile = "resident"
        @Option(help: "Zones, ';'-separated (* = all).") var zones = "casco-viejo"
        @Option(help: "Valid from (YYYY-MM-DD or Unix ms); default now.") var validFrom: String?
        @Option(help: "Valid until (YYYY-MM-DD or Unix ms).") var validUntil: String?
        @Option(help: "Time windows separated by ';', e.g. 'mon-sat 07:00-11:00;sat,sun 08:00-10:00;hol 08:00-10:00'.") var windows = ""
        @Option(help: "Maximum stay, seconds.") var maxStay: Int?
        @Option(help: "Holder reference.") var holder = ""

        /// The permit the options describe, held to the same limits as an imported row.
        func permit() throws(InputProblem) -> Permit {
            try PermitCSV.permit(
                id: id, plate: plate, profile: profile, zones: zones,
                validFrom: validFrom ?? String(Int64(Date().timeIntervalSince1970 * 1000)), validUntil: validUntil ?? "",
                windows: windows, maxStay: maxStay.map(String.init) ?? "", status: "active", holder: holder)
        }

        func validate() throws {
            do { _ = try permit() } catch { throw ValidationError("--\(error.field.replacingOccurrences(of: "_", with: "-")): \(error.reason)") }
        }

        func run() throws {
            let permit = try permit()
            let saved = try store.openStore().save(permit)
            print("permit \(saved.id) saved at sequence \(saved.seq)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a permit.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        func run() throws { try setStatus(.revoked, id: id, store: store) }
    }

    struct Suspend: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a permit.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        func run() throws { try setStatus(.suspended, id: id, store: store) }
    }

    struct Reinstate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a suspended or revoked permit active again.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        func run() throws { try setStatus(.active, id: id, store: store) }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one permit as JSON.")
        @OptionGroup var store: StoreOptions
        @Argument var id: String
        func run() throws {
            guard let permit = try store.openStore().permit(id: id) else { throw AdminError.noPermit(id) }
            print(String(decoding: try JSONEncoder().encode(permit), as: UTF8.self))
        }
    }
}

private func setStatus(_ status: PermitStatus, id: String, store: StoreOptions) throws {
    guard let saved = try store.openStore().setStatus(status, permitID: id) else { throw AdminError.noPermit(id) }
    print("permit \(saved.id) \(status.rawValue) at sequence \(saved.seq)")
}
