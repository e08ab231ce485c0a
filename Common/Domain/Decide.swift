/// The pure decision, evaluated at `read.at`. Rules, in order:
/// 1. Exit gate → .exitRecorded.
/// 2. Text does not normalise → .needsReview(.unreadable).
/// 3. Some permit for the exact plate is valid at (instant, gate.zone) → .authorised(smallest such id) whatever the
///    confidence: a match with a known plate cannot wrongly fine anybody.
/// 4. Some confusable permit (same confusionKey, different text) is valid → .needsReview(.confusionMatch(ids sorted)).
/// 5. Confidence < policy.confidentThreshold (or NaN) → .needsReview(.lowConfidence).
/// 6. Otherwise → .notAuthorised with the exact-plate permit that came closest to counting (status → dates →
///    zone → window; ties by smallest id) and its reason, else nil/nil.
public func decide(
    _ read: PlateRead, at gate: Gate, permits: PermitIndex, holidays: HolidayCalendar,
    policy: DecisionPolicy = .standard
) -> Decision {
    guard gate.direction == .entry else { return .exitRecorded }
    guard let plate = PlateText(read.text) else { return .needsReview(.unreadable) }

    var validID: String?
    var closest: (id: String, validity: PermitValidity)?
    for permit in permits.permits(for: plate) {
        let validity = permit.validity(at: read.at, zone: gate.zone, holidays: holidays)
        if validity == .valid {
            if validID.map({ permit.id < $0 }) ?? true { validID = permit.id }
        } else if isCloser(validity, permit.id, than: closest) {
            closest = (permit.id, validity)
        }
    }
    if let validID { return .authorised(permitID: validID) }

    let confusable = permits.confusablePermits(for: plate)
        .filter { $0.validity(at: read.at, zone: gate.zone, holidays: holidays) == .valid }
        .map(\.id)
    if !confusable.isEmpty {
        return .needsReview(.confusionMatch(permitIDs: confusable.sorted()))
    }

    // Written as "not ≥" so a NaN confidence goes to review rather than to a fine.
    if !(read.confidence >= policy.confidentThreshold) {
        return .needsReview(.lowConfidence(confidence: read.confidence))
    }
    return .notAuthorised(permitID: closest?.id, validity: closest?.validity)
}

/// Whether a failing permit beats the current choice for the violation record: more checks passed wins, then the
/// smaller id, so the result does not depend on index order.
private func isCloser(
    _ validity: PermitValidity, _ id: String, than current: (id: String, validity: PermitValidity)?
) -> Bool {
    guard let current else { return true }
    if validity.closeness != current.validity.closeness {
        return validity.closeness > current.validity.closeness
    }
    return id < current.id
}
