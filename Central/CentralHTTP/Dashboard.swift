import CentralCore
import Domain
import Foundation
import Hummingbird

/// The server-rendered dashboard: sign-in with a token into a cookie session,
/// gates at a glance, the review queue, a case, the audit log. Every form
/// carries the session's CSRF token and a cross-site Origin is refused.
enum Dashboard {
    static let cookie = "bollard_session"

    static func register(on router: Router<ControlContext>, centre: ControlCentre) {
        router.get("/") { _, _ in Response.redirect(to: "/dashboard") }
        router.get("/login") { _, _ in html(centre.pages.render("login", ["title": "Sign in"])) }
        router.post("/login") { request, _ in
            guard sameOrigin(request) else { throw Problem.forbidden("cross-site request refused") }
            let form = try await formFields(request)
            guard let token = form["token"]?.trimmingCharacters(in: .whitespaces), let actor = try centre.store.actor(forToken: token) else {
                return html(centre.pages.render("login", ["title": "Sign in", "message": "Unknown or revoked token."]), status: .unauthorized)
            }
            let session = try centre.sessions.open(for: actor)
            var response = Response.redirect(to: actor.role.may(.viewGates) ? "/dashboard" : "/queue", type: .found)
            response.headers[.setCookie] = "\(cookie)=\(session.id); Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
            return response
        }
        router.post("/logout") { request, context in
            let session = try await signedIn(request, centre)
            try await checkForm(request, session)
            try centre.sessions.close(session.id)
            var response = Response.redirect(to: "/login", type: .found)
            response.headers[.setCookie] = "\(cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            return response
        }
        router.get("/dashboard") { request, _ in
            guard let session = try await session(request, centre) else { return Response.redirect(to: "/login") }
            guard session.actor.role.may(.viewGates) else { return Response.redirect(to: "/queue") }
            // The body is the same for everyone until the next snapshot: render it once per snapshot
            // (a render costs milliseconds; four at once on two cores made the page's p99 ~90 ms).
            let snapshot = try await centre.cache.current()
            let body = try await centre.renderedGates.body(for: snapshot.taken) {
                centre.pages.render("gatesbody", try gatesPage(snapshot, session))
            }
            var head = base(session, title: "Gates")
            head["refresh"] = 5
            return html(centre.pages.render("head", head) + body + centre.pages.render("foot", [:]))
        }
        router.get("/queue") { request, _ in
            guard let session = try await session(request, centre) else { return Response.redirect(to: "/login") }
            guard session.actor.role.may(.viewCases) else { throw Problem.forbidden("role \(session.actor.role.rawValue) may not viewCases") }
            return html(centre.pages.render("queue", try queuePage(centre, session, selected: request.uri.queryParameters.get("id").flatMap { CaseID(String($0)) })))
        }
        router.get("/cases/{id}") { request, context in
            guard let session = try await session(request, centre) else { return Response.redirect(to: "/login") }
            guard session.actor.role.may(.viewCases) else { throw Problem.forbidden("role \(session.actor.role.rawValue) may not viewCases") }
            guard let id = CaseID(context.parameters.get("id") ?? ""), let detail = try centre.store.caseDetail(id) else {
                throw Problem.notFound("no such event")
            }
            var page = base(session, title: "Case \(id)")
            page["detail"] = caseContext(detail, session)
            return html(centre.pages.render("case", page))
        }
        for action in ["confirm", "dismiss", "escalate"] {
            router.post("/cases/{id}/\(action)") { request, context in
                let session = try await signedIn(request, centre)
                let form = try await checkForm(request, session)
                guard session.actor.role.may(.review) else { throw Problem.forbidden("role \(session.actor.role.rawValue) may not review") }
                guard let id = CaseID(context.parameters.get("id") ?? "") else { throw Problem.notFound("no such event") }
                let command: CaseCommand =
                    switch action {
                    case "confirm": .confirm(correctedPlate: form["plate"].flatMap { $0.isEmpty ? nil : $0 })
                    case "dismiss": .dismiss(reason: form["reason"] ?? "")
                    default: .escalate(reason: form["reason"] ?? "")
                    }
                do {
                    _ = try ControlAPI.act(command, id, session.actor, centre)
                } catch let problem as Problem {
                    var page = try queuePage(centre, session, selected: id)
                    page["message"] = problem.detail
                    return html(centre.pages.render("queue", page), status: problem.status)
                }
                return Response.redirect(to: "/queue", type: .found)
            }
        }
        router.get("/dashboard/images/{id}/{role}") { request, context in
            let session = try await signedIn(request, centre)
            guard session.actor.role.may(.viewImages) else { throw Problem.forbidden("role \(session.actor.role.rawValue) may not viewImages") }
            guard let id = CaseID(context.parameters.get("id") ?? "") else { throw Problem.notFound("no such event") }
            return try ControlAPI.image(id, role: context.parameters.get("role") ?? "", actor: session.actor, centre: centre)
        }
        router.get("/applications") { request, _ in
            guard let session = try await session(request, centre) else { return Response.redirect(to: "/login") }
            return html(centre.pages.render("applications", try applicationsPage(centre, session)))
        }
        for decision in ["approve", "refuse"] {
            router.post("/applications/{id}/\(decision)") { request, context in
                let session = try await signedIn(request, centre)
                let form = try await checkForm(request, session)
                guard session.actor.role.may(.decideApplications) else {
                    throw Problem.forbidden("role \(session.actor.role.rawValue) may not decideApplications")
                }
                do {
                    _ = try CitizenAPI.mapped {
                        try centre.store.decideApplication(
                            id: context.parameters.get("id") ?? "", approve: decision == "approve", reason: form["reason"], by: session.actor)
                    }
                } catch let problem as Problem {
                    var page = try applicationsPage(centre, session)
                    page["message"] = problem.detail
                    return html(centre.pages.render("applications", page), status: problem.status)
                }
                return Response.redirect(to: "/applications", type: .found)
            }
        }
        router.get("/audit") { request, _ in
            guard let session = try await session(request, centre) else { return Response.redirect(to: "/login") }
            guard session.actor.role.may(.readAudit) else { throw Problem.forbidden("role \(session.actor.role.rawValue) may not readAudit") }
            var page = base(session, title: "Audit")
            page["entries"] = try centre.audit.entries(limit: 500).map {
                ["seq": $0.seq, "time": time($0.atMilliseconds), "actor": $0.actor, "role": $0.role, "action": $0.action, "subject": $0.subject,
                    "reason": $0.reason, "hash": String($0.hash.prefix(12))] as [String: Any]
            }
            return html(centre.pages.render("audit", page))
        }
    }

