@testable import CentralCore
import Foundation
import GRDB
import PlateRecognition
import Testing

/// The real gate process with `camera_device = FILE.y4m`: a recording played as its camera.
@Suite("Video file as the gate's camera", .serialized)
struct CameraVideoIntegrationTests {
    /// Fixture scenes as frames of a 480×360 mono y4m: each car for `hold` frames, empty street between.
    static func writeVideo(path: String, scenes: [String], hold: Int = 6, gap: Int = 10) throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/PlateRecognition")
        var data = Data("YUV4MPEG2 W480 H360 F25:1 Ip A1:1 Cmono\n".utf8)
        let empty = [UInt8](repeating: 110, count: 480 * 360)
        func add(_ pixels: [UInt8]) {
            data.append(Data("FRAME\n".utf8))
            data.append(contentsOf: pixels)
        }
        for _ in 0..<gap { add(empty) }
        for scene in scenes {
            let image = try ImageDecoder.decode([UInt8](Data(contentsOf: fixtures.appendingPathComponent(scene))))
            precondition(image.width == 480 && image.height == 360)
            for _ in 0..<hold { add(image.pixels) }
            for _ in 0..<gap { add(empty) }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test("Cars in a played .y4m become one event each at central: the permit holder authorised, the stranger not", .timeLimit(.minutes(2)))
    func videoBecomesEvents() throws {
        let cluster = try Cluster()
        _ = try cluster.centralCLI(["permits", "add", "--id", "CAM-1", "--plate", "BI 4688 HR"])
        try cluster.startCentral()
        try cluster.prepareEdge("gate-video")
        try cluster.startEdge("gate-video")
        try cluster.waitUntil("gate holds the permit", timeout: 20) { try cluster.edgeStatus("gate-video").permitCount == 1 }
        cluster.signalEdge("gate-video", SIGTERM)

        let video = cluster.root.appendingPathComponent("street.y4m").path
        try Self.writeVideo(path: video, scenes: ["scene_0001.jpg", "scene_0004.jpg"])
        let config = cluster.root.appendingPathComponent("camera.conf").path
        try Data("camera_device = \(video)\ncamera_queue_frames = 200\n".utf8).write(to: URL(fileURLWithPath: config))
        try cluster.startEdge("gate-video", extra: ["--config", config])
        try cluster.waitUntil("one event per car reaches central", timeout: 90) {
            let rows = try cluster.centralDatabase().read { db in
                try StoreRow.fetchAll(db, sql: "SELECT plate, kind FROM events WHERE gate_id = 'gate-video' ORDER BY plate")
            }
            return rows.count >= 2
        }
        let rows = try cluster.centralDatabase().read { db in
            try StoreRow.fetchAll(db, sql: "SELECT plate, kind FROM events WHERE gate_id = 'gate-video' ORDER BY plate")
        }
        #expect(rows.map { $0["plate"] as String } == ["6307HHP", "BI4688HR"])
        #expect(rows.map { $0["kind"] as String }.last == "authorised")
        #expect(rows.map { $0["kind"] as String }.first != "authorised")
        // A recording played as the camera: every event says so (it may become a fine; injected reads may not).
        let sources = try cluster.centralDatabase().read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT coalesce(source, 'none') FROM events WHERE gate_id = 'gate-video'")
        }
        #expect(sources == ["video"])
        // Heartbeats carry the camera to central, so operators see it too.
        try cluster.waitUntil("central holds the gate's camera state", timeout: 20) {
            let health = try cluster.centralDatabase().read { db in
                try String.fetchOne(db, sql: "SELECT health FROM gate_health WHERE gate_id = 'gate-video'")
            }
            return health?.contains("\"device\":\"\(video.replacingOccurrences(of: "/", with: "\\/"))\"") == true
        }
        // The recording ended: status names it.
        try cluster.waitUntil("status reports the ended recording", timeout: 20) {
            try cluster.edgeStatus("gate-video").problems.contains { $0.contains("the recording ended after 42 frames") }
        }
    }

    @Test("status reports the camera's state: a looping .y4m streams in its format, frames counted, and bollardctl says so", .timeLimit(.minutes(2)))
    func statusShowsCamera() throws {
        let cluster = try Cluster()
        try cluster.prepareEdge("gate-cam", register: false)
        let video = cluster.root.appendingPathComponent("street.y4m").path
        try Self.writeVideo(path: video, scenes: ["scene_0001.jpg"])
        let config = cluster.root.appendingPathComponent("camera.conf").path
        try Data("camera_device = \(video)\ncamera_loop = true\n".utf8).write(to: URL(fileURLWithPath: config))
        try cluster.startEdge("gate-cam", extra: ["--config", config])
        try cluster.waitUntil("the camera streams and counts frames", timeout: 30) {
            guard let camera = try cluster.edgeStatus("gate-cam").camera else { return false }
            return camera.streaming && camera.framesCaptured > 0
        }
        let camera = try #require(try cluster.edgeStatus("gate-cam").camera)
        #expect(camera.device == video)
        #expect(camera.streaming)
        #expect(camera.format == "Y4M 480x360")
        #expect(camera.framesCaptured > 0)
        #expect(camera.reopenCount == 0)
        #expect(camera.lastFrameAgeSeconds.map { $0 >= 0 && $0 < 5 } == true)

        // The raw JSON uses the documented names (docs/protocol.md §7).
        let json = try cluster.run("bollardctl", ["status", "--json", "--socket", cluster.edgeSocket("gate-cam")]).output
        for key in ["\"camera\"", "\"streaming\" : true", "\"frames_captured\"", "\"last_frame_age_s\"", "\"reopen_count\"", "\"fps\""] {
            #expect(json.contains(key), "missing \(key) in \(json)")
        }
        let plain = try cluster.run("bollardctl", ["status", "--socket", cluster.edgeSocket("gate-cam")]).output
        #expect(plain.contains("camera \(video): streaming Y4M 480x360"), "\(plain)")
        #expect(plain.contains("captured"), "\(plain)")
    }
}
