import Foundation

/// A deterministic fleet for demos, benchmarks and tests: the same index
/// gives the same plate on every machine, so central can hold permits for
/// plates that simulated gates later "see" without sharing any file.
public enum DemoFleet {
    static let consonants = Array("BCDFGHJKLMNPRSTVWXYZ")

    /// A current-format Spanish plate, unique for index < 80,000,000.
    public static func plate(_ index: Int) -> String {
        let digits = index % 10_000
        let group = index / 10_000
        let letters = [group / 400 % 20, group / 20 % 20, group % 20].map { String(consonants[$0]) }.joined()
        return String(format: "%04d", digits) + letters
    }

    /// Index range of plates that hold permits in the demo; plates beyond it are strangers.
    public static let strangerOffset = 5_000_000

    /// A permit for fleet member `index`: mostly residents, with shopkeepers,
    /// delivery vans (loading hours), taxis, hotel guests and the rest mixed in.
    public static func permit(_ index: Int, zone: ZoneID, now: Date) -> Permit {
        let plate = PlateText(plate(index))!
        let weekdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday]
        var permit = Permit(
            id: String(format: "P%07d", index), plate: plate, profile: .resident, zones: [zone],
            validFrom: now.addingTimeInterval(-86_400 * 30), holder: "H\(index)")
        switch index % 20 {
        case 0, 1: permit.profile = .shopkeeper
        case 2, 3:
            permit.profile = .delivery
            permit.windows = [TimeWindow(days: weekdays, start: 7 * 60, end: 11 * 60)]
            permit.maxStaySeconds = 1800
        case 4: permit.profile = .taxi
        case 5:
            permit.profile = .hotelGuest
            permit.validFrom = now.addingTimeInterval(-86_400)
            permit.validUntil = now.addingTimeInterval(86_400 * 3)
        case 6: permit.profile = .emergency; permit.zones = ["*"]
        case 7: permit.profile = .publicService
        case 8: permit.profile = .disabilityBadge; permit.zones = ["*"]
        case 9:
            permit.profile = .temporary
            permit.validUntil = now.addingTimeInterval(86_400)
        default: break
        }
        return permit
    }
}
