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

    @Test("recognition_reader takes characters or whole-plate; whole-plate with a model that has no reader stops start-up")
    func readerKey() throws {
        var configuration = EdgeConfiguration()
        #expect(configuration.recognitionReader == .characters)
        #expect(throws: EdgeConfiguration.Invalid.self) { try configuration.apply(fileText: "recognition_reader = ctc\n", name: "test.conf") }
        try configuration.apply(fileText: "recognition_reader = whole-plate\n", name: "test.conf")
        #expect(configuration.recognitionReader == .wholePlate)
        guard !(try RecognitionModel.packaged().hasWholePlateReader) else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-reader-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try configuration.apply(fileText: "data_dir = \(folder)/data\nframes_dir = \(folder)\n", name: "test.conf")
        #expect(throws: EdgeApplication.StartupError.self) {
            _ = try EdgeApplication.build(configuration: configuration, logger: Logger(label: "test"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/data"))
    }
}
