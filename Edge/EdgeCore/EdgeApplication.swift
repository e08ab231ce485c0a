import BollardSupport
import Capture
import Domain
import Foundation
import Logging
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
    public static func build(configuration: EdgeConfiguration, logger: Logger) throws -> EdgeService {
        try PrivateFiles.makeDirectory(atPath: configuration.dataDirectory)
        try PrivateFiles.prepareDatabaseFile(atPath: configuration.bufferPath)
        let buffer = try EventBuffer(
            path: configuration.bufferPath, capacity: configuration.bufferCapacity, reserveBytes: Int64(configuration.diskReserveMiB) << 20)
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
            logger: logger)

        let credentials = try loadCredentials(configuration: configuration, logger: logger)
        let sync = SyncClient(
            endpoint: configuration.centralEndpoint, credentials: credentials, controller: controller,
            heartbeatInterval: configuration.heartbeatInterval, gateID: configuration.gateID, logger: logger)
        var sources: [any PlateReadSource] = []
        if let replay = configuration.replayFile { sources.append(ReplayReadSource(path: replay, logger: logger)) }
        if let folder = configuration.framesDirectory {
            let frames = try ImageFilesFrameSource(
                folder: folder, interval: .milliseconds(configuration.frameIntervalMilliseconds), logger: logger)
            sources.append(RecognizingReadSource(frames: frames) { [controller] in controller.noteFrame() })
        }
        var camera: CameraMonitor?
        if let device = configuration.cameraDevice {
            // A V4L2 camera or a .y4m recording: the same recogniser → tracker path as image folders.
            let frames = CameraFrameSource(configuration: configuration, device: device, logger: logger)
            camera = frames.monitor
            sources.append(RecognizingReadSource(frames: frames) { [controller] in controller.noteFrame() })
        }
        if configuration.generateReadsPerMinute > 0 {
            // The demo's central holds permits for DemoFleet members 0..<1,000, so this fleet is mostly authorised.
            sources.append(
                SyntheticReadSource(readsPerMinute: configuration.generateReadsPerMinute, fleetSize: 1_000, seed: configuration.generatorSeed))
        }
        return EdgeService(configuration: configuration, controller: controller, sync: sync, sources: sources, logger: logger, camera: camera)
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
        let centralPath = configuration.resolvedCentralPublicKeyFile
        guard FileManager.default.fileExists(atPath: centralPath) else {
            throw StartupError(description: "central's public key not found at \(centralPath): copy central.pub from the central's data folder there")
        }
        let central = try KeyFile.read(path: centralPath)
        return SyncClient.Credentials(publicKey: own.publicKey, secretKey: secret, centralPublicKey: central.publicKey)
    }
}

/// The running gate: sync thread, diagnostics socket and read sources, shut
/// down in reverse order on SIGTERM/SIGINT.
public struct EdgeService: Service {
    public let configuration: EdgeConfiguration
    public let controller: GateController
    public let sync: SyncClient
    public let sources: [any PlateReadSource]
    let logger: Logger
    /// The camera's state, when a camera (or a video played as one) is configured.
    public var camera: CameraMonitor? = nil

    public func run() async throws {
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
        try sync.start()
        let diagnostics = try UnixLineServer(path: configuration.resolvedDiagnosticsSocket)
        let handler = DiagnosticsHandler(configuration: configuration, controller: controller, sync: sync, camera: camera)
        diagnostics.start { handler.answer($0) }
        notifier.ready(status: "deciding; permit seq \(controller.permits.seq)")
        logger.info("gate running", metadata: ["gate.id": "\(configuration.gateID)", "central": "\(configuration.centralEndpoint)"])
        let controller = self.controller
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            for source in sources {
                group.addTask {
                    do {
                        try await source.run { read in
                            // A storage failure is logged and held by the controller.
                            _ = try? controller.handle(read)
                        }
                    } catch is CancellationError {
                    } catch {
                        logger.error("read source stopped", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask { await notifier.keepWatchdogFed(environment: ProcessInfo.processInfo.environment) }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        notifier.stopping()
        logger.info("gate stopping")
        diagnostics.stop()
        sync.stop()
    }
}
