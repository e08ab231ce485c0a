import ArgumentParser
import Capture
import Foundation

/// `bollard-edge scene`: writes a street of rendered cars as a `.y4m`, the
/// recording the demo's camera gates play through the real camera path (and
/// what a technician can play to check a gate without a street in front of it).
struct SceneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scene",
        abstract: "Write a .y4m street of rendered cars passing; print each car's plate and whether it is hard to read.")

    @Option(help: "The .y4m file to write.") var out: String
    @Option(help: "Folder of rendered scenes with labels.csv (default: the project's test fixtures).")
    var fixtures: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/PlateRecognition").path
    @Option var width = 400
    @Option var height = 300
    @Option(help: "Frames per second the recording is played at.") var fps = 10
    @Option(help: "Empty-street frames after each car.") var gap = 40
    @Option(help: "How many of the rendered cars pass (0 = all).") var cars = 0
    @Option(help: "How many cars also pass again hard to read (low contrast, blurred).") var hard = 1

    func validate() throws {
        guard (64...4096).contains(width), (64...4096).contains(height), (1...60).contains(fps), (0...1000).contains(gap), hard >= 0, cars >= 0 else {
            throw ValidationError("width/height 64...4096, fps 1...60, gap 0...1000, hard ≥ 0, cars ≥ 0")
        }
    }

    func run() throws {
        let all = try StreetScene.cars(fixtures: URL(fileURLWithPath: fixtures))
        let clear = cars > 0 ? Array(all.prefix(cars)) : all
        let difficult = clear.prefix(hard).map(StreetScene.hardToRead)
        let scene = StreetScene(width: width, height: height, framesPerSecond: fps, appearances: 4, gapBetween: 1, gapAfter: gap, mono: true)
        try scene.write(path: out, cars: clear + difficult)
        for car in clear { print("\(car.text)\tclear") }
        for car in difficult { print("\(car.text)\thard") }
        FileHandle.standardError.write(Data(
            "wrote \(out): \(clear.count + difficult.count) cars, \(scene.frameCount(cars: clear.count + difficult.count)) frames at \(fps) fps\n".utf8))
    }
}
