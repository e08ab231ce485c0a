import BollardSupport
import Crypto
import Foundation

/// A gate's (or central's) Ed25519 signing key, kept in a file beside its
/// CURVE key. Created on first run, 0600; the public half is what central
/// registers with the gate, and what an evidence verifier is given.
///
/// Format (lines; '#' starts a comment):
/// ```
/// signing-public-key = "<44 base64 characters>"
/// signing-secret-key = "<44 base64 characters>"
/// ```
public struct SigningKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }
    /// The raw 32-byte public key in base64: how it is registered and printed.
    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    public init(privateKey: Curve25519.Signing.PrivateKey = .init()) {
        self.privateKey = privateKey
    }

    /// Why a key file or a printed public key could not be used.
    public struct KeyError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "signing key \(path): \(reason)" }
    }

    /// Reads the key at `path`, or creates it (0600) when there is no file yet.
    /// An existing file that others may read, or that does not parse, is an
    /// error: a gate must not start signing with a new key silently.
    public static func loadOrCreate(path: String) throws -> SigningKey {
        if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
        let key = SigningKey()
        let text = """
            # Bollard Ed25519 signing key: the gate signs every event with it. Keep it secret.
            signing-public-key = "\(key.publicKeyBase64)"
            signing-secret-key = "\(key.privateKey.rawRepresentation.base64EncodedString())"

            """
        try PrivateFiles.writeNewFile(atPath: path, data: Data(text.utf8), mode: 0o600)
        return key
    }

    /// Reads an existing secret key file, refusing one that group or others may read.
    public static func load(path: String) throws -> SigningKey {
        try PrivateFiles.checkPrivate(path: path)
        let values = try fields(path: path)
        guard let secret = values["signing-secret-key"], let raw = Data(base64Encoded: secret), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw KeyError(path: path, reason: "no 32-byte signing-secret-key in base64") }
        if let printed = values["signing-public-key"], printed != key.publicKey.rawRepresentation.base64EncodedString() {
            throw KeyError(path: path, reason: "signing-public-key does not belong to signing-secret-key")
        }
        return SigningKey(privateKey: key)
    }

    /// A public key from a file: either a key file as above (its public line)
    /// or a file holding just the 44-character base64 key.
    public static func publicKey(path: String) throws -> Curve25519.Signing.PublicKey {
        let values = try fields(path: path)
        guard let text = values["signing-public-key"], let key = publicKey(base64: text) else {
            throw KeyError(path: path, reason: "no 32-byte signing-public-key in base64")
        }
        return key
    }

    /// A raw 32-byte public key in base64, or nil when it is not one.
    public static func publicKey(base64 text: String) -> Curve25519.Signing.PublicKey? {
        guard let raw = Data(base64Encoded: text), raw.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    private static func fields(path: String) throws -> [String: String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw KeyError(path: path, reason: "cannot read (\(error.localizedDescription))")
        }
        var values: [String: String] = [:]
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            // A bare key: 44 base64 characters, which end in "=" (32 bytes pad to 44).
            if line.count == 44, !line.contains(" "), publicKey(base64: line) != nil {
                values["signing-public-key"] = line
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return values
    }
}
