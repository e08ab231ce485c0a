import Domain
import Foundation

/// The range of every field of every message (docs/protocol.md §3 and §4, "Value ranges"). A value
/// outside its range is answered `invalid` (a batch over its count `too_large`): a number that fits in
/// 64 bits is not therefore a time, a count or a sequence.
public enum WireRanges {
    /// Sequences and counts: the integers every JSON reader holds exactly (up to 2^53 − 1).
    public static let count: ClosedRange<Int64> = 0...InputLimits.largestInteger
    /// Event sequences start at 1.
    public static let eventSeq: ClosedRange<Int64> = 1...InputLimits.largestInteger
    /// Instants on the wire (`at_ms`, `clock_ms`, `last_frame_ms`, `server_time_ms`): 1970-01-01 to
    /// 2100-01-01. Wider than permits' dates (2000…2100, `InputLimits`) on purpose: a gate without a
    /// battery-backed clock starts in 1970 until NTP answers, and its reads must still reach central.
    public static let instantMilliseconds: ClosedRange<Int64> = 0...4_102_444_800_000
    /// Durations in seconds (`oldest_unsent_s`, `uptime_s`): 0 to 100 years.
    public static let seconds: ClosedRange<Double> = 0...3_155_760_000
    /// A gate's heartbeat interval, seconds (`heartbeat_s`): what a gate may be configured with, and more.
    public static let heartbeatSeconds: ClosedRange<Double> = 0.01...3600
    /// Reads per minute.
    public static let recognitionRate: ClosedRange<Double> = 0...1_000_000
    /// Protocol versions a hello may offer, and how many.
    public static let version: ClosedRange<Int> = 1...65_535
    public static let versionsOffered = 1...16
    /// `software` and `hello.gate_id`: free text, bounded; escaped wherever it is logged.
    public static let softwareLength = 1...64
    public static let claimedGateIDLength = 1...64

    static func problem(_ value: Int64, in range: ClosedRange<Int64>, _ field: String) -> String? {
        range.contains(value) ? nil : "\(field) must be within \(range.lowerBound)...\(range.upperBound)"
    }

    static func problem(_ value: Double, in range: ClosedRange<Double>, _ field: String) -> String? {
        value.isFinite && range.contains(value) ? nil : "\(field) must be a number within \(range.lowerBound)...\(range.upperBound)"
    }
}

extension GateMessage {
    /// Nil when every value is within its range, else the `WireError` to answer with.
    public var rangeProblem: WireError? {
        let problem: String?
        switch self {
        case .hello(let hello):
            problem = hello.problem
        case .sync(let from):
            problem = WireRanges.problem(from, in: WireRanges.count, "from_seq")
        case .snapshot(let after):
            problem = after.flatMap { InputLimits.permitIDLength.contains($0.count) ? nil : "after_id must be 1...64 characters" }
        case .events(let events, let origin):
            guard events.count <= ProtocolVersion.maxEventsPerBatch else {
                return WireError(.tooLarge, "at most \(ProtocolVersion.maxEventsPerBatch) events per message")
            }
            problem = Event.problem(inBatch: events) ?? origin.flatMap { Event.problem(inOrigin: $0) }
        case .heartbeat(let health):
            problem = health.problem
        case .evidence(let chunk):
            problem = chunk.problem
        }
        return problem.map { WireError(.invalid, $0) }
    }
}

extension GateMessage.Hello {
    var problem: String? {
        if !WireRanges.versionsOffered.contains(versions.count) || versions.contains(where: { !WireRanges.version.contains($0) }) {
            return "versions must hold 1...16 versions within 1...65535"
        }
        if !WireRanges.softwareLength.contains(software.count) { return "software must be 1...64 characters" }
        if let gateID, !WireRanges.claimedGateIDLength.contains(gateID.count) { return "gate_id must be 1...64 characters" }
        if let signingKey, signingKey.utf8.count != 44 { return "signing_key must be 32 bytes in base64 (44 characters)" }
        return WireRanges.problem(permitSeq, in: WireRanges.count, "permit_seq")
    }
}

