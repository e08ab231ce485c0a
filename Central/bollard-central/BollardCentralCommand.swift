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
        subcommands: [Run.self, Status.self, Permits.self, Gates.self, Holders.self, Holidays.self, Webhooks.self, Violations.self, Keys.self, Tokens.self, Audit.self, Demo.self]
    )

    /// Parses the kernel's copy of the command line when Swift's is empty (see `ProcessArguments`).
    static func main() async {
        await main(ProcessArguments.afterProgramName)
    }
}

/// Options every subcommand that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Central's data folder (database and key pair).")
    var dataDirectory = CentralConfiguration().dataDirectory

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "notice"

    var configuration: CentralConfiguration {
        var configuration = CentralConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.logLevel = logLevel
        return configuration
    }

    func openStore() throws -> CentralStore {
        BollardLogging.bootstrap(level: Logger.Level(name: logLevel) ?? .notice)
        return try CentralApplication.openStore(configuration: configuration, logger: Logger(label: "bollard.central"))
    }
}

extension BollardCentralCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run central until SIGTERM or SIGINT.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Endpoint gates connect to.")
        var gateEndpoint = CentralConfiguration().gateEndpoint
        @Option(help: "Serve the control centre (API, dashboard, /metrics) on ADDRESS:PORT, e.g. 127.0.0.1:8080.")
        var http: String?

        func run() async throws {
            var configuration = store.configuration
            configuration.gateEndpoint = gateEndpoint
            BollardLogging.bootstrap(level: Logger.Level(name: store.logLevel) ?? .info)
            let logger = Logger(label: "bollard.central")
            let central = try CentralApplication.build(configuration: configuration, logger: logger)
            var extra: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let http {
                guard let address = HTTPService.parse(address: http) else { throw ValidationError("--http takes ADDRESS:PORT") }
                let service = HTTPService(centre: try ControlCentre(store: central.store, centralKey: try SigningKey.loadOrCreate(path: configuration.signingKeyFile)), host: address.host, port: address.port, logger: logger) { port in
                    print("control centre on http://\(address.host):\(port)/")
                    fflush(nil)
                }
                extra.append(.init(service: service, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
            }
            try await central.serviceGroup(extra: extra).run()
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
