import Capture
import Foundation
import PlateRecognition
import Testing

@Suite("Rendered street: the demo's camera recording")
struct StreetSceneTests {
    @Test("a written street plays back as one vehicle per car, in order, through the gate's recogniser and tracker")
    func streetReadsOneVehiclePerCar() throws {
        let cars = Array(try StreetScene.cars(fixtures: TestVideo.fixtures).prefix(2))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("street-\(UUID().uuidString).y4m").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let scene = StreetScene(width: 400, height: 300, framesPerSecond: 10, appearances: 4, gapBetween: 1, gapAfter: 8, mono: true)
        let written = try scene.write(path: path, cars: cars)
        #expect(try Y4MReader(path: path).header.width == 400)
        var vehicles: [VehicleRead] = []
        let summary = try VideoRecognition().run(path: path) { vehicles.append($0) }
        #expect(summary.frames == scene.frameCount(cars: 2))
        #expect(vehicles.map(\.text) == written)
    }

    @Test("a car larger than the street is refused with a clear error, not drawn out of bounds")
    func oversizedCarIsRefused() throws {
        let car = StreetScene.Car(image: GrayImage(width: 500, height: 10), text: "1234BCD")
        #expect(throws: StreetScene.SceneError.self) {
            try StreetScene(width: 400, height: 300).write(path: "/tmp/never-\(UUID().uuidString).y4m", cars: [car])
        }
    }
}
