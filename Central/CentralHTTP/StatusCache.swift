import BollardSupport
import CentralCore
import Domain
import Foundation

/// The whole-store figures (gate states, event counts, cases waiting, today's
/// hourly chart) read at most once per `maxAge`: with a million events each
/// costs tens of milliseconds, and the dashboard, `/api/v1/gates` and
/// `/metrics` are polled all day. A stale snapshot is served while one request
/// refreshes it, so no request waits for the counts but the very first.
/// The dashboard's gates body as rendered from one snapshot (it holds nothing per session).
public actor RenderedPage {
    private var taken: Date?
    private var html = ""

    public init() {}

    func body(for snapshotTaken: Date, render: () throws -> String) rethrows -> String {
        if taken == snapshotTaken { return html }
        html = try render()
        taken = snapshotTaken
        return html
    }
}

public actor StatusCache {
    public struct Snapshot: Sendable {
        public var status: CentralStatus
        public var waiting: Int
        public var day: LocalDate
        public var hourly: [(passages: Int, violations: Int, reviews: Int)]
        /// Webhook receivers and their outbox, failures included.
        public var webhooks: [Webhook]
        public var pendingApplications: Int
        /// Free bytes on central's own data disk (-1 unknown): a full disk stops ingest.
        public var centralDiskFree: Int64
        public var taken: Date
    }

    let store: CentralStore
    let maxAge: TimeInterval
    private var snapshot: Snapshot?
    private var refreshing = false

    public init(store: CentralStore, maxAge: TimeInterval = 5) {
        self.store = store
        self.maxAge = maxAge
    }

    public func current() throws -> Snapshot {
        if let snapshot {
            if Date().timeIntervalSince(snapshot.taken) > maxAge, !refreshing {
                refreshing = true
                // Off the cooperative pool: the read scans the events table, and on two
                // cores holding a pool thread for it stalls every request behind it.
                let store = self.store
                DispatchQueue.global(qos: .utility).async {
                    let fresh = try? Self.read(store)
                    Task { await self.refreshed(fresh) }
                }
            }
            return snapshot
        }
        let fresh = try Self.read(store)
        snapshot = fresh
        return fresh
    }

    /// Forgets the snapshot: the next read is fresh (after a review action, say).
    public func invalidate() { snapshot = nil }

    private func refreshed(_ fresh: Snapshot?) {
        refreshing = false
        if let fresh { snapshot = fresh }
    }

    static func read(_ store: CentralStore) throws -> Snapshot {
        let now = Date()
        let day = MadridTime.local(now).date
        return Snapshot(
            status: try CentralStatus.read(from: store, now: now), waiting: try store.waitingCaseCount(), day: day,
            hourly: try store.hourlyCounts(day: day), webhooks: try store.webhooks(),
            pendingApplications: try store.applicationCount(state: .pending), centralDiskFree: DiskSpace.freeBytes(atPath: store.directory), taken: now)
    }
}
