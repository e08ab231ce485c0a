import BollardSupport
import Foundation
import Logging
import ServiceLifecycle

/// Holds the gate's buffer and evidence to their age and size bounds (`EventBuffer.enforce`),
/// once a minute on the monotonic clock. A failed pass is logged and tried again at the next;
/// it never stops the gate.
struct StorageBoundsService: Service, CustomStringConvertible {
    let buffer: EventBuffer
    let bounds: StorageBounds
    let interval: Duration
    let logger: Logger
    let progress: ProgressReporter
    var description: String { "storage bounds" }

    init(buffer: EventBuffer, bounds: StorageBounds, interval: Duration = .seconds(60), logger: Logger, progress: ProgressReporter) {
        self.buffer = buffer
        self.bounds = bounds
        self.interval = interval
        self.logger = logger
        self.progress = progress
    }

    func run() async throws {
        await progress.repeating(every: interval) { await trim() }
    }

    func trim() async {
        do {
            let trim = try await BlockingWork.run { [buffer, bounds] in try buffer.enforce(bounds) }
            guard !trim.isEmpty else { return }
            logger.notice(
                "storage bounds applied",
                metadata: [
                    "passages.dropped": "\(trim.passages)", "images.expired": "\(trim.expiredImages)",
                    "images.over_quota": "\(trim.imagesOverQuota)", "bytes.freed": "\(trim.bytesFreed)",
                ])
        } catch {
            logger.error("storage bounds pass failed", metadata: ["error": "\(error)"])
        }
    }
}
