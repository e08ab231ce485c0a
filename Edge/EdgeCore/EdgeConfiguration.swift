import Capture
import Domain
import Foundation
import PlateRecognition

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
    /// This gate's Ed25519 key that signs every event; default `signing.key` beside `key_file`.
    public var signingKeyFile: String?
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
    /// The recogniser's model file (`plates.bmodel`); nil = the copy packaged with the build.
    public var recognitionModel: String?
    /// How rows are read: `characters` (glyph by glyph, the default) or `whole-plate`
    /// (the CNN reader, which the model file must carry: format version 2).
    public var recognitionReader: PlateRecognizer.Reader = .characters
    /// A V4L2 camera (`/dev/video0`) or a `.y4m` recording played as one; nil = no camera.
    public var cameraDevice: String?
    public var cameraWidth = 640
    public var cameraHeight = 480
    public var cameraFramesPerSecond = 15
    /// `auto` (GREY, then YUV420 converted by libv4l2, YUYV, MJPEG) or one of those.
    public var cameraFormat = "auto"
    /// Manual exposure in 100 µs units; nil = the camera's automatic exposure.
    public var cameraExposure: Int32?
    /// Manual gain; nil = automatic gain.
    public var cameraGain: Int32?
    /// No frame for this many seconds: close the camera and reopen it.
    public var cameraStallSeconds = 5.0
    /// Play a `.y4m` camera_device again from the start when it ends.
    public var cameraLoop = false
    /// Frames waiting for the recogniser; when full, the oldest is dropped (and counted).
    public var cameraQueueFrames = 4
    /// Let frames in which nothing changed skip the recogniser (a cheap motion gate).
    public var cameraSkipUnchanged = true
    /// Generate a synthetic stream of reads (demo): reads per minute; 0 = off.
    public var generateReadsPerMinute: Double = 0
    public var generatorSeed: UInt64 = 1
    public var confidentThreshold = 0.9
    /// Beyond this difference from central's clock (seconds) the gate sends would-be violations to review.
    public var maxClockSkewSeconds: Double = 10
    public var logLevel = "info"

    public init() {}

    public var resolvedCentralPublicKeyFile: String { centralPublicKeyFile ?? dataDirectory + "/central.pub" }
    public var resolvedKeyFile: String { keyFile ?? dataDirectory + "/gate.key" }
    public var resolvedSigningKeyFile: String {
        if let signingKeyFile { return signingKeyFile }
        let folder = (resolvedKeyFile as NSString).deletingLastPathComponent
        return folder.isEmpty ? "signing.key" : folder + "/signing.key"
    }
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
        "gate_id", "zone", "direction", "data_dir", "central_endpoint", "central_public_key_file", "key_file", "signing_key_file",
        "buffer_capacity", "disk_reserve_mib", "heartbeat_interval", "diagnostics_socket", "replay_file", "frames_dir", "frame_interval_ms",
        "recognition_model", "recognition_reader",
        "camera_device", "camera_width", "camera_height", "camera_fps", "camera_format", "camera_exposure", "camera_gain",
        "camera_stall_seconds", "camera_loop", "camera_queue_frames", "camera_skip_unchanged",
        "generate_reads_per_minute",
        "generator_seed", "confident_threshold", "max_clock_skew_s", "log_level",
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
        case "signing_key_file": signingKeyFile = value.isEmpty ? nil : value
        case "buffer_capacity": bufferCapacity = try number(Int.self, 10...100_000_000)
        case "disk_reserve_mib": diskReserveMiB = try number(Int.self, 0...1024)
        case "heartbeat_interval": heartbeatInterval = try number(Double.self, 0.05...60)
        case "diagnostics_socket": diagnosticsSocket = value
        case "replay_file": replayFile = value
        case "frames_dir": framesDirectory = value
        case "frame_interval_ms": frameIntervalMilliseconds = try number(Int.self, 1...60_000)
        case "recognition_model": recognitionModel = value.isEmpty ? nil : value
        case "recognition_reader":
            guard let parsed = PlateRecognizer.Reader(rawValue: value) else {
                throw Invalid(description: "recognition_reader must be 'characters' or 'whole-plate', got '\(value.prefix(20))'")
            }
            recognitionReader = parsed
        case "camera_device": cameraDevice = value.isEmpty ? nil : value
        case "camera_width": cameraWidth = try number(Int.self, 16...8192)
        case "camera_height": cameraHeight = try number(Int.self, 16...8192)
        case "camera_fps": cameraFramesPerSecond = try number(Int.self, 1...240)
        case "camera_format":
            guard value == "auto" || PixelFormat(name: value) != nil else {
                throw Invalid(description: "camera_format must be auto, grey, yuv420, yuyv or mjpeg, got '\(value.prefix(20))'")
            }
            cameraFormat = value.lowercased()
        case "camera_exposure": cameraExposure = try value == "auto" ? nil : number(Int32.self, 1...100_000)
        case "camera_gain": cameraGain = try value == "auto" ? nil : number(Int32.self, 0...10_000)
        case "camera_stall_seconds": cameraStallSeconds = try number(Double.self, 0.5...3600)
        case "camera_loop":
            guard let parsed = Bool(value) else { throw Invalid(description: "camera_loop must be true or false, got '\(value.prefix(20))'") }
            cameraLoop = parsed
        case "camera_queue_frames": cameraQueueFrames = try number(Int.self, 1...1000)
        case "camera_skip_unchanged":
            guard let parsed = Bool(value) else { throw Invalid(description: "camera_skip_unchanged must be true or false, got '\(value.prefix(20))'") }
            cameraSkipUnchanged = parsed
        case "generate_reads_per_minute": generateReadsPerMinute = try number(Double.self, 0...100_000)
        case "generator_seed": generatorSeed = try number(UInt64.self, 0...UInt64.max)
        case "confident_threshold": confidentThreshold = try number(Double.self, 0...1)
        case "max_clock_skew_s": maxClockSkewSeconds = try number(Double.self, 0.5...86_400)
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw Invalid(description: "log_level '\(value)' is not a level")
            }
            logLevel = value
        default: throw Invalid(description: "unknown key '\(key.prefix(60))'")
        }
    }
}