    // MARK: Pages

    static func base(_ session: DashboardSession, title: String) -> [String: Any] {
        [
            "title": title,
            "actor": ["name": session.actor.name, "role": session.actor.role.rawValue, "csrf": session.csrf,
                "supervisor": session.actor.role.may(.readAudit), "decider": session.actor.role.may(.decideApplications)] as [String: Any],
        ]
    }

    static func gatesPage(_ snapshot: StatusCache.Snapshot, _ session: DashboardSession) throws -> [String: Any] {
        let status = snapshot.status
        let now = snapshot.taken
        var page = base(session, title: "Gates")
        let counts = status.counts
        page["refresh"] = 5
        page["ok"] = counts.ok
        page["lagging"] = counts.lagging
        page["offline"] = counts.offline
        page["events"] = status.events.total
        page["violations"] = status.events.violations
        page["waiting"] = snapshot.waiting
        page["headSeq"] = status.headSeq
        page["centralDisk"] = snapshot.centralDiskFree < 0 ? "?" : String(format: "%.1f GB", Double(snapshot.centralDiskFree) / 1e9)
        // Below 1 GiB central is about to refuse events (gates keep them meanwhile).
        page["centralDiskLow"] = snapshot.centralDiskFree >= 0 && snapshot.centralDiskFree < 1 << 30
        page["webhooksFailing"] = snapshot.webhooks.map(\.failing).reduce(0, +)
        page["failingHooks"] = snapshot.webhooks.filter { $0.failing > 0 }.map {
            ["id": $0.id, "url": $0.url, "failing": $0.failing, "pending": $0.pending, "lastError": $0.lastError ?? "-"] as [String: Any]
        }
        page["gates"] = status.gates.map { gate -> [String: Any] in
            let health = gate.health
            let skew = health.map { Double($0.clockMilliseconds) / 1000 - (now.timeIntervalSince1970 - (gate.secondsSinceSeen ?? 0)) }
            return [
                "id": gate.gateID, "zone": gate.zone, "direction": gate.direction.rawValue, "state": gate.state.rawValue,
                "seen": gate.secondsSinceSeen.map { String(format: "%.0f s", $0) } ?? "never",
                "permitSeq": health.map { String($0.permitSeq) } ?? "-",
                "buffer": health.map { "\($0.bufferDepth)/\($0.bufferCapacity)" } ?? "-",
                "lastFrame": health?.lastFrameMilliseconds.map { String(format: "%.0f s ago", max(0, now.timeIntervalSince1970 - Double($0) / 1000)) } ?? "-",
                "rate": health.map { String(format: "%.1f", $0.recognitionRate) } ?? "-",
                "disk": health.map { String(format: "%.1f GB", Double($0.diskFreeBytes) / 1e9) } ?? "-",
                "skew": skew.map { String(format: "%+.1f s", $0) } ?? "-",
                "notes": gate.reasons.joined(separator: "; "),
            ]
        }
        let today = snapshot.day
        let hours = snapshot.hourly
        let peak = max(1, hours.map(\.passages).max() ?? 1)
        page["day"] = today.description
        page["chartWidth"] = 24 * 26
        page["bars"] = hours.enumerated().map { hour, count -> [String: Any] in
            let ph = Int(Double(count.passages) / Double(peak) * 120)
            let vh = Int(Double(count.violations) / Double(peak) * 120)
            return ["hour": hour, "x": hour * 26, "py": 125 - ph, "ph": ph, "vx": hour * 26 + 14, "vy": 125 - vh, "vh": vh,
                "passages": count.passages, "violations": count.violations]
        }
        return page
    }

