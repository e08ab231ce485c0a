/// Why a vehicle may enter; some profiles carry rules of their own.
public enum Profile: String, Codable, CaseIterable, Sendable {
    case resident, shopkeeper, hotelGuest = "hotel_guest", delivery, taxi, emergency
    case publicService = "public_service", disabilityBadge = "disability_badge", temporary

    /// Emergency and public-service permits ignore time windows (they must be able to enter at any hour).
    public var ignoresTimeWindows: Bool {
        switch self {
        case .emergency, .publicService: true
        default: false
        }
    }
}
