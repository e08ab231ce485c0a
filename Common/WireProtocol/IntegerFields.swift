/// Finds a JSON number with a fraction or an exponent (`1.0`, `1e3`) given for a field the protocol
/// defines as an integer. Foundation's JSONDecoder takes `1.0` as the integer 1, but docs/protocol.md §2
/// makes such a value `malformed`, and a peer must learn that rather than be silently rounded.
///
/// A single pass over the bytes, tracking only which key each value belongs to (for an array, the key
/// that holds it); malformed JSON is left for the decoder to report.
enum IntegerFields {
    /// Every field whose value is an integer or an array of integers, in any message of version 1.
    static let names: Set<String> = [
        "v", "version", "versions", "seq", "seqs", "at_ms", "permit_seq", "from_seq", "head_seq", "base_seq",
        "buffer_depth", "buffer_capacity", "dropped_authorised", "last_frame_ms", "disk_free_bytes", "clock_ms",
        "server_time_ms", "valid_from_ms", "valid_until_ms", "max_stay_s",
    ]

    /// The name of the first integer field holding a non-integer number, or nil.
    static func firstFractional(in frame: [UInt8]) -> String? {
        // Each open container: whether it is an object, and the key it sits under (its own current key for objects).
        var stack: [(isObject: Bool, key: String?)] = []
        var expectingKey = false
        var index = 0
        let count = frame.count
        while index < count {
            let byte = frame[index]
            switch byte {
            case UInt8(ascii: "{"):
                stack.append((true, nil))
                expectingKey = true
                index += 1
            case UInt8(ascii: "["):
                stack.append((false, stack.last?.key))
                expectingKey = false
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
                expectingKey = false
                index += 1
            case UInt8(ascii: ","):
                expectingKey = stack.last?.isObject ?? false
                index += 1
            case UInt8(ascii: "\""):
                var end = index + 1
                var bytes: [UInt8] = []
                while end < count, frame[end] != UInt8(ascii: "\"") {
                    if frame[end] == UInt8(ascii: "\\") { end += 1 }
                    if end < count, bytes.count < 32 { bytes.append(frame[end]) }
                    end += 1
                }
                if expectingKey, !stack.isEmpty {
                    stack[stack.count - 1].key = String(decoding: bytes, as: UTF8.self)
                    expectingKey = false
                }
                index = end + 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var fractional = false
                while index < count {
                    let digit = frame[index]
                    if digit == UInt8(ascii: ".") || digit == UInt8(ascii: "e") || digit == UInt8(ascii: "E") {
                        fractional = true
                    } else if !(digit == UInt8(ascii: "-") || digit == UInt8(ascii: "+") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit)) {
                        break
                    }
                    index += 1
                }
                if fractional, let key = stack.last?.key, names.contains(key) { return key }
            default:
                index += 1
            }
        }
        return nil
    }
}