    static func applicationsPage(_ centre: ControlCentre, _ session: DashboardSession) throws -> [String: Any] {
        guard session.actor.role.may(.decideApplications) else {
            throw Problem.forbidden("role \(session.actor.role.rawValue) may not decideApplications")
        }
        var page = base(session, title: "Applications")
        page["items"] = try centre.store.applications(state: .pending).map {
            ["id": $0.id, "holder": $0.holder, "plate": $0.plate, "zones": $0.zones.joined(separator: ", "), "from": time($0.validFromMilliseconds),
                "until": time($0.validUntilMilliseconds), "reason": $0.reason, "filed": time($0.createdMilliseconds), "csrf": session.csrf] as [String: Any]
        }
        return page
    }

    static func queuePage(_ centre: ControlCentre, _ session: DashboardSession, selected: CaseID?) throws -> [String: Any] {
        var page = base(session, title: "Review queue")
        var items: [CaseSummary] = []
        for state in [CaseState.escalated, .open] where state == .open || session.actor.role.may(.resolveEscalated) {
            for kind in [DecisionKind.review, .violation] {
                items += try centre.store.cases(CaseQuery(kind: kind, state: state, limit: 25)).items
            }
        }
        let chosen = selected ?? items.first?.id
        page["items"] = items.map { item -> [String: Any] in
            ["id": item.id.description, "plate": item.plate ?? "(unreadable)", "kind": item.kind, "gate": item.gateID,
                "time": time(item.atMilliseconds), "selected": item.id == chosen, "escalated": item.state == .escalated,
                "notFineable": !item.mayBecomeFine, "source": item.source.rawValue]
        }
        if let chosen, let detail = try centre.store.caseDetail(chosen) { page["detail"] = caseContext(detail, session) }
        return page
    }

    static func caseContext(_ detail: CaseDetail, _ session: DashboardSession) -> [String: Any] {
        let summary = detail.summary
        let actionable = summary.state == .open || (summary.state == .escalated && session.actor.role.may(.resolveEscalated))
        func permit(_ permit: Permit) -> [String: Any] { ["id": permit.id, "plate": permit.plate.normalized, "status": permit.status.rawValue] }
        var context: [String: Any] = [
            "id": summary.id.description, "plate": summary.plate ?? "(unreadable)", "kind": summary.kind, "gate": summary.gateID,
            "time": time(summary.atMilliseconds), "confidence": String(format: "%.2f", summary.confidence), "reason": summary.reason ?? "-",
            "state": summary.state.rawValue, "csrf": session.csrf, "open": actionable && session.actor.role.may(.review),
            "source": summary.source.rawValue, "fineable": summary.mayBecomeFine,
            "sourceWords": CaseActionError.origin(of: summary.source),
            "images": detail.images.map { ["id": summary.id.description, "role": $0.role] },
            "hasCandidates": !detail.candidatePermits.isEmpty,
            "candidates": detail.candidatePermits.map(permit),
            "actions": detail.actions.map {
                ["time": time($0.atMilliseconds), "actor": $0.actor, "role": $0.role, "action": $0.action, "plate": $0.plate ?? "",
                    "note": [$0.reason, $0.outcome].compactMap { $0 }.joined(separator: " · ")] as [String: Any]
            },
        ]
        if let found = detail.permit { context["permit"] = permit(found) }
        // Each character with the recogniser's confidence in it: the doubtful ones stand out.
        if let plate = summary.plate, let confidences = summary.characterConfidences, confidences.count == plate.count {
            context["hasChars"] = true
            context["chars"] = zip(plate, confidences).map { character, confidence -> [String: Any] in
                ["c": String(character), "pct": String(format: "%.0f", confidence * 100), "low": confidence < 0.9]
            }
        }
        return context
    }

    // MARK: Helpers

    static func time(_ milliseconds: Int64) -> String {
        let local = MadridTime.local(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return String(format: "%@ %02d:%02d:%02d", local.date.description, local.minuteOfDay / 60, local.minuteOfDay % 60, local.second)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .init("X-Frame-Options")!: "DENY"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func session(_ request: Request, _ centre: ControlCentre) async throws -> DashboardSession? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookie + "=") { return try centre.sessions.session(String(pair.dropFirst(cookie.count + 1))) }
        }
        return nil
    }

    static func signedIn(_ request: Request, _ centre: ControlCentre) async throws -> DashboardSession {
        guard let session = try await session(request, centre) else { throw Problem.unauthorised("sign in at /login") }
        return session
    }

    /// A browser sends Origin on a POST: it must be this site. No Origin (an old client) falls back to the CSRF token alone.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// The form's fields, after the Origin and CSRF checks.
    @discardableResult
    static func checkForm(_ request: Request, _ session: DashboardSession) async throws -> [String: String] {
        guard sameOrigin(request) else { throw Problem.forbidden("cross-site request refused") }
        let form = try await formFields(request)
        guard form["csrf"] == session.csrf else { throw Problem.forbidden("missing or wrong CSRF token: reload the page") }
        return form
    }

    static func formFields(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 16 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }
}
