import PlateRecognition
import BollardSupport
import Capture
import Domain

extension EdgeConfiguration {
    /// Every key of the gate's configuration, documented once; the example
    /// file, `check-config`, the environment and SIGHUP all go by this table.
    public static let reader = ConfigurationReader<EdgeConfiguration>(
        program: "bollard-edge", keys: keyTable, defaults: EdgeConfiguration(), environmentPrefix: "BOLLARD_EDGE_",
        consistency: consistency)

    /// The rules between the central keys: one way to name the endpoints, one way to name their keys,
    /// and as many key files as endpoints.
    static func consistency(_ configuration: EdgeConfiguration, set: Set<String>) -> [ConfigurationReader<EdgeConfiguration>.Conflict] {
        var conflicts: [ConfigurationReader<EdgeConfiguration>.Conflict] = []
        if set.contains("central_endpoints"), set.contains("central_endpoint"), !configuration.centralEndpoints.isEmpty {
            conflicts.append(.init(
                key: "central_endpoints", detail: "central_endpoint is set too; list every central in central_endpoints and remove central_endpoint"))
        }
        if set.contains("central_public_key_files"), set.contains("central_public_key_file"), !configuration.centralPublicKeyFiles.isEmpty {
            conflicts.append(.init(
                key: "central_public_key_files",
                detail: "central_public_key_file is set too; give either one shared key file or one per endpoint, not both"))
        }
        let endpoints = configuration.resolvedCentralEndpoints.count
        let files = configuration.centralPublicKeyFiles.count
        if files > 0, files != endpoints {
            conflicts.append(.init(
                key: "central_public_key_files",
                detail: "\(files) key file\(files == 1 ? "" : "s") for \(endpoints) central endpoint\(endpoints == 1 ? "" : "s"); "
                    + "give one per endpoint, in the same order, or one shared central_public_key_file"))
        }
        return conflicts
    }

