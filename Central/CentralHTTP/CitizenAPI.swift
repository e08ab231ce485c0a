import CentralCore
import Crypto
import Domain
import Foundation
import Hummingbird

/// The city's side of the API (issue 11): the citizens' app acting for one holder at a time,
/// operators deciding applications for temporary permits, and the council's systems keeping
/// holders and municipal registers. Routes are checked like every API route (token, then
/// permission); everything under `/holders/{holder}/` is scoped to that holder, and another
/// holder's permit or application answers 404 as if it did not exist.
enum CitizenAPI {
    static let routes: [APIRoute] = [
        APIRoute(method: .get, path: "/api/v1/holders/{holder}", permission: .actForHolder),
        APIRoute(method: .get, path: "/api/v1/holders/{holder}/permits", permission: .actForHolder),
        APIRoute(method: .get, path: "/api/v1/holders/{holder}/permits/{permit}", permission: .actForHolder),
        APIRoute(method: .put, path: "/api/v1/holders/{holder}/permits/{permit}/plate", permission: .actForHolder),
        APIRoute(method: .post, path: "/api/v1/holders/{holder}/permits/{permit}/end", permission: .actForHolder),
        APIRoute(method: .get, path: "/api/v1/holders/{holder}/vehicles", permission: .actForHolder),
        APIRoute(method: .post, path: "/api/v1/holders/{holder}/guests", permission: .actForHolder),
        APIRoute(method: .post, path: "/api/v1/holders/{holder}/deliveries", permission: .actForHolder),
        APIRoute(method: .get, path: "/api/v1/holders/{holder}/applications", permission: .actForHolder),
        APIRoute(method: .post, path: "/api/v1/holders/{holder}/applications", permission: .actForHolder),
        APIRoute(method: .get, path: "/api/v1/holders/{holder}/applications/{application}", permission: .actForHolder),
        APIRoute(method: .get, path: "/api/v1/applications", permission: .decideApplications),
        APIRoute(method: .post, path: "/api/v1/applications/{application}/approve", permission: .decideApplications),
        APIRoute(method: .post, path: "/api/v1/applications/{application}/refuse", permission: .decideApplications),
        APIRoute(method: .put, path: "/api/v1/registry/holders/{holder}", permission: .manageRegisters),
        APIRoute(method: .post, path: "/api/v1/registry/registers/{register}", permission: .manageRegisters),
        APIRoute(method: .get, path: "/api/v1/registry/permits.csv", permission: .manageRegisters),
        APIRoute(method: .post, path: "/api/v1/registry/holders.csv", permission: .manageRegisters),
        APIRoute(method: .get, path: "/api/v1/registry/holders.csv", permission: .manageRegisters),
        APIRoute(method: .get, path: "/api/v1/webhooks", permission: .viewWebhooks),
    ]

    /// What a handler answers; the idempotency wrapper keeps it to send again on a retry.
    struct Reply {
        var status: HTTPResponse.Status
        var contentType: String
        var body: Data

        static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Reply {
            Reply(status: status, contentType: "application/json", body: try ControlAPI.encoder.encode(value))
        }

