import ArgumentParser
import BollardSupport
import CentralCore
import Domain
import Evidence
import Foundation

extension BollardCentralCommand {
    /// Violations leave central two ways: as the sanctions office's daily batch,
    /// and one by one as evidence bundles that verify offline.
    struct Violations: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "violations", abstract: "Export confirmed violations and build evidence bundles.",
            subcommands: [Export.self, BundleCommand.self])
    }
}

extension BollardCentralCommand.Violations {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, json
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The confirmed violations of one Madrid-local day for the sanctions office, one line each with its evidence hash.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The day, YYYY-MM-DD (Madrid time).") var day: String
        @Option(help: "csv or json.") var format = Format.csv
        @Option(help: "Write to this file (0600) instead of standard output.") var out: String?

        func run() throws {
            guard let date = LocalDate(day) else { throw ValidationError("'\(day)' is not a date (YYYY-MM-DD)") }
            let export = try ViolationExport.make(store: store.openStore(), day: date)
            let data = format == .csv ? Data(export.csv.utf8) : try export.json()
            try BollardCentralCommand.Violations.write(data, to: out)
            if out != nil { print("\(export.violations.count) confirmed violations of \(export.day) written to \(out!)") }
        }
    }

    struct BundleCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evidence",
            abstract: "Build the evidence bundle of one violation (a ZIP that `bollardctl evidence verify` checks offline).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The violation's id, GATE~ORIGIN~SEQ (as the export lists it).") var id: String
        @Option(help: "Why the bundle is asked for (written into it).") var reason: String
        @Option(help: "Who asks for it (written into it).") var by: String
        @Option(help: "The ZIP to write (0600).") var out: String

        func run() throws {
            guard let key = CaseID(id) else { throw ValidationError("'\(id)' is not a violation id (GATE~ORIGIN~SEQ)") }
            let configuration = try store.configuration
            let opened = try store.openStore()
            let centralKey = try SigningKey.loadOrCreate(path: configuration.signingKeyFile)
            let bundle = try opened.evidenceBundle(for: key, issuedBy: by, reason: reason, centralKey: centralKey)
            try BollardCentralCommand.Violations.write(bundle, to: out)
            print("evidence of \(key) written to \(out); central's signing key \(centralKey.publicKeyBase64)")
        }
    }

    /// Writes `data` to a new private file (it holds plates), or to standard output.
    static func write(_ data: Data, to path: String?) throws {
        guard let path else {
            FileHandle.standardOutput.write(data)
            return
        }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try PrivateFiles.writeNewFile(atPath: path, data: data, mode: 0o600)
    }
}
