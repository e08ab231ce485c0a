/// A camera access point; its zone decides which permits count and its direction whether a read can be an offence.
public struct Gate: Codable, Sendable, Hashable {
    public var id: String
    public var zone: ZoneID
    public var direction: Direction

    public init(id: String, zone: ZoneID, direction: Direction) {
        self.id = id
        self.zone = zone
        self.direction = direction
    }
}
