import Domain
import Foundation

/// Everything a gate needs to run, each default declared once here.
///
/// Read from an optional `key = value` file (see systemd/edge.conf.example),
/// then overridden by command-line options. A bad key or value stops start-up
/// with a message naming it.
public struct EdgeConfiguration: Sendable, Equatable {
    public static let software = "bollard-edge/0.1"

    /// This gate's id; central knows the gate by its key and confirms the id in `welcome`.
    public var gateID = "gate-01"
    public var zone: ZoneID = "casco-viejo"
    public var direction: Direction = .entry
    /// Holds the buffer database, the key pair and the diagnostics socket.
    public var dataDirectory = "data/edge"
    public var centralEndpoint = "tcp://127.0.0.1:7700"
    /// Central's public key file; default `<data>/central.pub`.
    public var centralPublicKeyFile: String?
    /// This gate's key pair; default `<data>/gate.key`.
    public var keyFile: String?
    public var bufferCapacity = 100_000
    /// Space set aside beside the buffer database and given back when the disk fills, MiB; 0 = none.
    public var diskReserveMiB = 4
    public var heartbeatInterval: Double = 1.0
    /// Unix socket for bollardctl; default `<data>/edge.sock`.
    public var diagnosticsSocket: String?
    /// A JSON-lines file of timed reads to replay (see docs/protocol.md).
    public var replayFile: String?
    /// A folder of images played as camera frames through the recogniser (until V4L2 capture lands).
    public var framesDirectory: String?
    /// Time between frames from `framesDirectory`, milliseconds.
    public var frameIntervalMilliseconds = 100
    /// Generate a synthetic stream of reads (demo): reads per minute; 0 = off.
    public var generateReadsPerMinute: Double = 0
    public var generatorSeed: UInt64 = 1
    public var confidentThreshold = 0.9
    public var logLevel = "info"

    public init() {}

    public var resolvedCentralPublicKeyFile: String { centralPublicKeyFile ?? dataDirectory + "/central.pub" }
    public var resolvedKeyFile: String { keyFile ?? dataDirectory + "/gate.key" }
    public var resolvedDiagnosticsSocket: String { diagnosticsSocket ?? dataDirectory + "/edge.sock" }
    public var bufferPath: String { dataDirectory + "/edge.sqlite" }
    public var gate: Gate { Gate(id: gateID, zone: zone, direction: direction) }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Applies `key = value` lines; '#' starts a comment.
    public mutating func apply(fileText: String, name: String) throws {
        for (number, rawLine) in fileText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw Invalid(description: "\(name):\(number + 1): expected 'key = value'")
            }
            do { try set(parts[0], parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))) } catch let error as Invalid {
                throw Invalid(description: "\(name):\(number + 1): \(error.description)")
            }
        }
    }

    /// The keys a file may set, in the order the example file documents them.
    public static let keys = [
        "gate_id", "zone", "direction", "data_dir", "central_endpoint", "central_public_key_file", "key_file",
        "buffer_capacity", "disk_reserve_mib", "heartbeat_interval", "diagnostics_socket", "replay_file", "frames_dir", "frame_interval_ms",
        "generate_reads_per_minute",
        "generator_seed", "confident_threshold", "log_level",
    ]

    public mutating func set(_ key: String, _ value: String) throws {
        func number<T: LosslessStringConvertible & Comparable>(_: T.Type, _ range: ClosedRange<T>) throws -> T {
            guard let parsed = T(value), range.contains(parsed) else {
                throw Invalid(description: "\(key) must be a number in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
            }
            return parsed
        }
        switch key {
        case "gate_id":
            guard !value.isEmpty, value.count <= 64 else { throw Invalid(description: "gate_id must be 1...64 characters") }
            gateID = value
        case "zone": zone = value
        case "direction":
            guard let parsed = Direction(rawValue: value) else { throw Invalid(description: "direction must be 'entry' or 'exit', got '\(value)'") }
            direction = parsed
        case "data_dir": dataDirectory = value
        case "central_endpoint": centralEndpoint = value
        case "central_public_key_file": centralPublicKeyFile = value
        case "key_file": keyFile = value
        case "buffer_capacity": bufferCapacity = try number(Int.self, 10...100_000_000)
        case "disk_reserve_mib": diskReserveMiB = try number(Int.self, 0...1024)
        case "heartbeat_interval": heartbeatInterval = try number(Double.self, 0.05...60)
        case "diagnostics_socket": diagnosticsSocket = value
        case "replay_file": replayFile = value
        case "frames_dir": framesDirectory = value
        case "frame_interval_ms": frameIntervalMilliseconds = try number(Int.self, 1...60_000)
        case "generate_reads_per_minute": generateReadsPerMinute = try number(Double.self, 0...100_000)
        case "generator_seed": generatorSeed = try number(UInt64.self, 0...UInt64.max)
        case "confident_threshold": confidentThreshold = try number(Double.self, 0...1)
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw Invalid(description: "log_level '\(value)' is not a level")
            }
            logLevel = value
        default: throw Invalid(description: "unknown key '\(key.prefix(60))'")
        }
    }
}
