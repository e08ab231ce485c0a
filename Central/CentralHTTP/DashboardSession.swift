import CentralCore
import Foundation

/// A person signed in to the dashboard with a token: held in memory, named by
/// an HttpOnly, SameSite=Strict cookie; its CSRF token goes into every form.
public struct DashboardSession: Sendable {
    public var id: String
    public var actor: Actor
    public var csrf: String
    public var expires: Date
}

/// The live sessions. A restart signs everyone out, which is acceptable for a control room.
public actor SessionStore {
    private var sessions: [String: DashboardSession] = [:]
    let lifetime: TimeInterval

    public init(lifetime: TimeInterval = 12 * 3600) { self.lifetime = lifetime }

    public func open(for actor: Actor) -> DashboardSession {
        let now = Date()
        sessions = sessions.filter { $0.value.expires > now }
        let session = DashboardSession(
            id: AccessToken.generate(), actor: actor, csrf: AccessToken.generate(), expires: now.addingTimeInterval(lifetime))
        sessions[session.id] = session
        return session
    }

    public func session(_ id: String) -> DashboardSession? {
        guard let session = sessions[id], session.expires > Date() else { return nil }
        return session
    }

    public func close(_ id: String) { sessions[id] = nil }
}
