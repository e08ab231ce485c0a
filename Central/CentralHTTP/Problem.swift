import Foundation
import Hummingbird

/// An error answered as `application/problem+json` (RFC 9457): status, title, detail, and for
/// validation errors the fields to blame, each with its reason (`errors`), so that an app's
/// developer knows what to correct without reading our code.
public struct Problem: HTTPResponseError, Sendable {
    /// One field a request got wrong (`plate`, `zones[2]`, `Idempotency-Key`); `line` for files.
    public struct FieldError: Sendable, Encodable, Equatable {
        public var field: String
        public var reason: String
        public var line: Int?

        public init(field: String, reason: String, line: Int? = nil) {
            self.field = field
            self.reason = reason
            self.line = line
        }
    }

    public var status: HTTPResponse.Status
    public var detail: String
    public var errors: [FieldError]

    public init(_ status: HTTPResponse.Status, _ detail: String, errors: [FieldError] = []) {
        self.status = status
        self.detail = detail
        self.errors = errors
    }

    public static func unauthorised(_ detail: String = "send Authorization: Bearer <token>") -> Problem { Problem(.unauthorized, detail) }
    public static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, detail) }
    public static func notFound(_ detail: String) -> Problem { Problem(.notFound, detail) }
    public static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail) }
    /// A value the request got wrong: 422, the field named in `detail` and in `errors`.
    public static func invalid(field: String, _ reason: String) -> Problem {
        Problem(.unprocessableContent, "\(field): \(reason)", errors: [FieldError(field: field, reason: reason)])
    }

    private struct Body: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var errors: [FieldError]?
    }

    /// The problem document's bytes.
    public var body: Data {
        let document = Body(title: status.reasonPhrase, status: Int(status.code), detail: detail, errors: errors.isEmpty ? nil : errors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(document)) ?? Data("{}".utf8)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
