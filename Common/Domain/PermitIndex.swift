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
///
/// The index keeps what a decision and the sync need; a permit's `holder` (an opaque
/// reference for central's records) stays in the gate's database, so permits the index
/// returns carry an empty holder.
public struct PermitIndex: Sendable {
    /// One permit, compactly; `nil`-able fields use sentinels.
    struct Entry: Sendable {
        var id: String
        var plate: UInt64
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

    /// An empty index sized for `count` permits (a bulk load then grows nothing).
    public init(reservingCapacity count: Int) {
        entries.reserveCapacity(count)
        byID.reserve(count)
        byPlate.reserve(count)
        byKey.reserve(count)
    }

    /// Inserts or replaces the permit with the same id (its plate may have changed).
    public mutating func upsert(_ permit: Permit) {
        remove(id: permit.id)
        let plate = PlateCode.encode(permit.plate.normalized)
        let key = PlateCode.encode(permit.plate.confusionKey)
        let entry = Entry(
            id: permit.id, plate: plate, seq: permit.seq,
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
        guard var slot = byKey.find(hash: Self.hash(key), where: { PlateCode.confusionKey(entries[Int($0)].plate) == key }) else { return [] }
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
            holder: "", seq: entry.seq)
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
        guard var last = byKey.find(hash: hash, where: { PlateCode.confusionKey(entries[Int($0)].plate) == key }) else {
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
        let key = PlateCode.confusionKey(entry.plate)
        let keyHash = Self.hash(key)
        if let head = byKey.find(hash: keyHash, where: { PlateCode.confusionKey(entries[Int($0)].plate) == key }) {
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
        case .key: hash(PlateCode.confusionKey(entries[Int(slot)].plate))
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

    /// The code of a plate's confusion key (`PlateText.confusionKey`), from the plate's code:
    /// entries keep only the plate, the key is this cheap to recompute.
    static func confusionKey(_ code: UInt64) -> UInt64 {
        var key: UInt64 = 0
        var scale: UInt64 = 1
        var rest = code
        while rest > 0 {
            let value = UInt8(rest % 37)
            let byte = PlateText.fold(value <= 10 ? UInt8(ascii: "0") + value - 1 : UInt8(ascii: "A") + value - 11)
            key += (byte <= UInt8(ascii: "9") ? UInt64(byte - UInt8(ascii: "0")) + 1 : UInt64(byte - UInt8(ascii: "A")) + 11) * scale
            scale *= 37
            rest /= 37
        }
        return key
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
/// deletion), 4 bytes per bucket: 26 bits of slot and 6 bits of the key's hash, so
/// that a probe passing other keys' buckets almost never reads their entries (each
/// such read is a cache miss on a large set; a lookup for a stranger's plate, which
/// finds nothing, would otherwise touch several). Any capacity, not only powers of
/// two (a hash's high bits pick the bucket); kept at most 60 % full.
struct SlotTable: Sendable {
    private var buckets: [UInt32] = []
    private var used = 0
    private static let maxLoad = 0.6
    private static let empty = UInt32.max
    private static let slotBits: UInt32 = 26
    private static let slotMask: UInt32 = (1 << slotBits) - 1
    /// 67 million permits: memory runs out on any gate long before.
    static let maxSlots = Int(slotMask)

    /// Sizes an empty table for `count` members up front (a bulk load rehashes nothing).
    mutating func reserve(_ count: Int) {
        if used == 0 { buckets = [UInt32](repeating: Self.empty, count: Self.capacity(for: count)) }
    }

    private static func capacity(for count: Int) -> Int { max(16, Int((Double(count) / maxLoad).rounded(.up)) + 1) }

    /// The bucket a hash starts probing at: the high half of hash × capacity.
    @inline(__always)
    private func home(_ hash: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(truncatingIfNeeded: hash).multipliedFullWidth(by: UInt64(buckets.count)).high)
    }

    /// Six bits of the hash other than those `home` mostly uses, in the bucket's top bits.
    @inline(__always)
    private static func tag(_ hash: Int) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 20) & 0x3F }

    @inline(__always)
    private static func bucket(_ slot: Int32, _ hash: Int) -> UInt32 { tag(hash) << slotBits | UInt32(slot) }

    func find(hash: Int, where matches: (Int32) -> Bool) -> Int32? {
        guard !buckets.isEmpty else { return nil }
        let tag = Self.tag(hash)
        var index = home(hash)
        while true {
            let bucket = buckets[index]
            if bucket == Self.empty { return nil }
            if bucket >> Self.slotBits == tag, matches(Int32(bucket & Self.slotMask)) { return Int32(bucket & Self.slotMask) }
            index += 1
            if index == buckets.count { index = 0 }
        }
    }

    mutating func insert(_ slot: Int32, hash: Int, hashOf: (Int32) -> Int) {
        precondition(Int(slot) < Self.maxSlots, "a permit index holds at most \(Self.maxSlots) permits")
        if Double(used + 1) > Self.maxLoad * Double(buckets.count) {
            rehash(capacity: Self.capacity(for: max(16, (used + 1) * 3 / 2)), hashOf: hashOf)
        }
        var index = home(hash)
        while buckets[index] != Self.empty {
            index += 1
            if index == buckets.count { index = 0 }
        }
        buckets[index] = Self.bucket(slot, hash)
        used += 1
    }

    /// Removes the bucket holding `slot` (found by `hash`), shifting later members of its cluster back.
    mutating func remove(_ slot: Int32, hash: Int, hashOf: (Int32) -> Int) {
        guard !buckets.isEmpty else { return }
        let capacity = buckets.count
        let wanted = Self.bucket(slot, hash)
        var index = home(hash)
        while buckets[index] != wanted {
            if buckets[index] == Self.empty { return }
            index = index + 1 == capacity ? 0 : index + 1
        }
        buckets[index] = Self.empty
        used -= 1
        var hole = index
        var next = index + 1 == capacity ? 0 : index + 1
        while buckets[next] != Self.empty {
            let home = home(hashOf(Int32(buckets[next] & Self.slotMask)))
            // Move back when the hole lies cyclically between the member's home and its place.
            let distanceToHole = (hole - home + capacity) % capacity
            let distanceToHere = (next - home + capacity) % capacity
            if distanceToHole < distanceToHere {
                buckets[hole] = buckets[next]
                buckets[next] = Self.empty
                hole = next
            }
            next = next + 1 == capacity ? 0 : next + 1
        }
    }

    private mutating func rehash(capacity: Int, hashOf: (Int32) -> Int) {
        let old = buckets
        buckets = [UInt32](repeating: Self.empty, count: capacity)
        for bucket in old where bucket != Self.empty {
            let slot = Int32(bucket & Self.slotMask)
            let hash = hashOf(slot)
            var index = home(hash)
            while buckets[index] != Self.empty {
                index += 1
                if index == capacity { index = 0 }
            }
            buckets[index] = Self.bucket(slot, hash)
        }
    }
}
