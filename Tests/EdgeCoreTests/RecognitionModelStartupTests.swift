import Crypto
import EdgeCore
import Foundation
import Logging
import PlateRecognition
import Testing

/// Issue 9: the gate checks its recognition model at start, from the path its configuration names.
@Suite struct RecognitionModelStartupTests {
    @Test("A corrupt recognition_model stops start-up with its typed error, before the buffer is created")
    func corruptModelStopsStartup() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-model-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bad = folder + "/plates.bmodel"
        try Data("BOLLOCR\0 but nothing after".utf8.prefix(12)).write(to: URL(fileURLWithPath: bad))
        var configuration = EdgeConfiguration()
        try configuration.apply(fileText: "data_dir = \(folder)/data\nrecognition_model = \(bad)\n", name: "test.conf")
        #expect(configuration.recognitionModel == bad)
        #expect(throws: RecognitionModelError(path: bad, cause: .truncated(expectedBytes: 16, actualBytes: 12))) {
            _ = try EdgeApplication.build(configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/data"))
    }

    @Test("Without recognition_model the packaged model is the default, and it passes the checks")
    func packagedModelIsTheDefault() throws {
        #expect(EdgeConfiguration().recognitionModel == nil)
        #expect(try RecognitionModel.load(path: nil).payloadSHA256 == RecognitionModel.packaged().payloadSHA256)
    }

    @Test("recognition_reader takes characters or whole-plate (the default); whole-plate with a model that has no reader stops start-up")
    func readerKey() throws {
        var configuration = EdgeConfiguration()
        #expect(configuration.recognitionReader == .wholePlate)
        #expect(try RecognitionModel.packaged().hasWholePlateReader)
        #expect(throws: EdgeConfiguration.Invalid.self) { try configuration.apply(fileText: "recognition_reader = ctc\n", name: "test.conf") }
        try configuration.apply(fileText: "recognition_reader = characters\n", name: "test.conf")
        #expect(configuration.recognitionReader == .characters)
        try configuration.apply(fileText: "recognition_reader = whole-plate\n", name: "test.conf")
        #expect(configuration.recognitionReader == .wholePlate)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-reader-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ensembleOnly = folder + "/ensemble.bmodel"
        try Data(try Self.ensembleOnlyModel()).write(to: URL(fileURLWithPath: ensembleOnly))
        #expect(try !RecognitionModel.load(path: ensembleOnly).hasWholePlateReader)
        try configuration.apply(fileText: "data_dir = \(folder)/data\nframes_dir = \(folder)\nrecognition_model = \(ensembleOnly)\n", name: "test.conf")
        #expect(throws: EdgeApplication.StartupError.self) {
            _ = try EdgeApplication.build(configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/data"))
    }

    /// The packaged model less its whole-plate reader: a valid version 1 file (the character
    /// ensemble only), as `make train-ocr` writes before `make train-reader` adds the reader.
    static func ensembleOnlyModel() throws -> [UInt8] {
        let url = try #require(RecognitionModel.packagedCandidates.first { FileManager.default.fileExists(atPath: $0.path) })
        let bytes = [UInt8](try Data(contentsOf: url))
        let n = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + n)])) as? [String: Any])
        let members = try #require(header["members"] as? [[String: Any]])
        var floats = 0
        for member in members {
            for layer in try #require(member["layers"] as? [[Int]]) { floats += layer[0] * layer[1] + layer[1] }
        }
        let payload = Array(bytes[(16 + n)..<(16 + n + 4 * floats)])
        header["reader"] = nil
        header["calibration"] = nil
        header["payload_bytes"] = payload.count
        header["payload_sha256"] = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let length = UInt32(json.count)
        return Array(bytes[0..<8]) + [1, 0, 0, 0] + [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24)]
            + json + payload
    }
}
