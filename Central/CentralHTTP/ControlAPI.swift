import CentralCore
import Evidence
import Domain
import Foundation
import Hummingbird

/// The JSON API under `/api/v1/`: every route needs a bearer token but the
/// OpenAPI document, and each names the permission it needs in `routes`.
enum ControlAPI {
    static let routes: [APIRoute] = [
        APIRoute(method: .get, path: "/api/v1/openapi.json", permission: nil, authenticated: false),
        APIRoute(method: .get, path: "/api/v1/gates", permission: .viewGates),
        APIRoute(method: .get, path: "/api/v1/violations", permission: .viewCases),
        APIRoute(method: .get, path: "/api/v1/reviews", permission: .viewCases),
        APIRoute(method: .get, path: "/api/v1/violations/{id}", permission: .viewCases),
        APIRoute(method: .post, path: "/api/v1/violations/{id}/confirm", permission: .review),
        APIRoute(method: .post, path: "/api/v1/violations/{id}/dismiss", permission: .review),
        APIRoute(method: .post, path: "/api/v1/violations/{id}/escalate", permission: .review),
        APIRoute(method: .get, path: "/api/v1/events/{id}/images/{role}", permission: .viewImages),
        APIRoute(method: .get, path: "/api/v1/audit", permission: .readAudit),
        APIRoute(method: .get, path: "/api/v1/violations/{id}/evidence", permission: .downloadEvidence),
        APIRoute(method: .get, path: "/api/v1/violations/export", permission: .exportSanctions),
    ]

    typealias Handler = APIHandler

