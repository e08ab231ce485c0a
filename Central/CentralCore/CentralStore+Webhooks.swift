import Crypto
import Domain
import Foundation
import GRDB

// Webhooks (issue 11): receivers registered at central get permit changes and
// confirmed violations as signed JSON. Every notification is written to a
// durable outbox in the same transaction as the change it reports, so a crash
// between the two loses nothing; `WebhookService` delivers and retries.

/// A registered receiver.
public struct Webhook: Sendable, Equatable, Codable {
    public var id: String
    public var url: String
    /// Topics it receives: `permit.changed`, `violation.confirmed`.
    public var topics: [String]
    public var pending: Int
    public var failing: Int
    public var lastError: String?
}

/// One notification waiting for (or done with) delivery.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: Int64
    public var webhookID: String
    public var url: String
    public var secret: String
    public var topic: String
    public var body: String
    public var attempts: Int
}

extension CentralStore {
    public static let webhookTopics = ["permit.changed", "violation.confirmed"]

    static func registerWebhookMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    topics TEXT NOT NULL,          -- comma-separated
                    created_ms INTEGER NOT NULL
                );
                CREATE TABLE webhook_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
                    topic TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_ms INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_ms INTEGER NOT NULL,
                    last_error TEXT,
                    delivered_ms INTEGER
                );
                CREATE INDEX webhook_outbox_due ON webhook_outbox(delivered_ms, next_attempt_ms);
                """)
        }
    }

    /// Registers a receiver; returns its signing secret (shown once, stored to sign with).
    public func addWebhook(id: String, url: String, topics: [String] = CentralStore.webhookTopics) throws -> String {
        if let problem = InputLimits.permitIDProblem(id) { throw WebhookError.invalid("id: \(problem.reason)") }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil, url.count <= 2000 else {
            throw WebhookError.invalid("url must be an http or https URL")
        }
        guard !topics.isEmpty, topics.allSatisfy(Self.webhookTopics.contains) else {
            throw WebhookError.invalid("topics must be among \(Self.webhookTopics.joined(separator: ", "))")
        }
        let secret = "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try database.write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM webhooks WHERE id = ?", arguments: [id]) == 0 else {
                throw WebhookError.invalid("a webhook '\(id)' exists already")
            }
            try db.execute(
                sql: "INSERT INTO webhooks (id, url, secret, topics, created_ms) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, url, secret, topics.joined(separator: ","), Self.nowMilliseconds()])
        }
        return secret
    }

    @discardableResult
    public func removeWebhook(id: String) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "DELETE FROM webhook_outbox WHERE webhook_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Receivers with their undelivered notifications, the ones already retried, and the last failure.
    public func webhooks() throws -> [Webhook] {
        try database.read { db in
            try StoreRow.fetchAll(db, sql: """
                SELECT w.id, w.url, w.topics,
                    (SELECT count(*) FROM webhook_outbox o WHERE o.webhook_id = w.id AND o.delivered_ms IS NULL) AS pending,
                    (SELECT count(*) FROM webhook_outbox o WHERE o.webhook_id = w.id AND o.delivered_ms IS NULL AND o.attempts > 0) AS failing,
                    (SELECT last_error FROM webhook_outbox o WHERE o.webhook_id = w.id AND o.last_error IS NOT NULL
                        ORDER BY o.id DESC LIMIT 1) AS last_error
                FROM webhooks w ORDER BY w.id
                """).map {
                Webhook(
                    id: $0["id"], url: $0["url"], topics: ($0["topics"] as String).split(separator: ",").map(String.init),
                    pending: $0["pending"], failing: $0["failing"], lastError: $0["last_error"])
            }
        }
    }

    /// Queues `body` for every receiver of `topic`, inside the caller's transaction.
    static func enqueueWebhooks(_ db: any StoreConnection, topic: String, body: String) throws {
        try db.execute(
            sql: """
                INSERT INTO webhook_outbox (webhook_id, topic, body, created_ms, next_attempt_ms)
                SELECT id, ?, ?, ?, ? FROM webhooks WHERE ',' || topics || ',' LIKE '%,' || ? || ',%'
                """,
            arguments: [topic, body, Self.nowMilliseconds(), Self.nowMilliseconds(), topic])
    }

    /// Queues a confirmed violation for the receivers of `violation.confirmed`.
    public func enqueueViolationConfirmed(_ body: String) throws {
        try database.write { db in try Self.enqueueWebhooks(db, topic: "violation.confirmed", body: body) }
    }

    /// Notifications due now, oldest first.
    public func dueWebhookDeliveries(now: Date, limit: Int = 20) throws -> [WebhookDelivery] {
        try database.read { db in
            try StoreRow.fetchAll(
                db,
                sql: """
                    SELECT o.id, o.webhook_id, w.url, w.secret, o.topic, o.body, o.attempts FROM webhook_outbox o
                    JOIN webhooks w ON w.id = o.webhook_id
                    WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= ? ORDER BY o.id LIMIT ?
                    """, arguments: [Int64(now.timeIntervalSince1970 * 1000), limit]
            ).map {
                WebhookDelivery(
                    id: $0["id"], webhookID: $0["webhook_id"], url: $0["url"], secret: $0["secret"], topic: $0["topic"], body: $0["body"],
                    attempts: $0["attempts"])
            }
        }
    }

    /// Takes the oldest due notification for one attempt: it is not due again for `lease` seconds,
    /// so a second central instance on this database does not post it too. The attempt's record
    /// (`recordWebhookAttempt`) replaces the lease; a process that dies mid-attempt leaves the
    /// notification to be tried again when the lease ends (at least once, never lost).
    /// `excluding`: notifications already attempted in this pass (one attempt each per pass).
    public func claimDueWebhookDelivery(now: Date, lease: TimeInterval, excluding: Set<Int64> = []) throws -> WebhookDelivery? {
        // Most passes find nothing due: ask a reader first, so that an idle outbox costs no write
        // lock every second (the lock every instance's ingest needs).
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let anyDue = try database.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM webhook_outbox WHERE delivered_ms IS NULL AND next_attempt_ms <= ?)",
                arguments: [nowMs]) ?? false
        }
        guard anyDue else { return nil }
        return try database.writeWithoutTransaction { db in
            var claimed: WebhookDelivery?
            // IMMEDIATE: the write lock is taken before the read, so two instances cannot both see the row as due.
            try db.inTransaction {
                let row = try StoreRow.fetchOne(
                    db,
                    sql: """
                        SELECT o.id, o.webhook_id, w.url, w.secret, o.topic, o.body, o.attempts FROM webhook_outbox o
                        JOIN webhooks w ON w.id = o.webhook_id
                        WHERE o.delivered_ms IS NULL AND o.next_attempt_ms <= ?
                        \(excluding.isEmpty ? "" : "AND o.id NOT IN (" + excluding.map { _ in "?" }.joined(separator: ", ") + ")")
                        ORDER BY o.next_attempt_ms, o.id LIMIT 1
                        """, arguments: StoreArguments(values: ([nowMs] + excluding.sorted()).map(StoreValue.integer)))
                if let row {
                    try db.execute(
                        sql: "UPDATE webhook_outbox SET next_attempt_ms = ? WHERE id = ?",
                        arguments: [Int64((now.timeIntervalSince1970 + lease) * 1000), row["id"] as Int64])
                    claimed = WebhookDelivery(
                        id: row["id"], webhookID: row["webhook_id"], url: row["url"], secret: row["secret"], topic: row["topic"], body: row["body"],
                        attempts: row["attempts"])
                }
                return .commit
            }
            return claimed
        }
    }

    /// Records an attempt: delivered, or failed with `error` and tried again at `retryAt`.
    public func recordWebhookAttempt(id: Int64, delivered: Bool, error: String?, retryAt: Date) throws {
        try database.write { db in
            if delivered {
                try db.execute(
                    sql: "UPDATE webhook_outbox SET attempts = attempts + 1, delivered_ms = ?, last_error = NULL WHERE id = ?",
                    arguments: [Self.nowMilliseconds(), id])
            } else {
                try db.execute(
                    sql: "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ? WHERE id = ?",
                    arguments: [error.map { String($0.prefix(300)) }, Int64(retryAt.timeIntervalSince1970 * 1000), id])
            }
        }
    }

    /// Forgets delivered notifications older than `cutoff` (they carry plates).
    public func pruneWebhookOutbox(deliveredBefore cutoff: Date) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM webhook_outbox WHERE delivered_ms IS NOT NULL AND delivered_ms < ?",
                arguments: [Int64(cutoff.timeIntervalSince1970 * 1000)])
        }
    }
}

/// Why a webhook could not be registered.
public enum WebhookError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let reason): "webhook: \(reason)"
        }
    }
}

/// How a receiver verifies a notification (docs/webhooks.md): HMAC-SHA256 with the
/// webhook's secret over `TIMESTAMP.BODY`, hex, sent as `Bollard-Signature: v1=HEX`
/// beside `Bollard-Timestamp: TIMESTAMP` (Unix seconds).
public enum WebhookSignature {
    public static func sign(body: String, timestamp: Int64, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}
