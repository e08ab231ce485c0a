import BollardSupport
import Foundation
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Delivers the webhook outbox: each due notification is POSTed, signed
/// (`WebhookSignature`), and marked delivered on a 2xx answer; any other
/// answer or a network error schedules a retry with exponential backoff
/// (`retryBase` × 2^attempts, at most an hour), for as long as it takes.
/// Failures stay visible in `bollard-central webhooks list`.
public struct WebhookService: Service, CustomStringConvertible {
    let store: CentralStore
    let interval: Duration
    let retryBase: Double
    let logger: Logger
    public let progress: ProgressReporter
    public var description: String { "webhooks" }

    public init(store: CentralStore, interval: Duration = .seconds(1), retryBase: Double = 2, logger: Logger) {
        self.store = store
        self.interval = interval
        self.retryBase = retryBase
        self.logger = logger
        progress = ProgressReporter(name: "webhooks", deadline: .seconds(120))
    }

    public func run() async throws {
        let session = URLSession(configuration: .ephemeral)
        try? await cancelWhenGracefulShutdown {
            try await ProgressReporter.$current.withValue(progress) {
                var pruned = ContinuousClock.now
                while !Task.isCancelled {
                    progress.beat()
                    await deliverDue(session: session)
                    if ContinuousClock.now - pruned > .seconds(3600) {
                        try? store.pruneWebhookOutbox(deliveredBefore: Date().addingTimeInterval(-86_400))
                        pruned = .now
                    }
                    try await ProgressReporter.sleep(for: interval)
                }
            }
        }
    }

    /// How long a claimed notification is not due again: well past one attempt (10 s timeout).
    static let claimLease: TimeInterval = 60

    /// One pass over the due notifications (at most 20); returns how many were delivered. Each is
    /// claimed through the database before its attempt, so central instances sharing the database
    /// post it once between them.
    @discardableResult
    public func deliverDue(session: URLSession) async -> Int {
        var delivered = 0
        var attempted: Set<Int64> = []
        for _ in 0..<20 {
            let claimed: WebhookDelivery?
            do {
                claimed = try await BlockingWork.run { [store, attempted] in
                    try store.claimDueWebhookDelivery(now: Date(), lease: Self.claimLease, excluding: attempted)
                }
            } catch {
                logger.error("webhook outbox unreadable", metadata: ["error": "\(error)"])
                return delivered
            }
            guard let delivery = claimed else { break }
            attempted.insert(delivery.id)
            ProgressReporter.current?.beat()  // a slow receiver (10 s each) is not a stuck service
            let outcome = await attempt(delivery, session: session)
            let backoff = min(3600, retryBase * pow(2, Double(min(delivery.attempts, 20))))
            let retryAt = Date().addingTimeInterval(backoff * Double.random(in: 0.8...1.2))
            do {
                try await BlockingWork.run { [store] in
                    try store.recordWebhookAttempt(id: delivery.id, delivered: outcome == nil, error: outcome, retryAt: retryAt)
                }
            } catch {
                logger.error("webhook attempt not recorded", metadata: ["error": "\(error)"])
            }
            if let outcome {
                logger.warning(
                    "webhook delivery failed; will retry",
                    metadata: ["webhook.id": "\(delivery.webhookID)", "attempts": "\(delivery.attempts + 1)", "error": "\(outcome)"])
            } else {
                delivered += 1
            }
        }
        return delivered
    }

    /// nil when the receiver accepted the notification, else why not.
    func attempt(_ delivery: WebhookDelivery, session: URLSession) async -> String? {
        guard let url = URL(string: delivery.url) else { return "bad url" }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        let timestamp = Int64(Date().timeIntervalSince1970)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(String(timestamp), forHTTPHeaderField: "Bollard-Timestamp")
        request.setValue(WebhookSignature.sign(body: delivery.body, timestamp: timestamp, secret: delivery.secret), forHTTPHeaderField: "Bollard-Signature")
        request.setValue(String(delivery.id), forHTTPHeaderField: "Bollard-Delivery")
        request.setValue(delivery.topic, forHTTPHeaderField: "Bollard-Topic")
        request.httpBody = Data(delivery.body.utf8)
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return "no HTTP answer" }
            return (200..<300).contains(http.statusCode) ? nil : "HTTP \(http.statusCode)"
        } catch {
            return error.localizedDescription
        }
    }
}
