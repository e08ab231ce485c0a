import Foundation
import Testing
@testable import PlateRecognition

@Suite struct ImageDecoderTests {
    @Test func pgmRoundTrip() throws {
        let image = GrayImage(width: 3, height: 2, pixels: [0, 10, 20, 30, 40, 255])
        let decoded = try ImageDecoder.decode(ImageDecoder.encodePGM(image))
        #expect(decoded == image)
    }

    @Test func asciiPGMWithComments() throws {
        let text = "P2\n# a comment\n2 2\n# another\n15\n0 15\n5 10\n"
        let decoded = try ImageDecoder.decode(Array(text.utf8))
        #expect(decoded.pixels == [0, 255, 85, 170])
    }

    @Test func ppmBecomesGray() throws {
        let bytes = Array("P6\n2 1\n255\n".utf8) + [255, 255, 255, 255, 0, 0]
        let decoded = try ImageDecoder.decode(bytes)
        #expect(decoded.width == 2 && decoded.height == 1)
        #expect(decoded.pixels[0] == 255)
        #expect(decoded.pixels[1] == 76)  // 0.299 * 255
    }

    @Test func jpegFixtureDecodes() throws {
        let bytes = try Fixtures.bytes("scene_0000.jpg")
        let image = try ImageDecoder.decode(bytes)
        #expect(image.width > 100 && image.height > 100)
        let mean = image.pixels.reduce(0) { $0 + Int($1) } / image.pixels.count
        #expect(mean > 10 && mean < 245)
    }

    @Test func truncatedJPEGIsRefused() throws {
        let bytes = try Fixtures.bytes("scene_0000.jpg")
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Array(bytes.prefix(bytes.count / 2))) }
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Array(bytes.prefix(200))) }
    }

    @Test func corruptJPEGIsRefused() throws {
        var bytes = try Fixtures.bytes("scene_0000.jpg")
        // keep the SOI and the first segments, scramble the rest (entropy data and tables)
        var state: UInt32 = 12345
        for i in 600..<(bytes.count - 2) {
            state = state &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: state >> 16)
        }
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(bytes) }
        let garbage: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] + Array(repeating: 0x42, count: 100)
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(garbage) }
    }

    @Test func truncatedPNMIsRefused() {
        let full = ImageDecoder.encodePGM(GrayImage(width: 10, height: 10, value: 128))
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Array(full.prefix(full.count - 1))) }
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Array("P5\n10".utf8)) }
        #expect(throws: ImageDecodingError.self) { try ImageDecoder.decode(Array("P2\n2 2\n255\n1 2 3".utf8)) }
    }

    @Test func unknownAndEmptyAreRefused() {
        #expect(throws: ImageDecodingError.empty) { try ImageDecoder.decode([]) }
        #expect(throws: ImageDecodingError.unknownFormat) { try ImageDecoder.decode(Array("hello, not an image".utf8)) }
        #expect(throws: ImageDecodingError.unknownFormat) { try ImageDecoder.decode([0x89, 0x50, 0x4E, 0x47]) }
    }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/PlateRecognition")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func image(_ name: String) throws -> GrayImage {
        try ImageDecoder.decode(bytes(name))
    }

    /// labels.csv rows (or another labels file's): image name → plate texts.
    static func labels(_ file: String = "labels.csv") throws -> [(image: String, plate: String)] {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let f = line.split(separator: ",")
            return (String(f[0]), String(f[5]))
        }
    }
}
