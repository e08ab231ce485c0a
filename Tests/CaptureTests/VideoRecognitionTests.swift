import Capture
import Foundation
import PlateRecognition
import Testing

/// Builds test videos from the rendered-plate fixtures: a plate region cut from a
/// fixture scene, moved across a grey street, one car after another.
enum TestVideo {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/PlateRecognition")

    /// The plate of `scene` with a margin, as a small "car".
    static func car(scene: String, box: PlateBox, margin: Int = 24) throws -> GrayImage {
        let bytes = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent(scene)))
        let image = try ImageDecoder.decode(bytes)
        let x0 = max(0, box.x - margin), y0 = max(0, box.y - margin)
        let x1 = min(image.width, box.x + box.width + margin), y1 = min(image.height, box.y + box.height + margin)
        var out = GrayImage(width: x1 - x0, height: y1 - y0)
        for y in y0..<y1 { for x in x0..<x1 { out[x - x0, y - y0] = image[x, y] } }
        return out
    }

    static func frame(width: Int, height: Int, car: GrayImage?, at x: Int, y: Int) -> GrayImage {
        var frame = GrayImage(width: width, height: height, value: 110)
        if let car {
            for cy in 0..<car.height where (0..<height).contains(y + cy) {
                for cx in 0..<car.width where (0..<width).contains(x + cx) { frame[x + cx, y + cy] = car[cx, cy] }
            }
        }
        return frame
    }

    /// Two cars driving past one after the other, with empty street between them.
    /// - Parameter rate: the header's frame rate (a played file is paced by it).
    static func twoCars(path: String, rate: String = "F25:1") throws {
        let first = try car(scene: "scene_0004.jpg", box: PlateBox(x: 71, y: 176, width: 188, height: 58))
        let second = try car(scene: "scene_0007.jpg", box: PlateBox(x: 38, y: 84, width: 214, height: 59))
        let width = 480, height = 270
        var writer = Y4MWriter(width: width, height: height, colorspace: "420jpeg", extraHeader: rate + " Ip A1:1")
        for _ in 0..<3 { writer.add(frame(width: width, height: height, car: nil, at: 0, y: 0)) }
        for step in 0..<8 { writer.add(frame(width: width, height: height, car: first, at: 20 + step * 12, y: 90)) }
        for _ in 0..<10 { writer.add(frame(width: width, height: height, car: nil, at: 0, y: 0)) }
        for step in 0..<8 { writer.add(frame(width: width, height: height, car: second, at: 200 - step * 12, y: 110)) }
        for _ in 0..<3 { writer.add(frame(width: width, height: height, car: nil, at: 0, y: 0)) }
        try writer.write(to: path)
    }
}

@Suite("Recognition over a video file")
struct VideoRecognitionTests {
    @Test("A video of two cars passing gives exactly two vehicles, in order, with the right plates and their evidence frames")
    func twoCarsTwoLines() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestVideo.twoCars(path: dir + "/two.y4m")
        var vehicles: [VehicleRead] = []
        let summary = try VideoRecognition().run(path: dir + "/two.y4m") { vehicles.append($0) }
        #expect(summary.frames == 32)
        #expect(vehicles.map(\.text) == ["6307HHP", "4540GXV"])
        #expect(vehicles.count == 2 && (3..<11).contains(vehicles[0].bestFrame) && (21..<29).contains(vehicles[1].bestFrame))
        #expect(summary.line.hasPrefix("frames 32 ("))

        // The JSON line is exactly what tools/score-video reads.
        let line = VideoRecognition.jsonLine(vehicles[0])
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["frame", "plates"])
        #expect(object?["frame"] as? Int == vehicles[0].bestFrame)
        let plate = (object?["plates"] as? [[String: Any]])?.first
        #expect(Set(plate?.keys ?? [:].keys) == ["text", "confidence", "box"])
        #expect(plate?["text"] as? String == "6307HHP")
        #expect((plate?["box"] as? [Int])?.count == 4)
    }

    @Test("A truncated video still reports the vehicles seen before the damage, then the error naming the frame")
    func truncatedVideo() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestVideo.twoCars(path: dir + "/two.y4m")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/two.y4m"))
        try data.prefix(data.count - 1000).write(to: URL(fileURLWithPath: dir + "/cut.y4m"))
        var vehicles: [VehicleRead] = []
        #expect {
            _ = try VideoRecognition().run(path: dir + "/cut.y4m") { vehicles.append($0) }
        } throws: { error in
            (error as? Y4MError)?.code == .truncated && (error as? Y4MError)?.frame == 31
        }
        #expect(vehicles.map(\.text) == ["6307HHP", "4540GXV"])
    }
}
