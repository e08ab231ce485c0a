import Testing
@testable import PlateRecognition

/// Draws dark rectangles ("characters") on a light background.
private func canvas(width: Int, height: Int, bars: [(x: Int, y: Int, w: Int, h: Int)]) -> GrayImage {
    var image = GrayImage(width: width, height: height, value: 200)
    for bar in bars {
        for y in bar.y..<(bar.y + bar.h) {
            for x in bar.x..<(bar.x + bar.w) {
                // a ring, so fill ratio looks like a glyph's, not a solid block
                let edge = x < bar.x + 3 || x >= bar.x + bar.w - 3 || y < bar.y + 3 || y >= bar.y + bar.h - 3
                if edge { image[x, y] = 30 }
            }
        }
    }
    return image
}

@Suite struct DetectionStageTests {
    @Test func blobsAreCharacterShaped() {
        let image = canvas(width: 200, height: 100, bars: [(20, 30, 12, 24), (60, 10, 80, 6), (150, 30, 4, 4)])
        let blobs = BlobFinder().blobs(in: image)
        #expect(blobs.count == 1)
        #expect(blobs.first.map { ($0.minX, $0.minY, $0.width, $0.height) } ?? (0, 0, 0, 0) == (20, 30, 12, 24))
    }

    @Test("A finder reused after a frame of the transposed size (as many integral cells) finds what a new one finds")
    func reusedFinderAfterTransposedFrame() {
        // a portrait frame, bright, then a landscape one of the same two sizes swapped
        let tall = GrayImage(width: 100, height: 300, value: 250)
        var wide = canvas(width: 300, height: 100, bars: [(20, 30, 12, 24), (40, 30, 12, 24), (60, 30, 12, 24)])
        for i in wide.pixels.indices where wide.pixels[i] > 128 { wide.pixels[i] = 200 }
        let fresh = BlobFinder().blobs(in: wide)
        let finder = BlobFinder()
        _ = finder.blobs(in: tall)
        #expect(finder.blobs(in: wide) == fresh)
        #expect(fresh.count == 3)
    }

    @Test func rowsGroupAlignedBlobsOfOneHeight() {
        var bars: [(x: Int, y: Int, w: Int, h: Int)] = []
        for i in 0..<7 { bars.append((20 + i * 18, 40, 12, 24)) }  // a plate-like row
        for i in 0..<3 { bars.append((220 + i * 18, 40, 12, 24)) }  // too short a row
        bars.append((20, 120, 12, 40))  // a lone taller blob
        let image = canvas(width: 320, height: 200, bars: bars)
        let rows = RowGrouper.rows(BlobFinder().blobs(in: image))
        #expect(rows.count == 1)
        #expect(rows.first?.count == 7)
        #expect(rows.first?.first?.minX == 20)
    }

    @Test func gluedGlyphsAreCutAtTheirThinnestColumns() {
        // four 6 x 24 strokes joined by a 2-pixel bridge: one component twice as wide as tall
        var image = GrayImage(width: 200, height: 100, value: 200)
        let strokes = [20, 34, 48, 62]
        for x0 in strokes { for y in 30..<54 { for x in x0..<(x0 + 6) { image[x, y] = 30 } } }
        for y in 41..<43 { for x in 20..<68 { image[x, y] = 30 } }
        let finder = BlobFinder()
        #expect(finder.blobs(in: image).isEmpty)
        let pieces = finder.pieces.sorted { $0.minX < $1.minX }
        #expect(pieces.count == 4)
        for (piece, x0) in zip(pieces, strokes) {
            #expect(piece.minX <= x0 && piece.maxX >= x0 + 5 && piece.height == 24)
        }
        #expect(RowGrouper.rows(pieces).map(\.count) == [4])
    }

    @Test func tiltedRowStillGroups() {
        var bars: [(x: Int, y: Int, w: Int, h: Int)] = []
        for i in 0..<6 { bars.append((20 + i * 18, 40 + i * 3, 12, 24)) }  // about 9 degrees
        let rows = RowGrouper.rows(BlobFinder().blobs(in: canvas(width: 200, height: 120, bars: bars)))
        #expect(rows.map(\.count) == [6])
    }
}

@Suite struct SyntaxStageTests {
    private func dist(_ pairs: [(Character, Float)]) -> [Float] {
        var p = [Float](repeating: 0.0001, count: CharacterModel.alphabet.count + 1)
        for (c, v) in pairs { p[CharacterModel.alphabet.firstIndex(of: c)!] = v }
        return p
    }

