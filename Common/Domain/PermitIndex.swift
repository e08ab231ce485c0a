/// Permits indexed for the gate's hot path: exact plate → permits, and confusion key → plates.
/// Every lookup is a dictionary access so it stays fast with 1,000,000 permits; a plate can hold several
/// permits (e.g. resident + delivery).
public struct PermitIndex: Sendable {
    private var byID: [String: Permit] = [:]
    /// Normalized plate → its permits (copies share storage with `byID`, so no second lookup on the hot path).
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
        if let old = byID.updateValue(permit, forKey: permit.id) {
            detach(old)
        }
        let plate = permit.plate.normalized
        // Optional chaining mutates the stored array in place; nil means the plate is new to the index.
        if byPlate[plate]?.append(permit) == nil {
            byPlate[plate] = [permit]
            platesByKey[permit.plate.confusionKey, default: []].append(plate)
        }
    }

    public mutating func remove(id: String) {
        if let old = byID.removeValue(forKey: id) {
            detach(old)
        }
    }

    public func permit(id: String) -> Permit? {
        byID[id]
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
    public var all: [Permit] { Array(byID.values) }

    /// Drops a permit from the plate and confusion-key indexes (not from `byID`).
    private mutating func detach(_ permit: Permit) {
        let plate = permit.plate.normalized
        guard var list = byPlate.removeValue(forKey: plate) else { return }
        list.removeAll { $0.id == permit.id }
        if !list.isEmpty {
            byPlate[plate] = list
            return
        }
        let key = permit.plate.confusionKey
        if var plates = platesByKey.removeValue(forKey: key) {
            plates.removeAll { $0 == plate }
            if !plates.isEmpty { platesByKey[key] = plates }
        }
    }
}
