import BollardSupport
import Logging
import ServiceLifecycle

/// Writes the gate health the server loop collected to the store once a
/// second, so SQLite writes of health never sit in the gate server's loop.
/// On shutdown it runs after the gate server has stopped (it comes before
/// it in the group) and stores the last reports.
public struct HealthFlusherService: Service, CustomStringConvertible {
    let store: CentralStore
    let pending: PendingHealth
    let interval: Duration
    let logger: Logger
    public let progress: ProgressReporter
    public var description: String { "health-flusher" }

    public init(store: CentralStore, pending: PendingHealth, interval: Duration, logger: Logger) {
        self.store = store
        self.pending = pending
        self.interval = interval
        self.logger = logger
        progress = ProgressReporter(name: "health-flusher", deadline: .seconds(30))
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            progress.beat()
            await flush()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval, clock: .continuous) }
        }
        await flush()
    }

    /// A failed write keeps the reports for the next round; health is never worth stopping central for.
    func flush() async {
        let reports = pending.take()
        guard !reports.isEmpty else { return }
        do {
            try await BlockingWork.run { [store] in try store.saveHealth(reports) }
        } catch {
            pending.putBack(reports)
            logger.error("could not save gate health", metadata: ["error": "\(error)"])
        }
    }
}
