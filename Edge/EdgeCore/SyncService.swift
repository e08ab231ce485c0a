import BollardSupport
import ServiceLifecycle

/// Runs the sync client's thread: creates its socket (a bad endpoint or key
/// throws here), then waits until the thread ends. Graceful shutdown stops
/// the loop at its next poll.
struct SyncService: Service, CustomStringConvertible {
    let sync: SyncClient
    var description: String { "sync" }

    func run() async throws {
        try sync.start()
        try await sync.thread.run()
    }
}
