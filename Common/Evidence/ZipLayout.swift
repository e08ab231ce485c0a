import Foundation

/// A bounds check of a ZIP's directory before ZIPFoundation reads it: every
/// offset and size must lie inside the file, and no ZIP64 field may be used.
/// ZIPFoundation adds such offsets and sizes in unchecked 64-bit arithmetic,
/// which traps on hostile values; a bundle is small and never needs ZIP64.
enum ZipLayout {
    /// Why `data` is not a ZIP the verifier may hand to ZIPFoundation, or nil.
    static func problem(in data: Data) -> EvidenceProblem? {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int? { at >= 0 && at + 2 <= bytes.count ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : nil }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(at), let high = u16(at + 2) else { return nil }
            return low | high << 16
        }
        // The end-of-central-directory record: 22 bytes and a comment of up to 65535 bytes, at the end.
        guard bytes.count >= 22 else { return .notAZip }
        var end = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while end >= lowest, u32(end) != 0x0605_4b50 { end -= 1 }
        guard end >= lowest else { return .notAZip }
        guard let entries = u16(end + 10), let directorySize = u32(end + 12), let directoryStart = u32(end + 16) else { return .notAZip }
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryStart == 0xFFFF_FFFF || u32(max(0, end - 20)) == 0x0706_4b50 {
            return .archiveMalformed("it uses ZIP64")
        }
        guard directoryStart + directorySize <= end else { return .archiveMalformed("the central directory lies outside the file") }
        var at = directoryStart
        for _ in 0..<entries {
            guard u32(at) == 0x0201_4b50, let compressed = u32(at + 20), let uncompressed = u32(at + 24), let nameLength = u16(at + 28),
                let extraLength = u16(at + 30), let commentLength = u16(at + 32), let local = u32(at + 42)
            else { return .archiveMalformed("a central directory entry is cut short") }
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || local == 0xFFFF_FFFF { return .archiveMalformed("it uses ZIP64") }
            guard u32(local) == 0x0403_4b50, let localName = u16(local + 26), let localExtra = u16(local + 28),
                local + 30 + localName + localExtra + compressed <= directoryStart
            else { return .archiveMalformed("an entry lies outside the file") }
            at += 46 + nameLength + extraLength + commentLength
            guard at <= directoryStart + directorySize else { return .archiveMalformed("the central directory is longer than it says") }
        }
        return nil
    }
}
