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
        let first = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        let second = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: path)))
        let now = Date()
        #expect(try first.claimLease("retention", holder: "a", duration: 30, now: now))
        #expect(!(try second.claimLease("retention", holder: "b", duration: 30, now: now.addingTimeInterval(10))))
        #expect(try second.claimLease("stays", holder: "b", duration: 30, now: now), "leases are per job")
        #expect(try first.claimLease("retention", holder: "a", duration: 30, now: now.addingTimeInterval(20)), "the holder renews")
        // Renewed at +20 s for 30 s: still held at +45 s, free at +51 s.
        #expect(!(try second.claimLease("retention", holder: "b", duration: 30, now: now.addingTimeInterval(45))))
        #expect(try second.claimLease("retention", holder: "b", duration: 30, now: now.addingTimeInterval(51)))
        #expect(!(try first.claimLease("retention", holder: "a", duration: 30, now: now.addingTimeInterval(52))), "the former holder lost it")
        try second.releaseLease("retention", holder: "b")
        #expect(try first.claimLease("retention", holder: "a", duration: 30, now: now.addingTimeInterval(53)), "released: free at once")
        #expect(try first.leases().first { $0.job == "retention" }?.holder == "a")
    }
}
