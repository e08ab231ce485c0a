import CentralCore
import Domain
import Foundation
import Hummingbird
import Prometheus

/// What `/metrics` exposes (Prometheus text). Request latencies and review
/// actions are counted as they happen; the store-derived figures (events,
/// violations, reviews waiting, gate states, sync lag) are read at each scrape.
public final class ControlMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let events: Gauge
    let violations: Gauge
    let reviews: Gauge
    let waiting: Gauge
    let permitHead: Gauge
    let centralDiskFree: Gauge
    let gateStates: [GateStatus.State: Gauge]
    let confirmed: Counter
    let dismissed: Counter
    let escalated: Counter

    public init() {
        events = registry.makeGauge(name: "bollard_events", help: "Events stored at central.")
        violations = registry.makeGauge(name: "bollard_violations", help: "Violations stored at central.")
        reviews = registry.makeGauge(name: "bollard_reviews", help: "Review events stored at central.")
        waiting = registry.makeGauge(name: "bollard_cases_waiting", help: "Violations and reviews waiting for a person (open or escalated).")
        permitHead = registry.makeGauge(name: "bollard_permit_head_seq", help: "Central's newest permit change sequence.")
        centralDiskFree = registry.makeGauge(
            name: "bollard_central_disk_free_bytes", help: "Free bytes on central's data disk (-1: unreadable); when full, gates' events wait at the gates.")
        var states: [GateStatus.State: Gauge] = [:]
        for state in [GateStatus.State.ok, .lagging, .offline] {
            states[state] = registry.makeGauge(name: "bollard_gates", labels: [("state", state.rawValue)], help: "Gates by state.")
        }
        gateStates = states
        confirmed = registry.makeCounter(name: "bollard_review_actions_total", labels: [("action", "confirm")], help: "Review actions taken.")
        dismissed = registry.makeCounter(name: "bollard_review_actions_total", labels: [("action", "dismiss")], help: "Review actions taken.")
        escalated = registry.makeCounter(name: "bollard_review_actions_total", labels: [("action", "escalate")], help: "Review actions taken.")
    }

    func reviewed(_ command: CaseCommand) {
        switch command {
        case .confirm: confirmed.increment()
        case .dismiss: dismissed.increment()
        case .escalate: escalated.increment()
        }
    }

    /// A histogram per route pattern (not per path: ids would explode the label set).
    func latency(route: String, method: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            name: "bollard_http_request_duration_seconds", labels: [("route", route), ("method", method)],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .seconds(1)],
            help: "HTTP request latency by route.")
    }

    /// Refreshes the store-derived gauges and returns the text exposition.
    func scrape(store: CentralStore, cache: StatusCache) async throws -> String {
        let snapshot = try await cache.current()
        let status = snapshot.status
        events.set(Double(status.events.total))
        violations.set(Double(status.events.violations))
        reviews.set(Double(status.events.reviews))
        permitHead.set(Double(status.headSeq))
        waiting.set(Double(snapshot.waiting))
        centralDiskFree.set(Double(snapshot.centralDiskFree))
        let counts = status.counts
        gateStates[.ok]?.set(Double(counts.ok))
        gateStates[.lagging]?.set(Double(counts.lagging))
        gateStates[.offline]?.set(Double(counts.offline))
        var text = registry.emitToString()
        // Sync lag per gate: how far behind central's permit head each gate decides.
        text += "# TYPE bollard_gate_permit_lag gauge\n"
        for gate in status.gates {
            let lag = gate.health.map { max(0, status.headSeq - $0.permitSeq) } ?? status.headSeq
            text += "bollard_gate_permit_lag{gate=\"\(gate.gateID)\"} \(lag)\n"
        }
        // Webhook outbox per receiver: notifications waiting, and those whose last attempt failed.
        text += "# TYPE bollard_webhook_pending gauge\n# TYPE bollard_webhook_failing gauge\n"
        for hook in snapshot.webhooks {
            let label = LogText.escaped(hook.id).replacingOccurrences(of: "\"", with: "'")
            text += "bollard_webhook_pending{webhook=\"\(label)\"} \(hook.pending)\n"
            text += "bollard_webhook_failing{webhook=\"\(label)\"} \(hook.failing)\n"
        }
        // Applications for temporary permits waiting for an operator.
        text += "# TYPE bollard_applications_pending gauge\nbollard_applications_pending \(snapshot.pendingApplications)\n"
        return text
    }
}

/// Times every request into `bollard_http_request_duration_seconds`.
struct LatencyMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    let metrics: ControlMetrics

    func handle(_ request: Request, context: ControlContext, next: (Request, ControlContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        defer {
            let route = context.endpointPath ?? "unmatched"
            metrics.latency(route: route, method: request.method.rawValue).record(ContinuousClock.now - start)
        }
        return try await next(request, context)
    }
}
