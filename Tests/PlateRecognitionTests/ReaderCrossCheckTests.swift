import Foundation
import Testing
@testable import PlateRecognition

/// Issue 9, item 5: the whole-plate reader's confident reads are held against the
/// character ensemble's read of the same row, so that one model's blind spot (an I next
/// to digits read 1, turning one valid layout into another) does not reach 0.9 alone.
@Suite struct ReaderCrossCheckTests {
    private static func candidate(_ text: String, _ confidence: Double, _ layout: PlateLayout) -> PlateCandidate {
        PlateCandidate(text: text, characterConfidences: [], confidence: confidence, box: PlateBox(x: 0, y: 0, width: 1, height: 1), layout: layout)
    }

    @Test("Only a different text, in a known layout, read with some confidence, counts against the reader")
    func disagreementRule() {
        #expect(ConfidenceCalibration.readersDisagree(whole: "JY091JF", characters: Self.candidate("JY09IJF", 0.61, .european)))
        #expect(ConfidenceCalibration.readersDisagree(whole: "1234BCD", characters: Self.candidate("1234BCO", 0.99, .other)) == false)
        #expect(ConfidenceCalibration.readersDisagree(whole: "1234BCD", characters: Self.candidate("1234BCD", 0.99, .spanish)) == false)
        // O and 0 are one glyph on most plates
        #expect(ConfidenceCalibration.readersDisagree(whole: "LO0013A", characters: Self.candidate("L00013A", 0.99, .spanishProvincial)) == false)
        // an ensemble unsure of its own read is no evidence
        #expect(ConfidenceCalibration.readersDisagree(whole: "1234BCD", characters: Self.candidate("1234BCB", 0.1, .spanish)) == false)
        #expect(ConfidenceCalibration.readersDisagree(whole: "1234BCD", characters: Self.candidate("1234BCB", ConfidenceCalibration.crossCheckEvidence, .spanish)))
    }

    @Test("A rendered plate the reader misreads (I as 1) and the ensemble reads right is flagged by the cross-check and stays below 0.9")
    func contradictedMisreadGoesToReview() throws {
        let recognizer = PlateRecognizer()
        #expect(recognizer.configuration.reader == .wholePlate)
        for (name, plate) in try Fixtures.labels("cross-check/labels.csv") {
            let reads = recognizer.recognize(try Fixtures.image(name))
            let first = try #require(reads.first, "\(name): no read")
            for read in reads where read.text != plate {
                #expect(read.confidence < 0.9, "\(name): \(read.text) for \(plate) at \(read.confidence)")
            }
            if first.text != plate {
                #expect(first.evidence?.readersDisagree == true, "\(name): \(first.text) was not cross-checked")
                #expect(first.evidence?.characterText == plate)
            }
        }
    }
}
