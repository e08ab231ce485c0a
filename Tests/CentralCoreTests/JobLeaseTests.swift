import CentralCore
import Domain
import Foundation
import Logging
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Background work that must happen once runs on one central instance at a time,
/// claimed through the store that the instances share.
@Suite(.serialized) struct JobLeaseTests {
    let path: String

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-leases-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/central.sqlite"
    }

    @Test("one holder at a time: another's claim fails until the lease expires or is released; the holder renews its own")
    func claimRenewExpireRelease() throws {
        // Two instances: two stores on one database file.
        let first = try CentralStore(path: path)
        let second = try CentralStore(path: path)
        let now = Date()
        #expect(try first.claimLease("webhooks", holder: "a", duration: 30, now: now))
        #expect(!(try second.claimLease("webhooks", holder: "b", duration: 30, now: now.addingTimeInterval(10))))
        #expect(try second.claimLease("stays", holder: "b", duration: 30, now: now), "leases are per job")
        #expect(try first.claimLease("webhooks", holder: "a", duration: 30, now: now.addingTimeInterval(20)), "the holder renews")
        // Renewed at +20 s for 30 s: still held at +45 s, free at +51 s.
        #expect(!(try second.claimLease("webhooks", holder: "b", duration: 30, now: now.addingTimeInterval(45))))
        #expect(try second.claimLease("webhooks", holder: "b", duration: 30, now: now.addingTimeInterval(51)))
        #expect(!(try first.claimLease("webhooks", holder: "a", duration: 30, now: now.addingTimeInterval(52))), "the former holder lost it")
        try second.releaseLease("webhooks", holder: "b")
        #expect(try first.claimLease("webhooks", holder: "a", duration: 30, now: now.addingTimeInterval(53)), "released: free at once")
        #expect(try first.leases().first { $0.job == "webhooks" }?.holder == "a")
    }

    @Test("two instances delivering the same webhook outbox at once send each notification exactly once")
    func webhooksDeliveredOnceAcrossInstances() async throws {
        let receiver = try HTTPReceiver(statuses: [])
        let first = try CentralStore(path: path)
        let second = try CentralStore(path: path)
        _ = try first.addWebhook(id: "council", url: receiver.url)
        for number in 1...20 { try first.save(DemoFleet.permit(number, zone: "casco-viejo", now: Date())) }
        let logger = Logger(label: "test")
        let services = [
            WebhookService(store: first, retryBase: 0.05, lease: JobLease(job: "webhooks", holder: "a", store: first, duration: 30, logger: logger), logger: logger),
            WebhookService(store: second, retryBase: 0.05, lease: JobLease(job: "webhooks", holder: "b", store: second, duration: 30, logger: logger), logger: logger),
        ]
        let session = URLSession(configuration: .ephemeral)
        var delivered = [0, 0]
        for _ in 0..<5 {
            async let one = services[0].deliverDue(session: session)
            async let two = services[1].deliverDue(session: session)
            let (a, b) = await (one, two)
            delivered[0] += a
            delivered[1] += b
        }
        #expect(delivered[0] + delivered[1] == 20)
        #expect(delivered.contains(0), "both instances delivered: \(delivered)")
        let ids = receiver.requests.compactMap { $0.headers["bollard-delivery"] }
        #expect(ids.count == 20 && Set(ids).count == 20, "\(ids.count) requests for 20 notifications")
        // The holder stops gracefully: the other instance takes the job over at once.
        let holder = delivered[0] > 0 ? 0 : 1
        JobLease(job: "webhooks", holder: holder == 0 ? "a" : "b", store: first, duration: 30, logger: logger).release()
        try first.save(DemoFleet.permit(21, zone: "casco-viejo", now: Date()))
        #expect(await services[1 - holder].deliverDue(session: session) == 1)
    }
}
