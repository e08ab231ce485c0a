import Foundation

/// Permits indexed for the gate's hot path: exact plate → permits, and confusion key → permits.
///
/// Built to hold a city-wide set on a small gate unit: 1,000,000 permits in well under
/// 128 MB, each lookup a hash probe. Permits live in one array of compact entries
/// (plates packed into 64-bit codes, zone lists and time-window lists interned, since a
/// city has few distinct ones); three open-addressing tables of 32-bit slot numbers find
/// them by id, by plate and by confusion key, and permits sharing a plate or a key are
/// chained through their entries. A `Permit` is rebuilt only for the few a lookup returns.
/// (Dictionaries of `Permit` arrays took 461 MiB for the same set.)
public struct PermitIndex: Sendable {
    /// One permit, compactly; `nil`-able fields use sentinels.
    struct Entry: Sendable {
        var id: String
        var holder: String
        var plate: UInt64
        var key: UInt64
        var seq: Int64
        var validFromMs: Int64
        /// `Int64.max`: open-ended.
        var validUntilMs: Int64
        var zones: UInt32
        var windows: UInt32
        /// -1: no maximum stay.
        var maxStay: Int32
        /// Next entry with the same plate / confusion key, or -1.
        var nextSamePlate: Int32
        var nextSameKey: Int32
        var profile: Profile
        var status: PermitStatus
    }

    private var entries: [Entry] = []
    /// Slots of removed entries, reused by the next insertions.
    private var free: [Int32] = []
    private var byID = SlotTable()
    /// Plate code → first entry of that plate's chain.
    private var byPlate = SlotTable()
    /// Confusion-key code → first entry of that key's chain.
    private var byKey = SlotTable()
    private var zoneLists = Interned<[ZoneID]>()
    private var windowLists = Interned<[TimeWindow]>()
    public private(set) var count = 0

    public init(_ permits: some Sequence<Permit> = [Permit]()) {
        let expected = permits.underestimatedCount
        entries.reserveCapacity(expected)
        byID.reserve(expected)
        byPlate.reserve(expected)
        byKey.reserve(expected)
        for permit in permits {
            upsert(permit)
        }
    }

