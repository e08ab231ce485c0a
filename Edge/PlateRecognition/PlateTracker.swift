/// One vehicle's plate, voted over the frames in which it was read.
public struct VehicleRead: Sendable, Equatable {
    public var text: String
    public var characterConfidences: [Double]
    public var confidence: Double
    /// The frame whose read agrees with the vote and is the most confident.
    public var bestFrame: Int
    public var bestBox: PlateBox
    public var firstFrame: Int
    public var lastFrame: Int
    public var readCount: Int
}

/// Groups the reads of one vehicle across consecutive frames and emits one read per vehicle.
///
/// A read joins a track when its text is close to the track's (edit distance at
/// most 2) or its box overlaps the track's last box, and the track was seen within
/// `maxGapFrames`. A track whose vehicle has not been seen for longer is closed:
/// the reads of the most common length vote per character, weighted by confidence.
public final class PlateTracker {
    private struct Observation {
        var frame: Int
        var candidate: PlateCandidate
    }

    private struct Track {
        var observations: [Observation]
        var lastFrame: Int { observations.last!.frame }
        var lastBox: PlateBox { observations.last!.candidate.box }
    }

    public let maxGapFrames: Int
    public let minimumConfidence: Double
    private var tracks: [Track] = []

    public init(maxGapFrames: Int = 5, minimumConfidence: Double = 0.05) {
        self.maxGapFrames = maxGapFrames
        self.minimumConfidence = minimumConfidence
    }

    /// The first frame of the oldest track still open (nil when none is): frames
    /// before it can no longer become a vehicle's best frame.
    public var oldestOpenFrame: Int? {
        tracks.compactMap { $0.observations.first?.frame }.min()
    }

    /// Adds a frame's reads; returns the vehicles whose tracks closed before this frame.
    public func update(frame: Int, reads: [PlateCandidate]) -> [VehicleRead] {
        var closed: [VehicleRead] = []
        tracks.removeAll { track in
            if frame - track.lastFrame > maxGapFrames {
                if let read = Self.vote(track.observations) { closed.append(read) }
                return true
            }
            return false
        }
        var used = Set<Int>()
        for read in reads where read.confidence >= minimumConfidence && !read.text.isEmpty {
            var best = -1
            var bestCost = Int.max
            for (i, track) in tracks.enumerated() where !used.contains(i) {
                let last = track.observations.last!.candidate
                let distance = Self.editDistance(last.text, read.text)
                let overlaps = last.box.iou(read.box) > 0.1
                guard distance <= 2 || (overlaps && distance <= max(3, read.text.count / 2)) else { continue }
                let cost = distance * 10 + (overlaps ? 0 : 5)
                if cost < bestCost {
                    bestCost = cost
                    best = i
                }
            }
            if best >= 0 {
                tracks[best].observations.append(Observation(frame: frame, candidate: read))
                used.insert(best)
            } else {
                tracks.append(Track(observations: [Observation(frame: frame, candidate: read)]))
                used.insert(tracks.count - 1)
            }
        }
        return closed
    }

    /// Closes every open track (end of stream).
    public func flush() -> [VehicleRead] {
        defer { tracks.removeAll() }
        return tracks.compactMap { Self.vote($0.observations) }
    }

    private static func vote(_ observations: [Observation]) -> VehicleRead? {
        guard !observations.isEmpty else { return nil }
        var weightByLength: [Int: Double] = [:]
        for o in observations { weightByLength[o.candidate.text.count, default: 0] += o.candidate.confidence + 1e-3 }
        let length = weightByLength.max { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }!.key
        let voters = observations.filter { $0.candidate.text.count == length }
        let total = voters.reduce(0) { $0 + $1.candidate.confidence + 1e-3 }
        var text = ""
        var perChar: [Double] = []
        for i in 0..<length {
            var weights: [Character: Double] = [:]
            for o in voters {
                let c = Array(o.candidate.text)[i]
                let p = i < o.candidate.characterConfidences.count ? o.candidate.characterConfidences[i] : o.candidate.confidence
                weights[c, default: 0] += (o.candidate.confidence + 1e-3) * max(p, 1e-3)
            }
            let winner = weights.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
            let positionTotal = weights.values.reduce(0, +)
            text.append(winner.key)
            perChar.append(winner.value / positionTotal)
        }
        let agreeing = voters.filter { $0.candidate.text == text }
        let best = (agreeing.isEmpty ? voters : agreeing).max { $0.candidate.confidence < $1.candidate.confidence }!
        let agreement = agreeing.reduce(0) { $0 + $1.candidate.confidence + 1e-3 } / total
        // Agreement across frames raises trust in the voted text, never above the best single read.
        let confidence = agreeing.isEmpty ? perChar.min()! * best.candidate.confidence : best.candidate.confidence * (0.5 + 0.5 * agreement)
        return VehicleRead(
            text: text,
            characterConfidences: perChar,
            confidence: confidence,
            bestFrame: best.frame,
            bestBox: best.candidate.box,
            firstFrame: observations.first!.frame,
            lastFrame: observations.last!.frame,
            readCount: observations.count
        )
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
