/// Versions of the gate ⇄ central protocol (docs/protocol.md).
///
/// A gate announces every version it speaks in `hello`; central answers with
/// the highest one both speak, or an `unsupported_version` error.
public enum ProtocolVersion {
    /// The version this build speaks.
    public static let current = 1
    /// Every version this build can speak, highest first.
    public static let supported = [1]
    /// Largest frame central accepts; libzmq drops a peer that sends more
    /// (`ZMQ_MAXMSGSIZE`), so a hostile frame never reaches the decoder.
    public static let maxFrameBytes = 1 << 20
    /// Most events a gate puts in one `events` message.
    public static let maxEventsPerBatch = 256
    /// Most permits in one `changes` or `snapshot_page` message.
    public static let maxPermitsPerPage = 2_000

    /// The highest version both sides speak, if any.
    public static func negotiate(_ offered: [Int]) -> Int? {
        supported.first { offered.contains($0) }
    }
}