    @Test func spanishLayoutResolvesLetterDigitConfusions() throws {
        // "1234 BCD" where the model hesitates 8/B and 0/D in the letter group
        let probs = [dist([("1", 0.9)]), dist([("2", 0.9)]), dist([("3", 0.9)]), dist([("4", 0.9)]),
                     dist([("8", 0.55), ("B", 0.4)]), dist([("C", 0.9)]), dist([("0", 0.5), ("D", 0.45)])]
        let reading = try #require(PlateSyntax.read(probs))
        #expect(reading.text == "1234BCD")
        #expect(reading.layout == .spanish)
    }

    @Test func vowelsAreNotSpanishCurrent() throws {
        let probs = [dist([("1", 0.9)]), dist([("2", 0.9)]), dist([("3", 0.9)]), dist([("4", 0.9)]),
                     dist([("A", 0.9)]), dist([("E", 0.9)]), dist([("I", 0.9)])]
        let reading = try #require(PlateSyntax.read(probs))
        #expect(reading.text == "1234AEI")
        #expect(reading.layout != .spanish)
    }

    @Test func provincialLayout() throws {
        let probs = [dist([("B", 0.9)]), dist([("I", 0.6), ("1", 0.35)]), dist([("1", 0.9)]), dist([("2", 0.9)]),
                     dist([("3", 0.9)]), dist([("4", 0.9)]), dist([("A", 0.9)]), dist([("B", 0.5), ("8", 0.45)])]
        let reading = try #require(PlateSyntax.read(probs))
        #expect(reading.text == "BI1234AB")
        #expect(reading.layout == .spanishProvincial)
    }

    @Test func otherLayoutsAreAcceptedButNotConfident() throws {
        let probs = [dist([("G", 0.99)]), dist([("W", 0.99)]), dist([("A", 0.99)]), dist([("G", 0.99)]), dist([("E", 0.99)]), dist([("N", 0.99)])]
        let reading = try #require(PlateSyntax.read(probs))
        #expect(reading.text == "GWAGEN")
        #expect(reading.layout == .other)
        let blobs = (0..<6).map { Blob(minX: $0 * 20, minY: 10, maxX: $0 * 20 + 12, maxY: 34, area: 100) }
        #expect(ConfidenceCalibration.confidence(reading: reading, blobs: blobs, rowLength: 6) < 0.9)
    }

    @Test func tooShortOrLongRowsAreNotPlates() {
        #expect(PlateSyntax.read(Array(repeating: dist([("1", 0.9)]), count: 3)) == nil)
        #expect(PlateSyntax.read(Array(repeating: dist([("1", 0.9)]), count: 9)) == nil)
    }
}

@Suite struct ClassifierStageTests {
    @Test func ensembleLoadsAndGivesDistributions() throws {
        let model = try RecognitionModel.packaged()
        #expect(model.members.count == 3)
        #expect(CharacterModel.alphabet.count == 36)
        let classifier = CharacterClassifier(model: model)
        let image = try Fixtures.image("scene_0004.jpg")  // 6307HHP
        var crop = [Float](repeating: 0, count: CharacterModel.cropWidth * CharacterModel.cropHeight)
        var p = [Float](repeating: 0, count: 37)
        classifier.sample(image, x0: 10, y0: 10, x1: 30, y1: 40, into: &crop)
        let mean = crop.reduce(0, +) / Float(crop.count)
        #expect(abs(mean) < 1e-3)
        classifier.classify(crop, probabilities: &p)
        #expect(abs(p.reduce(0, +) - 1) < 1e-4)
        #expect(p.allSatisfy { $0 >= 0 })
    }

    @Test func readsTheGlyphsOfARenderedPlateOneByOne() throws {
        let image = try Fixtures.image("scene_0004.jpg")
        let recognizer = PlateRecognizer()
        let rows = RowGrouper.rows(BlobFinder().blobs(in: image))
        let texts = rows.map { row in
            String(recognizer.classify(row: row, in: image).chars.map { c -> Character in
                let best = (0..<CharacterModel.alphabet.count).max { c.p[$0] < c.p[$1] }!
                return CharacterModel.alphabet[best]
            })
        }
        #expect(texts.contains("6307HHP"), "rows read as \(texts)")
    }
}
