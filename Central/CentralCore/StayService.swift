import BollardSupport
import Foundation
import Logging
import ServiceLifecycle

/// Settles the maximum-stay rule's waiting rows every `interval`: entries
/// whose limit's day ended with no exit become violations, exits still
/// without entry become reviews (`CentralStore.settleStays`). A failed pass
/// is logged and retried at the next; it never stops central.
public struct StayService: Service, CustomStringConvertible {
    let store: CentralStore
    let interval: Duration
    let logger: Logger
    /// The pass runs on one central instance at a time; nil: this one always runs it.
    let lease: JobLease?
    public let progress: ProgressReporter
    public var description: String { "stays" }

    public init(store: CentralStore, interval: Duration = .seconds(30), lease: JobLease? = nil, logger: Logger) {
        self.store = store
        self.interval = interval
        self.lease = lease
        self.logger = logger
        progress = ProgressReporter(name: "stays", deadline: max(interval * 2, .seconds(120)))
    }

    public func run() async throws {
        await progress.repeating(every: interval) { [store, logger, lease] in
            guard await JobLease.mayRun(lease) else { return }
            do {
                // Event times are wall-clock times, so the rule's "now" is too.
                let made = try await BlockingWork.run { try store.settleStays(now: Date()) }
                if made > 0 { logger.info("maximum-stay rule raised events for review", metadata: ["events.count": "\(made)"]) }
            } catch {
                logger.error("stay pass failed", metadata: ["error": "\(error)"])
            }
        }
        lease?.release()
    }
}
