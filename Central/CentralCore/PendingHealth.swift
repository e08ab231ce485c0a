import Foundation
import Synchronization
import WireProtocol

/// The latest health each gate reported and central has not yet stored:
/// the gate server's thread deposits, the health flusher takes. A newer
/// report for a gate replaces the older one, so the box holds at most one
/// entry per gate.
public final class PendingHealth: Sendable {
    /// `health` is nil for a gate heard from without a heartbeat yet (alive, health unknown).
    public typealias Report = (gateID: String, lastSeen: Date, health: GateHealth?)

    private let reports = Mutex<[String: Report]>([:])

    public init() {}

    public func deposit(_ fresh: [Report]) {
        reports.withLock { reports in
            for report in fresh { reports[report.gateID] = report }
        }
    }

    /// Everything pending, leaving the box empty.
    public func take() -> [Report] {
        reports.withLock { reports in
            defer { reports.removeAll() }
            return Array(reports.values)
        }
    }

    /// Puts back reports that could not be stored, unless a newer one arrived meanwhile.
    public func putBack(_ unsaved: [Report]) {
        reports.withLock { reports in
            for report in unsaved where reports[report.gateID] == nil { reports[report.gateID] = report }
        }
    }
}
