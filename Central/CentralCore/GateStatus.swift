import Domain
import Foundation
import WireProtocol

/// What an operator sees for one gate: ok, lagging or offline, and why.
public struct GateStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case ok, lagging, offline }

    public var gateID: String
    public var zone: ZoneID
    public var direction: Direction
    public var state: State
    public var reasons: [String]
    public var secondsSinceSeen: Double?
    public var health: GateHealth?
    /// Events this gate sent under a `(origin, seq)` central already held with
    /// other content, kept aside: someone must look at them.
    public var conflicts: Int = 0

    enum CodingKeys: String, CodingKey {
        case zone, direction, state, reasons, health, conflicts
        case gateID = "gate_id"
        case secondsSinceSeen = "seconds_since_seen"
    }
}

/// The whole picture `bollard-central status` prints.
public struct CentralStatus: Codable, Sendable, Equatable {
    public var headSeq: Int64
    public var permits: Int
    public var events: CentralStore.EventCounts
    public var gates: [GateStatus]

    public var counts: (ok: Int, lagging: Int, offline: Int) {
        (gates.count { $0.state == .ok }, gates.count { $0.state == .lagging }, gates.count { $0.state == .offline })
    }

    enum CodingKeys: String, CodingKey {
        case permits, events, gates
        case headSeq = "head_seq"
    }

    /// Thresholds that separate ok from lagging from offline.
    public struct Thresholds: Sendable {
        /// Silent for this long (or for three of the gate's heartbeat intervals, if longer): offline.
        public var offlineAfter: Double = 10
        /// A permit change this old not yet held by the gate: lagging.
        public var permitLagAfter: Double = 5
        /// An event this old still unsent: lagging.
        public var uploadLagAfter: Double = 30
        /// A gate clock further than this from central's: lagging (it fines nothing until fixed).
        public var maxClockSkew: Double = 10
        /// A streaming camera with no frame for this long: lagging.
        public var cameraSilentAfter: Double = 10
        public init() {}
    }

    /// Reads everything from the store; works whether or not the daemon runs.
    public static func read(from store: CentralStore, thresholds: Thresholds = .init(), now: Date = Date()) throws -> CentralStatus {
        let head = try store.headSeq()
        let reports = try store.healthReports()
        let conflicts = try store.conflictCounts()
        let sealProblems = try store.sealProblemCounts()
        let refusedKeys = try store.refusedSigningKeys()
        var gates: [GateStatus] = []
        for record in try store.gates() where !record.revoked {
            let report = reports[record.gate.id]
            // A central clock stepped back makes "last seen" lie in the future: that is "just now".
            let seen = report.map { max(0, now.timeIntervalSince($0.lastSeen)) }
            var state = GateStatus.State.ok
            var reasons: [String] = []
            // Three missed heartbeats make a gate offline, and never less than the threshold.
            let offlineAfter = max(thresholds.offlineAfter, 3 * (report?.health?.heartbeatSeconds ?? 0))
            if let seen, seen <= offlineAfter {
                // Any message counts as alive; the health checks need a heartbeat.
                if let health = report?.health {
                    for reason in try lagReasons(health, head: head, lastSeen: report!.lastSeen, store: store, thresholds: thresholds, now: now) {
                        state = .lagging
                        reasons.append(reason)
                    }
                } else {
                    reasons.append("no heartbeat yet")
                }
            } else {
                state = .offline
                reasons.append(seen.map { String(format: "silent for %.0f s", $0) } ?? "never seen")
            }
            if let health = report?.health, let dropped = health.dropped, dropped.violation + dropped.review > 0 {
                reasons.append("dropped \(dropped.violation) violations and \(dropped.review) reviews (gate out of storage)")
            }
            let conflicted = conflicts[record.gate.id] ?? 0
            if conflicted > 0 {
                reasons.append("\(conflicted) conflicting events kept (a seq it reused with other content: database restored or replaced?)")
            }
            for (status, count) in (sealProblems[record.gate.id] ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                reasons.append("\(count) events whose seal is \(status.rawValue) (evidence that does not verify)")
            }
            if let refused = refusedKeys[record.gate.id] {
                reasons.append("announced signing key \(refused) refused: central holds \(record.signingKey ?? "-")")
            }
            gates.append(GateStatus(
                gateID: record.gate.id, zone: record.gate.zone, direction: record.gate.direction, state: state,
                reasons: reasons, secondsSinceSeen: seen, health: report?.health, conflicts: conflicted))
        }
        return CentralStatus(headSeq: head, permits: try store.permitCount(), events: try store.eventCounts(), gates: gates)
    }

