import ArgumentParser
import BollardSupport
import EdgeCore
import Foundation
import Logging
import ServiceLifecycle

/// Where an `EdgeConfiguration` comes from: a file, `BOLLARD_EDGE_*`
/// environment variables over it, then these flags over both. Every flag
/// names a key of `EdgeConfiguration.reader`; `--set KEY=VALUE` reaches any key.
struct EdgeOptions: ParsableArguments {
    @Option(help: "Configuration file of 'key = value' lines (see systemd/edge.conf.example, or 'bollard-edge config example').")
    var config: String?
    @Option(help: ArgumentHelp("Set any key, as the file would (repeatable).", valueName: "key=value"))
    var set: [String] = []
    @Option var gateID: String?
    @Option var zone: String?
    @Option(help: "entry or exit.") var direction: String?
    @Option(name: .customLong("data-dir")) var dataDirectory: String?
    @Option var centralEndpoint: String?
    @Option var centralPublicKeyFile: String?
    @Option var keyFile: String?
    @Option var bufferCapacity: String?
    @Option(name: .customLong("disk-reserve-mib"), help: "MiB set aside for a full disk; 0 = none.") var diskReserveMiB: String?
    @Option var heartbeatInterval: String?
    @Option var diagnosticsSocket: String?
    @Option(help: "JSON-lines file of reads to replay.") var replayFile: String?
    @Option(name: .customLong("frames-dir"), help: "Folder of images played as camera frames through the recogniser.") var framesDirectory: String?
    @Option(name: .customLong("frame-interval-ms"), help: "Milliseconds between those frames.") var frameIntervalMilliseconds: String?
    @Option(help: "The recogniser's model file (default: the packaged plates.bmodel).") var recognitionModel: String?
    @Option(help: "Generate synthetic reads (demo), per minute.") var generateReadsPerMinute: String?
    @Option var generatorSeed: String?
    @Option var confidentThreshold: String?
    @Option(name: .customLong("max-clock-skew-s"), help: "Seconds the gate's clock may differ from central's before violations go to review.")
    var maxClockSkewSeconds: String?
    @Option var logLevel: String?
    @Flag(help: "Accept `bollardctl inject` (commissioning only; injected reads never become fines).") var allowInjection = false
    @Option(help: "The technicians' group that may use the diagnostics socket.") var diagnosticsGroup: String?

    /// The file, the environment and the flags, in the order they apply; SIGHUP reads them again.
    /// Values stay text here so that a bad one is reported by the reader, with the key and what is allowed.
    func sources(environment: [String: String] = ProcessInfo.processInfo.environment) -> ConfigurationReader<EdgeConfiguration>.Sources {
        let flags: [(String, String, String?)] = [
            ("gate_id", "--gate-id", gateID), ("zone", "--zone", zone), ("direction", "--direction", direction),
            ("data_dir", "--data-dir", dataDirectory), ("central_endpoint", "--central-endpoint", centralEndpoint),
            ("central_public_key_file", "--central-public-key-file", centralPublicKeyFile), ("key_file", "--key-file", keyFile),
            ("buffer_capacity", "--buffer-capacity", bufferCapacity), ("disk_reserve_mib", "--disk-reserve-mib", diskReserveMiB),
            ("heartbeat_interval", "--heartbeat-interval", heartbeatInterval), ("diagnostics_socket", "--diagnostics-socket", diagnosticsSocket),
            ("replay_file", "--replay-file", replayFile), ("frames_dir", "--frames-dir", framesDirectory),
            ("frame_interval_ms", "--frame-interval-ms", frameIntervalMilliseconds), ("recognition_model", "--recognition-model", recognitionModel),
            ("generate_reads_per_minute", "--generate-reads-per-minute", generateReadsPerMinute),
            ("generator_seed", "--generator-seed", generatorSeed), ("confident_threshold", "--confident-threshold", confidentThreshold),
            ("max_clock_skew_s", "--max-clock-skew-s", maxClockSkewSeconds), ("log_level", "--log-level", logLevel),
            ("allow_injection", "--allow-injection", allowInjection ? "true" : nil), ("diagnostics_group", "--diagnostics-group", diagnosticsGroup),
        ]
        var overrides = flags.compactMap { key, flag, value in value.map { ConfigurationReader<EdgeConfiguration>.Override(key: key, value: $0, origin: flag) } }
        for assignment in set {
            let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            overrides.append(.init(key: key, value: parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : "", origin: "--set \(key)"))
        }
        return .init(file: config, environment: environment, overrides: overrides)
    }

    /// The validated configuration; any configuration error is printed, every problem on its own
    /// line, and ends the process with 78 (`EX_CONFIG`, which the unit does not restart).
    func load() throws -> ConfigurationReader<EdgeConfiguration>.Loaded {
        do {
            return try EdgeConfiguration.reader.load(sources())
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("bollard-edge: configuration error\n\(error.description)\n".utf8))
            throw ExitCode(ConfigurationError.exitCode)
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the gate until SIGTERM or SIGINT; SIGHUP reloads the configuration.")

    @OptionGroup var options: EdgeOptions

    func run() async throws {
        // Until the reload service traps SIGHUP, one would end the process (its default action).
        signal(SIGHUP, SIG_IGN)
        let configuration = try options.load().value
        BollardLogging.bootstrap(level: Logger.Level(name: configuration.logLevel) ?? .info)
        var logger = Logger(label: "bollard.edge")
        logger[metadataKey: "gate.id"] = "\(configuration.gateID)"
        let gate: EdgeDaemon
        do { gate = try EdgeApplication.build(configuration: configuration, logger: logger) } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(ConfigurationError.exitCode)  // EX_CONFIG: systemd shows the reason above
        }
        let reload = ConfigurationReloadService(
            reader: EdgeConfiguration.reader, sources: options.sources(), running: configuration, logger: logger
        ) { [gate] reloaded in gate.applyReloadable(reloaded) }
        // A service that fails ends the group with its error: non-zero exit, systemd restarts the gate.
        try await gate.serviceGroup(reload: reload).run()
        logger.info("gate stopped")
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration (file, environment, flags) and print every key with where it was set; exit 78 if it is wrong.")

    @OptionGroup var options: EdgeOptions

    func run() throws {
        let loaded = try options.load()
        let configuration = loaded.value
        print("configuration ok: gate \(configuration.gateID), zone \(configuration.zone), \(configuration.direction.rawValue), data \(configuration.dataDirectory), central \(configuration.resolvedCentralEndpoints.joined(separator: ", "))")
        for (key, value) in EdgeConfiguration.reader.values(of: configuration) {
            print("\(key) = \(value)" + (loaded.origins[key].map { "  # \($0)" } ?? "  # default"))
        }
    }
}

/// `bollard-edge config example|keys`: what the key table says, for packaging and technicians.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the example configuration file or the table of keys.",
        subcommands: [Example.self, Keys.self])

    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the example file (systemd/edge.conf.example is this output).")
        func run() { print(EdgeConfiguration.example, terminator: "") }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every key: name, reload or restart, default, allowed values, doc (tab-separated).")
        func run() { print(EdgeConfiguration.reader.keyTable()) }
    }
}
