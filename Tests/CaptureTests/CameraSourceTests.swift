import Capture
import Domain
import EdgeCore
import Foundation
import Synchronization
import Testing

@Suite("The camera as a gate's read source")
struct CameraSourceTests {
    @Test("camera_device = FILE.y4m feeds the gate's recognising read source: one read per car, and the camera state reports it")
    func y4mFeedsTheGate() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Played in real time; a queue as long as the video keeps a slow debug-build recogniser from dropping frames.
        try TestVideo.twoCars(path: dir + "/two.y4m", rate: "F50:1")
        var configuration = EdgeConfiguration()
        try configuration.apply(fileText: "camera_device = \(dir)/two.y4m\ncamera_loop = false\ncamera_queue_frames = 64\n", name: "test")
        let frames = CameraFrameSource(configuration: configuration, device: configuration.cameraDevice!, logger: testLogger)
        let reads = Mutex<[String]>([])
        try await RecognizingReadSource(frames: frames).run { read in reads.withLock { $0.append(read.text) } }
        #expect(reads.withLock { $0 } == ["6307HHP", "4540GXV"])
        let state = frames.monitor.snapshot
        #expect(state.format == "Y4M 480x270" && state.framesCaptured == 32 && !state.streaming)
        // Every captured frame is accounted for: analysed, skipped by the motion gate, or dropped.
        #expect(state.framesDropped == 0)
        #expect(state.framesAnalysed + state.framesSkipped == 32)
        #expect(state.framesAnalysed >= 16)
    }

    @Test("Camera keys are read and checked; a bad value names the key")
    func configurationKeys() throws {
        var configuration = EdgeConfiguration()
        try configuration.apply(
            fileText: "camera_device = /dev/video2\ncamera_width = 1280\ncamera_height = 720\ncamera_fps = 30\ncamera_format = yuyv\n"
                + "camera_exposure = 150\ncamera_gain = auto\ncamera_stall_seconds = 2.5\ncamera_loop = true\n",
            name: "test")
        #expect(configuration.cameraDevice == "/dev/video2" && configuration.cameraWidth == 1280 && configuration.cameraHeight == 720)
        #expect(configuration.cameraFramesPerSecond == 30 && configuration.cameraFormat == "yuyv")
        #expect(configuration.cameraExposure == 150 && configuration.cameraGain == nil)
        #expect(configuration.cameraStallSeconds == 2.5 && configuration.cameraLoop)
        for bad in ["camera_format = rgb", "camera_fps = 0", "camera_loop = yes", "camera_exposure = -3"] {
            var c = EdgeConfiguration()
            #expect(throws: EdgeConfiguration.Invalid.self) { try c.apply(fileText: bad, name: "test") }
        }
    }

    @Test("Status names a camera that is not streaming or has stalled, and says nothing when it is fine")
    func cameraProblems() {
        var state = CameraState(device: "/dev/video0")
        state.reopenCount = 3
        state.lastError = "no frame for 5 seconds"
        #expect(CameraFrameSource.problems(state, stallSeconds: 5) == ["camera /dev/video0 not streaming (reopened 3 times); last error: no frame for 5 seconds"])
        let now = Date()
        state.streaming = true
        state.lastFrameAt = now.addingTimeInterval(-0.2)
        state.framesCaptured = 100
        #expect(CameraFrameSource.problems(state, stallSeconds: 5, now: now).isEmpty)
        state.lastFrameAt = now.addingTimeInterval(-9)
        #expect(CameraFrameSource.problems(state, stallSeconds: 5, now: now) == ["camera /dev/video0: no frame for 9 s"])
    }
}
