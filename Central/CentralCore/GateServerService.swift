import BollardSupport
import ServiceLifecycle

/// Runs the gate server's thread: binds (unless already bound, as the demo
/// does to learn the port), tells systemd central is ready, and waits.
struct GateServerService: Service, CustomStringConvertible {
    let server: GateServer
    let notifier: SystemdNotifier
    var description: String { "gate-server" }

    func run() async throws {
        if !server.thread.hasStarted { try server.start() }
        notifier.ready(status: "serving gates at \(server.boundEndpoint ?? "?")")
        try await server.thread.run()
    }
}
