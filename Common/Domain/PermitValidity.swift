/// Why a permit does or does not count at a moment; recorded with a violation so a reviewer sees the reason.
public enum PermitValidity: String, Sendable, Codable {
    case valid, suspended, revoked
    case notYetValid = "not_yet_valid"
    case expired
    case wrongZone = "wrong_zone"
    case outsideTimeWindow = "outside_time_window"

    /// How close a failing permit came to counting (checks run status → dates → zone → window),
    /// so a violation cites the most telling permit when a plate holds several.
    var closeness: Int {
        switch self {
        case .revoked: 0
        case .suspended: 1
        case .expired: 2
        case .notYetValid: 3
        case .wrongZone: 4
        case .outsideTimeWindow: 5
        case .valid: 6
        }
    }
}
