import Foundation
import PlateRecognition

/// A street recorded as YUV4MPEG2: cars with plates pass one after another on
/// an empty, slightly noisy road. The demo's camera gates play it through the
/// real camera path, and `make bench-capture` measures that path on it.
///
/// Each car is seen in `appearances` frames, moving diagonally across the
/// picture, each appearance followed by `gapBetween` empty frames and the car
/// by `gapAfter` more, so the motion gate and the tracker see what a pole
/// camera sees: long quiet stretches and a few frames per vehicle.
public struct StreetScene: Sendable {
    /// One car: its plate region with a margin, and the text the plate carries.
    public struct Car: Sendable {
        public var image: GrayImage
        public var text: String
        public init(image: GrayImage, text: String) {
            self.image = image
            self.text = text
        }
    }

    public var width: Int
    public var height: Int
    public var framesPerSecond: Int
    public var appearances: Int
    public var gapBetween: Int
    public var gapAfter: Int
    /// Luma only (`Cmono`): a third smaller than 4:2:0, and all the gate reads anyway.
    public var mono: Bool

    public init(
        width: Int, height: Int, framesPerSecond: Int = 25, appearances: Int = 3, gapBetween: Int = 4, gapAfter: Int = 0, mono: Bool = false
    ) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.appearances = appearances
        self.gapBetween = gapBetween
        self.gapAfter = gapAfter
        self.mono = mono
    }

    /// Why a scene could not be made.
    public struct SceneError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The cars of a folder of rendered scenes (`labels.csv`: image,x,y,width,height,plate;
    /// only `scene_*` images, one plate each), each cut to its plate with a margin.
    public static func cars(fixtures folder: URL, margin: Int = 24) throws -> [Car] {
        let labels = try String(contentsOf: folder.appendingPathComponent("labels.csv"), encoding: .utf8)
        var cars: [Car] = []
        for line in labels.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 6, f[0].hasPrefix("scene_"), let x = Int(f[1]), let y = Int(f[2]), let w = Int(f[3]), let h = Int(f[4]) else { continue }
            let image = try ImageDecoder.decode([UInt8](Data(contentsOf: folder.appendingPathComponent(f[0]))))
            let x0 = max(0, x - margin), y0 = max(0, y - margin)
            let x1 = min(image.width, x + w + margin), y1 = min(image.height, y + h + margin)
            var out = GrayImage(width: x1 - x0, height: y1 - y0)
            for yy in y0..<y1 { for xx in x0..<x1 { out[xx - x0, yy - y0] = image[xx, yy] } }
            cars.append(Car(image: out, text: f[5]))
        }
        guard !cars.isEmpty else { throw SceneError(description: "no scene_* images listed in \(folder.path)/labels.csv") }
        return cars
    }

    /// The same car as a camera sees it at dusk through a dirty lens: contrast
    /// squeezed towards grey and a 5×5 blur, so the reader's confidence drops.
    public static func hardToRead(_ car: Car) -> Car {
        var out = car.image
        let source = car.image
        for y in 0..<source.height {
            for x in 0..<source.width {
                var sum = 0, count = 0
                for dy in -2...2 { for dx in -2...2 {
                    let xx = x + dx, yy = y + dy
                    guard xx >= 0, yy >= 0, xx < source.width, yy < source.height else { continue }
                    sum += Int(source[xx, yy])
                    count += 1
                } }
                out[x, y] = UInt8(clamping: 100 + (sum / count - 128) / 4)
            }
        }
        return Car(image: out, text: car.text)
    }

    /// Frames one loop of the street takes for `cars` cars.
    public func frameCount(cars: Int) -> Int { cars * (appearances * (1 + gapBetween) + gapAfter) }

    /// Writes one loop of the street as 4:2:0 (or mono) `.y4m`, frame by frame (never the whole video in memory).
    /// - Returns: the plate texts in the order the cars pass.
    @discardableResult
    public func write(path: String, cars: [Car]) throws -> [String] {
        guard cars.allSatisfy({ $0.image.width <= width && $0.image.height <= height }) else {
            throw SceneError(description: "a car is larger than the \(width)x\(height) street")
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw SceneError(description: "cannot write \(path)")
        }
        defer { try? file.close() }
        try file.write(contentsOf: Data("YUV4MPEG2 W\(width) H\(height) F\(framesPerSecond):1 Ip A1:1 \(mono ? "Cmono" : "C420jpeg")\n".utf8))
        let chroma = mono ? Data() : Data(repeating: 128, count: 2 * ((width + 1) / 2) * ((height + 1) / 2))
        var seed: UInt32 = 12345
        func street() -> GrayImage {
            var image = GrayImage(width: width, height: height, value: 110)
            image.pixels.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count {
                    seed = seed &* 1_103_515_245 &+ 12345
                    p[i] = 108 &+ UInt8(truncatingIfNeeded: seed >> 29)  // ±4 grey levels of sensor noise
                }
            }
            return image
        }
        func emit(_ image: GrayImage) throws {
            try file.write(contentsOf: Data("FRAME\n".utf8))
            try file.write(contentsOf: Data(image.pixels))
            try file.write(contentsOf: chroma)
        }
        for car in cars {
            for appearance in 0..<appearances {
                var image = street()
                let x = (width - car.image.width) * (1 + appearance) / (appearances + 1)
                let y = (height - car.image.height) * (appearances - appearance) / (appearances + 1)
                for cy in 0..<car.image.height { for cx in 0..<car.image.width { image[x + cx, y + cy] = car.image[cx, cy] } }
                try emit(image)
                for _ in 0..<gapBetween { try emit(street()) }
            }
            for _ in 0..<gapAfter { try emit(street()) }
        }
        return cars.map(\.text)
    }
}
