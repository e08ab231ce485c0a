import Crypto
import Foundation

/// A bearer token: 32 random bytes in base64url after the `bt_` prefix.
/// Printed once when created; the store keeps only its SHA-256.
public enum AccessToken {
    public static let prefix = "bt_"

    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + base64URL(Data(bytes))
    }

    /// What the store keeps of a token: its SHA-256, hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A token as listed: never the token itself.
public struct AccessTokenRecord: Codable, Sendable, Equatable {
    public var name: String
    public var role: AccessRole
    public var createdMilliseconds: Int64
    public var revokedMilliseconds: Int64?

    public var revoked: Bool { revokedMilliseconds != nil }

    enum CodingKeys: String, CodingKey {
        case name, role
        case createdMilliseconds = "created_ms"
        case revokedMilliseconds = "revoked_ms"
    }
}

/// Who is acting: a token's name and role. Every audit entry names one.
public struct Actor: Sendable, Equatable, Codable {
    public var name: String
    public var role: AccessRole
    public init(name: String, role: AccessRole) {
        self.name = name
        self.role = role
    }
}

/// Why a token was not created.
public enum AccessTokenError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case nameTaken(String)

    public var description: String {
        switch self {
        case .invalidName(let name): "token name '\(name)' must be 1-64 of a-z, A-Z, 0-9, '.', '_', '-', '@'"
        case .nameTaken(let name): "a token named '\(name)' already exists (revoke it first, or pick another name)"
        }
    }
}
