/// Permits indexed for the gate's hot path: exact plate → permits, and confusion key → plates.
/// Every lookup is a dictionary access so it stays fast with 1,000,000 permits; a plate can hold several
/// permits (e.g. resident + delivery).
public struct PermitIndex: Sendable {
    /// Permit id → its normalized plate. Each permit is stored once, in `byPlate`: a second copy
    /// per id cost a third of the index's memory at 1,000,000 permits (701 → 461 MiB).
    private var byID: [String: String] = [:]
    /// Normalized plate → its permits: the hot path's one lookup.
    private var byPlate: [String: [Permit]] = [:]
    /// Confusion key → the distinct normalized plates that have permits.
    private var platesByKey: [String: [String]] = [:]

    public init(_ permits: some Sequence<Permit> = [Permit]()) {
        let expected = permits.underestimatedCount
        byID.reserveCapacity(expected)
        byPlate.reserveCapacity(expected)
        platesByKey.reserveCapacity(expected)
        for permit in permits {
            upsert(permit)
        }
    }

    public var count: Int { byID.count }

    /// Inserts or replaces the permit with the same id (its plate may have changed).
    public mutating func upsert(_ permit: Permit) {
        let plate = permit.plate.normalized
        if let oldPlate = byID.updateValue(plate, forKey: permit.id) {
            detach(id: permit.id, plate: oldPlate)
        }
        // Optional chaining mutates the stored array in place; nil means the plate is new to the index.
        if byPlate[plate]?.append(permit) == nil {
            byPlate[plate] = [permit]
            platesByKey[permit.plate.confusionKey, default: []].append(plate)
        }
    }

    public mutating func remove(id: String) {
        if let plate = byID.removeValue(forKey: id) {
            detach(id: id, plate: plate)
        }
    }

    public func permit(id: String) -> Permit? {
        byID[id].flatMap { plate in byPlate[plate]?.first { $0.id == id } }
    }

    public func permits(for plate: PlateText) -> [Permit] {
        byPlate[plate.normalized] ?? []
    }

    /// Permits whose plate has the same confusionKey but a different normalized text.
    public func confusablePermits(for plate: PlateText) -> [Permit] {
        guard let plates = platesByKey[plate.confusionKey] else { return [] }
        var result: [Permit] = []
        for other in plates where other != plate.normalized {
            result.append(contentsOf: byPlate[other] ?? [])
        }
        return result
    }

    /// Any order.
    public var all: [Permit] { byPlate.values.flatMap { $0 } }

    /// Drops a permit from the plate and confusion-key indexes (not from `byID`).
    private mutating func detach(id: String, plate: String) {
        guard var list = byPlate.removeValue(forKey: plate) else { return }
        list.removeAll { $0.id == id }
        if !list.isEmpty {
            byPlate[plate] = list
            return
        }
        guard let key = PlateText(plate)?.confusionKey else { return }
        if var plates = platesByKey.removeValue(forKey: key) {
            plates.removeAll { $0 == plate }
            if !plates.isEmpty { platesByKey[key] = plates }
        }
    }
}
