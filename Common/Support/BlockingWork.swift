import Dispatch

/// Runs a short blocking call (a SQLite write) on a Dispatch worker thread and
/// awaits it, so it never occupies one of the cooperative pool's few threads.
public enum BlockingWork {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
