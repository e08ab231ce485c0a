import BollardSupport
import Domain
import Foundation
import Logging
import ServiceLifecycle
import ZMQ

/// Assembles central; `bollard-central run`, the demo and the tests all use it.
public enum CentralApplication {
    /// Opens the store (seeding the default holiday calendar on first run)
    /// and makes sure central has a key pair.
    ///
    /// Several instances may share one data folder (docs/operations.md): the first-run work
    /// (migrations, the calendar, the key pair) is done under the folder's lock, one process at a time.
    public static func openStore(configuration: CentralConfiguration, logger: Logger) throws -> CentralStore {
        try PrivateFiles.makeDirectory(atPath: configuration.dataDirectory)
        return try withDataFolderLock(configuration) {
            let location = configuration.storeLocation
            if case .sqlite(let path) = location { try PrivateFiles.prepareDatabaseFile(atPath: path) }
            let store = try CentralStore(location: location, postgresPoolSize: configuration.storePoolSize)
            // Ten years ahead, so the calendar never silently ends on 31 December.
            if try store.holidays().isEmpty { try store.setHolidays(.bilbaoDefault(through: 2035)) }
            if !FileManager.default.fileExists(atPath: configuration.secretKeyFile) {
                let pair = try CurveKeyPair.generate()
                try KeyFile.writePair(base: configuration.keyBase, publicKey: pair.publicKey, secretKey: pair.secretKey)
                logger.notice("generated central's key pair; give gates its public key", metadata: ["key.file": "\(configuration.publicKeyFile)"])
            }
            return store
        }
    }

    /// Runs `body` holding the data folder's start-up lock (`central.lock`; flock, so same host only).
    public static func withDataFolderLock<T>(_ configuration: CentralConfiguration, _ body: () throws -> T) throws -> T {
        try FolderLock.exclusively(path: configuration.dataDirectory + "/central.lock", body)
    }

    public static func build(configuration: CentralConfiguration, logger: Logger) throws -> CentralDaemon {
        let store = try openStore(configuration: configuration, logger: logger)
        let secret = try KeyFile.readSecret(path: configuration.secretKeyFile).secretKey
        let server = GateServer(store: store, options: .init(endpoint: configuration.gateEndpoint, secretKey: secret), logger: logger)
        return CentralDaemon(store: store, server: server, logger: logger)
    }
}

/// Central's parts and the services that run them.
///
/// The group, in start order (stopped in reverse):
/// 1. health flusher: stores the gate health the server loop collected;
/// 2. retention: forgets old authorised plates, compacts the change log;
/// 3. gate server: the ZeroMQ ROUTER on its own thread;
/// 4. watchdog: pings systemd while every loop above progresses.
///
/// The gate server stops before the flusher, so the flusher stores the last
/// health it handed over. Any service that throws shuts the group down
/// gracefully and the error ends the process non-zero (systemd restarts
/// it); one that returns while central is not stopping is a bug and cancels
/// the group, also non-zero.
public struct CentralDaemon: Sendable {
    public let store: CentralStore
    public let server: GateServer
    public let monitor = ProgressMonitor()
    let logger: Logger

    init(store: CentralStore, server: GateServer, logger: Logger) {
        self.store = store
        self.server = server
        self.logger = logger
    }

    public func services(environment: [String: String] = ProcessInfo.processInfo.environment) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let notifier = SystemdNotifier(environment: environment)
        let flusher = HealthFlusherService(
            store: store, pending: server.pendingHealth, interval: .milliseconds(Int64(server.options.healthFlushInterval * 1000)),
            logger: logger)
        // Passes that must run once are leased through the store: with several instances on
        // one database, each job runs on one of them (the lease outlives a few passes).
        // Webhooks need no lease: each notification is claimed on its own (WebhookService).
        func lease(_ job: String, _ duration: TimeInterval) -> JobLease { JobLease(job: job, store: store, duration: duration, logger: logger) }
        let retention = RetentionService(
            store: store, authorisedPlateRetention: server.options.authorisedPlateRetention, lease: lease("retention", 180), logger: logger)
        let stays = StayService(store: store, lease: lease("stays", 90), logger: logger)
        let webhooks = WebhookService(store: store, logger: logger)
        for reporter in [flusher.progress, retention.progress, stays.progress, webhooks.progress, server.progress] { monitor.register(reporter) }
        let watchdog = WatchdogService(
            monitor: monitor, notifier: notifier, interval: SystemdNotifier.watchdogInterval(environment: environment), logger: logger)
        return [
            .init(service: flusher, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: retention, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: stays, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: webhooks, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(
                service: GateServerService(server: server, notifier: notifier),
                successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: watchdog, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
    }

    /// The group `bollard-central run` runs: SIGTERM and SIGINT stop it
    /// gracefully, within 10 s; then whatever is left is cancelled.
    public func serviceGroup(extra: [ServiceGroupConfiguration.ServiceConfiguration] = []) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services() + extra, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }
}
