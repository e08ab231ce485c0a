#if canImport(Glibc)
import Glibc
#endif
import BollardSupport
import Capture
import Domain
import Evidence
import Foundation
import Logging
import PlateRecognition
import ServiceLifecycle
import WireProtocol
import ZMQ

/// Assembles a gate from its configuration; `bollard-edge run` and the tests
/// both go through `build`.
public enum EdgeApplication {
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Opens the buffer, loads the stored permits, prepares keys and returns
    /// the service that runs the gate.
    public static func build(configuration: EdgeConfiguration, logger: Logger) throws -> EdgeDaemon {
        // Checked before anything else runs: a bad model file is a start-up error.
        var model: RecognitionModel?
        if configuration.recognitionModel != nil || configuration.framesDirectory != nil || configuration.cameraDevice != nil {
            let loaded = try RecognitionModel.load(path: configuration.recognitionModel)
            if configuration.recognitionReader == .wholePlate, !loaded.hasWholePlateReader {
                throw StartupError(description: "recognition_reader = whole-plate, but the recognition model \(configuration.recognitionModel ?? "(packaged)") has no whole-plate reader (format version 1)")
            }
            logger.info("recognition model loaded", metadata: [
                "model.file": "\(configuration.recognitionModel ?? "packaged")", "model.sha256": "\(loaded.payloadSHA256)",
            ])
            model = loaded
        }
        try PrivateFiles.makeDirectory(atPath: configuration.dataDirectory)
        try PrivateFiles.prepareDatabaseFile(atPath: configuration.bufferPath)
        let signingPath = configuration.resolvedSigningKeyFile
        let signingKeyExisted = FileManager.default.fileExists(atPath: signingPath)
        let signingKey = try SigningKey.loadOrCreate(path: signingPath)
        if !signingKeyExisted {
            logger.notice(
                "generated this gate's event signing key; central pins its public half at the first hello, or register it",
                metadata: ["key.file": "\(signingPath)", "signing_key": "\(signingKey.publicKeyBase64)"])
        }
        let buffer = try EventBuffer(
            path: configuration.bufferPath, capacity: configuration.bufferCapacity, reserveBytes: Int64(configuration.diskReserveMiB) << 20,
            signingKey: signingKey)
        var gate = configuration.gate
        if let json = try buffer.meta("gate"), let confirmed = try? JSONDecoder().decode(Gate.self, from: Data(json.utf8)),
            confirmed.id == configuration.gateID
        {
            gate = confirmed
        }
        let holidays = try buffer.meta("holidays").map { HolidayCalendar(Set($0.split(separator: "\n").compactMap { LocalDate(String($0)) })) }
            ?? HolidayCalendar.bilbaoDefault
        let permits = try PermitStore(loadingFrom: buffer, gate: gate, holidays: holidays)
        logger.info("permits loaded", metadata: ["permits.count": "\(permits.snapshot.index.count)", "permits.seq": "\(permits.seq)"])
        let controller = GateController(
            permits: permits, buffer: buffer, policy: DecisionPolicy(confidentThreshold: configuration.confidentThreshold),
            clock: ClockCheck(maxSkewMilliseconds: Int64(configuration.maxClockSkewSeconds * 1000)), logger: logger)

        let credentials = try loadCredentials(configuration: configuration, logger: logger)
        let centrals = try loadCentrals(configuration: configuration)
        let sync = SyncClient(
            centrals: centrals, credentials: credentials, controller: controller,
            heartbeatInterval: configuration.heartbeatInterval, gateID: configuration.gateID, logger: logger,
            evidenceChunkBytes: configuration.evidenceChunkKiB << 10)
        var sources: [(name: String, source: any PlateReadSource)] = []
        if let replay = configuration.replayFile { sources.append(("replay", ReplayReadSource(path: replay, logger: logger))) }
        if let folder = configuration.framesDirectory {
            let frames = try ImageFilesFrameSource(
                folder: folder, interval: .milliseconds(configuration.frameIntervalMilliseconds), logger: logger)
            sources.append((
                "frames",
                RecognizingReadSource(
                    frames: frames, model: model, source: .video, reader: configuration.recognitionReader, onFrame: { [controller] in controller.noteFrame() },
                    keepFrame: { [controller] in controller.latestFrame.keep($0.image, at: $0.capturedAt) })
            ))
        }
        var camera: CameraMonitor?
        if let device = configuration.cameraDevice {
            // A V4L2 camera or a .y4m recording: the same recogniser → tracker path as image folders.
            let frames = CameraFrameSource(configuration: configuration, device: device, logger: logger)
            camera = frames.monitor
            controller.attachCamera { [monitor = frames.monitor] in DiagnosticsHandler.cameraStatus(monitor.snapshot) }
            // A recording played as the camera is `video`, a device `camera`: the event says which.
            let kind: ReadSource = device.lowercased().hasSuffix(".y4m") ? .video : .camera
            sources.append((
                "camera",
                RecognizingReadSource(
                    frames: frames, model: model, source: kind, reader: configuration.recognitionReader, onFrame: { [controller] in controller.noteFrame() },
                    keepFrame: { [controller] in controller.latestFrame.keep($0.image, at: $0.capturedAt) })
            ))
        }
        if configuration.generateReadsPerMinute > 0 {
            // The demo's central holds permits for DemoFleet members 0..<1,000, so this fleet is mostly authorised.
            sources.append((
                "generator",
                SyntheticReadSource(readsPerMinute: configuration.generateReadsPerMinute, fleetSize: 1_000, seed: configuration.generatorSeed)
            ))
        }
        // Bound here, so a socket that cannot be bound is a start-up error.
        let busy = String(decoding: WireCodec.encode(DiagnosticsReply.failure("busy: too many diagnostics connections open; try again")), as: UTF8.self)
        let diagnostics = try UnixLineServer(
            path: configuration.resolvedDiagnosticsSocket, busyReply: busy, group: try diagnosticsGroup(configuration), logger: logger)
        return EdgeDaemon(
            configuration: configuration, controller: controller, sync: sync, diagnostics: diagnostics, sources: sources, logger: logger,
            camera: camera)
    }

