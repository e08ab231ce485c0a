import Testing
@testable import PlateRecognition

/// Rendered scenes committed under Fixtures/ (made by Edge/Training/render_scenes.py,
/// see Fixtures/README.md): every plate must be read exactly, and found where it is.
@Suite struct RecognitionRegressionTests {
    @Test func readsRenderedPlatesExactly() throws {
        let recognizer = PlateRecognizer()
        let labels = try Fixtures.labels()
        #expect(labels.count >= 8)
        var byImage: [String: [String]] = [:]
        for (image, plate) in labels { byImage[image, default: []].append(plate) }
        for (name, plates) in byImage.sorted(by: { $0.key < $1.key }) {
            let image = try Fixtures.image(name)
            let reads = recognizer.recognize(image)
            let texts = reads.map { normalise($0.text) }
            for plate in plates {
                #expect(texts.contains(normalise(plate)), "\(name): expected \(plate), read \(texts)")
            }
            if plates.count == 1 {
                #expect(texts.first == normalise(plates[0]), "\(name): best read should be \(plates[0]), got \(texts)")
            }
        }
    }

    @Test func candidatesCarryBoxesAndPerCharacterConfidences() throws {
        let recognizer = PlateRecognizer()
        let labels = try Fixtures.labels()
        let (name, plate) = labels[0]
        let reads = recognizer.recognize(try Fixtures.image(name))
        let best = try #require(reads.first)
        #expect(best.characterConfidences.count == best.text.count)
        #expect(best.confidence > 0 && best.confidence <= 1)
        #expect(best.characterConfidences.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(best.box.width > best.box.height)
        #expect(normalise(best.text) == normalise(plate))
    }

    @Test func blankFrameHasNoPlate() {
        #expect(PlateRecognizer().recognize(GrayImage(width: 320, height: 240, value: 128)).isEmpty)
    }

    private func normalise(_ s: String) -> String {
        String(s.uppercased().filter { $0.isLetter || $0.isNumber }.map { $0 == "O" ? "0" : $0 })
    }
}
