import Foundation
import Domain

/// Test helpers: instants are written with explicit offsets and parsed by Foundation, an oracle
/// independent of MadridTime's arithmetic.
enum Fixtures {
    static func at(_ iso: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: iso) else {
            preconditionFailure("bad fixture instant \(iso)")
        }
        return date
    }

    static func plate(_ text: String) -> PlateText {
        guard let plate = PlateText(text) else { preconditionFailure("bad fixture plate \(text)") }
        return plate
    }

    static func date(_ iso: String) -> LocalDate {
        guard let date = LocalDate(iso) else { preconditionFailure("bad fixture date \(iso)") }
        return date
    }

    static let zone: ZoneID = "casco-viejo"
    static let entry = Gate(id: "cv-01", zone: zone, direction: .entry)
    static let exit = Gate(id: "cv-02", zone: zone, direction: .exit)
    static let longAgo = at("2020-01-01T00:00:00Z")

    /// Monday–Saturday, the loading-hours days.
    static let monToSat: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday]

    static func permit(
        _ id: String, plate text: String = "1234BCD", profile: Profile = .resident,
        zones: [ZoneID] = [zone], from: Date = longAgo, until: Date? = nil, windows: [TimeWindow] = [],
        status: PermitStatus = .active
    ) -> Permit {
        Permit(id: id, plate: plate(text), profile: profile, zones: zones, validFrom: from,
               validUntil: until, windows: windows, status: status)
    }
}