    /// The technicians' group the diagnostics socket is given: the configured one (which must
    /// exist), else `bollard-tech` when this system has it, else nil (the process's own group).
    static func diagnosticsGroup(_ configuration: EdgeConfiguration) throws -> gid_t? {
        func lookup(_ name: String) -> gid_t? { getgrnam(name).map { $0.pointee.gr_gid } }
        if let name = configuration.diagnosticsGroup {
            if let gid = lookup(name) { return gid }
            if let number = gid_t(name) { return number }
            throw StartupError(description: "diagnostics_group '\(name)' is not a group on this system: create it (groupadd \(name)) or name another")
        }
        return lookup("bollard-tech")
    }

    /// This gate's key pair (created 0600 on first run) and central's public key.
    static func loadCredentials(configuration: EdgeConfiguration, logger: Logger) throws -> SyncClient.Credentials {
        let keyPath = configuration.resolvedKeyFile
        if !FileManager.default.fileExists(atPath: keyPath) {
            let pair = try CurveKeyPair.generate()
            try KeyFile.writePair(base: String(keyPath.dropLast(keyPath.hasSuffix(".key") ? 4 : 0)), publicKey: pair.publicKey, secretKey: pair.secretKey)
            logger.notice("generated this gate's key pair; register its public key at central", metadata: ["key.file": "\(keyPath)"])
        }
        let own = try KeyFile.readSecret(path: keyPath)
        let secret = own.secretKey
        let central = try loadCentrals(configuration: configuration)[0]
        return SyncClient.Credentials(publicKey: own.publicKey, secretKey: secret, centralPublicKey: central.publicKey)
    }

    /// Every central endpoint with its public key, in failover order.
    static func loadCentrals(configuration: EdgeConfiguration) throws -> [SyncClient.Central] {
        var keys: [String: String] = [:]
        return try zip(configuration.resolvedCentralEndpoints, configuration.resolvedCentralPublicKeyFiles).map { endpoint, path in
            if let key = keys[path] { return SyncClient.Central(endpoint: endpoint, publicKey: key) }
            guard FileManager.default.fileExists(atPath: path) else {
                throw StartupError(
                    description: "central's public key for \(endpoint) not found at \(path): copy central.pub from that central's data folder there")
            }
            let key = try KeyFile.read(path: path).publicKey
            // Checked here for every endpoint, not at the first failover to it.
            guard CurveKeyPair.isValidKey(key) else {
                throw StartupError(description: "central's public key for \(endpoint) in \(path) is not a valid CURVE key: copy central.pub again")
            }
            keys[path] = key
            return SyncClient.Central(endpoint: endpoint, publicKey: key)
        }
    }
}

