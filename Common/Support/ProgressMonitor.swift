import Synchronization

/// The loops a daemon expects to keep turning. The watchdog asks it, on the
/// monotonic clock, whether every registered loop beat within its deadline.
public final class ProgressMonitor: Sendable {
    /// A loop that missed its deadline.
    public struct Stall: Sendable, Equatable, CustomStringConvertible {
        public var loop: String
        public var silence: Duration
        public var deadline: Duration
        public var description: String {
            "loop \(loop) has made no progress for \(Self.seconds(silence)) s (deadline \(Self.seconds(deadline)) s)"
        }

        static func seconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            return String(Double(seconds) + Double(attoseconds / 100_000_000_000_000_000) / 10)
        }
    }

    private let reporters = Mutex<[ProgressReporter]>([])

    public init() {}

    /// Registers a loop; from now on it must beat within its deadline.
    public func register(_ reporter: ProgressReporter) {
        reporters.withLock { $0.append(reporter) }
    }

    /// A new reporter, registered.
    public func register(_ name: String, deadline: Duration) -> ProgressReporter {
        let reporter = ProgressReporter(name: name, deadline: deadline)
        register(reporter)
        return reporter
    }

    public var names: [String] { reporters.withLock { $0.map(\.name) } }

    /// Every registered, unretired loop whose silence exceeds its deadline.
    public func stalls(at now: ContinuousClock.Instant = ContinuousClock.now) -> [Stall] {
        reporters.withLock { $0 }.compactMap { reporter in
            guard !reporter.isRetired else { return nil }
            let silence = reporter.silence(at: now)
            return silence > reporter.deadline ? Stall(loop: reporter.name, silence: silence, deadline: reporter.deadline) : nil
        }
    }
}
