import PlateRecognition

/// Takes the luma (Y) plane out of a driver buffer; plates are read in grey.
public enum LumaExtractor {
    /// - Parameters:
    ///   - bytes: the mapped buffer, `bytesUsed` of it filled.
    ///   - format: the negotiated format (stride in `bytesPerLine`).
    /// - Throws: `CaptureError.badFrame` when the buffer is shorter than the format says
    ///   or a JPEG does not decode.
    public static func luma(_ bytes: UnsafeRawBufferPointer, bytesUsed: Int, format: VideoFormat, device: String) throws(CaptureError) -> GrayImage {
        let w = format.width, h = format.height
        let used = min(bytesUsed > 0 ? bytesUsed : bytes.count, bytes.count)
        func short(_ needed: Int) -> CaptureError {
            CaptureError(.badFrame, device: device, detail: "\(format.pixelFormat) frame of \(used) bytes, \(needed) needed for \(w)x\(h)")
        }
        switch format.pixelFormat {
        case .grey, .yuv420, .yuyv:
            let pixelBytes = format.pixelFormat == .yuyv ? 2 : 1
            let stride = max(format.bytesPerLine, w * pixelBytes)
            let needed = stride * (h - 1) + w * pixelBytes
            guard h > 0, used >= needed else { throw short(needed) }
            var pixels = [UInt8](repeating: 0, count: w * h)
            pixels.withUnsafeMutableBufferPointer { out in
                for y in 0..<h {
                    let row = y * stride
                    if pixelBytes == 1 {
                        for x in 0..<w { out[y * w + x] = bytes[row + x] }
                    } else {
                        for x in 0..<w { out[y * w + x] = bytes[row + 2 * x] }
                    }
                }
            }
            return GrayImage(width: w, height: h, pixels: pixels)
        case .mjpeg:
            do {
                return try ImageDecoder.decode([UInt8](bytes.prefix(used)))
            } catch {
                throw CaptureError(.badFrame, device: device, detail: "MJPEG frame does not decode: \(error)")
            }
        default:
            throw CaptureError(.badFrame, device: device, detail: "cannot take the luma of \(format.pixelFormat)")
        }
    }
}
