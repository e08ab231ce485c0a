import BollardSupport
import Capture
import Domain
import Foundation
import PlateRecognition

/// Everything a gate needs to run, each default declared once here.
///
/// Read by `EdgeConfiguration.reader` (EdgeConfiguration+Keys.swift) from
/// an optional `key = value` file (systemd/edge.conf.example, generated
/// from that table), then `BOLLARD_EDGE_*` environment variables, then
/// command-line flags. A bad key or value stops start-up with exit 78 and a
/// message naming the file, line, key, value and what is allowed.
public struct EdgeConfiguration: Sendable, Equatable {
    public static let software = "bollard-edge/0.1"

    /// This gate's id; central knows the gate by its key and confirms the id in `welcome`.
    public var gateID = "gate-01"
    public var zone: ZoneID = "casco-viejo"
    public var direction: Direction = .entry
    /// Holds the buffer database, the key pair and the diagnostics socket.
    public var dataDirectory = "data/edge"
    public var centralEndpoint = "tcp://127.0.0.1:7700"
    /// Several central instances (sharing one database), tried in this order when the one in
    /// use goes away; empty: `centralEndpoint` alone.
    public var centralEndpoints: [String] = []
    /// Central's public key file; default `<data>/central.pub`.
    public var centralPublicKeyFile: String?
    /// One public key file per entry of `centralEndpoints`, same order; empty: `centralPublicKeyFile` for every one.
    public var centralPublicKeyFiles: [String] = []
    /// This gate's key pair; default `<data>/gate.key`.
    public var keyFile: String?
    /// This gate's Ed25519 key that signs every event; default `signing.key` beside `key_file`.
    public var signingKeyFile: String?
    public var bufferCapacity = 100_000
    /// Space set aside beside the buffer database and given back when the disk fills, MiB; 0 = none.
    public var diskReserveMiB = 4
    /// Evidence images kept while central cannot take them, at most (frames of reviews go first).
    public var evidenceQuotaMiB = 512
    /// Evidence images older than this are dropped, delivered or not.
    public var evidenceMaxAgeDays: Double = 30
    /// The largest evidence chunk sent to central, KiB (the protocol allows 256).
    public var evidenceChunkKiB = 256
    /// Authorised passages and exits central never received are dropped past this age.
    public var authorisedMaxAgeDays: Double = 7
    /// The age and size bounds of `EventBuffer.enforce`.
    public var storageBounds: StorageBounds {
        StorageBounds(evidenceQuotaMiB: evidenceQuotaMiB, evidenceMaxAgeDays: evidenceMaxAgeDays, authorisedMaxAgeDays: authorisedMaxAgeDays)
    }
    public var heartbeatInterval: Double = 1.0
    /// Unix socket for bollardctl; default `<data>/edge.sock`.
    public var diagnosticsSocket: String?
    /// The technicians' group the socket file belongs to; nil = `bollard-tech` if it exists, else the process's group.
    public var diagnosticsGroup: String?
    /// Accept injected reads (`bollardctl inject`): for commissioning only, off by default.
    public var allowInjection = false
    /// Let `bollardctl reads --show-plates` see whole plates; otherwise they are masked.
    public var diagnosticsShowPlates = false
    /// A JSON-lines file of timed reads to replay (see docs/protocol.md).
    public var replayFile: String?
    /// A folder of images played as camera frames through the recogniser (until V4L2 capture lands).
    public var framesDirectory: String?
    /// Time between frames from `framesDirectory`, milliseconds.
    public var frameIntervalMilliseconds = 100
    /// The recogniser's model file (`plates.bmodel`); nil = the copy packaged with the build.
    public var recognitionModel: String?
    /// How rows are read: `whole-plate` (the CNN reader, the default; the model file must
    /// carry it: format version 2 or 3) or `characters` (glyph by glyph).
    public var recognitionReader: PlateRecognizer.Reader = .wholePlate
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
    /// The central endpoints the gate uses, in failover order (one unless `central_endpoints` lists several).
    public var resolvedCentralEndpoints: [String] { centralEndpoints.isEmpty ? [centralEndpoint] : centralEndpoints }
    /// Central's public key file for each of `resolvedCentralEndpoints`, same order.
    public var resolvedCentralPublicKeyFiles: [String] {
        centralPublicKeyFiles.isEmpty
            ? Array(repeating: resolvedCentralPublicKeyFile, count: resolvedCentralEndpoints.count) : centralPublicKeyFiles
    }
    public var resolvedKeyFile: String { keyFile ?? dataDirectory + "/gate.key" }
    public var resolvedSigningKeyFile: String {
        if let signingKeyFile { return signingKeyFile }
        let folder = (resolvedKeyFile as NSString).deletingLastPathComponent
        return folder.isEmpty ? "signing.key" : folder + "/signing.key"
    }
    public var resolvedDiagnosticsSocket: String { diagnosticsSocket ?? dataDirectory + "/edge.sock" }
    public var bufferPath: String { dataDirectory + "/edge.sqlite" }
    public var gate: Gate { Gate(id: gateID, zone: zone, direction: direction) }

    /// A configuration error (file and line, key, value, what is allowed).
    public typealias Invalid = ConfigurationError

    /// Applies `key = value` text over this configuration (tests build gates this way); required keys are not checked.
    /// - Throws: `ConfigurationError` naming the line, key, value and what is allowed.
    public mutating func apply(fileText: String, name: String) throws {
        self = try Self.reader.read(fileText: fileText, fileName: name, checkRequired: false, base: self).value
    }

    /// Sets one key as the file would.
    /// - Throws: `ConfigurationError` naming the key, value and what is allowed.
    public mutating func set(_ key: String, _ value: String) throws {
        self = try Self.reader.read(
            fileText: nil, fileName: "configuration", overrides: [.init(key: key, value: value, origin: "--set \(key)")], checkRequired: false,
            base: self
        ).value
    }

    /// The keys a file may set, in the order the example file documents them.
    public static var keys: [String] { reader.keys.map(\.name) }
}
