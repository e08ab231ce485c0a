/// Administrative state of a permit, separate from its dates so a suspension can be lifted.
public enum PermitStatus: String, Codable, Sendable {
    case active, suspended, revoked
}
