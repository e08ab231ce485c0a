import ArgumentParser
import BollardSupport
import EdgeCore
import Foundation
import Logging
import ServiceLifecycle

/// Options that make an `EdgeConfiguration`: a file first, then flags over it.
struct EdgeOptions: ParsableArguments {
    @Option(help: "Configuration file of 'key = value' lines (see systemd/edge.conf.example).")
    var config: String?
    @Option var gateID: String?
    @Option var zone: String?
    @Option(help: "entry or exit.") var direction: String?
    @Option(name: .customLong("data-dir")) var dataDirectory: String?
    @Option var centralEndpoint: String?
    @Option var centralPublicKeyFile: String?
    @Option var keyFile: String?
    @Option var bufferCapacity: Int?
    @Option(name: .customLong("disk-reserve-mib"), help: "MiB set aside for a full disk; 0 = none.") var diskReserveMiB: Int?
    @Option var heartbeatInterval: Double?
    @Option var diagnosticsSocket: String?
    @Option(help: "JSON-lines file of reads to replay.") var replayFile: String?
    @Option(name: .customLong("frames-dir"), help: "Folder of images played as camera frames through the recogniser.") var framesDirectory: String?
    @Option(name: .customLong("frame-interval-ms"), help: "Milliseconds between those frames.") var frameIntervalMilliseconds: Int?
    @Option(help: "The recogniser's model file (default: the packaged plates.bmodel).") var recognitionModel: String?
    @Option(help: "Generate synthetic reads (demo), per minute.") var generateReadsPerMinute: Double?
    @Option var generatorSeed: UInt64?
    @Option var confidentThreshold: Double?
    @Option(name: .customLong("max-clock-skew-s"), help: "Seconds the gate's clock may differ from central's before violations go to review.")
    var maxClockSkewSeconds: Double?
    @Option var logLevel: String?
    @Flag(help: "Accept `bollardctl inject` (commissioning only; injected reads never become fines).") var allowInjection = false
    @Option(help: "The technicians' group that may use the diagnostics socket.") var diagnosticsGroup: String?

    /// The validated configuration; any bad key or value is a clear error.
    func configuration() throws -> EdgeConfiguration {
        var configuration = EdgeConfiguration()
        do {
            if let config {
                let text: String
                do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
                    throw ValidationError("cannot read configuration file \(config): \(error.localizedDescription)")
                }
                try configuration.apply(fileText: text, name: config)
            }
            let overrides: [(String, String?)] = [
                ("gate_id", gateID), ("zone", zone), ("direction", direction), ("data_dir", dataDirectory),
                ("central_endpoint", centralEndpoint), ("central_public_key_file", centralPublicKeyFile), ("key_file", keyFile),
                ("buffer_capacity", bufferCapacity.map(String.init)), ("disk_reserve_mib", diskReserveMiB.map(String.init)),
                ("heartbeat_interval", heartbeatInterval.map { String($0) }),
                ("diagnostics_socket", diagnosticsSocket), ("replay_file", replayFile),
                ("frames_dir", framesDirectory), ("frame_interval_ms", frameIntervalMilliseconds.map(String.init)),
                ("recognition_model", recognitionModel),
                ("generate_reads_per_minute", generateReadsPerMinute.map { String($0) }), ("generator_seed", generatorSeed.map(String.init)),
                ("confident_threshold", confidentThreshold.map { String($0) }),
                ("max_clock_skew_s", maxClockSkewSeconds.map { String($0) }), ("log_level", logLevel),
                ("allow_injection", allowInjection ? "true" : nil), ("diagnostics_group", diagnosticsGroup),
            ]
            for case let (key, value?) in overrides { try configuration.set(key, value) }
        } catch let error as EdgeConfiguration.Invalid {
            throw ValidationError("configuration: \(error.description)")
        }
        return configuration
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the gate until SIGTERM or SIGINT.")

    @OptionGroup var options: EdgeOptions

    func run() async throws {
        let configuration = try options.configuration()
        BollardLogging.bootstrap(level: Logger.Level(name: configuration.logLevel) ?? .info)
        var logger = Logger(label: "bollard.edge")
        logger[metadataKey: "gate.id"] = "\(configuration.gateID)"
        let gate: EdgeDaemon
        do { gate = try EdgeApplication.build(configuration: configuration, logger: logger) } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(78)  // EX_CONFIG: systemd shows the reason above
        }
        // A service that fails ends the group with its error: non-zero exit, systemd restarts the gate.
        try await gate.serviceGroup().run()
        logger.info("gate stopped")
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration and print it.")

    @OptionGroup var options: EdgeOptions

    func run() throws {
        let configuration = try options.configuration()
        print("configuration ok: gate \(configuration.gateID), zone \(configuration.zone), \(configuration.direction.rawValue), data \(configuration.dataDirectory), central \(configuration.centralEndpoint)")
    }
}
