/// Which way a gate's camera watches: only entries can be offences.
public enum Direction: String, Codable, Sendable {
    case entry, exit
}