    /// Why a gate that is heard from is lagging, if it is.
    static func lagReasons(
        _ health: GateHealth, head: Int64, lastSeen: Date, store: CentralStore, thresholds: Thresholds, now: Date
    ) throws -> [String] {
        var reasons: [String] = []
        if health.permitSeq < head, let changed = try store.changeTime(after: health.permitSeq),
            now.timeIntervalSince(changed) > thresholds.permitLagAfter
        {
            reasons.append("permits \(head - health.permitSeq) behind")
        }
        if health.oldestUnsentSeconds > thresholds.uploadLagAfter {
            reasons.append(String(format: "oldest unsent event %.0f s", health.oldestUnsentSeconds))
        }
        if health.bufferCapacity > 0, Double(health.bufferDepth) >= 0.8 * Double(health.bufferCapacity) {
            reasons.append("buffer \(health.bufferDepth)/\(health.bufferCapacity)")
        }
        // The heartbeat carries the gate's clock; it was received at about `lastSeen` on ours.
        let skew = Double(health.clockMilliseconds) / 1000 - lastSeen.timeIntervalSince1970
        if abs(skew) > thresholds.maxClockSkew {
            reasons.append(String(format: "clock %.0f s %@", abs(skew), skew > 0 ? "ahead" : "behind"))
        }
        // A gate whose camera does not stream decides nothing, however well it syncs.
        if let camera = health.camera {
            if !camera.streaming {
                reasons.append("camera not streaming" + (camera.lastError.map { ": " + LogText.escaped($0, limit: 120) } ?? ""))
            } else if let age = camera.lastFrameAgeSeconds, age > thresholds.cameraSilentAfter {
                reasons.append(String(format: "no camera frame for %.0f s", age))
            }
        }
        // What the gate itself reports (a message it could not take, a clock it distrusts).
        reasons += (health.problems ?? []).prefix(4).map { "gate: " + LogText.escaped($0, limit: 200) }
        return reasons
    }

    /// A table a person reads at a glance.
    public func table() -> String {
        let c = counts
        var lines = [
            "permits \(permits) (seq \(headSeq))   events \(events.total)   violations \(events.violations)   reviews \(events.reviews)",
            "gates: \(c.ok) ok, \(c.lagging) lagging, \(c.offline) offline",
            "",
            pad("GATE", 14) + pad("ZONE", 14) + pad("DIR", 6) + pad("STATE", 9) + pad("SEEN", 8) + pad("PERMITS", 9) + pad("BUFFER", 9) + pad("CAMERA", 9) + "NOTES",
        ]
        for gate in gates {
            let seen = gate.secondsSinceSeen.map { String(format: "%.0fs", $0) } ?? "-"
            let seq = gate.health.map { String($0.permitSeq) } ?? "-"
            let buffer = gate.health.map { String($0.bufferDepth) } ?? "-"
            let camera = gate.health?.camera.map { $0.streaming ? String(format: "%.0f fps", $0.framesPerSecond) : "down" } ?? "-"
            lines.append(
                pad(gate.gateID, 14) + pad(gate.zone, 14) + pad(gate.direction.rawValue, 6) + pad(gate.state.rawValue.uppercased(), 9)
                    + pad(seen, 8) + pad(seq, 9) + pad(buffer, 9) + pad(camera, 9) + gate.reasons.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width - 1)) + " " : text + String(repeating: " ", count: width - text.count)
    }
}