    /// Inserts or replaces the permit with the same id (its plate may have changed).
    public mutating func upsert(_ permit: Permit) {
        remove(id: permit.id)
        let plate = PlateCode.encode(permit.plate.normalized)
        let key = PlateCode.encode(permit.plate.confusionKey)
        let entry = Entry(
            id: permit.id, holder: permit.holder, plate: plate, key: key, seq: permit.seq,
            validFromMs: Self.ms(permit.validFrom), validUntilMs: permit.validUntil.map(Self.ms) ?? .max,
            zones: zoneLists.index(of: permit.zones), windows: windowLists.index(of: permit.windows),
            maxStay: permit.maxStaySeconds.map { Int32(clamping: $0) } ?? -1, nextSamePlate: -1, nextSameKey: -1,
            profile: permit.profile, status: permit.status)
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            entries[Int(slot)] = entry
        } else {
            slot = Int32(entries.count)
            entries.append(entry)
        }
        count += 1
        insert(slot, hash: Self.hash(permit.id), into: \.byID, .id)
        append(slot, plate: plate)
        append(slot, key: key)
    }

    public mutating func remove(id: String) {
        let hash = Self.hash(id)
        guard let slot = byID.find(hash: hash, where: { entries[Int($0)].id == id }) else { return }
        remove(slot, hash: hash, from: \.byID, .id)
        detach(slot)
        entries[Int(slot)].id = ""
        entries[Int(slot)].holder = ""
        free.append(slot)
        count -= 1
    }

    public func permit(id: String) -> Permit? {
        byID.find(hash: Self.hash(id), where: { entries[Int($0)].id == id }).map { permit(at: $0) }
    }

    public func permits(for plate: PlateText) -> [Permit] {
        let code = PlateCode.encode(plate.normalized)
        guard var slot = byPlate.find(hash: Self.hash(code), where: { entries[Int($0)].plate == code }) else { return [] }
        var result: [Permit] = []
        while slot >= 0 {
            result.append(permit(at: slot, plate: plate))  // the caller's plate is this entry's: nothing to decode
            slot = entries[Int(slot)].nextSamePlate
        }
        return result
    }

    /// Permits whose plate has the same confusionKey but a different normalized text.
    public func confusablePermits(for plate: PlateText) -> [Permit] {
        let key = PlateCode.encode(plate.confusionKey)
        let exact = PlateCode.encode(plate.normalized)
        guard var slot = byKey.find(hash: Self.hash(key), where: { entries[Int($0)].key == key }) else { return [] }
        var result: [Permit] = []
        while slot >= 0 {
            if entries[Int(slot)].plate != exact { result.append(permit(at: slot)) }
            slot = entries[Int(slot)].nextSameKey
        }
        return result
    }

    /// Any order.
    public var all: [Permit] {
        var result: [Permit] = []
        result.reserveCapacity(count)
        for slot in entries.indices where !entries[slot].id.isEmpty { result.append(permit(at: Int32(slot))) }
        return result
    }

    // MARK: Entries and chains

    private func permit(at slot: Int32, plate: PlateText? = nil) -> Permit {
        let entry = entries[Int(slot)]
        return Permit(
            id: entry.id, plate: plate ?? PlateText(PlateCode.decode(entry.plate))!, profile: entry.profile, zones: zoneLists[entry.zones],
            validFrom: Self.date(entry.validFromMs), validUntil: entry.validUntilMs == .max ? nil : Self.date(entry.validUntilMs),
            windows: windowLists[entry.windows], maxStaySeconds: entry.maxStay < 0 ? nil : Int(entry.maxStay), status: entry.status,
            holder: entry.holder, seq: entry.seq)
    }

    /// Appends `slot` at the end of its plate's chain (lookups return permits in insertion order).
    private mutating func append(_ slot: Int32, plate: UInt64) {
        let hash = Self.hash(plate)
        guard var last = byPlate.find(hash: hash, where: { entries[Int($0)].plate == plate }) else {
            insert(slot, hash: hash, into: \.byPlate, .plate)
            return
        }
        while entries[Int(last)].nextSamePlate >= 0 { last = entries[Int(last)].nextSamePlate }
        entries[Int(last)].nextSamePlate = slot
    }

    private mutating func append(_ slot: Int32, key: UInt64) {
        let hash = Self.hash(key)
        guard var last = byKey.find(hash: hash, where: { entries[Int($0)].key == key }) else {
            insert(slot, hash: hash, into: \.byKey, .key)
            return
        }
        while entries[Int(last)].nextSameKey >= 0 { last = entries[Int(last)].nextSameKey }
        entries[Int(last)].nextSameKey = slot
    }

    /// Takes `slot` out of its plate and key chains; a chain head's successor takes its place in the table.
    private mutating func detach(_ slot: Int32) {
        let entry = entries[Int(slot)]
        let plateHash = Self.hash(entry.plate)
        if let head = byPlate.find(hash: plateHash, where: { entries[Int($0)].plate == entry.plate }) {
            if head == slot {
                remove(slot, hash: plateHash, from: \.byPlate, .plate)
                if entry.nextSamePlate >= 0 { insert(entry.nextSamePlate, hash: plateHash, into: \.byPlate, .plate) }
            } else {
                var previous = head
                while entries[Int(previous)].nextSamePlate != slot, entries[Int(previous)].nextSamePlate >= 0 {
                    previous = entries[Int(previous)].nextSamePlate
                }
                entries[Int(previous)].nextSamePlate = entry.nextSamePlate
            }
        }
        let keyHash = Self.hash(entry.key)
        if let head = byKey.find(hash: keyHash, where: { entries[Int($0)].key == entry.key }) {
            if head == slot {
                remove(slot, hash: keyHash, from: \.byKey, .key)
                if entry.nextSameKey >= 0 { insert(entry.nextSameKey, hash: keyHash, into: \.byKey, .key) }
            } else {
                var previous = head
                while entries[Int(previous)].nextSameKey != slot, entries[Int(previous)].nextSameKey >= 0 {
                    previous = entries[Int(previous)].nextSameKey
                }
                entries[Int(previous)].nextSameKey = entry.nextSameKey
            }
        }
        entries[Int(slot)].nextSamePlate = -1
        entries[Int(slot)].nextSameKey = -1
    }

    /// Which field of an entry a table is keyed by.
    private enum Field { case id, plate, key }

    private static func hash(of slot: Int32, _ field: Field, in entries: [Entry]) -> Int {
        switch field {
        case .id: hash(entries[Int(slot)].id)
        case .plate: hash(entries[Int(slot)].plate)
        case .key: hash(entries[Int(slot)].key)
        }
    }

    // The table is moved out while it changes, so that reading `entries` to rehash
    // neither overlaps the mutation of `self` nor copies either of them.
    private mutating func insert(_ slot: Int32, hash: Int, into table: WritableKeyPath<PermitIndex, SlotTable>, _ field: Field) {
        var moved = self[keyPath: table]
        self[keyPath: table] = SlotTable()
        moved.insert(slot, hash: hash) { [entries] in Self.hash(of: $0, field, in: entries) }
        self[keyPath: table] = moved
    }

    private mutating func remove(_ slot: Int32, hash: Int, from table: WritableKeyPath<PermitIndex, SlotTable>, _ field: Field) {
        var moved = self[keyPath: table]
        self[keyPath: table] = SlotTable()
        moved.remove(slot, hash: hash) { [entries] in Self.hash(of: $0, field, in: entries) }
        self[keyPath: table] = moved
    }

    // MARK: Hashes and times

    /// Deterministic within a process run (Swift's `Hasher` is seeded per process).
    static func hash(_ code: UInt64) -> Int {
        // Fibonacci hashing spreads consecutive plate codes over the table.
        Int(truncatingIfNeeded: code &* 0x9E37_79B9_7F4A_7C15)
    }

    static func hash(_ text: String) -> Int {
        var hasher = Hasher()
        hasher.combine(text)
        return hasher.finalize()
    }

    private static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    private static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}

