import Domain
import Foundation

/// Turns messages into frames and back. Every failure to decode becomes a
/// `WireError` with a code a peer can act on; nothing a peer sends traps.
public enum WireCodec {
    private struct Header: Decodable {
        var v: Int
        var type: String
    }

    /// One frame holding the message as a UTF-8 JSON object.
    public static func encode(_ message: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our own messages always encode; a failure would be a programming error.
        do { return Array(try encoder.encode(message)) } catch {
            preconditionFailure("encoding \(type(of: message)) failed: \(error)")
        }
    }

    /// Decodes and checks every value against its range (docs/protocol.md, "Value ranges").
    public static func decodeGateMessage(_ frame: [UInt8]) throws(WireError) -> GateMessage {
        let message = try decode(GateMessage.self, frame)
        if let problem = message.rangeProblem { throw problem }
        return message
    }

    /// Decodes and checks the sequences and instants central sent against their ranges.
    public static func decodeCentralMessage(_ frame: [UInt8]) throws(WireError) -> CentralMessage {
        let message = try decode(CentralMessage.self, frame)
        if let problem = message.rangeProblem { throw problem }
        return message
    }

    /// The `type` of a frame, when it has one, to name it in error replies.
    public static func peekType(_ frame: [UInt8]) -> String? {
        guard frame.count <= ProtocolVersion.maxFrameBytes else { return nil }
        return (try? JSONDecoder().decode(Header.self, from: Data(frame))).map { LogText.escaped($0.type, limit: 40) }
    }

    private static func decode<M: Decodable>(_ type: M.Type, _ frame: [UInt8]) throws(WireError) -> M {
        guard frame.count <= ProtocolVersion.maxFrameBytes else {
            throw WireError(.tooLarge, "frame of \(frame.count) bytes exceeds \(ProtocolVersion.maxFrameBytes)")
        }
        let data = Data(frame)
        let decoder = JSONDecoder()
        let header: Header
        do { header = try decoder.decode(Header.self, from: data) } catch {
            throw WireError(.malformed, "not a JSON object with integer 'v' and string 'type'")
        }
        guard ProtocolVersion.supported.contains(header.v) else {
            throw WireError(.unsupportedVersion, "version \(header.v) not spoken; supported: \(ProtocolVersion.supported)")
        }
        let message: M
        do { message = try decoder.decode(M.self, from: data) } catch let error as WireError {
            throw error
        } catch let error as DecodingError {
            throw WireError(.malformed, "'\(LogText.escaped(header.type, limit: 40))': \(describe(error))")
        } catch {
            throw WireError(.malformed, "'\(LogText.escaped(header.type, limit: 40))': \(LogText.escaped("\(error)", limit: 200))")
        }
        // The decoder takes `1.0` for the integer 1; the protocol calls it malformed (§2).
        if let field = IntegerFields.firstFractional(in: frame) {
            throw WireError(.malformed, "'\(field)' must be an integer (no fraction or exponent)")
        }
        return message
    }

    /// A short, data-free description of a decoding error: the path and what was wrong.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(path(context)).\(key.stringValue)'"
        case .typeMismatch(_, let context): return "wrong type at '\(path(context))'"
        case .valueNotFound(_, let context): return "null at '\(path(context))'"
        case .dataCorrupted(let context): return "invalid value at '\(path(context))': \(context.debugDescription)"
        @unknown default: return "undecodable"
        }
    }
}
