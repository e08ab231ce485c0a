import Foundation

/// What the recogniser saw: raw text (not yet normalised, so nothing is lost before the decision),
/// its confidence in 0...1, and the instant the decision is evaluated at
/// (for the camera path: when the kept frame was captured).
public struct PlateRead: Sendable, Codable, Hashable {
    public var text: String
    public var confidence: Double
    public var at: Date
    /// The camera path's best frame and plate box; never encoded (replay files carry none).
    public var evidence: ReadEvidence?
    /// Where the read came from; only camera and video reads can become fines.
    public var source: ReadSource = .unknown
    /// The recogniser's confidence in each character of `text`, when it reads character by
    /// character (the camera path); a reviewer sees which character is doubtful.
    public var characterConfidences: [Double]?

    public init(
        text: String, confidence: Double, at: Date, evidence: ReadEvidence? = nil, source: ReadSource = .unknown,
        characterConfidences: [Double]? = nil
    ) {
        self.text = text
        self.confidence = confidence
        self.at = at
        self.evidence = evidence
        self.source = source
        self.characterConfidences = characterConfidences
    }

    enum CodingKeys: String, CodingKey {
        case text, confidence, at
    }
}
