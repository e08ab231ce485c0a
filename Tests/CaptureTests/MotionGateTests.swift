import Capture
import Foundation
import PlateRecognition
import Testing

@Suite("Motion gate")
struct MotionGateTests {
    func street(noise seed: UInt64) -> GrayImage {
        var state = seed
        var image = GrayImage(width: 320, height: 240, value: 110)
        for i in image.pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            image.pixels[i] = UInt8(105 + Int(state >> 61))  // ±4 levels of sensor noise
        }
        return image
    }

    @Test("An unchanging, noisy street is skipped after the hold, except one heartbeat frame in every 25")
    func skipsStaticStreet() {
        var gate = MotionGate()
        let decisions = (0..<100).map { gate.shouldAnalyse(street(noise: UInt64($0))) }
        #expect(decisions[0])
        #expect(decisions[1...15].allSatisfy { $0 }, "hold after the first frame")
        let analysed = decisions.indices.filter { decisions[$0] }
        #expect(analysed.count <= 16 + 4)
        #expect(zip(analysed, analysed.dropFirst()).allSatisfy { $1 - $0 <= 25 }, "never more than 25 frames unseen")
    }

    @Test("A vehicle entering the street is analysed at once, and for the hold after it leaves")
    func analysesMotion() {
        var gate = MotionGate()
        for n in 0..<40 { _ = gate.shouldAnalyse(street(noise: UInt64(n))) }
        var car = street(noise: 99)
        for y in 100..<160 { for x in 40..<120 { car[x, y] = 20 } }
        let arriving = gate.shouldAnalyse(car)
        #expect(arriving)
        let leaving = gate.shouldAnalyse(street(noise: 100))
        #expect(leaving, "the car leaving is a change too")
        let hold = (0..<15).map { gate.shouldAnalyse(street(noise: UInt64(200 + $0))) }
        #expect(hold.allSatisfy { $0 })
        let after = gate.shouldAnalyse(street(noise: 300))
        #expect(!after)
    }

    @Test("On a video with a long empty stretch most empty frames skip the recogniser and the car is still read once")
    func skipsInVideo() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let car = try TestVideo.car(scene: "scene_0004.jpg", box: PlateBox(x: 71, y: 176, width: 188, height: 58))
        var writer = Y4MWriter(width: 480, height: 270, colorspace: "mono")
        for _ in 0..<60 { writer.add(TestVideo.frame(width: 480, height: 270, car: nil, at: 0, y: 0)) }
        for step in 0..<8 { writer.add(TestVideo.frame(width: 480, height: 270, car: car, at: 20 + step * 12, y: 90)) }
        for _ in 0..<40 { writer.add(TestVideo.frame(width: 480, height: 270, car: nil, at: 0, y: 0)) }
        try writer.write(to: dir + "/v.y4m")
        var texts: [String] = []
        let summary = try VideoRecognition().run(path: dir + "/v.y4m") { texts.append($0.text) }
        #expect(texts == ["6307HHP"])
        #expect(summary.frames == 108)
        #expect(summary.skipped >= 60, "\(summary.line)")
    }
}
