import BollardSupport
import ServiceLifecycle

/// Serves the technician's socket (bound by `EdgeApplication.build`) on its
/// own thread and tells systemd the gate is ready once it serves.
struct DiagnosticsService: Service, CustomStringConvertible {
    let server: UnixLineServer
    let handler: DiagnosticsHandler
    let notifier: SystemdNotifier
    let readyStatus: String
    var description: String { "diagnostics" }

    func run() async throws {
        let handler = handler
        server.start(answering: { line, peer in handler.answer(line, peer: peer) })
        notifier.ready(status: readyStatus)
        try await server.run()
    }
}
