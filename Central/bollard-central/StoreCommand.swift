import ArgumentParser
import CentralCore
import Foundation

extension BollardCentralCommand {
    /// Moving the store between engines.
    struct Store: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Central's store across engines.", subcommands: [Copy.self])

        struct Copy: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Copy every row of central's SQLite store into a new, empty PostgreSQL database (stop central first).",
                discussion: """
                    The source is the SQLite store of the configuration (data_dir/central.sqlite, or the store key when it \
                    names a sqlite: path), or --from. The target's migrations run first; the copy is one PostgreSQL transaction, \
                    so a failure leaves the target empty. Then set store = postgres://… and start central. See docs/operations.md.
                    """)

            @OptionGroup var store: StoreOptions
            @Option(help: "The SQLite store to copy (default: the configuration's).")
            var from: String?
            @Option(help: "The PostgreSQL database to copy into: postgres://USER@HOST:PORT/DATABASE.")
            var to: String

            func run() throws {
                let configuration = try store.configuration
                let sourceLocation = from.map { StoreLocation($0) } ?? configuration.storeLocation
                guard case .sqlite(let path) = sourceLocation else { throw ValidationError("the store to copy must be SQLite; give --from PATH") }
                guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no SQLite store at \(path)") }
                guard case .postgres = StoreLocation(to) else { throw ValidationError("--to takes a postgres:// URL") }
                let source = try CentralStore(location: .sqlite(path: path))
                let target = try CentralStore(location: StoreLocation(to), postgresPoolSize: 2)
                defer {
                    source.close()
                    target.close()
                }
                let report = try source.copy(into: target) { table, rows in print("  \(table): \(rows) rows") }
                print("copied \(report.totalRows) rows in \(report.tables.count) tables from \(path)")
            }
        }
    }
}
