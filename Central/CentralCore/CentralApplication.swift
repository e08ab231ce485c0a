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
    public static func openStore(configuration: CentralConfiguration, logger: Logger) throws -> CentralStore {
        try PrivateFiles.makeDirectory(atPath: configuration.dataDirectory)
        try PrivateFiles.prepareDatabaseFile(atPath: configuration.databasePath)
        let store = try CentralStore(path: configuration.databasePath)
        // Ten years ahead, so the calendar never silently ends on 31 December.
        if try store.holidays().isEmpty { try store.setHolidays(.bilbaoDefault(through: 2035)) }
        if !FileManager.default.fileExists(atPath: configuration.secretKeyFile) {
            let pair = try CurveKeyPair.generate()
            try KeyFile.writePair(base: configuration.keyBase, publicKey: pair.publicKey, secretKey: pair.secretKey)
            logger.notice("generated central's key pair; give gates its public key", metadata: ["key.file": "\(configuration.publicKeyFile)"])
        }
        return store
    }

    public static func build(configuration: CentralConfiguration, logger: Logger) throws -> CentralService {
        let store = try openStore(configuration: configuration, logger: logger)
        let secret = try KeyFile.readSecret(path: configuration.secretKeyFile).secretKey
        let server = GateServer(store: store, options: .init(endpoint: configuration.gateEndpoint, secretKey: secret), logger: logger)
        return CentralService(store: store, server: server, logger: logger)
    }
}

/// Runs the gate channel until SIGTERM/SIGINT.
public struct CentralService: Service {
    public let store: CentralStore
    public let server: GateServer
    let logger: Logger

    public func run() async throws {
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
        try server.start()
        notifier.ready(status: "serving gates at \(server.boundEndpoint ?? "?")")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await notifier.keepWatchdogFed(environment: ProcessInfo.processInfo.environment) }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        notifier.stopping()
        logger.info("central stopping")
        server.stop()
    }
}
