import BollardSupport
import CentralCore
import Domain
import Foundation
import WireProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The city's side of the demo: a hotel and a shop of the quarter as holders, and a hotel
/// guest registered through the citizens' API (HTTP, a `citizen-app` token, as the council's
/// app would) while the gates run; the live line then says when every gate reports holding it.
final class DemoCitizens: @unchecked Sendable {
    static let hotel = "hotel-arriaga"
    static let shop = "shop-somera"

    private let lock = NSLock()
    private var port: Int?
    private var guest: (permitID: String, seq: Int64, at: Date)?
    private var reported = false
    let token: String

    init(store: CentralStore, zone: ZoneID) throws {
        try store.saveHolder(Holder(id: Self.hotel, kind: .hotel, zones: [zone], guestQuota: 12))
        try store.saveHolder(Holder(id: Self.shop, kind: .shop, zones: [zone], deliveryQuota: 3))
        token = try store.createToken(name: "demo-citizen-app", role: .citizenApp)
    }

    /// The control centre's port, once it listens.
    func listening(on port: Int) { lock.withLock { self.port = port } }

    /// What a developer of the app would type to do the same.
    func example(host: String, port: Int) -> String {
        let today = MadridTime.local(Date()).date
        let tomorrow = MadridTime.local(Date().addingTimeInterval(86_400)).date
        return """
              citizen-app:\t\(token)
            a hotel registers a guest (the demo does this at t≈10 s):
              curl -X POST -H 'Authorization: Bearer \(token)' -H 'Idempotency-Key: demo-1' -H 'Content-Type: application/json' \\
                -d '{"plate": "2024BCD", "arrival": "\(today)", "departure": "\(tomorrow)"}' http://\(host):\(port)/api/v1/holders/\(Self.hotel)/guests
            """
    }

    /// Registers one guest over HTTP; returns the line to print.
    func registerGuest() async -> String {
        guard let port = lock.withLock({ port }) else { return "  (guest not registered: the control centre is not listening)" }
        let today = MadridTime.local(Date()).date
        let tomorrow = MadridTime.local(Date().addingTimeInterval(86_400)).date
        let plate = String(format: "%04d", Int.random(in: 0..<10_000)) + String((0..<3).map { _ in "BCDFGHJKLMNPRSTVWXYZ".randomElement()! })
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/holders/\(Self.hotel)/guests")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(UUID().uuidString, forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = Data(#"{"plate": "\#(plate)", "arrival": "\#(today)", "departure": "\#(tomorrow)"}"#.utf8)
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 201, let permit = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let id = permit["id"] as? String, let seq = (permit["seq"] as? NSNumber)?.int64Value
            else { return "  guest registration answered HTTP \(status): \(String(decoding: data.prefix(300), as: UTF8.self))" }
            lock.withLock { guest = (id, seq, Date()) }
            return "  \(Self.hotel) registered a guest's car through the citizens' API: permit \(id), permit seq \(seq)"
        } catch {
            return "  guest registration failed: \(error)"
        }
    }

    /// Once, when every running gate's heartbeat reports a permit sequence at or past the guest's.
    func reach(_ status: CentralStatus) -> String? {
        lock.withLock {
            guard let guest, !reported else { return nil }
            let live = status.gates.filter { $0.state != .offline }
            let holding = live.filter { ($0.health?.permitSeq ?? 0) >= guest.seq }
            guard !live.isEmpty, holding.count == live.count else { return nil }
            reported = true
            return String(
                format: "  guest permit %@ held by %d/%d gates (as their heartbeats report by this summary, %.1f s after the request)", guest.permitID,
                holding.count, live.count, Date().timeIntervalSince(guest.at))
        }
    }
}

/// The maximum-stay rule in the demo, on a schedule: a delivery van allowed 30 seconds inside
/// enters at an entry gate and leaves 38 s later by an exit gate (both reads typed in through
/// the gates' technician socket, as `bollardctl inject` does), and central raises the overstay
/// for review. Injected reads are never fines, so it waits in the queue as a review would.
struct DemoDelivery: Sendable {
    static let plate = "4321DVN"
    static let permitID = "P-DEMO-VAN"
    static let allowedSeconds = 30
    let entrySocket: String
    let entryGate: String
    let exitSocket: String
    let exitGate: String

    /// The van's permit: a delivery of the demo's shop.
    static func permit(zone: ZoneID, now: Date) -> Permit {
        Permit(
            id: permitID, plate: PlateText(plate)!, profile: .delivery, zones: [zone], validFrom: now.addingTimeInterval(-3_600),
            maxStaySeconds: allowedSeconds, holder: DemoCitizens.shop)
    }

    /// Which gates play the scene: the first generator entry gate and the first exit gate; nil with too few gates.
    static func gates(count: Int, cameraGates: Int, folder: (String) -> String) -> DemoDelivery? {
        let numbers = Array(1...max(1, count))
        guard let entry = numbers.first(where: { $0 % 5 != 0 && $0 > cameraGates }), let exit = numbers.first(where: { $0 % 5 == 0 }) else {
            return nil
        }
        let entryID = String(format: "gate-%02d", entry)
        let exitID = String(format: "gate-%02d", exit)
        return DemoDelivery(entrySocket: folder(entryID) + "/edge.sock", entryGate: entryID, exitSocket: folder(exitID) + "/edge.sock", exitGate: exitID)
    }

    func enter() -> String {
        inject(at: entrySocket)
            ?? "  delivery van \(Self.plate) (\(DemoCitizens.shop), \(Self.allowedSeconds) s inside allowed) entered by \(entryGate)"
    }

    func leave(after seconds: Double) -> String {
        inject(at: exitSocket)
            ?? String(
                format: "  delivery van %@ left by %@ after %.0f s: central pairs it with its entry and raises an overstay for review",
                Self.plate, exitGate, seconds)
    }

    /// Nil when the gate took the read; else why not.
    private func inject(at socket: String) -> String? {
        let line = String(decoding: WireCodec.encode(DiagnosticsRequest.inject(plate: Self.plate, confidence: 0.99)), as: UTF8.self)
        do {
            let answer = try UnixLineClient.request(path: socket, line: line)
            let reply = try JSONDecoder().decode(DiagnosticsReply.self, from: Data(answer.utf8))
            return reply.ok ? nil : "  delivery van read refused by the gate: \(reply.error ?? "?")"
        } catch {
            return "  delivery van read not delivered to \(socket): \(error)"
        }
    }
}
