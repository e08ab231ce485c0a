import CentralCore
import Evidence
import Foundation
import Hummingbird
import Logging

/// The control centre's HTTP side: the JSON API, the dashboard and `/metrics`,
/// over one `CentralStore`. SQL stays in the store; this only routes and renders.
public struct ControlCentre: Sendable {
    public let store: CentralStore
    public let audit: AuditLog
    public let sessions: SessionStore
    public let metrics: ControlMetrics
    public let cache: StatusCache
    /// The gates page's body, rendered once per status snapshot.
    let renderedGates = RenderedPage()
    let pages: DashboardPages
    /// API routes served beside the built-in ones, e.g. `GET /api/v1/violations/{id}/evidence`
    /// (`.downloadEvidence`) and `GET /api/v1/violations/export` (`.exportSanctions`).
    public let extraRoutes: [(APIRoute, APIHandler)]
    /// Central's Ed25519 key, countersigning evidence bundles; nil: evidence downloads answer 503.
    public let centralKey: SigningKey?

    public init(
        store: CentralStore, centralKey: SigningKey? = nil, metrics: ControlMetrics = ControlMetrics(),
        extraRoutes: [(APIRoute, APIHandler)] = []
    ) throws {
        self.extraRoutes = extraRoutes
        self.centralKey = centralKey
        self.store = store
        audit = AuditLog(store: store)
        sessions = SessionStore(store: store)
        self.metrics = metrics
        cache = StatusCache(store: store)
        pages = try DashboardPages()
    }

    /// Every API route, as `(method, path)`: what the OpenAPI test compares with the document.
    public var apiRoutes: [APIRoute] { ControlAPI.routes + CitizenAPI.routes + extraRoutes.map(\.0) }

    public func router() -> Router<ControlContext> {
        let router = Router(context: ControlContext.self)
        router.add(middleware: LatencyMiddleware(metrics: metrics))
        ControlAPI.register(on: router, centre: self)
        CitizenAPI.register(on: router, centre: self)
        Dashboard.register(on: router, centre: self)
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: try await metrics.scrape(store: store, cache: cache))))
        }
        return router
    }
}
