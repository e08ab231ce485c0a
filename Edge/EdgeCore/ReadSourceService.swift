import BollardSupport
import Domain
import Logging
import ServiceLifecycle

/// Runs one read source and hands each read to the controller.
///
/// The source's waits beat its progress reporter (through
/// `ProgressReporter.current`), so a source waiting for its next read counts
/// as alive and one stuck in a call does not. A source that ends retires its
/// reporter and returns (the group ignores it); one that throws rethrows,
/// which ends the gate non-zero.
struct ReadSourceService: Service, CustomStringConvertible {
    let name: String
    let source: any PlateReadSource
    let controller: GateController
    let progress: ProgressReporter
    let logger: Logger
    var description: String { "source." + name }

    func run() async throws {
        let controller = controller
        do {
            #if DEBUG
            if TestFault.isActive("throw-source") { throw TestFault.Injected(fault: "throw-source") }
            #endif
            try await cancelWhenGracefulShutdown {
                try await ProgressReporter.$current.withValue(progress) {
                    try await source.run { [progress] read in
                        progress.beat()
                        // A storage failure is logged and held by the controller.
                        _ = try? controller.handle(read)
                    }
                }
            }
            progress.retire()
            logger.info("read source ended", metadata: ["source.name": "\(name)"])
        } catch is CancellationError where Task.isShuttingDownGracefully || Task.isCancelled {
            progress.retire()
        } catch {
            progress.retire()
            logger.critical("read source failed; stopping the gate", metadata: ["source.name": "\(name)", "error": "\(error)"])
            throw error
        }
    }
}
