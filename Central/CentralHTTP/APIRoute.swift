import CentralCore
import Hummingbird

/// One route of the JSON API and the permission it needs (nil: any valid token).
/// `ControlAPI.routes` is the list the router is built from and the tests walk.
public struct APIRoute: Sendable {
    public var method: HTTPRequest.Method
    /// Path under the site root, with `{name}` parameters.
    public var path: String
    public var permission: Permission?
    /// Whether the route needs a bearer token at all (the OpenAPI document does not).
    public var authenticated: Bool = true

    public init(method: HTTPRequest.Method, path: String, permission: Permission?, authenticated: Bool = true) {
        self.method = method
        self.path = path
        self.permission = permission
        self.authenticated = authenticated
    }
}

/// What an API route does once its token and permission were checked; `Actor` is who asks.
public typealias APIHandler = @Sendable (Request, ControlContext, Actor) async throws -> Response
