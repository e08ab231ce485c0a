#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plate layouts and the choice of a text from per-character probabilities.
///
/// Spanish layouts are preferred; a few widespread European ones help with
/// letter/digit confusions; any 4–8 characters holding at least one letter are
/// accepted as "other" but never reach a confident read on syntax alone.
public enum PlateLayout: String, Sendable, Codable {
    case spanish          // NNNN LLL, consonants only
    case spanishProvincial  // BI-1234-AB
    case european         // LL NNN LL, LL NN LLL (UK), N L[LN] NNNN (CZ), ...
    case other
}

struct PlatePattern {
    enum Slot { case digit, letter, consonant, any }
    let slots: [Slot]
    let layout: PlateLayout
    let prior: Float

    static let all: [PlatePattern] = {
        var p: [PlatePattern] = []
        let d = Slot.digit, l = Slot.letter, c = Slot.consonant
        p.append(PlatePattern(slots: [d, d, d, d, c, c, c], layout: .spanish, prior: 1.0))
        for a in 1...2 {
            for b in 1...2 {
                p.append(PlatePattern(slots: Array(repeating: l, count: a) + [d, d, d, d] + Array(repeating: l, count: b), layout: .spanishProvincial, prior: 0.9))
            }
        }
        p.append(PlatePattern(slots: [l, l, d, d, d, l, l], layout: .european, prior: 0.8))  // SK, IT, FR
        p.append(PlatePattern(slots: [l, l, d, d, l, l, l], layout: .european, prior: 0.8))  // GB
        p.append(PlatePattern(slots: [l, l, d, d, d, d, l, l], layout: .european, prior: 0.7))  // HR
        p.append(PlatePattern(slots: [l, l, d, d, d, d, d], layout: .european, prior: 0.6))  // PL
        p.append(PlatePattern(slots: [l, l, l, d, d, d], layout: .european, prior: 0.6))  // SE, FI, LT
        p.append(PlatePattern(slots: [l, l, l, d, d, d, d], layout: .european, prior: 0.5))  // former CS series
        p.append(PlatePattern(slots: [d, l, d, d, d, d, d], layout: .european, prior: 0.6))  // CZ
        p.append(PlatePattern(slots: [d, l, l, d, d, d, d], layout: .european, prior: 0.6))  // CZ
        for n in 4...8 {
            p.append(PlatePattern(slots: Array(repeating: .any, count: n), layout: .other, prior: 0.15))
        }
        return p
    }()

    /// Two-line (square) plates, with the number of characters on the top line. Read top
    /// line first, they give the same text as the one-line plate of their country. There is
    /// no "other" two-line layout: two short lines of unknown form are more often two
    /// stickers or a dealer's lettering than a plate.
    static let twoLine: [(pattern: PlatePattern, topLine: Int)] = {
        let d = Slot.digit, l = Slot.letter, c = Slot.consonant
        return [
            // Spanish motorcycle plate and square car plate: NNNN over three consonants
            (PlatePattern(slots: [d, d, d, d, c, c, c], layout: .spanish, prior: 1.0), 4),
            // French square plate: AB- over 123-CD
            (PlatePattern(slots: [l, l, d, d, d, l, l], layout: .european, prior: 0.8), 2),
            // British square plate: AB12 over CDE
            (PlatePattern(slots: [l, l, d, d, l, l, l], layout: .european, prior: 0.8), 4),
        ]
    }()
}

struct SyntaxReading {
    var text: String
    var charConfidences: [Float]
    var layout: PlateLayout
    var score: Float  // prior x product of probabilities
    var probability: Float  // product of probabilities
    /// The best other text under another known layout, and its score over this one's: the
    /// same glyphs read as two valid plates (an I or a 1 at a group boundary makes Slovak
    /// `BA 268 IM` or Spanish `BA 2681 M`); 0 when no other layout comes close at all.
    var rivalText: String? = nil
    var rivalRatio: Float = 0
}

enum PlateSyntax {
    static let digits = Array("0123456789")
    static let consonants = Set("BCDFGHJKLMNPRSTVWXYZ")
    /// Province codes of the Spanish provincial series (1971–2000), current and former.
    static let provinceCodes = [
        "A", "AB", "AL", "AV", "B", "BA", "BI", "BU", "C", "CA", "CC", "CE", "CO", "CR", "CS", "CU",
        "GC", "GE", "GI", "GR", "GU", "H", "HU", "IB", "J", "L", "LE", "LO", "LU", "M", "MA", "ML",
        "MU", "NA", "O", "OR", "OU", "P", "PM", "PO", "S", "SA", "SE", "SG", "SO", "SS", "T", "TE",
        "TF", "TO", "V", "VA", "VI", "Z", "ZA",
    ]

