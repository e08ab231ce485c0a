import BollardSupport
import Foundation
import Logging
import ServiceLifecycle

/// Forgets plates of authorised passages older than the retention period,
/// forgets evidence uploads no gate has gone on with for two days, and
/// compacts the permit change log, once a minute on the monotonic clock.
/// A failed pass is logged and retried at the next; it never stops central.
public struct RetentionService: Service, CustomStringConvertible {
    let store: CentralStore
    let authorisedPlateRetention: Double
    let interval: Duration
    let logger: Logger
    /// The pass runs on one central instance at a time; nil: this one always runs it.
    let lease: JobLease?
    public let progress: ProgressReporter
    public var description: String { "retention" }

    /// - Parameter authorisedPlateRetention: seconds an authorised vehicle's plate is kept.
    public init(
        store: CentralStore, authorisedPlateRetention: Double, interval: Duration = .seconds(60), lease: JobLease? = nil, logger: Logger
    ) {
        self.store = store
        self.lease = lease
        self.authorisedPlateRetention = authorisedPlateRetention
        self.interval = interval
        self.logger = logger
        progress = ProgressReporter(name: "retention", deadline: max(interval * 2, .seconds(120)))
    }

    /// A partial upload untouched this long is forgotten (the gate, if it comes back, sends the image again).
    static let stalledUploadAge: TimeInterval = 2 * 86_400

    public func run() async throws {
        await progress.repeating(every: interval) {
            guard await JobLease.mayRun(lease) else { return }
            await purge()
        }
        lease?.release()
    }

    func purge() async {
        do {
            // The cutoff is a wall-clock time because event times are.
            let cutoff = Date().addingTimeInterval(-authorisedPlateRetention)
            let forgotten = try await BlockingWork.run { [store] in try store.forgetAuthorisedPlates(before: cutoff) }
            if forgotten > 0 { logger.info("forgot plates of authorised passages", metadata: ["events.count": "\(forgotten)"]) }
            let stalled = try await BlockingWork.run { [store] in try store.forgetStalledUploads(before: Date().addingTimeInterval(-Self.stalledUploadAge)) }
            if stalled > 0 { logger.notice("forgot partial evidence uploads no gate went on with", metadata: ["images.count": "\(stalled)"]) }
            // Gates further behind than the log reaches fetch a snapshot instead.
            try await BlockingWork.run { [store] in try store.compactChangeLog(keep: 100_000) }
        } catch {
            logger.error("retention pass failed", metadata: ["error": "\(error)"])
        }
    }
}
