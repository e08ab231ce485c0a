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
    /// Pixels of the component being filled: a queue that keeps every member.
    private var stack: [Int32] = []
    private var profile: [Int32] = []
    private var columnTop: [Int32] = []
    private var columnBottom: [Int32] = []

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

    /// Pieces of the last call's components that were too wide for one glyph (up to five
    /// heights: bold or blurred glyphs that run together), cut at their thinnest columns.
    /// They are not among the returned blobs; the recogniser tries them as a fallback.
    private(set) var pieces: [Blob] = []

    var threshold = Threshold(radiusScale: 1, constant: 7, divisor: 14)

    func blobs(in image: GrayImage) -> [Blob] {
        let w = image.width, h = image.height
        guard w > 4, h > 4 else { return [] }
        let iw = w + 1
        // Reused across frames; a frame of another shape may need as many cells (17 x 300
        // after 300 x 17, a portrait photo after a landscape one), so the zero first row and
        // column the sums below rely on are written every time, not only at allocation.
        if integral.count != iw * (h + 1) { integral = [Int32](repeating: 0, count: iw * (h + 1)) }
        if ink.count != w * h { ink = [UInt8](repeating: 0, count: w * h) }
        let radius = max(4, Int(Float(min(20, max(8, w / 48))) * threshold.radiusScale))
        let maxHeight = max(minHeight + 1, h / 3)
        var found: [Blob] = []
        pieces.removeAll(keepingCapacity: true)
        image.pixels.withUnsafeBufferPointer { px in
            integral.withUnsafeMutableBufferPointer { ii in
                for x in 0..<iw { ii[x] = 0 }
                for y in 0..<h {
                    ii[(y + 1) * iw] = 0
                    var rowSum: Int32 = 0
                    for x in 0..<w {
                        rowSum += Int32(px[y * w + x])
                        ii[(y + 1) * iw + x + 1] = ii[y * iw + x + 1] + rowSum
                    }
                }
                let constant = threshold.constant, divisor = threshold.divisor
                // Per-pixel integer divisions were a third of this function's time (perf):
                // the margin is a table over the mean (0...255), and the mean of a full
                // window divides by a constant, done as an exact multiply and shift
                // (floor(s / n) == (s * (2^48 / n + 1)) >> 48 for s < 2^48 / n).
                let level = (0..<256).map { Int32($0) - constant - Int32($0) / divisor }
                let fullWindow = (2 * radius + 1) * (2 * radius + 1)
                let reciprocal = (UInt64(1) << 48) / UInt64(fullWindow) + 1
                ink.withUnsafeMutableBufferPointer { mark in
                  level.withUnsafeBufferPointer { level in
                    for y in 0..<h {
                        let y0 = max(0, y - radius), y1 = min(h, y + radius + 1)
                        for x in 0..<w {
                            let x0 = max(0, x - radius), x1 = min(w, x + radius + 1)
                            let s = ii[y1 * iw + x1] - ii[y0 * iw + x1] - ii[y1 * iw + x0] + ii[y0 * iw + x0]
                            let n = (y1 - y0) * (x1 - x0)
                            let p = Int32(px[y * w + x])
                            // dark by a margin that grows with brightness (shade keeps contrast low):
                            // p + constant + mean / divisor < mean
                            let mean = n == fullWindow ? Int((UInt64(s) &* reciprocal) >> 48) : Int(s) / n
                            mark[y * w + x] = p < level[mean] ? 1 : 0
                        }
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
                var next = 0
                while next < stack.count {
                    let top = stack[next]
                    next += 1
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
                if bw * 100 > bh * 150, bw * 100 <= bh * 500 {
                    // Too wide for one glyph: bold or blurred glyphs that touch. Cut it at
                    // its thinnest columns into glyph-wide pieces, which must pass the same filters.
                    pieces += cut(blob, width: w, grow: grow)
                    continue
                }
                guard accepts(blob) else { continue }
                found.append(blob)
            }
        }
        return found
    }

    private func accepts(_ blob: Blob) -> Bool {
        let bw = blob.width, bh = blob.height
        guard bh >= minHeight, bw * 100 <= bh * 150, bw * 12 >= bh else { return false }
        let fill = Float(blob.area) / Float(bw * bh)
        return fill >= 0.12 && fill <= (bh >= 2 * bw ? 1.0 : 0.92)  // I and 1 can be solid bars
    }

    /// Splits a component wider than a glyph at the columns with least ink (the
    /// component's own pixels, still in `stack`), recursively, until each piece is at most
    /// about a glyph wide; each piece gets the vertical extent and area of its own pixels.
    private func cut(_ blob: Blob, width w: Int, grow: Int) -> [Blob] {
        let x0 = blob.minX + grow, x1 = blob.maxX - grow
        let n = x1 - x0 + 1
        guard n > 2 else { return [] }
        if profile.count < n {
            profile = [Int32](repeating: 0, count: n)
            columnTop = profile
            columnBottom = profile
        }
        for i in 0..<n {
            profile[i] = 0
            columnTop[i] = Int32.max
            columnBottom[i] = -1
        }
        // per column: ink count and vertical extent of the component's own pixels
        for m in stack {
            let x = Int(m) % w - x0
            guard x >= 0, x < n else { continue }
            let y = m / Int32(w)
            profile[x] += 1
            columnTop[x] = min(columnTop[x], y)
            columnBottom[x] = max(columnBottom[x], y)
        }
        let h = blob.height
        var spans: [(Int, Int)] = []
        var pending = [(0, n - 1)]
        while let (a, b) = pending.popLast() {
            let span = b - a + 1
            if span * 100 <= h * 110 || spans.count + pending.count > 12 {
                spans.append((a, b))
                continue
            }
            // the thinnest column at least a third of a height from either end
            let margin = max(2, h * 3 / 10)
            guard a + margin <= b - margin else {
                spans.append((a, b))
                continue
            }
            var cut = a + margin
            for x in (a + margin)...(b - margin) where profile[x] < profile[cut] { cut = x }
            pending.append((a, cut - 1))
            pending.append((cut + 1, b))
        }
        var out: [Blob] = []
        for (a, b) in spans {
            var piece = Blob(minX: x0 + a, minY: Int.max, maxX: x0 + b, maxY: -1, area: 0)
            for x in a...b where profile[x] > 0 {
                piece.area += Int(profile[x])
                piece.minY = min(piece.minY, Int(columnTop[x]))
                piece.maxY = max(piece.maxY, Int(columnBottom[x]))
            }
            guard piece.area > 0 else { continue }
            piece.minX = max(0, piece.minX - grow)
            piece.maxX = min(w - 1, piece.maxX + grow)
            if accepts(piece) { out.append(piece) }
        }
        return out
    }
}

/// Groups blobs into text rows: each blob links to its best right neighbour of
/// similar height and baseline; mutual links form chains.
enum RowGrouper {
    static func rows(_ blobs: [Blob], minimumLength: Int = 4) -> [[Blob]] {
        lines(blobs).filter { $0.count >= minimumLength }
    }

    /// Chains of neighbouring glyphs, joined across group gaps, of any length. Rows are
    /// those of four or more; a shorter one is read only as a line of a two-line plate
    /// (`stacks`): three consonants alone are no plate, nor two stray blobs.
    static func lines(_ blobs: [Blob]) -> [[Blob]] {
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
        var chains: [[Blob]] = []
        for i in 0..<n where prev[i] < 0 {
            var row: [Blob] = []
            var k = i
            while k >= 0 {
                row.append(sorted[k])
                k = next[k]
            }
            chains.append(row)
        }
        return joinGroups(chains)
    }

    /// Widest space between the lines of a two-line plate, in glyph heights (a Spanish
    /// motorcycle plate leaves about a fifth of a height; twice that and more is something else).
    static let maxLineGap: Float = 0.8
    /// Most blobs two stacked lines may hold: the longest two-line layout (7) and two more
    /// that the reading may leave out at the lines' ends (the EU and department bands beside
    /// the top line of a French square plate are glyph-sized blobs on its line).
    static let maxStackedLength = 10

    /// Lines that stand one above the other as the two lines of a square plate, as index
    /// pairs into `lines`, top first. A pair must overlap horizontally by at least half the
    /// shorter line, have glyphs of the same height (within 20 %), a gap between them from
    /// -0.1 to `maxLineGap` heights (measured across the overlap, along the lines' tilt), hold
    /// 2 + 3 to `maxStackedLength` blobs together, and have no other glyph-sized blob of
    /// `blobs` between them. Each line joins at most one pair, the tightest first.
    static func stacks(_ lines: [[Blob]], among blobs: [Blob]) -> [(top: Int, bottom: Int)] {
        struct Extent { var minX: Float, maxX: Float, h: Float }
        // A line's glyph height is its lower median: the blobs beside the glyphs that link into
        // a short line (the EU band, a department band) are taller than the glyphs, never shorter.
        let extents = lines.map { line in
            let hs = line.map(\.height).sorted()
            return Extent(minX: Float(line.map(\.minX).min() ?? 0), maxX: Float((line.map(\.maxX).max() ?? 0) + 1), h: hs.isEmpty ? 0 : Float(hs[(hs.count - 1) / 2]))
        }
        var candidates: [(top: Int, bottom: Int, cost: Float)] = []
        for t in lines.indices where lines[t].count >= 2 {
            let top = lines[t], et = extents[t]
            for b in lines.indices where b != t && lines[b].count >= 2 {
                let bottom = lines[b], eb = extents[b]
                guard top.count + bottom.count <= maxStackedLength, max(top.count, bottom.count) >= 3 else { continue }
                let h = max(et.h, eb.h)
                guard h <= 1.2 * min(et.h, eb.h) else { continue }
                // the bottom line must start below the top line's middle before any finer test
                guard bottom[0].centerY > top[0].centerY + 0.5 * h, bottom[0].centerY < top[0].centerY + 3 * h else { continue }
                let left = max(et.minX, eb.minX), right = min(et.maxX, eb.maxX)
                guard right - left >= 0.5 * min(et.maxX - et.minX, eb.maxX - eb.minX) else { continue }
                // both lines' edges carried to the middle of the overlap along the longer line's tilt
                let cx = (left + right) / 2
                let s = slope(top.count >= bottom.count ? top : bottom)
                let topBottom = top.map { Float($0.maxY + 1) - s * ($0.centerX - cx) }.reduce(0, +) / Float(top.count)
                let bottomTop = bottom.map { Float($0.minY) - s * ($0.centerX - cx) }.reduce(0, +) / Float(bottom.count)
                let gap = bottomTop - topBottom
                guard gap >= -0.1 * h, gap <= maxLineGap * h else { continue }
                // nothing glyph-sized between the lines (a third line, a sticker); the plate's
                // frame, around both lines, is a blob too but far taller than a glyph
                let between = blobs.contains { o in
                    let y = o.centerY - s * (o.centerX - cx)
                    return Float(o.height) >= 0.5 * h && Float(o.height) <= 1.5 * h && o.centerX > left && o.centerX < right
                        && y > topBottom && y < bottomTop
                }
                if between { continue }
                candidates.append((t, b, abs(gap) / h + h / min(et.h, eb.h) - 1))
            }
        }
        candidates.sort { $0.cost < $1.cost }
        var used = Set<Int>()
        var out: [(top: Int, bottom: Int)] = []
        for c in candidates where !used.contains(c.top) && !used.contains(c.bottom) {
            used.insert(c.top)
            used.insert(c.bottom)
            out.append((c.top, c.bottom))
        }
        return out
    }

    /// Widest gap between two groups of one plate, in glyph heights. Spanish plates
    /// leave a wide space between `NNNN` and `LLL`, which the neighbour links above
    /// (1.3 heights) may not cross.
    static let maxGroupGap: Float = 2.5
    /// Most glyphs a joined row may hold (the longest plate layout).
    static let maxJoinedLength = 8

    /// Joins chains that continue each other across a group gap (same height, same
    /// line, nothing in between), so a plate is read whole and not as its digit half.
    /// One side must be a group of three or more glyphs, the other of two or more: a lone
    /// blob past a wide gap is more often the plate's frame or a screw than a glyph.
    static func joinGroups(_ chains: [[Blob]]) -> [[Blob]] {
        var rows = chains.sorted { $0[0].minX < $1[0].minX }
        var a = 0
        while a < rows.count {
            let left = rows[a]
            let end = left[left.count - 1]
            let hl = medianHeight(left)
            var best = -1
            var bestGap = Float.infinity
            var b = a + 1
            while b < rows.count {
                let right = rows[b]
                let start = right[0]
                let gap = Float(start.minX - end.maxX - 1)
                if gap > maxGroupGap * 1.2 * hl { break }
                b += 1
                guard gap > 0, left.count + right.count <= maxJoinedLength, max(left.count, right.count) >= 3, min(left.count, right.count) >= 2 else { continue }
                let hr = medianHeight(right)
                let h = max(hl, hr)
                guard h <= 1.2 * min(hl, hr), gap <= maxGroupGap * h else { continue }
                // the same line, extended across the gap with the tilt of the longer group
                let dx = start.centerX - end.centerX
                let rise = slope(left.count >= right.count ? left : right) * dx
                guard abs(start.centerY - end.centerY - rise) <= 0.25 * h,
                      abs(Float(start.maxY - end.maxY) - rise) <= 0.2 * h else { continue }
                if gap < bestGap {
                    bestGap = gap
                    best = b - 1
                }
            }
            if best >= 0 {
                // no glyph-tall blob of another chain lies in the gap (a smaller emblem may)
                let x0 = end.maxX, x1 = rows[best][0].minX
                let blocked = rows.indices.contains { c in
                    c != a && c != best && rows[c].contains {
                        $0.maxX > x0 && $0.minX < x1 && Float($0.height) >= 0.8 * hl && abs($0.centerY - end.centerY) < Float(end.height)
                    }
                }
                if !blocked {
                    rows[a] = left + rows[best]
                    rows.remove(at: best)
                    continue  // the longer row may reach one more group
                }
            }
            a += 1
        }
        return rows
    }

    /// Least-squares slope of a chain's bottoms (0 for a lone blob).
    private static func slope(_ row: [Blob]) -> Float {
        guard row.count >= 2 else { return 0 }
        let xs = row.map(\.centerX), ys = row.map { Float($0.maxY) }
        let mx = xs.reduce(0, +) / Float(xs.count), my = ys.reduce(0, +) / Float(ys.count)
        var sxy: Float = 0, sxx: Float = 0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        return sxx > 0 ? max(-0.5, min(0.5, sxy / sxx)) : 0
    }

    private static func medianHeight(_ row: [Blob]) -> Float {
        let hs = row.map(\.height).sorted()
        return Float(hs[hs.count / 2])
    }
}
