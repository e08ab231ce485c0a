import Foundation
import Hummingbird

/// An error answered as `application/problem+json` (RFC 9457): status, title, detail.
public struct Problem: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var detail: String

    public init(_ status: HTTPResponse.Status, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    public static func unauthorised(_ detail: String = "send Authorization: Bearer <token>") -> Problem { Problem(.unauthorized, detail) }
    public static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, detail) }
    public static func notFound(_ detail: String) -> Problem { Problem(.notFound, detail) }
    public static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: [String: String] = ["type": "about:blank", "title": status.reasonPhrase, "status": String(status.code), "detail": detail]
        var json = (try? JSONEncoder().encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // `status` is a number in problem+json.
        json = json.replacingOccurrences(of: "\"status\":\"\(status.code)\"", with: "\"status\":\(status.code)")
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