        var response: Response {
            Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    typealias Handler = @Sendable (Request, ControlContext, Actor) async throws -> Reply

    static func handlers(_ centre: ControlCentre) -> [String: Handler] {
        let store = centre.store
        return [
            "GET /api/v1/holders/{holder}": { _, context, _ in
                let holder = try holder(context, store)
                let permits = try store.permits(holder: holder.id)
                return try .json(HolderView(holder, permits: permits, now: Date()))
            },
            "GET /api/v1/holders/{holder}/permits": { _, context, _ in
                let holder = try holder(context, store)
                return try .json(PermitList(items: try store.permits(holder: holder.id).map(PermitView.init)))
            },
            "GET /api/v1/holders/{holder}/permits/{permit}": { _, context, _ in
                let holder = try holder(context, store)
                let id = context.parameters.get("permit") ?? ""
                guard let permit = try store.permit(id: id, holder: holder.id) else { throw Problem.notFound("no permit \(id) for holder \(holder.id)") }
                return try .json(PermitView(permit))
            },
            "PUT /api/v1/holders/{holder}/permits/{permit}/plate": { request, context, _ in
                let body = try await ControlAPI.decode(PlateBody.self, request, context)
                let holder = try holder(context, store)
                return try .json(PermitView(try mapped { try store.replacePlate(holder: holder.id, permitID: context.parameters.get("permit") ?? "", plate: body.plate) }))
            },
            "POST /api/v1/holders/{holder}/permits/{permit}/end": { _, context, _ in
                let holder = try holder(context, store)
                return try .json(PermitView(try mapped { try store.endPermit(holder: holder.id, permitID: context.parameters.get("permit") ?? "") }))
            },
            "GET /api/v1/holders/{holder}/vehicles": { _, context, _ in
                let holder = try holder(context, store)
                return try .json(VehicleList(permits: try store.permits(holder: holder.id), now: Date()))
            },
            "POST /api/v1/holders/{holder}/guests": { request, context, _ in
                let body = try await ControlAPI.decode(GuestBody.self, request, context)
                let arrival = try date(body.arrival, field: "arrival")
                let departure = try date(body.departure, field: "departure")
                let holder = try holder(context, store)
                let permit = try mapped { try store.registerGuest(holder: holder.id, plate: body.plate, arrival: arrival, departure: departure) }
                return try .json(PermitView(permit), status: .created)
            },
            "POST /api/v1/holders/{holder}/deliveries": { request, context, _ in
                let body = try await ControlAPI.decode(DeliveryBody.self, request, context)
                let until = try body.until.map { try date($0, field: "until") }
                let holder = try holder(context, store)
                return try .json(PermitView(try mapped { try store.registerDelivery(holder: holder.id, plate: body.plate, until: until) }), status: .created)
            },
            "GET /api/v1/holders/{holder}/applications": { _, context, _ in
                let holder = try holder(context, store)
                return try .json(ApplicationList(items: try store.applications(holder: holder.id)))
            },
            "POST /api/v1/holders/{holder}/applications": { request, context, _ in
                let body = try await ControlAPI.decode(ApplicationBody.self, request, context)
                let from = try instant(body.validFrom, field: "valid_from")
                let until = try instant(body.validUntil, field: "valid_until")
                let holder = try holder(context, store)
                let application = try mapped {
                    try store.apply(holder: holder.id, plate: body.plate, zones: body.zones, from: from, until: until, reason: body.reason)
                }
                return try .json(application, status: .created)
            },
            "GET /api/v1/holders/{holder}/applications/{application}": { _, context, _ in
                let holder = try holder(context, store)
                let id = context.parameters.get("application") ?? ""
                guard let application = try store.application(id: id), application.holder == holder.id else {
                    throw Problem.notFound("no application \(id) for holder \(holder.id)")
                }
                return try .json(application)
            },
            "GET /api/v1/applications": { request, _, _ in
                var state: PermitApplication.State? = .pending
                if let text = request.uri.queryParameters.get("state") {
                    guard let parsed = PermitApplication.State(rawValue: String(text)) else {
                        throw Problem.invalid(field: "state", "one of \(PermitApplication.State.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    state = parsed
                }
                return try .json(ApplicationList(items: try store.applications(state: state)))
            },
            "POST /api/v1/applications/{application}/approve": { request, context, actor in
                let body = try await ControlAPI.decode(ReasonBody.self, request, context)
                let id = context.parameters.get("application") ?? ""
                return try .json(try mapped { try store.decideApplication(id: id, approve: true, reason: body.reason, by: actor) })
            },
            "POST /api/v1/applications/{application}/refuse": { request, context, actor in
                let body = try await ControlAPI.decode(ReasonBody.self, request, context)
                let id = context.parameters.get("application") ?? ""
                return try .json(try mapped { try store.decideApplication(id: id, approve: false, reason: body.reason, by: actor) })
            },
            "PUT /api/v1/registry/holders/{holder}": { request, context, actor in
                let body = try await ControlAPI.decode(HolderBody.self, request, context)
                let id = context.parameters.get("holder") ?? ""
                let holder = Holder(
                    id: id, kind: body.kind, zones: body.zones, guestQuota: body.guestQuota ?? 0, deliveryQuota: body.deliveryQuota ?? 0)
                try mapped { try store.saveHolder(holder) }
                try centre.audit.record(actor: actor, action: "holder.save", subject: id)
                return try .json(holder)
            },
            "POST /api/v1/registry/registers/{register}": { request, context, actor in
                try await register(request, context, actor, centre)
            },
            "GET /api/v1/registry/permits.csv": { request, _, _ in
                let register = request.uri.queryParameters.get("register").map { String($0) }
                return Reply(status: .ok, contentType: "text/csv; charset=utf-8", body: Data(PermitCSV.export(try store.permits(register: register)).utf8))
            },
            "POST /api/v1/registry/holders.csv": { request, context, actor in
                try await importHolders(request, context, actor, centre)
            },
            "GET /api/v1/registry/holders.csv": { _, _, _ in
                Reply(status: .ok, contentType: "text/csv; charset=utf-8", body: Data(HolderCSV.export(try store.holders()).utf8))
            },
            "GET /api/v1/webhooks": { _, _, _ in
                try .json(WebhookList(items: try store.webhooks().map(WebhookView.init)))
            },
        ]
    }

    static func register(on router: Router<ControlContext>, centre: ControlCentre) {
        let handlers = handlers(centre)
        for route in routes {
            guard let handler = handlers["\(route.method.rawValue) \(route.path)"] else {
                preconditionFailure("no handler for \(route.method) \(route.path)")
            }
            let creating = route.method == .post || route.method == .put
            router.on(
                RouterPath(route.path), method: route.method,
                use: ControlAPI.guarded(route.permission, centre: centre) { request, context, actor in
                    creating ? try await idempotent(request, context, actor, centre, handler) : try await handler(request, context, actor).response
                })
        }
    }

    // MARK: Idempotency

    /// Runs a creating request once per `Idempotency-Key`: a retry with the same key and the
    /// same request gets the first answer again (`Idempotent-Replayed: true`), the same key on
    /// another request gets 422, and one sent while the first is still running gets 409.
    /// Answers that are errors of the server are not kept, so a retry does the work again.
    static func idempotent(
        _ request: Request, _ context: ControlContext, _ actor: Actor, _ centre: ControlCentre, _ handler: Handler
    ) async throws -> Response {
        guard let key = request.headers[.init("Idempotency-Key")!] else { return try await handler(request, context, actor).response }
        guard (1...255).contains(key.count), key.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw Problem.invalid(field: "Idempotency-Key", "1 to 255 visible ASCII characters")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var hash = SHA256()
        hash.update(data: Data("\(request.method.rawValue) \(request.uri.path)?\(request.uri.query ?? "")\n".utf8))
        hash.update(data: Data(body.readableBytesView))
        let fingerprint = hash.finalize().map { String(format: "%02x", $0) }.joined()
        switch try centre.store.claimIdempotencyKey(actor: actor.name, key: key, fingerprint: fingerprint) {
        case .replay(let status, let contentType, let body):
            var response = Reply(status: .init(code: status), contentType: contentType, body: body).response
            response.headers[.init("Idempotent-Replayed")!] = "true"
            return response
        case .mismatch:
            throw Problem.invalid(field: "Idempotency-Key", "this key was already used for a different request; use a new key for a new request")
        case .inProgress:
            throw Problem(.conflict, "a request with this Idempotency-Key is still being processed; retry later")
        case .new:
            break
        }
        do {
            let reply = try await handler(request, context, actor)
            try centre.store.completeIdempotencyKey(actor: actor.name, key: key, status: Int(reply.status.code), contentType: reply.contentType, body: reply.body)
            return reply.response
        } catch let problem as Problem where problem.status.code < 500 {
            // A refusal is an answer too: the same request would be refused the same way.
            try centre.store.completeIdempotencyKey(
                actor: actor.name, key: key, status: Int(problem.status.code), contentType: "application/problem+json", body: problem.body)
            throw problem
        } catch {
            try? centre.store.releaseIdempotencyKey(actor: actor.name, key: key)
            throw error
        }
    }

    // MARK: Registers

    /// A municipal register file over HTTP: `?dry_run=true` says what would change; without it the
    /// file is applied in one transaction. A malformed file is refused whole, every bad line named.
    static func register(_ request: Request, _ context: ControlContext, _ actor: Actor, _ centre: ControlCentre) async throws -> Reply {
        let name = context.parameters.get("register") ?? ""
        if let problem = InputLimits.zoneIDProblem(name, field: "register") { throw Problem.invalid(field: problem.field, problem.reason) }
        let dryRun = isDryRun(request)
        let text = try await csvBody(request, limit: 64 * 1024 * 1024, header: PermitCSV.header)
        let permits: [Permit]
        do { permits = try PermitCSV.parse(text) } catch { throw refused(error) }
        let changes: RegisterChanges
        do {
            changes = dryRun ? try centre.store.planRegister(name, permits: permits) : try centre.store.applyRegister(name, permits: permits)
        } catch let error as RegisterError {
            throw Problem(.unprocessableContent, "the file is refused, nothing was applied", errors: error.problems.map { Problem.FieldError(field: "file", reason: $0) })
        }
        if !dryRun { try centre.audit.record(actor: actor, action: "register.apply", subject: name, reason: changes.summary) }
        return try .json(RegisterReport(register: name, dryRun: dryRun, changes: changes))
    }

    /// The register of holders as CSV: added and changed in one transaction, or with
    /// `?dry_run=true` only what would change; a malformed file is refused whole.
    static func importHolders(_ request: Request, _ context: ControlContext, _ actor: Actor, _ centre: ControlCentre) async throws -> Reply {
        let dryRun = isDryRun(request)
        let text = try await csvBody(request, limit: 16 * 1024 * 1024, header: HolderCSV.header)
        let holders: [Holder]
        do { holders = try HolderCSV.parse(text) } catch { throw refused(error) }
        let changes = try mapped { try centre.store.importHolders(holders, dryRun: dryRun) }
        if !dryRun { try centre.audit.record(actor: actor, action: "holders.import", subject: "holders", reason: changes.summary) }
        return try .json(HolderReport(dryRun: dryRun, added: changes.added, changed: changes.changed, unchanged: changes.unchanged, summary: changes.summary))
    }

    /// `?dry_run=true` (or `1`, `yes`): say what a file would change, write nothing.
    static func isDryRun(_ request: Request) -> Bool {
        ["true", "1", "yes"].contains(request.uri.queryParameters.get("dry_run").map { String($0).lowercased() } ?? "false")
    }

    /// A CSV file sent as the body: UTF-8 text of at most `limit` bytes.
    static func csvBody(_ request: Request, limit: Int, header: String) async throws -> String {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw Problem.invalid(field: "body", "the file must be UTF-8 CSV (\(header))")
        }
        return text
    }

    /// A file refused whole: 422, each bad line (the first 100) with its number and reason.
    static func refused(_ error: PermitCSV.ParseError) -> Problem {
        Problem(
            .unprocessableContent, "the file is refused, nothing was applied: \(error.problems.count) bad lines",
            errors: error.problems.prefix(100).map { Problem.FieldError(field: $0.field ?? "line", reason: $0.description, line: $0.line) })
    }

    struct HolderReport: Encodable {
        var dryRun: Bool
        var added: [String]
        var changed: [String]
        var unchanged: Int
        var summary: String
        enum CodingKeys: String, CodingKey {
            case added, changed, unchanged, summary
            case dryRun = "dry_run"
        }
    }

    // MARK: Helpers

    static func holder(_ context: ControlContext, _ store: CentralStore) throws -> Holder {
        let id = context.parameters.get("holder") ?? ""
        guard let holder = try store.holder(id: id) else { throw Problem.notFound("no holder \(id)") }
        return holder
    }

    /// The store's refusals as problems a developer can act on.
    @discardableResult
    static func mapped<T>(_ work: () throws -> T) throws -> T {
        do { return try work() } catch let error as HolderError {
            switch error {
            case .notFound(let what): throw Problem.notFound("no \(what)")
            case .invalid(let problem): throw Problem.invalid(field: problem.field, problem.reason)
            case .refused(let field, let reason):
                throw Problem(.conflict, error.description, errors: field.map { [Problem.FieldError(field: $0, reason: reason)] } ?? [])
            }
        }
    }

    static func date(_ text: String, field: String) throws -> LocalDate {
        guard let date = LocalDate(text) else { throw Problem.invalid(field: field, "a date YYYY-MM-DD") }
        return date
    }

    /// An instant as RFC 3339 (`2026-12-01T08:00:00+01:00`), or a Madrid day (`2026-12-01`: its midnight).
    static func instant(_ text: String, field: String) throws -> Date {
        if let day = LocalDate(text), let midnight = MadridTime.instant(day, hour: 0, minute: 0) { return midnight }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw Problem.invalid(field: field, "an RFC 3339 date-time (2026-12-01T08:00:00+01:00) or a date (2026-12-01)")
    }

    // MARK: Bodies and views

    struct PlateBody: Decodable { var plate: String }
    struct GuestBody: Decodable { var plate: String; var arrival: String; var departure: String }
    struct DeliveryBody: Decodable { var plate: String; var until: String? }
    struct ReasonBody: Decodable { var reason: String? }
    struct ApplicationBody: Decodable {
        var plate: String
        var validFrom: String
        var validUntil: String
        var reason: String
        var zones: [String]?
        enum CodingKeys: String, CodingKey {
            case plate, reason, zones
            case validFrom = "valid_from"
            case validUntil = "valid_until"
        }
    }
    struct HolderBody: Decodable {
        var kind: Holder.Kind
        var zones: [String]
        var guestQuota: Int?
        var deliveryQuota: Int?
        enum CodingKeys: String, CodingKey {
            case kind, zones
            case guestQuota = "guest_quota"
            case deliveryQuota = "delivery_quota"
        }
    }

    /// A permit as the app shows it: times as RFC 3339 as well as milliseconds, windows in words.
    struct PermitView: Encodable {
        var permit: Permit
        init(_ permit: Permit) { self.permit = permit }

        enum CodingKeys: String, CodingKey {
            case id, plate, profile, zones, status, seq, windows
            case validFrom = "valid_from"
            case validUntil = "valid_until"
            case maxStaySeconds = "max_stay_s"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(permit.id, forKey: .id)
            try c.encode(permit.plate.normalized, forKey: .plate)
            try c.encode(permit.profile.rawValue, forKey: .profile)
            try c.encode(permit.zones, forKey: .zones)
            try c.encode(permit.status.rawValue, forKey: .status)
            try c.encode(permit.seq, forKey: .seq)
            try c.encode(permit.windows.map(PermitCSV.windowText), forKey: .windows)
            try c.encode(rfc3339(permit.validFrom), forKey: .validFrom)
            try c.encode(permit.validUntil.map(rfc3339), forKey: .validUntil)
            try c.encode(permit.maxStaySeconds, forKey: .maxStaySeconds)
        }
    }

    struct PermitList: Encodable { var items: [PermitView] }

    struct HolderView: Encodable {
        var holder: Holder
        var activePermits: Int
        var guestsRegistered: Int
        var deliveriesRegistered: Int

        init(_ holder: Holder, permits: [Permit], now: Date) {
            self.holder = holder
            let current = permits.filter { $0.status == .active && ($0.validUntil ?? .distantFuture) > now }
            activePermits = current.count
            guestsRegistered = current.filter { $0.profile == .hotelGuest }.count
            deliveriesRegistered = current.filter { $0.profile == .delivery }.count
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, zones
            case guestQuota = "guest_quota"
            case deliveryQuota = "delivery_quota"
            case activePermits = "active_permits"
            case guestsRegistered = "guests_registered"
            case deliveriesRegistered = "deliveries_registered"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(holder.id, forKey: .id)
            try c.encode(holder.kind.rawValue, forKey: .kind)
            try c.encode(holder.zones, forKey: .zones)
            try c.encode(holder.guestQuota, forKey: .guestQuota)
            try c.encode(holder.deliveryQuota, forKey: .deliveryQuota)
            try c.encode(activePermits, forKey: .activePermits)
            try c.encode(guestsRegistered, forKey: .guestsRegistered)
            try c.encode(deliveriesRegistered, forKey: .deliveriesRegistered)
        }
    }

    /// The holder's vehicles: each plate with the permits that currently name it.
    struct VehicleList: Encodable {
        struct Vehicle: Encodable {
            var plate: String
            var permits: [String]
        }
        var items: [Vehicle]

        init(permits: [Permit], now: Date) {
            var byPlate: [String: [String]] = [:]
            for permit in permits where permit.status != .revoked && (permit.validUntil ?? .distantFuture) > now {
                byPlate[permit.plate.normalized, default: []].append(permit.id)
            }
            items = byPlate.keys.sorted().map { Vehicle(plate: $0, permits: byPlate[$0]!.sorted()) }
        }
    }

    struct ApplicationList: Encodable { var items: [PermitApplication] }

    struct RegisterReport: Encodable {
        var register: String
        var dryRun: Bool
        var changes: RegisterChanges
        enum CodingKeys: String, CodingKey {
            case register, added, changed, revoked, unchanged, summary
            case dryRun = "dry_run"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(register, forKey: .register)
            try c.encode(dryRun, forKey: .dryRun)
            try c.encode(changes.added.map(\.id), forKey: .added)
            try c.encode(changes.changed.map(\.id), forKey: .changed)
            try c.encode(changes.revoked, forKey: .revoked)
            try c.encode(changes.unchanged, forKey: .unchanged)
            try c.encode(changes.summary, forKey: .summary)
        }
    }

    struct WebhookView: Encodable {
        var webhook: Webhook
        init(_ webhook: Webhook) { self.webhook = webhook }
        enum CodingKeys: String, CodingKey {
            case id, url, topics, pending, failing
            case lastError = "last_error"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(webhook.id, forKey: .id)
            try c.encode(webhook.url, forKey: .url)
            try c.encode(webhook.topics, forKey: .topics)
            try c.encode(webhook.pending, forKey: .pending)
            try c.encode(webhook.failing, forKey: .failing)
            try c.encode(webhook.lastError, forKey: .lastError)
        }
    }

    struct WebhookList: Encodable { var items: [WebhookView] }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Europe/Madrid") ?? .gmt
        return formatter.string(from: date)
    }
}
