import CentralCore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Serves the control centre on `host:port` as one more service of central
/// (`bollard-central run --http`, the demo). Port 0 picks a free port;
/// `boundPort` says which once it listens.
public struct HTTPService: Service {
    let centre: ControlCentre
    let host: String
    let port: Int
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    public init(centre: ControlCentre, host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.centre = centre
        self.host = host
        self.port = port
        self.logger = logger
        self.onListening = onListening
    }

    /// Parses `ADDRESS:PORT` (`127.0.0.1:8080`, `[::1]:8080`).
    public static func parse(address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    public func run() async throws {
        let onListening = self.onListening
        let logger = self.logger
        let app = Application(
            router: centre.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "bollard-central"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("control centre listening", metadata: ["http.port": "\(port)"])
                onListening(port)
            },
            logger: logger)
        try await app.run()
    }
}
