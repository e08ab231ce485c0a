import Testing
@testable import PlateRecognition

@Suite struct TrackerTests {
    private func read(_ text: String, _ confidence: Double, x: Int = 100) -> PlateCandidate {
        PlateCandidate(
            text: text,
            characterConfidences: Array(repeating: confidence, count: text.count),
            confidence: confidence,
            box: PlateBox(x: x, y: 200, width: 120, height: 30),
            layout: .spanish
        )
    }

    @Test func votesPerCharacterAndEmitsOneReadPerVehicle() {
        let tracker = PlateTracker(maxGapFrames: 3)
        var out: [VehicleRead] = []
        out += tracker.update(frame: 0, reads: [read("1234BCD", 0.7, x: 100)])
        out += tracker.update(frame: 1, reads: [read("1284BCD", 0.5, x: 104)])  // one misread character
        out += tracker.update(frame: 2, reads: [read("1234BCD", 0.95, x: 108)])
        out += tracker.update(frame: 3, reads: [read("1234BGD", 0.6, x: 112)])
        #expect(out.isEmpty)
        out += tracker.update(frame: 10, reads: [])
        #expect(out.count == 1)
        let vehicle = out[0]
        #expect(vehicle.text == "1234BCD")
        #expect(vehicle.bestFrame == 2)
        #expect(vehicle.readCount == 4)
        #expect(vehicle.firstFrame == 0 && vehicle.lastFrame == 3)
        #expect(vehicle.confidence <= 0.95)
        #expect(vehicle.characterConfidences.count == 7)
    }

    @Test func twoVehiclesInOneFrameStayApart() {
        let tracker = PlateTracker(maxGapFrames: 2)
        for f in 0..<4 {
            _ = tracker.update(frame: f, reads: [read("1234BCD", 0.9, x: 50), read("9876XYZ", 0.8, x: 400)])
        }
        let out = tracker.flush().map(\.text).sorted()
        #expect(out == ["1234BCD", "9876XYZ"])
    }

    @Test func aVehicleThatLeavesAndAnotherThatComesAreTwoReads() {
        let tracker = PlateTracker(maxGapFrames: 2)
        var out: [VehicleRead] = []
        out += tracker.update(frame: 0, reads: [read("1234BCD", 0.9)])
        out += tracker.update(frame: 1, reads: [read("1234BCD", 0.9)])
        out += tracker.update(frame: 6, reads: [read("5555KLM", 0.9)])
        #expect(out.map(\.text) == ["1234BCD"])
        #expect(tracker.flush().map(\.text) == ["5555KLM"])
    }

    @Test func editDistance() {
        #expect(PlateTracker.editDistance("1234BCD", "1234BCD") == 0)
        #expect(PlateTracker.editDistance("1234BCD", "124BCD") == 1)
        #expect(PlateTracker.editDistance("", "AB") == 2)
    }
}
