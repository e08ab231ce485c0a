import ArgumentParser
import BollardSupport
import CentralCore
import CentralHTTP
import Evidence
import Domain
import Foundation
import Logging
import ServiceLifecycle
import ZMQ

/// `bollard-central`: the aggregator and its administration commands.
@main
struct BollardCentralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bollard-central",
        abstract: "Bollard central: keeps gates' permits in sync and collects their events.",
        subcommands: [Run.self, CheckConfig.self, Config.self, Status.self, Permits.self, Gates.self, Holders.self, Holidays.self, Webhooks.self, Violations.self, Keys.self, Tokens.self, Audit.self, Store.self, Demo.self]
    )

    /// Parses the kernel's copy of the command line when Swift's is empty (see `ProcessArguments`).
    static func main() async {
        await main(ProcessArguments.afterProgramName)
    }
}

/// Options every subcommand that opens the store shares: a configuration
/// file, `BOLLARD_CENTRAL_*` environment variables over it, and these flags
/// over both (keys in CentralConfiguration+Keys.swift).
struct StoreOptions: ParsableArguments {
    @Option(help: "Configuration file of 'key = value' lines (see systemd/central.conf.example, or 'bollard-central config example').")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Central's data folder (database and key pair).")
    var dataDirectory: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String?

    typealias Reader = ConfigurationReader<CentralConfiguration>

    /// The file, the environment and the flags (these and `extra`, a subcommand's own), in the order they apply.
    func sources(extra: [Reader.Override] = []) -> Reader.Sources {
        let flags: [(String, String, String?)] = [("data_dir", "--data-dir", dataDirectory), ("log_level", "--log-level", logLevel)]
        let overrides = flags.compactMap { key, flag, value in value.map { Reader.Override(key: key, value: $0, origin: flag) } } + extra
        return .init(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
    }

    /// The validated configuration; a configuration error is printed and ends the process with 78.
    func load(extra: [Reader.Override] = []) throws -> Reader.Loaded {
        do {
            return try CentralConfiguration.reader.load(sources(extra: extra))
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("bollard-central: configuration error\n\(error.description)\n".utf8))
            throw ExitCode(ConfigurationError.exitCode)
        }
    }

    var configuration: CentralConfiguration {
        get throws { try load().value }
    }

    func openStore() throws -> CentralStore {
        let configuration = try self.configuration
        BollardLogging.bootstrap(level: Logger.Level(name: configuration.logLevel) ?? .notice)
        return try CentralApplication.openStore(configuration: configuration, logger: Logger(label: "bollard.central"))
    }
}

extension BollardCentralCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run central until SIGTERM or SIGINT; SIGHUP reloads the configuration.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Endpoint gates connect to (key gate_endpoint).")
        var gateEndpoint: String?
        @Option(help: "Serve the control centre (API, dashboard, /metrics) on ADDRESS:PORT, e.g. 127.0.0.1:8080 (key http).")
        var http: String?

        var flags: [StoreOptions.Reader.Override] {
            [("gate_endpoint", "--gate-endpoint", gateEndpoint), ("http", "--http", http)].compactMap { key, flag, value in
                value.map { StoreOptions.Reader.Override(key: key, value: $0, origin: flag) }
            }
        }

        func run() async throws {
            // Until the reload service traps SIGHUP, one would end the process (its default action).
            signal(SIGHUP, SIG_IGN)
            let configuration = try store.load(extra: flags).value
            BollardLogging.bootstrap(level: Logger.Level(name: configuration.logLevel) ?? .notice)
            let logger = Logger(label: "bollard.central")
            let central = try CentralApplication.build(configuration: configuration, logger: logger)
            var extra: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let http = configuration.httpAddress {
                guard let address = HTTPService.parse(address: http) else { throw ValidationError("--http takes ADDRESS:PORT") }
                // Under the folder's lock: a second instance starting at once must not create it too.
                let signingKey = try CentralApplication.withDataFolderLock(configuration) { try SigningKey.loadOrCreate(path: configuration.signingKeyFile) }
                let service = HTTPService(centre: try ControlCentre(store: central.store, centralKey: signingKey), host: address.host, port: address.port, logger: logger) { port in
                    print("control centre on http://\(address.host):\(port)/")
                    fflush(nil)
                }
                extra.append(.init(service: service, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
            }
            // SIGHUP: log_level applies at once; the other keys are named as needing a restart.
            let reload = ConfigurationReloadService(
                reader: CentralConfiguration.reader, sources: store.sources(extra: flags), running: configuration, logger: logger
            ) { reloaded in BollardLogging.setLevel(Logger.Level(name: reloaded.logLevel) ?? .notice) }
            extra.append(.init(service: reload, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
            try await central.serviceGroup(extra: extra).run()
        }
    }

    struct CheckConfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate a configuration (file, environment, flags) and print every key with where it was set; exit 78 if it is wrong.")

        @OptionGroup var store: StoreOptions
        @Option(help: "As for run.") var gateEndpoint: String?
        @Option(help: "As for run.") var http: String?

        func run() throws {
            let flags = [("gate_endpoint", "--gate-endpoint", gateEndpoint), ("http", "--http", http)].compactMap { key, flag, value in
                value.map { StoreOptions.Reader.Override(key: key, value: $0, origin: flag) }
            }
            let loaded = try store.load(extra: flags)
            print("configuration ok: data \(loaded.value.dataDirectory), gates at \(loaded.value.gateEndpoint)")
            for (key, value) in CentralConfiguration.reader.values(of: loaded.value) {
                print("\(key) = \(value)" + (loaded.origins[key].map { "  # \($0)" } ?? "  # default"))
            }
        }
    }

    /// `bollard-central config example|keys`: what the key table says, for packaging and operators.
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the example configuration file or the table of keys.", subcommands: [Example.self, Keys.self])

        struct Example: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the example file (systemd/central.conf.example is this output).")
            func run() { print(CentralConfiguration.example, terminator: "") }
        }

        struct Keys: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print every key: name, reload or restart, default, allowed values, doc (tab-separated).")
            func run() { print(CentralConfiguration.reader.keyTable()) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every gate: ok, lagging or offline.")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let status = try CentralStatus.read(from: store.openStore())
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
            } else {
                print(status.table())
            }
        }
    }
}