extension GateHealth {
    /// Nil when every field is within its range (docs/protocol.md §3.4), else which is not.
    public var problem: String? {
        let checks: [String?] = [
            WireRanges.problem(permitSeq, in: WireRanges.count, "permit_seq"),
            WireRanges.problem(Int64(bufferDepth), in: WireRanges.count, "buffer_depth"),
            WireRanges.problem(Int64(bufferCapacity), in: WireRanges.count, "buffer_capacity"),
            WireRanges.problem(oldestUnsentSeconds, in: WireRanges.seconds, "oldest_unsent_s"),
            WireRanges.problem(droppedAuthorised, in: WireRanges.count, "dropped_authorised"),
            lastFrameMilliseconds.flatMap { WireRanges.problem($0, in: WireRanges.instantMilliseconds, "last_frame_ms") },
            WireRanges.problem(recognitionRate, in: WireRanges.recognitionRate, "recognition_rate"),
            // −1: the gate could not measure its disk.
            WireRanges.problem(diskFreeBytes, in: -1...InputLimits.largestInteger, "disk_free_bytes"),
            WireRanges.problem(clockMilliseconds, in: WireRanges.instantMilliseconds, "clock_ms"),
            WireRanges.problem(uptimeSeconds, in: WireRanges.seconds, "uptime_s"),
            heartbeatSeconds.flatMap { WireRanges.problem($0, in: WireRanges.heartbeatSeconds, "heartbeat_s") },
            WireRanges.softwareLength.contains(software.count) ? nil : "software must be 1...64 characters",
            (problems ?? []).count <= 8 && (problems ?? []).allSatisfy({ (1...300).contains($0.count) })
                ? nil : "problems: at most 8 strings of 1...300 characters",
        ]
        return checks.lazy.compactMap { $0 }.first
    }
}

extension CentralMessage {
    /// Nil when the numbers central sent are within their ranges. A gate checks sequences and instants
    /// only: permits' own limits are enforced where they are entered, and a gate that refused a page
    /// for a field limit would stop syncing altogether.
    public var rangeProblem: WireError? {
        let problem: String?
        switch self {
        case .welcome(let welcome):
            problem = WireRanges.problem(welcome.headSeq, in: WireRanges.count, "head_seq")
                ?? WireRanges.problem(welcome.serverTimeMilliseconds, in: WireRanges.instantMilliseconds, "server_time_ms")
                ?? welcome.holidaysSeq.flatMap { WireRanges.problem($0, in: WireRanges.count, "holidays_seq") }
        case .changes(let changes):
            problem = WireRanges.problem(changes.headSeq, in: WireRanges.count, "head_seq")
                ?? (changes.permits.count > ProtocolVersion.maxPermitsPerPage ? "at most \(ProtocolVersion.maxPermitsPerPage) permits" : nil)
                ?? changes.permits.lazy.compactMap { WireRanges.problem($0.seq, in: WireRanges.eventSeq, "permits[].seq") }.first
        case .snapshotPage(let page):
            problem = WireRanges.problem(page.baseSeq, in: WireRanges.count, "base_seq")
                ?? (page.permits.count > ProtocolVersion.maxPermitsPerPage ? "at most \(ProtocolVersion.maxPermitsPerPage) permits" : nil)
                ?? page.permits.lazy.compactMap { WireRanges.problem($0.seq, in: WireRanges.count, "permits[].seq") }.first
        case .snapshotRequired(let head):
            problem = WireRanges.problem(head, in: WireRanges.count, "head_seq")
        case .ack(let seqs):
            problem = seqs.count > ProtocolVersion.maxEventsPerBatch ? "at most \(ProtocolVersion.maxEventsPerBatch) seqs"
                : seqs.lazy.compactMap { WireRanges.problem($0, in: WireRanges.eventSeq, "seqs[]") }.first
        case .heartbeatAck(let head, let time, let holidays):
            problem = WireRanges.problem(head, in: WireRanges.count, "head_seq")
                ?? WireRanges.problem(time, in: WireRanges.instantMilliseconds, "server_time_ms")
                ?? holidays.flatMap { WireRanges.problem($0, in: WireRanges.count, "holidays_seq") }
        case .error:
            problem = nil
        case .evidenceAck(let ack):
            problem = WireRanges.problem(ack.seq, in: WireRanges.eventSeq, "seq")
                ?? WireRanges.problem(Int64(ack.nextOffset), in: 0...Int64(EventImageDigest.largestImage), "next_offset")
        }
        return problem.map { WireError(.invalid, $0) }
    }
}
