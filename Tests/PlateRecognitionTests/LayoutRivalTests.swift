import Testing
@testable import PlateRecognition

/// A glyph that two layouts read differently (an I or a 1 at a group boundary) makes the
/// same characters two valid plates: the layout guessed, and no person confirmed the guess.
@Suite struct LayoutRivalTests {
    private func dist(_ pairs: [(Character, Float)]) -> [Float] {
        var p = [Float](repeating: 0.0001, count: CharacterModel.alphabet.count + 1)
        for (c, v) in pairs { p[CharacterModel.alphabet.firstIndex(of: c)!] = v }
        return p
    }

    private func row(_ n: Int) -> [Blob] {
        (0..<n).map { Blob(minX: $0 * 20, minY: 10, maxX: $0 * 20 + 12, maxY: 34, area: 100) }
    }

    /// B A 2 6 8 ? M, the sixth glyph a 1 or an I: Spanish provincial BA 2681 M or Slovak BA 268 IM.
    private func plate(one: Float, i: Float) -> [[Float]] {
        [dist([("B", 0.999)]), dist([("A", 0.999)]), dist([("2", 0.999)]), dist([("6", 0.999)]), dist([("8", 0.999)]),
         dist([("1", one), ("I", i)]), dist([("M", 0.999)])]
    }

    @Test("an I/1 glyph that makes two valid plates names the other one and keeps the read below 0.9")
    func ambiguousGlyphIsReviewed() throws {
        let reading = try #require(PlateSyntax.read(plate(one: 0.93, i: 0.06)))
        #expect(reading.text == "BA2681M" && reading.layout == .spanishProvincial)
        #expect(reading.rivalText == "BA268IM")
        #expect(reading.rivalRatio >= ConfidenceCalibration.layoutRival)
        #expect(ConfidenceCalibration.confidence(reading: reading, blobs: row(7), rowLength: 7) < 0.9)
    }

    @Test("the same plate with a clear 1 has no rival worth naming and may be confident")
    func clearGlyphStaysConfident() throws {
        let reading = try #require(PlateSyntax.read(plate(one: 0.999, i: 0.0005)))
        #expect(reading.text == "BA2681M")
        #expect(reading.rivalRatio < ConfidenceCalibration.layoutRival)
        #expect(ConfidenceCalibration.confidence(reading: reading, blobs: row(7), rowLength: 7) >= 0.9)
    }

    @Test("a reading in an unknown layout is never a rival")
    func otherLayoutIsNoRival() throws {
        // 1234BCD with its D nearly a 0: "1234BC0" fits no known layout, only the catch-all,
        // whose score (0.15 x 0.09 against 1.0 x 0.9) would otherwise count
        let reading = try #require(PlateSyntax.read("1234BC".map { dist([($0, 0.999)]) } + [dist([("D", 0.9), ("0", 0.09)])]))
        #expect(reading.text == "1234BCD")
        #expect(reading.rivalText != "1234BC0")
        #expect(reading.rivalRatio < ConfidenceCalibration.layoutRival)
    }
}
