@testable import CentralCore
import TestSupport
import Domain
import Evidence
import Foundation
import Testing
import WireProtocol

/// Seals are checked before the write transaction (CentralStore.SealChecks): the statuses
/// must be the ones a check under the lock gives.
@Suite struct SealChecksTests {
    let store: CentralStore
    let key = SigningKey()
    let origin = "db-1"
    let gate = Gate(id: "cv-01", zone: "casco-viejo", direction: .entry)

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-seals-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite")))
        try store.registerGate(gate, publicKey: String(repeating: "k", count: 40))
    }

    func chain(_ seqs: ClosedRange<Int64>, key: SigningKey, from previous: String = EventSeal.genesis) throws -> [Event] {
        var previous = previous
        return try seqs.map { seq in
            let event = Event(seq: seq, atMilliseconds: 1_764_300_000_000 + seq, kind: .violation, plate: "1234BCD", confidence: 0.97, reason: "no_permit")
            let sealed = try EventSeal.seal(event, origin: origin, previous: previous, key: key.privateKey)
            previous = EventSeal.hash(of: sealed, origin: origin)
            return sealed
        }
    }

    @Test("checked before the transaction, each event of a batch keeps its own status: one forged among 200 is the only bad one")
    func largeBatchStatusesStayWithTheirEvents() throws {
        try store.setSigningKey(gateID: gate.id, publicKey: key.publicKeyBase64)
        var events = try chain(1...200, key: key)
        // event 137 re-signed by a stranger: same hash chain, a signature that does not verify
        events[136] = try EventSeal.seal(events[136], origin: origin, previous: events[135].previousHash == nil ? EventSeal.genesis : EventSeal.hash(of: events[135], origin: origin), key: SigningKey().privateKey)
        let checks = CentralStore.SealChecks(events, origin: origin, keyText: key.publicKeyBase64)
        #expect(checks.bySeq.count == 200)
        for event in events {
            #expect(checks.bySeq[event.seq]?.hash == EventSeal.hash(of: event, origin: origin), "seq \(event.seq)")
        }
        try store.commit(events: events, from: gate.id, origin: origin)
        for seq in Int64(1)...200 {
            #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: seq) == (seq == 137 ? .badSignature : .valid), "seq \(seq)")
        }
        #expect(try store.sealProblemCounts()[gate.id] == [.badSignature: 1])
    }

    @Test("checks made with a key the gate no longer has are made again under the lock")
    func staleKeyIsCheckedAgain() throws {
        let events = try chain(1...3, key: key)
        // checked while central held no key for the gate: every event would be "unverified"
        let stale = CentralStore.SealChecks(events, origin: origin, keyText: nil)
        try store.setSigningKey(gateID: gate.id, publicKey: key.publicKeyBase64)
        try store.database.write { db in
            try CentralStore.recordSeals(of: events, gateID: gate.id, origin: origin, checked: stale, db)
        }
        for seq in Int64(1)...3 {
            #expect(try store.sealStatus(gateID: gate.id, origin: origin, seq: seq) == .valid, "seq \(seq)")
        }
    }
}
