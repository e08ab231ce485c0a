#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Work that must own a thread: a ZeroMQ socket (not thread-safe) or a
/// blocking `poll()` that must stay off Swift's cooperative pool.
///
/// The body runs on a named thread and checks ``isStopping`` every poll.
/// As a `Service`, `run()` returns when the thread ends and rethrows the
/// body's error; task cancellation and graceful shutdown both set the stop
/// flag. Joins are bounded: a body stuck in a call is logged and left
/// behind after ``joinLimit`` rather than hanging the daemon's shutdown.
public final class OwnedThread: Service, Sendable, CustomStringConvertible {
    /// `run()` was called before `start(_:)`: a wiring bug, reported instead of hanging.
    public struct NotStarted: Error, CustomStringConvertible {
        public var thread: String
        public var description: String { "thread \(thread) was never started" }
    }

    private enum State {
        case idle
        case running
        case finished(Result<Void, any Error>)
    }

    private struct Box {
        var state = State.idle
        /// The `run()` waiting for the thread to end, if any.
        var waiter: CheckedContinuation<Void, any Error>?
    }

    public let name: String
    public let joinLimit: Duration
    private let logger: Logger
    private let stopFlag = Atomic<Bool>(false)
    private let box = Mutex(Box())
    /// Signalled once when the body returns; re-signalled by each `stop()` that saw it.
    private let ended = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - name: the thread's name (shown by `top -H`, gdb, and in logs).
    ///   - joinLimit: how long a stop waits for the body to return.
    public init(name: String, joinLimit: Duration = .seconds(5), logger: Logger) {
        self.name = name
        self.joinLimit = joinLimit
        self.logger = logger
    }

    public var description: String { "thread " + name }

    /// Whether the body should return: checked by the loop every poll.
    public var isStopping: Bool { stopFlag.load(ordering: .acquiring) }

    /// Whether `start(_:)` has been called.
    public var hasStarted: Bool {
        box.withLock { if case .idle = $0.state { false } else { true } }
    }

    /// Whether the body has returned (or thrown).
    public var hasEnded: Bool {
        box.withLock { if case .finished = $0.state { true } else { false } }
    }

    /// Starts `body` on a new thread; call once.
    public func start(_ body: @escaping @Sendable () throws -> Void) {
        box.withLock { box in
            guard case .idle = box.state else { preconditionFailure("thread \(name) started twice") }
            box.state = .running
        }
        let thread = Thread { [self] in
            nameCurrentThread(name)
            finish(Result { try body() })
        }
        thread.start()
    }

    private func finish(_ result: Result<Void, any Error>) {
        let waiter = box.withLock { box in
            box.state = .finished(result)
            defer { box.waiter = nil }
            return box.waiter
        }
        ended.signal()
        waiter?.resume(with: result)
    }

    /// Sets the stop flag; the loop sees it at its next poll.
    public func requestStop() {
        stopFlag.store(true, ordering: .releasing)
    }

    /// Sets the stop flag and waits, at most ``joinLimit``, for the body to
    /// return. For callers outside a service group (tests, benchmarks).
    public func stop() {
        requestStop()
        let state = box.withLock { $0.state }
        switch state {
        case .idle, .finished: return
        case .running: break
        }
        if ended.wait(timeout: .now() + .nanoseconds(Int(joinLimit.nanoseconds))) == .timedOut {
            logGaveUp()
        } else {
            ended.signal()
        }
    }

    /// Waits for the thread to end; rethrows what the body threw. Cancellation
    /// or graceful shutdown stops the loop, and after ``joinLimit`` this
    /// returns even if the body has not.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let early: Result<Void, any Error>? = box.withLock { box in
                        switch box.state {
                        case .idle: return .failure(NotStarted(thread: name))
                        case .finished(let result): return result
                        case .running:
                            box.waiter = continuation
                            return nil
                        }
                    }
                    if let early { continuation.resume(with: early) }
                }
            } onCancel: {
                self.stopWithinLimit()
            }
        } onGracefulShutdown: {
            self.stopWithinLimit()
        }
    }

    /// Asks the loop to stop and releases a waiting `run()` after the join limit.
    private func stopWithinLimit() {
        requestStop()
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(joinLimit.nanoseconds))) { [self] in
            let waiter = box.withLock { box in
                defer { box.waiter = nil }
                return box.waiter
            }
            guard let waiter else { return }
            logGaveUp()
            waiter.resume()
        }
    }

    private func logGaveUp() {
        logger.error(
            "thread did not stop in time; leaving it behind",
            metadata: ["thread.name": "\(name)", "thread.join_limit": "\(joinLimit)"])
    }
}

/// Names the calling thread for the kernel (`top -H`, gdb, /proc), first 15
/// bytes. On Linux, Foundation's `Thread.name` set before `start()` never
/// reaches the kernel, and set from inside it sometimes does not either;
/// glibc's `pthread_setname_np` is not visible to Swift and `prctl` is
/// variadic, so this writes the thread's `comm` file as they do.
private func nameCurrentThread(_ name: String) {
    #if os(Linux)
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    #else
    Thread.current.name = name
    #endif
}

extension Duration {
    /// Whole nanoseconds, saturating (for Dispatch deadlines).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ attoseconds / 1_000_000_000
    }
}
