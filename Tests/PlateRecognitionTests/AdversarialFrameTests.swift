import Testing
import TestSupport
@testable import PlateRecognition

/// A gate's camera sends whatever it sees: no frame may crash the recogniser. The square-plate
/// searches (lines followed along their ink, rows scanned beside a line, plate-shaped dark
/// components) walk the image by hand, so frames are made to lead them to its edges: dark
/// frames of a square plate's proportions cut by the border, stripes a glyph apart, noise,
/// and frames of extreme sizes.
@Suite struct AdversarialFrameTests {
    static func frame(width: Int, height: Int, seed: UInt64) -> GrayImage {
        var rng = SeededGenerator(state: seed)
        var image = GrayImage(width: width, height: height, value: UInt8.random(in: 60...230, using: &rng))
        for _ in 0..<Int.random(in: 1...12, using: &rng) {
            // a box, often hollow (a frame), anywhere, partly outside the image
            let w = Int.random(in: 4...max(5, width), using: &rng), h = Int.random(in: 4...max(5, height), using: &rng)
            let x0 = Int.random(in: -w / 2...width, using: &rng), y0 = Int.random(in: -h / 2...height, using: &rng)
            let value = UInt8.random(in: 0...255, using: &rng), border = Bool.random(using: &rng) ? Int.random(in: 1...6, using: &rng) : Int.max
            for y in max(0, y0)..<min(height, y0 + h) {
                for x in max(0, x0)..<min(width, x0 + w) {
                    let edge = min(x - x0, y - y0, x0 + w - 1 - x, y0 + h - 1 - y)
                    if edge < border { image[x, y] = value }
                }
            }
        }
        if Bool.random(using: &rng) {
            // stripes a glyph height apart, tilted: lines of "text" everywhere
            let period = Int.random(in: 6...40, using: &rng), tilt = Int.random(in: -3...3, using: &rng)
            for y in 0..<height {
                for x in 0..<width where ((y + x * tilt / 20) % period + period) % period < period / 3 { image[x, y] /= 3 }
            }
        }
        if Bool.random(using: &rng) {
            for i in image.pixels.indices where UInt8.random(in: 0...255, using: &rng) < 40 { image.pixels[i] = UInt8.random(in: 0...255, using: &rng) }
        }
        return image
    }

    @Test("Frames of boxes, hollow frames cut by the border, stripes and noise, at any size, are recognised without a crash")
    func adversarialFramesDoNotCrash() {
        let recognizer = PlateRecognizer()
        let sizes = [(16, 16), (17, 300), (300, 17), (64, 48), (320, 240), (640, 480), (1200, 40)]
        for seed in UInt64(1)...60 {
            let (w, h) = sizes[Int(seed) % sizes.count]
            for candidate in recognizer.recognize(Self.frame(width: w, height: h, seed: seed)) {
                #expect(candidate.confidence >= 0 && candidate.confidence <= 1)
                #expect(candidate.box.width > 0 && candidate.box.height > 0)
            }
        }
    }
}
