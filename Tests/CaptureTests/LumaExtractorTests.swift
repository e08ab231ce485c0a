import Capture
import Foundation
import PlateRecognition
import Testing

@Suite("Luma from driver buffers")
struct LumaExtractorTests {
    func extract(_ bytes: [UInt8], _ format: VideoFormat) throws -> GrayImage {
        try bytes.withUnsafeBytes { try LumaExtractor.luma($0, bytesUsed: bytes.count, format: format, device: "test") }
    }

    @Test("GREY and YUV420 rows are taken without the driver's row padding")
    func paddedRows() throws {
        // 3x2 image, rows padded to 4 bytes; YUV420 adds chroma after the luma plane.
        let grey: [UInt8] = [1, 2, 3, 99, 4, 5, 6, 99]
        #expect(try extract(grey, VideoFormat(pixelFormat: .grey, width: 3, height: 2, bytesPerLine: 4)).pixels == [1, 2, 3, 4, 5, 6])
        #expect(try extract(grey + [128, 128, 128, 128], VideoFormat(pixelFormat: .yuv420, width: 3, height: 2, bytesPerLine: 4)).pixels == [1, 2, 3, 4, 5, 6])
    }

    @Test("YUYV gives every other byte (Y0 U Y1 V)")
    func yuyv() throws {
        let bytes: [UInt8] = [10, 128, 20, 128, 30, 128, 40, 128]
        #expect(try extract(bytes, VideoFormat(pixelFormat: .yuyv, width: 2, height: 2, bytesPerLine: 4)).pixels == [10, 20, 30, 40])
    }

    @Test("MJPEG frames are decoded to grey")
    func mjpeg() throws {
        let jpeg = try [UInt8](Data(contentsOf: TestVideo.fixtures.appendingPathComponent("scene_0000.jpg")))
        let image = try extract(jpeg, VideoFormat(pixelFormat: .mjpeg, width: 480, height: 360))
        #expect(image == (try ImageDecoder.decode(jpeg)))
        #expect(throws: CaptureError.self) { _ = try extract(Array(jpeg.prefix(200)), VideoFormat(pixelFormat: .mjpeg, width: 480, height: 360)) }
    }

    @Test("A buffer shorter than its format is a bad frame, not a crash")
    func shortBuffer() {
        #expect {
            _ = try extract([1, 2, 3], VideoFormat(pixelFormat: .grey, width: 4, height: 4))
        } throws: { error in
            (error as? CaptureError)?.code == .badFrame && "\(error)".contains("3 bytes, 16 needed")
        }
    }
}
