import BollardSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct OwnedThreadTests {
    struct LoopFailed: Error, Equatable {}

    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The calling thread's name as the kernel has it (read here, not through
    /// Foundation, which may open the file from another thread).
    static func kernelThreadName() -> String? {
        let fd = open("/proc/thread-self/comm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }

    @Test("run() returns when the loop ends on its own named thread, and rethrows the loop's error")
    func runRethrows() async throws {
        let thread = OwnedThread(name: "test-throws", logger: logger)
        let threadName = Mutex<String?>(nil)
        thread.start {
            threadName.withLock { $0 = Self.kernelThreadName() }
            throw LoopFailed()
        }
        await #expect(throws: LoopFailed.self) { try await thread.run() }
        #expect(threadName.withLock { $0 } == "test-throws\n")  // the kernel's name, as top -H shows it

        let quiet = OwnedThread(name: "test-returns", logger: logger)
        quiet.start {}
        try await quiet.run()
        #expect(quiet.hasEnded)
    }

    @Test("graceful shutdown of the group reaches the loop through its stop flag")
    func gracefulShutdownStopsLoop() async throws {
        let thread = OwnedThread(name: "test-graceful", logger: logger)
        let iterations = Atomic<Int>(0)
        thread.start {
            while !thread.isStopping {
                iterations.add(1, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: thread)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while iterations.load(ordering: .relaxed) < 3 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(!thread.hasEnded)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(thread.hasEnded)
    }

    @Test("cancelling the task that runs it stops the loop")
    func cancellationStopsLoop() async throws {
        let thread = OwnedThread(name: "test-cancel", logger: logger)
        thread.start { while !thread.isStopping { Thread.sleep(forTimeInterval: 0.005) } }
        let task = Task { try await thread.run() }
        task.cancel()
        try await task.value
        #expect(thread.hasEnded)
    }

    @Test("a loop stuck in a call is given up on after the join limit instead of hanging shutdown")
    func boundedJoin() async throws {
        let thread = OwnedThread(name: "test-stuck", joinLimit: .milliseconds(200), logger: logger)
        let release = DispatchSemaphore(value: 0)
        thread.start { release.wait() }  // ignores the stop flag
        let started = ContinuousClock.now
        let task = Task { try await thread.run() }
        task.cancel()
        try await task.value
        let waited = started.duration(to: .now)
        #expect(waited >= .milliseconds(200))
        #expect(waited < .seconds(3))
        #expect(!thread.hasEnded)

        let started2 = ContinuousClock.now
        thread.stop()  // the blocking stop is bounded too
        #expect(started2.duration(to: .now) < .seconds(3))
        release.signal()
    }

    @Test("run() before start() is reported, not a hang")
    func runBeforeStart() async {
        let thread = OwnedThread(name: "test-unstarted", logger: logger)
        await #expect(throws: OwnedThread.NotStarted.self) { try await thread.run() }
    }
}
