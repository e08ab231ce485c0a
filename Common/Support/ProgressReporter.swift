import Foundation
import Synchronization

/// One loop's liveness: the loop calls ``beat()`` every iteration (and while
/// it waits), on the monotonic clock, so a wall clock stepped by NTP cannot
/// make a live loop look dead or a dead one look alive.
///
/// A reporter that nobody registers with a ``ProgressMonitor`` costs one
/// atomic store per beat.
public final class ProgressReporter: Sendable {
    public let name: String
    /// How long the loop may go without a beat before it counts as stalled.
    public let deadline: Duration
    private let clock = ContinuousClock()
    /// Nanoseconds since `origin` at the last beat.
    private let lastBeat = Atomic<Int64>(0)
    private let retired = Atomic<Bool>(false)
    private let origin: ContinuousClock.Instant

    public init(name: String, deadline: Duration) {
        self.name = name
        self.deadline = deadline
        origin = clock.now
    }

    /// The loop made progress.
    public func beat() {
        #if DEBUG
        TestFault.stallIfAsked(loop: name)
        #endif
        lastBeat.store(origin.duration(to: clock.now).nanoseconds, ordering: .releasing)
    }

    /// The loop ended on purpose (a replay file at its last line): it no
    /// longer counts toward liveness.
    public func retire() {
        retired.store(true, ordering: .releasing)
    }

    public var isRetired: Bool { retired.load(ordering: .acquiring) }

    /// Time since the last beat (or since creation, before the first).
    public func silence(at now: ContinuousClock.Instant) -> Duration {
        let last = origin + .nanoseconds(lastBeat.load(ordering: .acquiring))
        return last.duration(to: now)
    }

    /// The reporter of the task running this code: set by the service that
    /// runs a read source, so the source's waits can beat without new parameters.
    @TaskLocal public static var current: ProgressReporter?

    /// Sleeps like `Task.sleep(for:)`, beating ``current`` at least every
    /// quarter of its deadline: a source waiting for its next read is alive.
    public static func sleep(for duration: Duration) async throws {
        guard let reporter = current else { return try await Task.sleep(for: duration) }
        let clock = ContinuousClock()
        let end = clock.now + duration
        let slice = reporter.deadline / 4
        while true {
            reporter.beat()
            let now = clock.now
            guard now < end else { return }
            try await Task.sleep(until: min(end, now + slice), clock: clock)
        }
    }
}
