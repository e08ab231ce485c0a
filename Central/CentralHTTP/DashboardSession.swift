import CentralCore
import Foundation

/// A person signed in to the dashboard with a token, named by an HttpOnly,
/// SameSite=Strict cookie; its CSRF token goes into every form.
public struct DashboardSession: Sendable {
    public var id: String
    public var actor: Actor
    public var csrf: String
    public var expires: Date
}

/// The dashboard's sessions, kept in central's store (`CentralStore+Sessions`):
/// they outlive a restart, every instance on the same store shares them, and a
/// revoked token's sessions end at once.
public struct SessionStore: Sendable {
    let store: CentralStore
    let lifetime: TimeInterval

    public init(store: CentralStore, lifetime: TimeInterval = 12 * 3600) {
        self.store = store
        self.lifetime = lifetime
    }

    public func open(for actor: Actor) throws -> DashboardSession {
        let (id, stored) = try store.openSession(for: actor, lifetime: lifetime)
        return DashboardSession(id: id, actor: stored.actor, csrf: stored.csrf, expires: stored.expires)
    }

    public func session(_ id: String) throws -> DashboardSession? {
        try store.session(id: id).map { DashboardSession(id: id, actor: $0.actor, csrf: $0.csrf, expires: $0.expires) }
    }

    public func close(_ id: String) throws { try store.closeSession(id: id) }
}
