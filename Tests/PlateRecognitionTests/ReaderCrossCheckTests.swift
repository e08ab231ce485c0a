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

    @Test("A rendered plate the reader misreads (I as 1) stays below 0.9 with the default reader")
    func misreadGoesToReview() throws {
        let recognizer = PlateRecognizer()
        #expect(recognizer.configuration.reader == .wholePlate)
        for (name, plate) in try Fixtures.labels("cross-check/labels.csv") {
            let reads = recognizer.recognize(try Fixtures.image(name))
            #expect(!reads.isEmpty, "\(name): no read")
            for read in reads where read.text != plate {
                #expect(read.confidence < 0.9, "\(name): \(read.text) for \(plate) at \(read.confidence)")
            }
        }
    }

    @Test("The cross-check caps a confident whole-plate misread of that plate's row, naming the ensemble's reading")
    func crossCheckCapsTheRow() throws {
        let recognizer = PlateRecognizer()
        let finder = BlobFinder()
        finder.threshold = PlateRecognizer.passes[0]
        for (name, plate) in try Fixtures.labels("cross-check/labels.csv") {
            let image = try Fixtures.image(name)
            #expect(image.width <= recognizer.configuration.maxAnalysisWidth)
            var flagged = false
            for row in RowGrouper.rows(finder.blobs(in: image)) {
                // what the whole-plate reader read there, as confident as it was
                var candidate = PlateCandidate(
                    text: "JY091JF", characterConfidences: [], confidence: 0.99, box: PlateBox(x: 0, y: 0, width: 1, height: 1),
                    layout: .european, evidence: WholePlateEvidence(
                        probability: 0.99, minimum: 0.99, skipped: 0, droppedUnsupported: false, unreadGlyphs: 0, inverted: false))
                recognizer.crossCheck(&candidate, row: row, in: image, factor: 1, inverted: false)
                if candidate.evidence?.characterText == plate {
                    #expect(candidate.evidence?.readersDisagree == true)
                    #expect(candidate.confidence < 0.9)
                    flagged = true
                }
            }
            #expect(flagged, "\(name): no row of the plate was read \(plate) by the ensemble and flagged")
        }
    }
}