    static func register(on router: Router<ControlContext>, centre: ControlCentre) {
        let handlers: [String: Handler] = [
            "GET /api/v1/gates": { _, _, _ in try json(await centre.cache.current().status) },
            "GET /api/v1/violations": { request, _, _ in try json(centre.store.cases(query(request, kind: .violation))) },
            "GET /api/v1/reviews": { request, _, _ in try json(centre.store.cases(query(request, kind: .review))) },
            "GET /api/v1/violations/{id}": { _, context, _ in
                let id = try caseID(context)
                guard let detail = try centre.store.caseDetail(id) else { throw Problem.notFound("no event \(id)") }
                return try json(detail)
            },
            "POST /api/v1/violations/{id}/confirm": { request, context, actor in
                let body = try await decode(ActionBody.self, request, context)
                return try json(act(.confirm(correctedPlate: body.plate), try caseID(context), actor, centre))
            },
            "POST /api/v1/violations/{id}/dismiss": { request, context, actor in
                let body = try await decode(ActionBody.self, request, context)
                return try json(act(.dismiss(reason: body.reason ?? ""), try caseID(context), actor, centre))
            },
            "POST /api/v1/violations/{id}/escalate": { request, context, actor in
                let body = try await decode(ActionBody.self, request, context)
                return try json(act(.escalate(reason: body.reason ?? ""), try caseID(context), actor, centre))
            },
            "GET /api/v1/events/{id}/images/{role}": { _, context, actor in
                try image(try caseID(context), role: context.parameters.get("role") ?? "", actor: actor, centre: centre)
            },
            "GET /api/v1/audit": { request, _, _ in
                let before = request.uri.queryParameters.get("before").flatMap { Int64($0) }
                let limit = min(max(1, request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 100), 500)
                let entries = try centre.audit.entries(beforeSeq: before, limit: limit)
                return try json(AuditPage(items: entries, nextBefore: entries.count == limit ? entries.last?.seq : nil))
            },
            "GET /api/v1/violations/{id}/evidence": { request, context, actor in
                try evidence(request, context, actor, centre)
            },
            "GET /api/v1/violations/export": { request, _, _ in
                guard let day = request.uri.queryParameters.get("day").flatMap({ LocalDate(String($0)) }) else {
                    throw Problem.badRequest("day must be YYYY-MM-DD")
                }
                let export = try ViolationExport.make(store: centre.store, day: day)
                switch request.uri.queryParameters.get("format").map { String($0) } ?? "csv" {
                case "csv":
                    return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: export.csv)))
                case "json":
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try export.json())))
                default: throw Problem.badRequest("format must be csv or json")
                }
            },
        ]
        router.get("/api/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        for route in routes where route.authenticated {
            guard let handler = handlers["\(route.method.rawValue) \(route.path)"] else {
                preconditionFailure("no handler for \(route.method) \(route.path)")
            }
            router.on(RouterPath(route.path), method: route.method, use: guarded(route.permission, centre: centre, handler))
        }
        // Routes other modules add (the evidence download, the sanctions export): same token and permission checks.
        for (route, handler) in centre.extraRoutes {
            router.on(RouterPath(route.path), method: route.method, use: guarded(route.permission, centre: centre, handler))
        }
    }

    /// Checks the bearer token and the route's permission before the handler runs:
    /// 401 without a valid token, 403 (and nothing done) without the permission.
    static func guarded(_ permission: Permission?, centre: ControlCentre, _ handler: @escaping Handler)
        -> @Sendable (Request, ControlContext) async throws -> Response
    {
        { request, context in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw Problem.unauthorised() }
            guard let actor = try centre.store.actor(forToken: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
                throw Problem.unauthorised("unknown or revoked token")
            }
            if let permission, !actor.role.may(permission) {
                throw Problem.forbidden("role \(actor.role.rawValue) may not \(permission.rawValue)")
            }
            var context = context
            context.actor = actor
            return try await handler(request, context, actor)
        }
    }

    /// The police download of a case's evidence bundle: a stated reason is required, and the
    /// download is in the audit log before a byte leaves.
    static func evidence(_ request: Request, _ context: ControlContext, _ actor: Actor, _ centre: ControlCentre) throws -> Response {
        guard let key = CaseID(context.parameters.get("id") ?? "") else { throw Problem.badRequest("an id is GATE~ORIGIN~SEQ") }
        let reason = (request.uri.queryParameters.get("reason").map { String($0) } ?? "").trimmingCharacters(in: .whitespaces)
        guard (1...500).contains(reason.count) else { throw Problem.badRequest("reason: say why the evidence is needed (1-500 characters)") }
        guard let centralKey = centre.centralKey else { throw Problem(.serviceUnavailable, "central has no signing key configured") }
        let bundle: Data
        do {
            bundle = try centre.store.evidenceBundle(for: key, issuedBy: actor.name, reason: reason, centralKey: centralKey)
        } catch CentralStore.EvidenceError.noSuchEvent {
            throw Problem.notFound("no event \(key)")
        } catch CentralStore.EvidenceError.notEvidence(_, let kind) {
            throw Problem(.unprocessableContent, "event \(key) is a \(kind): only violations and reviews have evidence")
        }
        try centre.audit.record(actor: actor, action: "evidence.download", subject: key.description, reason: reason)
        return Response(
            status: .ok,
            headers: [.contentType: "application/zip", .contentDisposition: "attachment; filename=\"evidence-\(key.seq).zip\""],
            body: .init(byteBuffer: ByteBuffer(bytes: bundle)))
    }

    struct ActionBody: Decodable {
        var plate: String?
        var reason: String?
    }

    struct AuditPage: Encodable {
        var items: [AuditEntry]
        var nextBefore: Int64?
        enum CodingKeys: String, CodingKey {
            case items
            case nextBefore = "next_before"
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ControlContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        // No body reads as `{}`: a route whose fields are all optional takes it, another names the missing field.
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw problem(error)
        } catch {
            throw Problem.badRequest("the body must be a JSON object")
        }
    }

    /// A body that does not decode, as the field to blame and why (`zones[1]: must be a string`).
    static func problem(_ error: DecodingError) -> Problem {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce(into: "") { text, key in
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(field: path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context):
            return .invalid(field: path(context.codingPath).isEmpty ? "body" : path(context.codingPath), "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalid(field: path(context.codingPath), "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return Problem.badRequest("the body must be a JSON object") }
            return .invalid(field: path(context.codingPath), "is not an accepted value")
        @unknown default:
            return Problem.badRequest("the body must be a JSON object")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: type == [String: Any].self ? "an object" : "a \(type)"
        }
    }

    static func caseID(_ context: ControlContext) throws -> CaseID {
        let text = context.parameters.get("id") ?? ""
        guard let id = CaseID(text) else { throw Problem.badRequest("an id is GATE~ORIGIN~SEQ") }
        return id
    }

    static func query(_ request: Request, kind: DecisionKind) throws -> CaseQuery {
        let parameters = request.uri.queryParameters
        var day: LocalDate?
        if let text = parameters.get("day") {
            guard let parsed = LocalDate(text) else { throw Problem.badRequest("day must be YYYY-MM-DD") }
            day = parsed
        }
        var state: CaseState?
        if let text = parameters.get("state") {
            guard let parsed = CaseState(rawValue: text) else {
                throw Problem.badRequest("state must be one of \(CaseState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        var limit = 50
        if let text = parameters.get("limit") {
            guard let parsed = Int(text), (1...CaseQuery.largestPage).contains(parsed) else {
                throw Problem.badRequest("limit must be 1-\(CaseQuery.largestPage)")
            }
            limit = parsed
        }
        return CaseQuery(kind: kind, day: day, gateID: parameters.get("gate"), state: state, cursor: parameters.get("cursor"), limit: limit)
    }

    static func act(_ command: CaseCommand, _ id: CaseID, _ actor: Actor, _ centre: ControlCentre) throws -> CaseDetail {
        do {
            let detail = try centre.store.act(command, on: id, by: actor)
            centre.metrics.reviewed(command)
            Task { await centre.cache.invalidate() }
            return detail
        } catch let error as CaseActionError {
            switch error {
            case .notFound: throw Problem.notFound(error.description)
            case .needsSupervisor: throw Problem.forbidden(error.description)
            case .alreadyDecided, .notACase, .notFineable: throw Problem(.conflict, error.description)
            case .invalidPlate, .plateNeeded, .reasonNeeded, .reasonTooLong: throw Problem(.unprocessableContent, error.description)
            }
        }
    }

    /// An event image, its read audited; 404 while the evidence store has none.
    static func image(_ id: CaseID, role: String, actor: Actor, centre: ControlCentre) throws -> Response {
        guard ["frame", "crop"].contains(role) else { throw Problem.notFound("image role is frame or crop") }
        guard let data = try centre.store.image(id, role: role) else { throw Problem.notFound("no \(role) image for \(id)") }
        try centre.audit.record(actor: actor, action: "image.read", subject: "\(id)/\(role)")
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
