import Glibc
import PlateRecognition

/// Reads a YUV4MPEG2 (`.y4m`) file frame by frame, keeping the luma plane.
///
/// Streams from the file (a long recording is never loaded whole). Errors name the
/// frame and the byte offset where the file goes wrong.
public final class Y4MReader {
    public let path: String
    public let header: Y4MHeader
    /// Index of the next frame `next()` returns.
    public private(set) var frameIndex = 0
    private var reader: BufferedFile
    private let firstFrameOffset: Int

    /// Opens `path` and parses its stream header.
    /// - Throws: `Y4MError` (`cannotOpen`, `notY4M`, `badHeader`, `unsupportedColorspace`).
    public init(path: String) throws(Y4MError) {
        self.path = path
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Y4MError(.cannotOpen, path: path, frame: nil, offset: 0, detail: String(cString: strerror(Glibc.errno)))
        }
        reader = BufferedFile(fd: fd)
        guard let line = try reader.line(limit: 1024, path: path, frame: nil) else {
            reader.close()
            throw Y4MError(.notY4M, path: path, frame: nil, offset: 0, detail: "empty file or no header line")
        }
        do { header = try Y4MHeader.parse(line, path: path) } catch {
            reader.close()
            throw error
        }
        firstFrameOffset = reader.offset
    }

    deinit { reader.close() }

    /// The next frame's luma plane, or nil at the clean end of the file.
    /// - Throws: `Y4MError` (`badFrameHeader`, `truncated`, `readFailed`) with the frame and offset.
    public func next() throws(Y4MError) -> GrayImage? {
        let start = reader.offset
        guard let line = try reader.line(limit: 1024, path: path, frame: frameIndex) else { return nil }
        let magic = Array("FRAME".utf8)
        guard line.count >= magic.count, Array(line.prefix(magic.count)) == magic,
            line.count == magic.count || line[magic.count] == UInt8(ascii: " ")
        else {
            let shown = String(decoding: line.prefix(16), as: UTF8.self).unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "?" }.joined()
            throw Y4MError(.badFrameHeader, path: path, frame: frameIndex, offset: start, detail: "expected a FRAME line, found '\(shown)'")
        }
        let lumaCount = header.width * header.height
        var pixels = [UInt8](repeating: 0, count: lumaCount)
        let dataStart = reader.offset
        var readError: Y4MError?
        let gotLuma = pixels.withUnsafeMutableBytes { out -> Int in
            do throws(Y4MError) { return try reader.read(into: out, path: path, frame: frameIndex) } catch {
                readError = error
                return 0
            }
        }
        if let readError { throw readError }
        let rest = header.frameBytes - lumaCount
        let gotRest = gotLuma == lumaCount ? try reader.skip(rest, path: path, frame: frameIndex) : 0
        if gotLuma + gotRest < header.frameBytes {
            throw Y4MError(
                .truncated, path: path, frame: frameIndex, offset: dataStart,
                detail: "truncated: \(header.frameBytes) bytes of picture expected, the file ends after \(gotLuma + gotRest)")
        }
        frameIndex += 1
        return GrayImage(width: header.width, height: header.height, pixels: pixels)
    }

    /// Goes back to the first frame (to loop a recording).
    public func rewind() throws(Y4MError) {
        try reader.seek(to: firstFrameOffset, path: path)
        frameIndex = 0
    }
}

/// A read buffer over a file descriptor that knows its byte offset.
private struct BufferedFile {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var fileOffset = 0  // offset of buffer[end]

    init(fd: Int32) { self.fd = fd }

    var offset: Int { fileOffset - (end - start) }

    mutating func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Refills the buffer; false at end of file.
    private mutating func fill(path: String, frame: Int?) throws(Y4MError) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count, start > 0 {
            buffer.withUnsafeMutableBufferPointer { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { b in Glibc.read(fd, b.baseAddress! + end, b.count - end) }
            if n > 0 {
                end += n
                fileOffset += n
                return true
            }
            if n == 0 { return false }
            if Glibc.errno == EINTR { continue }
            throw Y4MError(.readFailed, path: path, frame: frame, offset: offset, detail: String(cString: strerror(Glibc.errno)))
        }
    }

    /// A line without its `\n`; nil at end of file before any byte.
    mutating func line(limit: Int, path: String, frame: Int?) throws(Y4MError) -> [UInt8]? {
        let lineStart = offset
        var line: [UInt8] = []
        while true {
            if start == end {
                guard try fill(path: path, frame: frame) else {
                    if line.isEmpty { return nil }
                    throw Y4MError(.truncated, path: path, frame: frame, offset: lineStart, detail: "truncated: the file ends inside a header line")
                }
            }
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                line += buffer[start..<newline]
                start = newline + 1
                return line
            }
            line += buffer[start..<end]
            start = end
            if line.count > limit {
                throw Y4MError(frame == nil ? .notY4M : .badFrameHeader, path: path, frame: frame, offset: lineStart, detail: "no end of line within \(limit) bytes")
            }
        }
    }

    /// Reads up to `out.count` bytes; fewer only at end of file.
    mutating func read(into out: UnsafeMutableRawBufferPointer, path: String, frame: Int?) throws(Y4MError) -> Int {
        var done = 0
        while done < out.count {
            if start == end {
                // Large reads go straight to the destination.
                if out.count - done >= buffer.count {
                    let n = Glibc.read(fd, out.baseAddress! + done, out.count - done)
                    if n > 0 { done += n; fileOffset += n; continue }
                    if n == 0 { break }
                    if Glibc.errno == EINTR { continue }
                    throw Y4MError(.readFailed, path: path, frame: frame, offset: offset, detail: String(cString: strerror(Glibc.errno)))
                }
                guard try fill(path: path, frame: frame) else { break }
            }
            let n = min(end - start, out.count - done)
            buffer.withUnsafeBytes { b in
                (out.baseAddress! + done).copyMemory(from: b.baseAddress! + start, byteCount: n)
            }
            start += n
            done += n
        }
        return done
    }

    /// Skips up to `count` bytes (the chroma planes); fewer only at end of file.
    mutating func skip(_ count: Int, path: String, frame: Int?) throws(Y4MError) -> Int {
        var done = 0
        while done < count {
            if start == end {
                let remaining = count - done
                if remaining > buffer.count {
                    // Seek over the bulk, but never past the end: a short file must show as truncated.
                    var info = stat()
                    if fstat(fd, &info) == 0 {
                        let available = max(0, Int(info.st_size) - fileOffset)
                        let jump = min(remaining - buffer.count, available)
                        if jump > 0, lseek(fd, off_t(jump), SEEK_CUR) >= 0 {
                            fileOffset += jump
                            done += jump
                            continue
                        }
                    }
                }
                guard try fill(path: path, frame: frame) else { break }
            }
            let n = min(end - start, count - done)
            start += n
            done += n
        }
        return done
    }

    mutating func seek(to position: Int, path: String) throws(Y4MError) {
        guard lseek(fd, off_t(position), SEEK_SET) >= 0 else {
            throw Y4MError(.readFailed, path: path, frame: nil, offset: position, detail: String(cString: strerror(Glibc.errno)))
        }
        start = 0
        end = 0
        fileOffset = position
    }
}
