/// A connected component of dark ("ink") pixels: a character candidate.
struct Blob: Equatable {
    var minX: Int, minY: Int, maxX: Int, maxY: Int
    var area: Int

    var width: Int { maxX - minX + 1 }
    var height: Int { maxY - minY + 1 }
    var centerX: Float { Float(minX + maxX + 1) / 2 }
    var centerY: Float { Float(minY + maxY + 1) / 2 }
}

/// Finds character-shaped dark blobs: local-mean threshold (integral image) then
/// 8-connected components, filtered by size, aspect and fill.
///
/// Owns its buffers and reuses them across frames of the same size: one per thread.
final class BlobFinder {
    private var integral: [Int32] = []
    private var ink: [UInt8] = []
    private var stack: [Int32] = []

    /// Minimum character height in pixels of the analysed image.
    var minHeight = 8

    /// One binarisation: ink is darker than the local mean of a (2r+1)² window by
    /// `constant + mean / divisor`. Several passes stand in for a stable-region search:
    /// a low margin joins strokes broken by blur, a high one separates touching glyphs.
    struct Threshold: Sendable {
        var radiusScale: Float
        var constant: Int32
        var divisor: Int32
        /// Peel one pixel off both sides of every horizontal ink run (separates glyphs
        /// joined by a thin bridge); blob boxes are widened back by that pixel.
        var erode = false
    }

    var threshold = Threshold(radiusScale: 1, constant: 7, divisor: 14)

    func blobs(in image: GrayImage) -> [Blob] {
        let w = image.width, h = image.height
        guard w > 4, h > 4 else { return [] }
        let iw = w + 1
        if integral.count != iw * (h + 1) { integral = [Int32](repeating: 0, count: iw * (h + 1)) }
        if ink.count != w * h { ink = [UInt8](repeating: 0, count: w * h) }
        let radius = max(4, Int(Float(min(20, max(8, w / 48))) * threshold.radiusScale))
        let maxHeight = max(minHeight + 1, h / 3)
        var found: [Blob] = []
        image.pixels.withUnsafeBufferPointer { px in
            integral.withUnsafeMutableBufferPointer { ii in
                for y in 0..<h {
                    var rowSum: Int32 = 0
                    for x in 0..<w {
                        rowSum += Int32(px[y * w + x])
                        ii[(y + 1) * iw + x + 1] = ii[y * iw + x + 1] + rowSum
                    }
                }
                let constant = threshold.constant, divisor = threshold.divisor
                ink.withUnsafeMutableBufferPointer { mark in
                    for y in 0..<h {
                        let y0 = max(0, y - radius), y1 = min(h, y + radius + 1)
                        for x in 0..<w {
                            let x0 = max(0, x - radius), x1 = min(w, x + radius + 1)
                            let s = ii[y1 * iw + x1] - ii[y0 * iw + x1] - ii[y1 * iw + x0] + ii[y0 * iw + x0]
                            let n = Int32((y1 - y0) * (x1 - x0))
                            let p = Int32(px[y * w + x])
                            // dark by a margin that grows with brightness (shade keeps contrast low)
                            let mean = s / n
                            mark[y * w + x] = (p + constant + mean / divisor) < mean ? 1 : 0
                        }
                    }
                }
            }
        }
        if threshold.erode {
            ink.withUnsafeMutableBufferPointer { mark in
                for y in 0..<h {
                    var previous: UInt8 = 0
                    for x in 0..<w {
                        let here = mark[y * w + x]
                        let next: UInt8 = x + 1 < w ? mark[y * w + x + 1] : 0
                        mark[y * w + x] = previous & here & next
                        previous = here
                    }
                }
            }
        }
        let grow = threshold.erode ? 1 : 0
        // 8-connected components by flood fill; `ink` is cleared as pixels are taken.
        ink.withUnsafeMutableBufferPointer { mark in
            for start in 0..<(w * h) where mark[start] == 1 {
                mark[start] = 0
                stack.removeAll(keepingCapacity: true)
                stack.append(Int32(start))
                var blob = Blob(minX: start % w, minY: start / w, maxX: start % w, maxY: start / w, area: 0)
                while let top = stack.popLast() {
                    let p = Int(top)
                    let x = p % w, y = p / w
                    blob.area += 1
                    if x < blob.minX { blob.minX = x }
                    if x > blob.maxX { blob.maxX = x }
                    if y < blob.minY { blob.minY = y }
                    if y > blob.maxY { blob.maxY = y }
                    for dy in -1...1 {
                        let ny = y + dy
                        if ny < 0 || ny >= h { continue }
                        for dx in -1...1 {
                            let nx = x + dx
                            if nx < 0 || nx >= w { continue }
                            let q = ny * w + nx
                            if mark[q] == 1 {
                                mark[q] = 0
                                stack.append(Int32(q))
                            }
                        }
                    }
                }
                blob.minX = max(0, blob.minX - grow)
                blob.maxX = min(w - 1, blob.maxX + grow)
                let bw = blob.width, bh = blob.height
                guard bh >= minHeight, bh <= maxHeight else { continue }
                guard bw * 100 <= bh * 150, bw * 12 >= bh else { continue }
                let fill = Float(blob.area) / Float(bw * bh)
                guard fill >= 0.12, fill <= (bh >= 2 * bw ? 1.0 : 0.92) else { continue }  // I and 1 can be solid bars
                found.append(blob)
            }
        }
        return found
    }
}

/// Groups blobs into text rows: each blob links to its best right neighbour of
/// similar height and baseline; mutual links form chains.
enum RowGrouper {
    static func rows(_ blobs: [Blob], minimumLength: Int = 4) -> [[Blob]] {
        let sorted = blobs.sorted { $0.minX < $1.minX }
        let n = sorted.count
        var next = [Int](repeating: -1, count: n)
        var nextCost = [Float](repeating: .infinity, count: n)
        var prev = [Int](repeating: -1, count: n)
        for i in 0..<n {
            let a = sorted[i]
            var best = -1
            var bestCost = Float.infinity
            for j in (i + 1)..<max(i + 1, n) {
                let b = sorted[j]
                let maxH = Float(max(a.height, b.height)), minH = Float(min(a.height, b.height))
                if Float(b.minX) > Float(a.maxX) + 1.3 * maxH { break }
                guard maxH <= 1.3 * minH else { continue }
                guard Float(b.minX) > Float(a.minX) + 0.3 * Float(a.width) else { continue }
                let gap = Float(b.minX - a.maxX - 1)
                guard gap >= -0.15 * maxH else { continue }
                let dy = abs(a.centerY - b.centerY)
                guard dy <= 0.3 * maxH else { continue }
                let cost = max(gap, 0) / maxH + 2 * dy / maxH + (maxH / minH - 1)
                if cost < bestCost {
                    bestCost = cost
                    best = j
                }
            }
            if best >= 0 {
                // keep the cheapest left neighbour for each blob
                if prev[best] < 0 || nextCost[prev[best]] > bestCost {
                    if prev[best] >= 0 { next[prev[best]] = -1 }
                    prev[best] = i
                    next[i] = best
                    nextCost[i] = bestCost
                }
            }
        }
        var rows: [[Blob]] = []
        for i in 0..<n where prev[i] < 0 {
            var row: [Blob] = []
            var k = i
            while k >= 0 {
                row.append(sorted[k])
                k = next[k]
            }
            if row.count >= minimumLength { rows.append(row) }
        }
        return rows
    }
}
