/// Versions of the gate ⇄ central protocol (docs/protocol.md).
///
/// A gate announces every version it speaks in `hello`; central answers with
/// the highest one both speak, or an `unsupported_version` error.
public enum ProtocolVersion {
    /// The version this build speaks.
    public static let current = 1
    /// Every version this build can speak, highest first.
    public static let supported = [1]
    /// The document revision this build implements (docs/protocol.md): 4 adds
    /// the event seal, `signing_key` and the evidence messages; every revision-4
    /// field is optional, so revision-3 peers keep working.
    public static let revision = 4
    /// Most image bytes in one `evidence` message: base64 makes it 4/3 larger,
    /// well under `maxFrameBytes` with the envelope.
    public static let maxEvidenceChunkBytes = 256 << 10
    /// Largest message payload (the JSON object) either side accepts.
    public static let maxFrameBytes = 1 << 20
    /// CURVE wraps each message in a MESSAGE command: 8 bytes of command
    /// name, an 8-byte nonce, a 16-byte MAC and a flags byte.
    public static let curveOverheadBytes = 33
    /// `ZMQ_MAXMSGSIZE` for both sides. libzmq applies it to the encrypted
    /// frame, so it is the payload limit plus CURVE's overhead (rounded up):
    /// a legal message is never a silent disconnect, and anything between the
    /// two limits reaches the decoder and is answered `too_large`.
    public static let maxTransportFrameBytes = maxFrameBytes + 64
    /// Most bytes of permits central puts in one `changes` or `snapshot_page`
    /// message: half the frame limit, so the envelope always fits.
    public static let maxPageBytes = 512 << 10
    /// Most events a gate puts in one `events` message.
    public static let maxEventsPerBatch = 256
    /// Most permits in one `changes` or `snapshot_page` message.
    public static let maxPermitsPerPage = 2_000

    /// The highest version both sides speak, if any.
    public static func negotiate(_ offered: [Int]) -> Int? {
        supported.first { offered.contains($0) }
    }
}
