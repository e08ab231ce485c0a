import Foundation

/// CURVE key files. The secret file holds both keys and is created 0600;
/// the public file holds only the public key, for registering at central.
///
/// Format (lines; '#' starts a comment):
/// ```
/// public-key = "<40 Z85 characters>"
/// secret-key = "<40 Z85 characters>"
/// ```
public struct KeyFile: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String?

    public init(publicKey: String, secretKey: String?) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "key file \(path): \(reason)" }
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// Reads a key file; a bare 40-character line is taken as a public key.
    public static func read(path: String) throws -> KeyFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ReadError(path: path, reason: "cannot read (\(error.localizedDescription))")
        }
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if !line.contains("="), line.count == 40 {
                values["public-key"] = line
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw ReadError(path: path, reason: "line \(number + 1) is not 'name = \"value\"'") }
            values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        guard let publicKey = values["public-key"], publicKey.count == 40 else {
            throw ReadError(path: path, reason: "no 40-character public-key")
        }
        if let secret = values["secret-key"], secret.count != 40 {
            throw ReadError(path: path, reason: "secret-key is not 40 characters")
        }
        return KeyFile(publicKey: publicKey, secretKey: values["secret-key"])
    }

    /// Reads a key file that must hold a secret key, refusing one that group or others may read
    /// (`PrivateFiles.ExposedSecret`): a service must not run on a key others may have copied.
    public static func readSecret(path: String) throws -> (publicKey: String, secretKey: String) {
        try PrivateFiles.checkPrivate(path: path)
        let file = try read(path: path)
        guard let secret = file.secretKey else { throw ReadError(path: path, reason: "no secret-key") }
        return (file.publicKey, secret)
    }

    /// Writes `<base>.key` (both keys, 0600 from its first byte, whatever the umask) and
    /// `<base>.pub` (public key, 0644). Refuses to overwrite an existing secret file.
    public static func writePair(base: String, publicKey: String, secretKey: String) throws {
        let secretPath = base + ".key"
        let publicPath = base + ".pub"
        guard !FileManager.default.fileExists(atPath: secretPath) else {
            throw ReadError(path: secretPath, reason: "exists; refusing to overwrite a secret key")
        }
        let secretText = "# Bollard CURVE key pair: keep secret\npublic-key = \"\(publicKey)\"\nsecret-key = \"\(secretKey)\"\n"
        do { try PrivateFiles.writeNewFile(atPath: secretPath, data: Data(secretText.utf8), mode: 0o600) } catch {
            throw ReadError(path: secretPath, reason: "cannot create (\(error))")
        }
        let publicText = "# Bollard CURVE public key\npublic-key = \"\(publicKey)\"\n"
        try? FileManager.default.removeItem(atPath: publicPath)
        do { try PrivateFiles.writeNewFile(atPath: publicPath, data: Data(publicText.utf8), mode: 0o644) } catch {
            throw ReadError(path: publicPath, reason: "cannot create (\(error))")
        }
    }
}
