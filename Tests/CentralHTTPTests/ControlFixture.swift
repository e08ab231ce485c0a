import TestSupport
import CentralCore
import CentralHTTP
import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import WireProtocol

/// A store with one gate, one permit, a violation and two reviews, and a token per role.
struct ControlFixture {
    let store: CentralStore
    let databasePath: String?
    let centre: ControlCentre
    var tokens: [AccessRole: String] = [:]
    /// The violation (plate with no permit), a low-confidence review of a permitted plate, and a confusion review.
    let violation = CaseID(gateID: "gate-01", origin: "o1", seq: 1)
    let lowConfidence = CaseID(gateID: "gate-01", origin: "o1", seq: 2)
    let confusion = CaseID(gateID: "gate-01", origin: "o1", seq: 3)
    let passage = CaseID(gateID: "gate-01", origin: "o1", seq: 4)

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-http-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        databasePath = folder + "/central.sqlite"
        store = try CentralStore(location: StoreLocation(TestEngine.store(forSQLitePath: folder + "/central.sqlite")))
        centre = try ControlCentre(store: store)
        try store.registerGate(Gate(id: "gate-01", zone: "casco-viejo", direction: .entry), publicKey: "key-gate-01")
        let now = Date()
        try store.save(Permit(
            id: "P1", plate: PlateText("1234BCD")!, profile: .resident, zones: ["casco-viejo"], validFrom: now.addingTimeInterval(-86_400 * 30),
            holder: "H1"))
        // Passages a second after the permit existed.
        let at = Int64(now.timeIntervalSince1970 * 1000) + 1000
        try store.store(
            events: [
                Event(seq: 1, atMilliseconds: at, kind: .violation, plate: "9999ZZZ", confidence: 0.97, source: "camera"),
                Event(seq: 2, atMilliseconds: at + 1, kind: .review, plate: "1234BCD", confidence: 0.4, reason: "low_confidence", source: "camera"),
                Event(seq: 3, atMilliseconds: at + 2, kind: .review, plate: "1234BC0", confidence: 0.9, reason: "confusion_match", candidates: ["P1"], source: "camera"),
                Event(seq: 4, atMilliseconds: at + 3, kind: .authorised, plate: "1234BCD", confidence: 0.99, permitID: "P1"),
            ], from: "gate-01", origin: "o1")
        for role in AccessRole.allCases { tokens[role] = try store.createToken(name: "t-\(role.rawValue)", role: role) }
        // The city's side: a resident (holder of P1), a hotel, a shop, and one application waiting.
        try store.saveHolder(Holder(id: "H1", kind: .person, zones: ["casco-viejo"]))
        try store.saveHolder(Holder(id: "hotel-1", kind: .hotel, zones: ["casco-viejo"], guestQuota: 2))
        try store.saveHolder(Holder(id: "shop-1", kind: .shop, zones: ["casco-viejo"], deliveryQuota: 1))
        applicationID = try store.apply(
            holder: "H1", plate: "7777BBB", zones: nil, from: now, until: now.addingTimeInterval(3_600), reason: "moving house").id
    }

    /// The application waiting for an operator.
    var applicationID = ""

    func headers(_ role: AccessRole?, json: Bool = false) -> HTTPFields {
        var headers: HTTPFields = [:]
        if let role { headers[.authorization] = "Bearer \(tokens[role]!)" }
        if json { headers[.contentType] = "application/json" }
        return headers
    }

    /// What a refused request must leave unchanged: case states, actions, the audit log, permits, applications, holders.
    func snapshot() throws -> String {
        let cases = try [violation, lowConfidence, confusion].map { try store.caseDetail($0).map { "\($0.summary.state) \($0.actions.count)" } ?? "-" }
        let applications = try store.applications().map { "\($0.id) \($0.state)" }.joined(separator: ",")
        let holders = try store.holders().map { "\($0.id) \($0.kind) \($0.guestQuota) \($0.deliveryQuota)" }.joined(separator: ",")
        return cases.joined(separator: ",") + " audit \(try AuditLog(store: store).entries(limit: 1000).count)"
            + " permits \(try store.headSeq()) applications \(applications) holders \(holders)"
    }

    func application() -> some ApplicationProtocol {
        Application(router: centre.router())
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

extension ControlFixture {
    /// Every API route the fixture's centre serves.
    static var routes: [APIRoute] { get throws { try ControlFixture().centre.apiRoutes } }
}