    /// A comma-separated list; empty text is the empty list.
    static func list(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The log levels a file may name.
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static let keyTable: [ConfigurationKey<EdgeConfiguration>] = [
        .string(
            "gate_id", \.gateID, length: 1...64, doc: "This gate's id, as registered at central (central confirms it by the gate's key).",
            required: true, example: "gate-01"),
        .string("zone", \.zone, length: 1...64, doc: "The zone this gate guards."),
        .choice("direction", \.direction, [.entry, .exit], doc: "Whether vehicles passing this gate enter or leave the zone."),
        .path("data_dir", \.dataDirectory, doc: "The buffer database, the key pair and (by default) the diagnostics socket live here."),
        .endpoint("central_endpoint", \.centralEndpoint, bind: false, doc: "Where central listens for gates (its gate_endpoint)."),
        .custom(
            "central_endpoints", \.centralEndpoints, allowed: "a comma-separated list of tcp://HOST:PORT or ipc://PATH, or empty",
            doc: "Several central instances sharing one database, in the order the gate tries them: when the one in use stops answering "
                + "the gate moves to the next and carries on its session (docs/operations.md), e.g. "
                + "tcp://central-a:7700, tcp://central-b:7700. Empty: central_endpoint alone; set one of the two.",
            parse: { text -> [String]? in
                let entries = list(text)
                for (number, entry) in entries.enumerated() {
                    if let problem = Endpoint.problem(entry, bind: false) {
                        throw ConfigurationKey<EdgeConfiguration>.Rejected("entry \(number + 1) '\(entry)': \(problem)")
                    }
                    if entries[..<number].contains(entry) {
                        throw ConfigurationKey<EdgeConfiguration>.Rejected("entry \(number + 1) '\(entry)' is listed twice")
                    }
                }
                return entries
            },
            render: { $0.joined(separator: ", ") }),
        .optionalPath(
            "central_public_key_file", \.centralPublicKeyFile, doc: "Central's public key (central.pub from central's data folder). Empty: <data_dir>/central.pub.",
            example: "/var/lib/bollard-edge/central.pub"),
        .custom(
            "central_public_key_files", \.centralPublicKeyFiles, allowed: "a comma-separated list of paths, one per central endpoint, or empty",
            doc: "Central's public key for each entry of central_endpoints, in the same order, when the instances have different keys. "
                + "Empty: central_public_key_file for every endpoint (instances that share a data folder share its key).",
            parse: { text -> [String]? in
                let entries = list(text)
                for (number, entry) in entries.enumerated() where entry.isEmpty || entry.utf8.count > 4096 || entry.utf8.contains(0) {
                    throw ConfigurationKey<EdgeConfiguration>.Rejected("entry \(number + 1) '\(entry)' is not a path")
                }
                return entries
            },
            render: { $0.joined(separator: ", ") }),
        .optionalPath(
            "key_file", \.keyFile, doc: "This gate's CURVE key pair, created 0600 on first run. Empty: <data_dir>/gate.key.",
            example: "/var/lib/bollard-edge/gate.key"),
        .optionalPath(
            "signing_key_file", \.signingKeyFile,
            doc: "The Ed25519 key this gate signs every event with, created 0600 on first run; central pins its public half at the first hello "
                + "unless registered with `bollard-central gates register ... --signing-key BASE64`. Empty: signing.key beside key_file.",
            example: "/var/lib/bollard-edge/signing.key"),
        .integer("buffer_capacity", \.bufferCapacity, in: 10...100_000_000, doc: "Events kept while central is unreachable; when full, authorised passages go first."),
        .integer(
            "disk_reserve_mib", \.diskReserveMiB, in: 0...1024,
            doc: "MiB set aside beside the buffer at start and given back when the disk fills, so decisions and acknowledgements still commit; 0 = none."),
        .integer(
            "evidence_quota_mib", \.evidenceQuotaMiB, in: 1...1_048_576,
            doc: "Evidence images (frame and crop of violations and reviews) kept while central cannot take them, in MiB; past it, frames of "
                + "reviews go first, then frames of violations, then crops."),
        .number("evidence_max_age_days", \.evidenceMaxAgeDays, in: 0.01...3650, doc: "Evidence images older than this many days are dropped, delivered or not."),
        .integer(
            "evidence_chunk_kib", \.evidenceChunkKiB, in: 1...256,
            doc: "The largest piece of an evidence image sent to central at once, in KiB. On a slow link (under about 30 KB/s) smaller "
                + "pieces keep events from waiting behind one, and are answered before the gate's 10 s resend."),
        .number(
            "authorised_max_age_days", \.authorisedMaxAgeDays, in: 0.01...3650,
            doc: "Authorised passages and exits central never received are dropped after this many days (a plate is personal data)."),
        .number("heartbeat_interval", \.heartbeatInterval, in: 0.05...60, doc: "Seconds between heartbeats to central.", reloadable: true),
        .optionalPath(
            "diagnostics_socket", \.diagnosticsSocket, doc: "The technicians' Unix socket (bollardctl). Empty: <data_dir>/edge.sock.",
            example: "/run/bollard-edge/edge.sock"),
        .optionalPath(
            "diagnostics_group", \.diagnosticsGroup,
            doc: "The technicians' group the socket file belongs to (mode 0660). Empty: bollard-tech if it exists, else the daemon's group.",
            example: "bollard-tech"),
        .boolean("allow_injection", \.allowInjection, doc: "Accept `bollardctl inject` (commissioning only; injected reads never become fines)."),
        .boolean(
            "diagnostics_show_plates", \.diagnosticsShowPlates,
            doc: "Let `bollardctl reads --show-plates` see whole plates; otherwise they are masked (12**XYZ)."),
        .optionalPath(
            "replay_file", \.replayFile, doc: "A JSON-lines file of timed reads to replay (testing without a camera). Empty: none.",
            example: "/var/lib/bollard-edge/reads.jsonl"),
        .optionalPath(
            "frames_dir", \.framesDirectory, doc: "A folder of images played as camera frames through the recogniser. Empty: none.",
            example: "/var/lib/bollard-edge/frames"),
        .integer("frame_interval_ms", \.frameIntervalMilliseconds, in: 1...60_000, doc: "Milliseconds between frames from frames_dir."),
        .optionalPath(
            "recognition_model", \.recognitionModel,
            doc: "The recogniser's model file, checked at start (magic, version, alphabet, layer table, SHA-256); a bad file stops the gate. "
                + "Empty: the copy built beside the program, else /usr/share/bollard-edge/plates.bmodel (where the package installs it).",
            example: "/usr/share/bollard-edge/plates.bmodel"),
        .custom(
            "recognition_reader", \.recognitionReader, allowed: "characters or whole-plate",
            doc: "How plate rows are read: whole-plate (the CNN+CTC reader, the default; its confident reads are cross-checked by the "
                + "character ensemble; needs a model file that carries it, as the packaged one does) or characters (the ensemble alone). "
                + "docs/recognition.md.",
            parse: { PlateRecognizer.Reader(rawValue: $0) }, render: { $0.rawValue }),
        .optionalPath(
            "camera_device", \.cameraDevice,
            doc: "The camera (docs/capture.md): a V4L2 device, or a .y4m recording played as a camera. Empty: no camera.",
            example: "/dev/video0"),
        .integer("camera_width", \.cameraWidth, in: 16...8192, doc: "Frame width asked of the camera (the driver may adjust it)."),
        .integer("camera_height", \.cameraHeight, in: 16...8192, doc: "Frame height asked of the camera (the driver may adjust it)."),
        .integer("camera_fps", \.cameraFramesPerSecond, in: 1...240, doc: "Frames per second asked of the camera."),
        .custom(
            "camera_format", \.cameraFormat, allowed: "one of auto, grey, yuv420, yuyv, mjpeg",
            doc: "Pixel format; auto tries GREY, YUV420 (converted by libv4l2), YUYV, then MJPEG.",
            parse: { text in text == "auto" || PixelFormat(name: text) != nil ? text.lowercased() : nil }, render: { $0 }),
        .integerOrAuto("camera_exposure", \.cameraExposure, in: 1...100_000, doc: "Manual exposure in 100 µs units, or auto (the camera decides)."),
        .integerOrAuto("camera_gain", \.cameraGain, in: 0...10_000, doc: "Manual gain, or auto (the camera decides)."),
        .number("camera_stall_seconds", \.cameraStallSeconds, in: 0.5...3600, doc: "No frame for this long: close the camera, back off, reopen."),
        .boolean("camera_loop", \.cameraLoop, doc: "Play a .y4m camera_device again from the start when it ends."),
        .integer(
            "camera_queue_frames", \.cameraQueueFrames, in: 1...1000,
            doc: "Frames waiting for the recogniser; when full the oldest is dropped (and counted)."),
        .boolean(
            "camera_skip_unchanged", \.cameraSkipUnchanged, doc: "Frames in which nothing changed skip the recogniser (counted as skipped)."),
        .number("generate_reads_per_minute", \.generateReadsPerMinute, in: 0...100_000, doc: "Synthetic reads per minute (demo); 0 = off."),
        .integer("generator_seed", \.generatorSeed, in: 0...UInt64.max, doc: "Seed of the synthetic reads, so a demo can be repeated."),
        .number(
            "confident_threshold", \.confidentThreshold, in: 0...1, doc: "Reads below this confidence never become a violation without a person.",
            reloadable: true),
        .number(
            "max_clock_skew_s", \.maxClockSkewSeconds, in: 0.5...86_400,
            doc: "Seconds this gate's clock may differ from central's (measured at every heartbeat) before it stops fining: "
                + "would-be violations go to review until the clock is fixed.",
            reloadable: true),
        .custom(
            "log_level", \.logLevel, allowed: "one of " + logLevels.joined(separator: ", "),
            doc: "Least severe log entries written (to the journal under systemd).", reloadable: true,
            parse: { logLevels.contains($0) ? $0 : nil }, render: { $0 }),
    ]
}

extension EdgeConfiguration {
    /// systemd/edge.conf.example: `bollard-edge config example` prints it, a test keeps the file equal to it.
    public static var example: String {
        reader.example(introduction: [
            "bollard-edge configuration: 'key = value' lines; '#' starts a comment.",
            "Installed as /etc/bollard-edge/edge.conf; check it with",
            "'bollard-edge check-config --config /etc/bollard-edge/edge.conf'.",
        ])
    }
}
