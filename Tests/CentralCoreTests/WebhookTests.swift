import CentralCore
import Domain
import Foundation
import Logging
import TestSupport
import WireProtocol
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite(.serialized) struct WebhookTests {
    let store: CentralStore
    let path: String

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-webhooks-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/central.sqlite"
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
    }

    @Test("two central instances on one database post each due notification once between them (claimed through the database)")
    func twoInstancesPostOnce() async throws {
        let receiver = try HTTPReceiver(statuses: Array(repeating: 204, count: 40))
        _ = try store.addWebhook(id: "council", url: receiver.url)
        for number in 0..<12 { try store.save(DemoFleet.permit(number, zone: "casco-viejo", now: Date())) }
        let other = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))  // its own connections, as another process has
        let one = WebhookService(store: store, logger: Logger(label: "a"))
        let two = WebhookService(store: other, logger: Logger(label: "b"))
        async let first = one.deliverDue(session: URLSession(configuration: .ephemeral))
        async let second = two.deliverDue(session: URLSession(configuration: .ephemeral))
        let (a, b) = await (first, second)
        #expect(a + b == 12, "delivered \(a) + \(b)")
        #expect(receiver.requests.count == 12)
        #expect(Set(receiver.requests.compactMap { $0.headers["bollard-delivery"] }).count == 12, "no notification posted twice")
        #expect(try store.webhooks().first?.pending == 0)
    }

    @Test("a claimed notification is not due to another instance until its lease ends; then it is, so a crash loses nothing")
    func claimLeaseEnds() throws {
        _ = try store.addWebhook(id: "council", url: "http://127.0.0.1:9/x")
        try store.save(DemoFleet.permit(3, zone: "casco-viejo", now: Date()))
        let other = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        let now = Date().addingTimeInterval(1)
        let claimed = try #require(try store.claimDueWebhookDelivery(now: now, lease: 60))
        #expect(try other.claimDueWebhookDelivery(now: now, lease: 60) == nil)
        #expect(try other.claimDueWebhookDelivery(now: now.addingTimeInterval(59), lease: 60) == nil)
        #expect(try other.claimDueWebhookDelivery(now: now.addingTimeInterval(61), lease: 60)?.id == claimed.id)
    }

    @Test("a permit change reaches a receiver signed with its secret; refused twice, it is retried until accepted, and failures show meanwhile")
    func deliveredSignedAfterRetries() async throws {
        let receiver = try HTTPReceiver(statuses: [503, 500, 204])
        let secret = try store.addWebhook(id: "council", url: receiver.url)
        try store.save(DemoFleet.permit(7, zone: "casco-viejo", now: Date()))
        let service = WebhookService(store: store, retryBase: 0.05, logger: Logger(label: "test"))
        let session = URLSession(configuration: .ephemeral)
        #expect(await service.deliverDue(session: session) == 0)
        #expect(try store.webhooks().first?.failing == 1)
        #expect(try store.webhooks().first?.lastError == "HTTP 503")
        var delivered = 0
        for _ in 0..<100 where delivered == 0 {
            try await Task.sleep(for: .milliseconds(30))
            delivered = await service.deliverDue(session: session)
        }
        #expect(delivered == 1)
        #expect(receiver.requests.count == 3)
        #expect(try store.webhooks().first?.pending == 0)
        // The receiver's side: the signature over "timestamp.body" with the secret verifies.
        let last = try #require(receiver.requests.last)
        let timestamp = try #require(Int64(last.headers["bollard-timestamp"] ?? ""))
        #expect(last.headers["bollard-signature"] == WebhookSignature.sign(body: last.body, timestamp: timestamp, secret: secret))
        #expect(last.headers["bollard-signature"] != WebhookSignature.sign(body: last.body, timestamp: timestamp, secret: secret + "x"))
        #expect(last.headers["bollard-topic"] == "permit.changed")
        #expect(last.body.contains("\"id\":\"P0000007\""))
        #expect(receiver.requests.map(\.headers["bollard-delivery"]).allSatisfy { $0 == last.headers["bollard-delivery"] }, "one delivery id across retries")
    }

    @Test("a receiver registered for violations only gets no permit changes")
    func topicsFilter() throws {
        _ = try store.addWebhook(id: "police", url: "http://127.0.0.1:9/x", topics: ["violation.confirmed"])
        try store.save(DemoFleet.permit(8, zone: "casco-viejo", now: Date()))
        #expect(try store.webhooks().first?.pending == 0)
        try store.enqueueViolationConfirmed("{}")
        #expect(try store.webhooks().first?.pending == 1)
    }

    @Test("confirming a violation queues it for violation.confirmed receivers in the same transaction; dismissing one does not")
    func confirmedViolationsAreQueued() throws {
        _ = try store.addWebhook(id: "sanctions", url: "http://127.0.0.1:9/x", topics: ["violation.confirmed"])
        try store.registerGate(Gate(id: "gate-01", zone: "casco-viejo", direction: .entry), publicKey: "key-gate-01")
        let at = Int64(Date().timeIntervalSince1970 * 1000)
        try store.store(
            events: [
                Event(seq: 1, atMilliseconds: at, kind: .violation, plate: "9999ZZZ", confidence: 0.97, source: "camera"),
                Event(seq: 2, atMilliseconds: at, kind: .violation, plate: "8888YYY", confidence: 0.97, source: "camera"),
            ], from: "gate-01", origin: "o1")
        let ana = Actor(name: "ana", role: .operator_)
        _ = try store.act(.dismiss(reason: "a hearse"), on: CaseID(gateID: "gate-01", origin: "o1", seq: 2), by: ana)
        #expect(try store.webhooks().first?.pending == 0)
        _ = try store.act(.confirm(correctedPlate: nil), on: CaseID(gateID: "gate-01", origin: "o1", seq: 1), by: ana)
        let queued = try store.dueWebhookDeliveries(now: Date().addingTimeInterval(1))
        #expect(queued.map(\.topic) == ["violation.confirmed"])
        #expect(queued.first?.body.contains("9999ZZZ") == true)
        #expect(queued.first?.body.contains("gate-01~o1~1") == true)
    }

    @Test("a webhook with a URL that is not http(s) or an unknown topic is refused with the reason")
    func badRegistrationRefused() {
        #expect(throws: WebhookError.invalid("url must be an http or https URL")) { try store.addWebhook(id: "a", url: "file:///etc/passwd") }
        #expect(throws: WebhookError.self) { try store.addWebhook(id: "b", url: "http://x.example/", topics: ["everything"]) }
    }
}
