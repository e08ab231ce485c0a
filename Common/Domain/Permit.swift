import Foundation

/// The right of one plate to enter some zones at some times; everything a gate needs to judge an entry offline.
public struct Permit: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var plate: PlateText
    public var profile: Profile
    /// `"*"` means every zone.
    public var zones: [ZoneID]
    public var validFrom: Date
    /// nil = open-ended; validity is validFrom ≤ t < validUntil.
    public var validUntil: Date?
    /// Empty = any time.
    public var windows: [TimeWindow]
    /// Not checked by `validity`: a stay needs the entry time, which only the stay tracker knows.
    public var maxStaySeconds: Int?
    public var status: PermitStatus
    /// Opaque reference to the holder (no personal data).
    public var holder: String
    /// Global change sequence of the last change to this permit, so replicas apply changes in order.
    public var seq: Int64

    public init(
        id: String, plate: PlateText, profile: Profile, zones: [ZoneID], validFrom: Date,
        validUntil: Date? = nil, windows: [TimeWindow] = [], maxStaySeconds: Int? = nil,
        status: PermitStatus = .active, holder: String = "", seq: Int64 = 0
    ) {
        self.id = id
        self.plate = plate
        self.profile = profile
        self.zones = zones
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.windows = windows
        self.maxStaySeconds = maxStaySeconds
        self.status = status
        self.holder = holder
        self.seq = seq
    }

    /// Checks status, then dates, then zone, then time windows (unless the profile ignores them) and
    /// reports the first failure, so the reason recorded is the most fundamental one.
    public func validity(at instant: Date, zone: ZoneID, holidays: HolidayCalendar) -> PermitValidity {
        switch status {
        case .revoked: return .revoked
        case .suspended: return .suspended
        case .active: break
        }
        if instant < validFrom { return .notYetValid }
        if let validUntil, instant >= validUntil { return .expired }
        if !zones.contains(where: { $0 == zone || $0 == "*" }) { return .wrongZone }
        if windows.isEmpty || profile.ignoresTimeWindows { return .valid }
        let local = MadridTime.local(instant)
        let isHoliday = holidays.contains(local.date)
        return windows.contains { $0.contains(local, isHoliday: isHoliday) } ? .valid : .outsideTimeWindow
    }

    private enum CodingKeys: String, CodingKey {
        case id, plate, profile, zones, windows, status, holder, seq
        case validFromMs = "valid_from_ms"
        case validUntilMs = "valid_until_ms"
        case maxStayS = "max_stay_s"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            plate: try c.decode(PlateText.self, forKey: .plate),
            profile: try c.decode(Profile.self, forKey: .profile),
            zones: try c.decode([ZoneID].self, forKey: .zones),
            validFrom: Permit.date(ms: try c.decode(Int64.self, forKey: .validFromMs)),
            validUntil: try c.decodeIfPresent(Int64.self, forKey: .validUntilMs).map(Permit.date(ms:)),
            windows: try c.decode([TimeWindow].self, forKey: .windows),
            maxStaySeconds: try c.decodeIfPresent(Int.self, forKey: .maxStayS),
            status: try c.decode(PermitStatus.self, forKey: .status),
            holder: try c.decode(String.self, forKey: .holder),
            seq: try c.decode(Int64.self, forKey: .seq))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(plate, forKey: .plate)
        try c.encode(profile, forKey: .profile)
        try c.encode(zones, forKey: .zones)
        try c.encode(Permit.ms(validFrom), forKey: .validFromMs)
        try c.encodeIfPresent(validUntil.map(Permit.ms), forKey: .validUntilMs)
        try c.encode(windows, forKey: .windows)
        try c.encodeIfPresent(maxStaySeconds, forKey: .maxStayS)
        try c.encode(status, forKey: .status)
        try c.encode(holder, forKey: .holder)
        try c.encode(seq, forKey: .seq)
    }

    /// Integer Unix milliseconds: exact in every language, unlike floating-point seconds.
    private static func ms(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func date(ms: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(ms) / 1000)
    }
}