    /// Two reads of one plate say the same thing: O and 0 are one glyph on most plates.
    static func sameReading(_ a: String, _ b: String) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in x == y || (x == "O" && y == "0") || (x == "0" && y == "O") }
    }

    /// Best reading of a row of character distributions (each alphabet.count + 1 long,
    /// alphabet order `0-9A-Z`, then reject). O and 0 share their mass: plates of
    /// most countries treat them as one glyph, and the layout decides which to print.
    static func read(_ probabilities: [[Float]]) -> SyntaxReading? {
        let n = probabilities.count
        guard n >= 4, n <= 8 else { return nil }
        var readings: [SyntaxReading] = []
        for pattern in PlatePattern.all where pattern.slots.count == n {
            if let reading = read(probabilities, as: pattern) { readings.append(reading) }
        }
        guard var best = readings.max(by: { $0.score < $1.score }) else { return nil }
        for other in readings where other.layout != .other && !sameReading(other.text, best.text) && best.score > 0 {
            let ratio = other.score / best.score
            if ratio > best.rivalRatio {
                best.rivalRatio = ratio
                best.rivalText = other.text
            }
        }
        return best
    }

    /// Best reading of a two-line plate: the top line's `topLine` character distributions,
    /// then the bottom line's. Only the two-line layouts whose top line is that long apply.
    static func read(_ probabilities: [[Float]], topLine: Int) -> SyntaxReading? {
        var best: SyntaxReading?
        for (pattern, top) in PlatePattern.twoLine where top == topLine && pattern.slots.count == probabilities.count {
            guard let reading = read(probabilities, as: pattern) else { continue }
            if best == nil || reading.score > best!.score { best = reading }
        }
        return best
    }

    /// The best text under one pattern, or nil when the pattern refuses it.
    private static func read(_ probabilities: [[Float]], as pattern: PlatePattern) -> SyntaxReading? {
        let n = probabilities.count
        let alphabet = CharacterModel.alphabet
        let zero = 0, oh = alphabet.firstIndex(of: "O")!
        var text = ""
        var confidences: [Float] = []
        var product: Float = 1
        for (i, slot) in pattern.slots.enumerated() {
            let p = probabilities[i]
            var bestIndex = -1
            var bestP: Float = -1
            for k in 0..<alphabet.count {
                let ch = alphabet[k]
                let isDigit = k < 10
                switch slot {
                case .digit: if !isDigit { continue }
                case .letter: if isDigit { continue }
                case .consonant: if !consonants.contains(ch) { continue }
                case .any: break
                }
                var v = p[k]
                if k == zero || k == oh { v = p[zero] + p[oh] }
                if v > bestP || (v == bestP && k == oh && slot == .any && p[oh] > p[zero]) {
                    bestP = v
                    bestIndex = k
                }
            }
            if slot == .any, bestIndex == zero || bestIndex == oh { bestIndex = p[oh] > p[zero] ? oh : zero }
            text.append(alphabet[bestIndex])
            confidences.append(bestP)
            product *= bestP
        }
        // A bare group of digits is not a plate in any layout: it is most often the
        // digit half of a Spanish plate whose letter group was not found.
        if pattern.layout == .other, !text.contains(where: { $0.isLetter && $0 != "O" }) { return nil }
        if pattern.layout == .spanishProvincial {
            // The prefix is a province code, not any letters (NA, not NK).
            let length = pattern.slots.prefix { $0 == .letter }.count
            var bestCode = ""
            var bestCodeP: [Float] = []
            var bestProduct: Float = -1
            for code in provinceCodes where code.count == length {
                let ps = code.enumerated().map { i, ch -> Float in
                    let k = alphabet.firstIndex(of: ch)!
                    return k == oh ? probabilities[i][oh] + probabilities[i][zero] : probabilities[i][k]
                }
                let prod = ps.reduce(1, *)
                if prod > bestProduct {
                    bestProduct = prod
                    bestCode = code
                    bestCodeP = ps
                }
            }
            product = product / confidences.prefix(length).reduce(1, *) * bestProduct
            text = bestCode + text.dropFirst(length)
            confidences.replaceSubrange(0..<length, with: bestCodeP)
        }
        // Each character read with p above 0.8 raises the score: a row that lost a
        // character to the detector must not win by having fewer factors.
        let score = product * pattern.prior * powf(1 / 0.8, Float(n))
        return SyntaxReading(text: text, charConfidences: confidences, layout: pattern.layout, score: score, probability: product)
    }
}
