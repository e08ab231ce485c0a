import Domain
import EdgeCore
import Foundation
import Logging
import Synchronization
import Testing

@Suite struct RecognizingReadSourceTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/PlateRecognition").path

    /// Three frames of one vehicle and a corrupt file: one read for the vehicle,
    /// the corrupt frame skipped, every good frame counted.
    @Test func oneReadPerVehicleFromImageFrames() async throws {
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("bollard-corrupt-\(UUID().uuidString.prefix(8)).jpg").path
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00]).write(to: URL(fileURLWithPath: corrupt))
        let scene = Self.fixtures + "/scene_0001.jpg"  // labelled BI4688HR
        let frames = ImageFilesFrameSource(paths: [scene, scene, corrupt, scene], interval: .milliseconds(1), logger: Logger(label: "test"))
        let frameCount = Mutex(0)
        let reads = Mutex<[PlateRead]>([])
        try await RecognizingReadSource(frames: frames) { frameCount.withLock { $0 += 1 } }
            .run { read in reads.withLock { $0.append(read) } }
        #expect(frameCount.withLock { $0 } == 3)
        let texts = reads.withLock { $0 }.map { PlateText($0.text)?.normalized }
        #expect(texts == ["BI4688HR"])
    }

    @Test func folderSourceTakesImagesInNameOrder() throws {
        let source = try ImageFilesFrameSource(folder: Self.fixtures, interval: .milliseconds(1), logger: Logger(label: "test"))
        #expect(source.paths.count >= 8)
        #expect(source.paths == source.paths.sorted())
        #expect(source.paths.allSatisfy { $0.hasSuffix(".jpg") })
    }
}
