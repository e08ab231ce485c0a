import CentralCore

/// A failure of an administration command that is not a mistake in its arguments: printed as one
/// `Error:` line without the usage text, and the command exits non-zero.
enum AdminError: Error, CustomStringConvertible {
    case noPermit(String)
    case noGate(String)
    case unreadableFile(path: String, reason: String)
    /// The file was read, but some rows are bad; nothing was imported.
    case importRefused(path: String, PermitCSV.ParseError)
    /// The rows are good, but the register cannot take them (a permit another register owns); nothing was applied.
    case registerRefused(path: String, RegisterError)
    /// `--key` names no file and is not a key either.
    case notAKey(String)
    /// The key given is central's own: a gate holding central's secret key could pose as central.
    case centralKeyGiven

    var description: String {
        switch self {
        case .noPermit(let id): "no permit \(id)"
        case .noGate(let id): "no gate \(id)"
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .importRefused(let path, let error): "\(path): nothing imported\n\(error)"
        case .registerRefused(let path, let error): "\(path): nothing applied\n\(error)"
        case .notAKey(let given):
            "--key: no file \(given), and not a 40-character Z85 public key either"
        case .centralKeyGiven: "--key: that is central's own public key, not a gate's"
        }
    }
}