/// The gate's parts and the services that run them.
///
/// The group, in start order (stopped in reverse); the database is opened
/// by `build`, before any of them:
/// 1. sync: the ZeroMQ link to central, on its own thread;
/// 2. diagnostics: the technician's socket, on its own thread (READY=1 once it serves);
/// 3. one service per read source (replay file, image frames, generator);
/// 4. watchdog: pings systemd while every loop above progresses, and sends
///    STOPPING=1 first when shutdown begins.
///
/// Termination, chosen per service: a service that throws (the sync thread,
/// the socket, a read source that fails) shuts the group down gracefully and
/// its error ends the process non-zero, so systemd restarts the gate. A
/// thread that returns while the gate is not stopping is a bug: the group is
/// cancelled, also non-zero. A read source that simply ends (a replay file at
/// its last line) is ignored: the gate goes on deciding injected reads.
public struct EdgeDaemon: Sendable {
    public let configuration: EdgeConfiguration
    public let controller: GateController
    public let sync: SyncClient
    public let diagnostics: UnixLineServer
    public let sources: [(name: String, source: any PlateReadSource)]
    public let monitor = ProgressMonitor()
    let logger: Logger
    /// The camera's state, when a camera (or a video played as one) is configured.
    public var camera: CameraMonitor? = nil

    /// Makes the running gate use the reloadable keys of `configuration`
    /// (the keys marked `reloadable` in EdgeConfiguration+Keys.swift).
    public func applyReloadable(_ configuration: EdgeConfiguration) {
        BollardLogging.setLevel(Logger.Level(name: configuration.logLevel) ?? .info)
        controller.setPolicy(DecisionPolicy(confidentThreshold: configuration.confidentThreshold))
        controller.clock.maxSkewMilliseconds = Int64(configuration.maxClockSkewSeconds * 1000)
        sync.setHeartbeatInterval(configuration.heartbeatInterval)
    }

    /// - Parameter reload: the SIGHUP service, first in the group so a reload is heard as soon as the gate runs.
    public func services(
        environment: [String: String] = ProcessInfo.processInfo.environment, reload: (any Service)? = nil
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let notifier = SystemdNotifier(environment: environment)
        monitor.register(sync.progress)
        monitor.register(diagnostics.progress)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let reload {
            // Ends when the gate shuts down; a reload never ends the gate.
            services.append(.init(service: reload, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        services += [
            .init(service: SyncService(sync: sync), successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: DiagnosticsService(
                    server: diagnostics, handler: DiagnosticsHandler(
                        configuration: configuration, controller: controller, sync: sync, camera: camera, logger: logger),
                    notifier: notifier, readyStatus: "deciding; permit seq \(controller.permits.seq)"),
                successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        for (name, source) in sources {
            // A frame source beats per frame: allow three frame intervals.
            let deadline: Duration = max(.seconds(30), .milliseconds(3 * configuration.frameIntervalMilliseconds))
            let service = ReadSourceService(
                name: name, source: source, controller: controller, progress: monitor.register("source." + name, deadline: deadline),
                logger: logger)
            services.append(.init(service: service, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let bounds = StorageBoundsService(
            buffer: controller.buffer, bounds: configuration.storageBounds, logger: logger,
            progress: monitor.register("storage-bounds", deadline: .seconds(180)))
        services.append(.init(service: bounds, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        let watchdog = WatchdogService(
            monitor: monitor, notifier: notifier, interval: SystemdNotifier.watchdogInterval(environment: environment), logger: logger)
        services.append(.init(service: watchdog, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        return services
    }

    /// The group `bollard-edge run` runs: SIGTERM and SIGINT stop it
    /// gracefully, within 10 s; then whatever is left is cancelled.
    public func serviceGroup(reload: (any Service)? = nil) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(services: services(reload: reload), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }
}
