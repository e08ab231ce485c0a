import Foundation
import PlateRecognition

/// Writes YUV4MPEG2 files for tests (fixtures are generated, never committed).
struct Y4MWriter {
    var header: String
    var width: Int
    var height: Int
    /// Bytes of chroma (and alpha) per frame after the luma plane.
    var extraBytes: Int
    var data = Data()

    init(width: Int, height: Int, colorspace: String = "420jpeg", extraHeader: String = "F25:1 Ip A1:1") {
        self.width = width
        self.height = height
        header = "YUV4MPEG2 W\(width) H\(height) \(extraHeader) C\(colorspace)"
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        switch colorspace {
        case "mono": extraBytes = 0
        case "422": extraBytes = 2 * cw * height
        case "444": extraBytes = 2 * width * height
        default: extraBytes = 2 * cw * ch
        }
        data.append(Data((header + "\n").utf8))
    }

    mutating func add(_ image: GrayImage, frameParameters: String = "") {
        precondition(image.width == width && image.height == height)
        data.append(Data(("FRAME" + (frameParameters.isEmpty ? "" : " " + frameParameters) + "\n").utf8))
        data.append(contentsOf: image.pixels)
        data.append(Data(repeating: 77, count: extraBytes))  // chroma: must never show up in the luma
    }

    func write(to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// A fresh temporary directory per test.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("capture-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
