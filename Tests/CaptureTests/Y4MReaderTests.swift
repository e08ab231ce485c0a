import Capture
import Foundation
import PlateRecognition
import Testing

@Suite("YUV4MPEG2 files")
struct Y4MReaderTests {
    func frames(_ count: Int, width: Int = 6, height: Int = 4) -> [GrayImage] {
        (0..<count).map { n in GrayImage(width: width, height: height, pixels: (0..<(width * height)).map { UInt8((n * 50 + $0) % 256) }) }
    }

    @Test("Mono, 4:2:0, 4:2:2 and 4:4:4 files give their luma planes in order, then end", arguments: ["mono", "420jpeg", "420mpeg2", "422", "444"])
    func readsLuma(colorspace: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = Y4MWriter(width: 7, height: 5, colorspace: colorspace)
        let images = frames(3, width: 7, height: 5)
        for image in images { writer.add(image) }
        try writer.write(to: dir + "/v.y4m")
        let reader = try Y4MReader(path: dir + "/v.y4m")
        #expect(reader.header.width == 7 && reader.header.height == 5)
        #expect(reader.header.framesPerSecond == 25)
        var read: [GrayImage] = []
        while let image = try reader.next() { read.append(image) }
        #expect(read == images)
    }

    @Test("Header parameters in any order, fractional rates, extensions and FRAME parameters are accepted")
    func headerAndFrameParameters() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = Y4MWriter(width: 6, height: 4, colorspace: "420paldv", extraHeader: "F30000:1001 It A128:117 XYSCSS=420PALDV XCOLORRANGE=FULL")
        writer.add(frames(1)[0], frameParameters: "Ip XFOO=1")
        writer.add(frames(2)[1])
        try writer.write(to: dir + "/v.y4m")
        let reader = try Y4MReader(path: dir + "/v.y4m")
        #expect(abs((reader.header.framesPerSecond ?? 0) - 29.97) < 0.01)
        #expect(try reader.next() == frames(1)[0])
        #expect(try reader.next() == frames(2)[1])
        #expect(try reader.next() == nil)
    }

    @Test("A file that is not YUV4MPEG2, lacks a size or has an unsupported colour space is refused naming why")
    func badHeaders() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, Y4MError.Code, String)] = [
            ("P5\n6 4\n255\n", .notY4M, "not a YUV4MPEG2 file"),
            ("YUV4MPEG2 W6 F25:1\n", .badHeader, "no height"),
            ("YUV4MPEG2 W0 H4\n", .badHeader, "W must be a size"),
            ("YUV4MPEG2 W16384 H16384\n", .badHeader, "larger than 64 megapixels"),
            ("YUV4MPEG2 W6 H4 F25:0\n", .badHeader, "not positive"),
            ("YUV4MPEG2 W6 H4 C420p10\n", .unsupportedColorspace, "C420p10"),
            ("", .notY4M, "empty file"),
        ]
        for (text, code, words) in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/bad.y4m"))
            #expect {
                _ = try Y4MReader(path: dir + "/bad.y4m")
            } throws: { error in
                guard let error = error as? Y4MError else { return false }
                return error.code == code && error.frame == nil && error.description.contains(words)
            }
        }
        #expect(throws: Y4MError.self) { _ = try Y4MReader(path: dir + "/missing.y4m") }
    }

    @Test("A corrupt FRAME marker is reported with the frame index and its byte offset")
    func corruptFrameMarker() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = Y4MWriter(width: 6, height: 4, colorspace: "mono", extraHeader: "F25:1")
        for image in frames(3) { writer.add(image) }
        var bytes = writer.data
        let headerLength = writer.header.utf8.count + 1
        let secondFrame = headerLength + (6 + 24)
        bytes[secondFrame + 1] = UInt8(ascii: "X")  // "FXAME"
        try bytes.write(to: URL(fileURLWithPath: dir + "/v.y4m"))
        let reader = try Y4MReader(path: dir + "/v.y4m")
        #expect(try reader.next() == frames(1)[0])
        #expect {
            _ = try reader.next()
        } throws: { error in
            guard let error = error as? Y4MError else { return false }
            return error.code == .badFrameHeader && error.frame == 1 && error.offset == secondFrame
                && error.description.contains("frame 1 at byte \(secondFrame)")
        }
    }

    @Test("A file cut inside a frame's picture is reported as truncated, naming the frame and where its data starts")
    func truncatedFrame() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = Y4MWriter(width: 6, height: 4, colorspace: "420jpeg", extraHeader: "F25:1")
        for image in frames(3) { writer.add(image) }
        let frameBytes = 24 + 2 * 3 * 2
        let headerLength = writer.header.utf8.count + 1
        let cut = headerLength + 2 * (6 + frameBytes) + 6 + 30  // inside frame 2's chroma
        try writer.data.prefix(cut).write(to: URL(fileURLWithPath: dir + "/v.y4m"))
        let reader = try Y4MReader(path: dir + "/v.y4m")
        _ = try reader.next()
        _ = try reader.next()
        #expect {
            _ = try reader.next()
        } throws: { error in
            guard let error = error as? Y4MError else { return false }
            return error.code == .truncated && error.frame == 2 && error.offset == headerLength + 2 * (6 + frameBytes) + 6
                && error.description.contains("truncated") && error.description.contains("after 30")
        }
        // Cut inside the FRAME line itself.
        try writer.data.prefix(headerLength + 3).write(to: URL(fileURLWithPath: dir + "/w.y4m"))
        #expect(throws: Y4MError.self) { _ = try Y4MReader(path: dir + "/w.y4m").next() }
    }

    @Test("A large frame is read across buffer refills and seeks without losing bytes")
    func largeFrames() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = Y4MWriter(width: 640, height: 360, colorspace: "444")
        let images = frames(3, width: 640, height: 360)
        for image in images { writer.add(image) }
        try writer.write(to: dir + "/v.y4m")
        let reader = try Y4MReader(path: dir + "/v.y4m")
        #expect(try reader.next() == images[0])
        #expect(try reader.next() == images[1])
        #expect(try reader.next() == images[2])
        #expect(try reader.next() == nil)
        try reader.rewind()
        #expect(try reader.next() == images[0])
    }

    @Test("A y4m file played as a camera loops when asked and reports itself like a camera")
    func playerLoops() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = Y4MWriter(width: 6, height: 4, colorspace: "mono", extraHeader: "F200:1")
        for image in frames(3) { writer.add(image) }
        try writer.write(to: dir + "/v.y4m")
        // Paced at 200 frames/s into a queue no stalled test runner can fill: nothing is dropped.
        let player = Y4MPlayer(path: dir + "/v.y4m", loop: true, queueDepth: 100_000)
        var seen: [UInt8] = []
        for try await frame in player.frames() {
            seen.append(frame.image.pixels[0])
            if seen.count == 7 { break }
        }
        #expect(seen == [0, 50, 100, 0, 50, 100, 0], "dropped: \(player.monitor.snapshot.framesDropped)")
        #expect(player.monitor.snapshot.format == "Y4M 6x4")

        let once = Y4MPlayer(path: dir + "/v.y4m", loop: false, queueDepth: 100_000)
        var count = 0
        for try await _ in once.frames() { count += 1 }
        #expect(count == 3)
    }
}
