import CentralCore
import Hummingbird

/// A request's context: who is asking, once a bearer token or a session cookie said so.
public struct ControlContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the bearer check (API) or the session check (dashboard).
    public var actor: Actor?
    /// The dashboard session, when the request came with one.
    public var session: DashboardSession?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Small JSON bodies only: review actions carry a plate or a reason.
    public var maxUploadSize: Int { 64 * 1024 }
}