/// A plate's normalized text (2…10 of 0-9, A-Z) packed into a `UInt64`: each
/// symbol in base 37 with digit values 1…36, so the length is implied and
/// every text has one code (37^10 < 2^53).
enum PlateCode {
    static func encode(_ text: String) -> UInt64 {
        var code: UInt64 = 0
        var scale: UInt64 = 1
        for byte in text.utf8 {
            let value: UInt64 = switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0")) + 1
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt64(byte - UInt8(ascii: "A")) + 11
            default: 0  // never: PlateText holds only these
            }
            code += value * scale
            scale *= 37
        }
        return code
    }

    static func decode(_ code: UInt64) -> String {
        // Written straight into the string's storage (at most 10 bytes: a small string, no heap).
        String(unsafeUninitializedCapacity: 10) { buffer in
            var rest = code
            var count = 0
            while rest > 0, count < 10 {
                let value = UInt8(rest % 37)
                buffer[count] = value <= 10 ? UInt8(ascii: "0") + value - 1 : UInt8(ascii: "A") + value - 11
                rest /= 37
                count += 1
            }
            return count
        }
    }
}

/// Values stored once and referred to by number (zone lists, time-window lists).
struct Interned<Value: Hashable & Sendable>: Sendable {
    private var values: [Value] = []
    private var numbers: [Value: UInt32] = [:]

    mutating func index(of value: Value) -> UInt32 {
        if let number = numbers[value] { return number }
        let number = UInt32(values.count)
        values.append(value)
        numbers[value] = number
        return number
    }

    subscript(number: UInt32) -> Value { values[Int(number)] }
}

/// An open-addressing hash table of entry slots (linear probing, backward-shift
/// deletion): 4 bytes per bucket, the keys themselves staying in the entries.
struct SlotTable: Sendable {
    private var buckets: [Int32] = []
    private var used = 0

    /// Sizes an empty table for `count` members up front (a bulk load rehashes nothing).
    mutating func reserve(_ count: Int) {
        if used == 0 { buckets = [Int32](repeating: -1, count: Self.capacity(for: count)) }
    }

    /// A power of two keeping the load at most 0.7.
    private static func capacity(for count: Int) -> Int {
        var capacity = 16
        while Double(count) > 0.7 * Double(capacity) { capacity <<= 1 }
        return capacity
    }

    func find(hash: Int, where matches: (Int32) -> Bool) -> Int32? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var index = hash & mask
        while true {
            let slot = buckets[index]
            if slot < 0 { return nil }
            if matches(slot) { return slot }
            index = (index + 1) & mask
        }
    }

    mutating func insert(_ slot: Int32, hash: Int, hashOf: (Int32) -> Int) {
        if buckets.isEmpty || Double(used + 1) > 0.7 * Double(buckets.count) {
            rehash(capacity: max(16, buckets.count * 2), hashOf: hashOf)
        }
        let mask = buckets.count - 1
        var index = hash & mask
        while buckets[index] >= 0 { index = (index + 1) & mask }
        buckets[index] = slot
        used += 1
    }

    /// Removes the bucket holding `slot` (found by `hash`), shifting later members of its cluster back.
    mutating func remove(_ slot: Int32, hash: Int, hashOf: (Int32) -> Int) {
        guard !buckets.isEmpty else { return }
        let mask = buckets.count - 1
        var index = hash & mask
        while buckets[index] != slot {
            if buckets[index] < 0 { return }
            index = (index + 1) & mask
        }
        buckets[index] = -1
        used -= 1
        var hole = index
        var next = (index + 1) & mask
        while buckets[next] >= 0 {
            let home = hashOf(buckets[next]) & mask
            // Move back when the hole lies cyclically between the member's home and its place.
            let distanceToHole = (hole - home) & mask
            let distanceToHere = (next - home) & mask
            if distanceToHole < distanceToHere {
                buckets[hole] = buckets[next]
                buckets[next] = -1
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    private mutating func rehash(capacity: Int, hashOf: (Int32) -> Int) {
        let old = buckets
        buckets = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for slot in old where slot >= 0 {
            var index = hashOf(slot) & mask
            while buckets[index] >= 0 { index = (index + 1) & mask }
            buckets[index] = slot
        }
    }
}
