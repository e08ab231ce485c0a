import BollardSupport
import Foundation
import Logging

/// A background job that must run on one central instance at a time: before each
/// pass the service claims (or renews) the job's lease in the store, and skips the
/// pass while another instance holds it. A holder that dies loses the lease when it
/// expires; one that stops gracefully releases it.
///
/// Leases expire by the wall clock of the instance that looks. Instances on one
/// machine share it; across machines, keep clocks in step (NTP) — a clock stepped
/// far ahead can take a lease early, and then two passes may overlap once, which
/// the jobs tolerate (each one's writes are idempotent or transactional), until
/// the former holder's next claim fails.
public struct JobLease: Sendable {
    public let job: String
    public let holder: String
    let store: CentralStore
    let duration: TimeInterval
    let logger: Logger

    public init(job: String, holder: String = CentralInstance.id, store: CentralStore, duration: TimeInterval, logger: Logger) {
        self.job = job
        self.holder = holder
        self.store = store
        self.duration = duration
        self.logger = logger
    }

    /// True when this instance holds the job now (claimed or renewed).
    public func claim() -> Bool {
        do {
            return try store.claimLease(job, holder: holder, duration: duration)
        } catch {
            logger.error("job lease not claimed", metadata: ["job": "\(job)", "error": "\(error)"])
            return false
        }
    }

    /// `claim()` off the cooperative pool (it writes to the store): whether a service may run
    /// its pass now. A service without a lease always may.
    static func mayRun(_ lease: JobLease?) async -> Bool {
        guard let lease else { return true }
        return (try? await BlockingWork.run { lease.claim() }) ?? false
    }

    public func release() {
        do { try store.releaseLease(job, holder: holder) } catch {
            logger.warning("job lease not released; it expires by itself", metadata: ["job": "\(job)", "error": "\(error)"])
        }
    }
}

/// This process among central instances: host, process id and a random part (a pid is reused after a restart).
public enum CentralInstance {
    public static let id: String = {
        let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(random)"
    }()
}
