import Foundation

/// What the recogniser saw: raw text (not yet normalised, so nothing is lost before the decision),
/// its confidence in 0...1, and the instant the decision is evaluated at.
public struct PlateRead: Sendable, Codable, Hashable {
    public var text: String
    public var confidence: Double
    public var at: Date

    public init(text: String, confidence: Double, at: Date) {
        self.text = text
        self.confidence = confidence
        self.at = at
    }
}
