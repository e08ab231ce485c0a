/// Square (two-line) plates whose lines the blob detector did not find as a stack.
///
/// The lines of a square plate stand close to each other and to its frame: glyphs glued to
/// the frame, or to each other, make no glyph-shaped blobs, so often only one line (or two
/// or three of its glyphs) is found, or only the frame with the glyphs stuck to it. The
/// whole-plate reader needs no blobs, only where each line is, so the lines are looked for
/// in the image itself: beside a line that was found (`readHalfStack`: rows darker than the
/// plate past the gap between the lines), or inside a plate-shaped dark component
/// (`readFramedPlate`: the row profile of its ink). Each line's span is followed along its
/// ink and both are read side by side in one strip (`PlateReader.sample(_:lines:)`). Where
/// the lines are was guessed, so such a read is never acted on alone (capped below the
/// review threshold): a person confirms it.
extension PlateRecognizer {
    /// Lines of this many glyph blobs may be half of a square plate (its longest line has five).
    static let halfStackLengths = 2...5

    /// A line of a square plate and the line looked for beside it, read at once; nil when
    /// no line stands above or below it or the strip reads as no two-line plate.
    func readHalfStack(_ line: [Blob], in image: GrayImage, factor: Int, reader: PlateReader) -> (candidate: PlateCandidate, score: Float)? {
        let heights = line.map(\.height).sorted()
        let h = Float(heights[heights.count / 2])
        guard Float(heights.last!) <= 1.25 * Float(heights.first!) else { return nil }
        let slope = line.count >= 3 ? baseline(line, edge: true).0 : 0
        let intercept = line.map { Float($0.maxY + 1) - slope * $0.centerX }.reduce(0, +) / Float(line.count)
        let seed = PlateReader.Line(slope: slope, intercept: intercept, h: h, xa: Float(line.map(\.minX).min()!), xb: Float(line.map(\.maxX).max()! + 1))
        guard let levels = Self.inkLevels(image, line: seed) else { return nil }
        guard let found = Self.followInk(image, line: seed, below: levels, reach: 2) else { return nil }
        var best: (candidate: PlateCandidate, score: Float)?
        for below in [true, false] {
            // the gap and the neighbour are looked for under the line's own glyphs: the
            // followed span may run on into the frame or the background
            guard let other = Self.neighbourLine(image, of: seed, below: below, threshold: levels) else { continue }
            guard let read = readLines(below ? [found, other] : [other, found], in: image, factor: factor, reader: reader) else { continue }
            if best == nil || read.score > best!.score { best = read }
        }
        return best
    }

    /// A dark component tall enough for two lines of glyphs and shaped as a square plate
    /// (0.9 to 2.3 times as wide as tall): what `readFramedPlate` searches.
    func mayBeSquarePlate(_ blob: Blob) -> Bool {
        let aspect = Float(blob.width) / Float(blob.height)
        return blob.height >= 2 * configuration.minCharacterHeight + 4 && aspect >= 0.9 && aspect <= 2.3
    }

    /// A square plate found as one dark component: its frame (or border) with the glyphs
    /// that touch it. Its box is searched for two lines of text: the tilt that makes the
    /// sharpest row profile of ink over the middle columns, then the two tallest runs of
    /// rows that hold some ink but are not the frame's solid rows; each line's span is
    /// followed along its ink from the middle, stopping at the frame's sides (columns dark
    /// in the gap between the lines too).
    func readFramedPlate(_ frame: Blob, in image: GrayImage, factor: Int, reader: PlateReader) -> (candidate: PlateCandidate, score: Float)? {
        guard mayBeSquarePlate(frame) else { return nil }
        let w = frame.width, h = frame.height
        let seed = PlateReader.Line(slope: 0, intercept: Float(frame.maxY + 1), h: Float(h), xa: Float(frame.minX + w / 4), xb: Float(frame.maxX + 1 - w / 4))
        guard let threshold = Self.inkLevels(image, line: seed) else { return nil }
        let cx = frame.centerX
        let columns = (frame.minX + w / 5)...(frame.maxX - w / 5)
        /// Share of the middle columns dark in each row of the box, rows carried along `slope`.
        func profile(_ slope: Float) -> [Float] {
            var out = [Float](repeating: 0, count: h)
            for r in 0..<h {
                var ink = 0
                for x in columns {
                    let y = frame.minY + r + Int((slope * (Float(x) - cx)).rounded())
                    if y >= 0, y < image.height, image[x, y] < threshold { ink += 1 }
                }
                out[r] = Float(ink) / Float(columns.count)
            }
            return out
        }
        var best: (slope: Float, profile: [Float], sharpness: Float)?
        for step in -6...6 {
            let slope = Float(step) * 0.025
            let p = profile(slope)
            var sharpness: Float = 0
            for (a, b) in zip(p, p.dropFirst()) { sharpness += (a - b) * (a - b) }
            if best == nil || sharpness > best!.sharpness { best = (slope, p, sharpness) }
        }
        guard let (slope, rows, _) = best else { return nil }
        // runs of text rows: some ink, not the frame's solid rows
        var runs: [ClosedRange<Int>] = []
        var start: Int?
        for r in 0...h {
            let text = r < h && rows[r] > 0.1 && rows[r] <= 0.85
            if text, start == nil { start = r }
            if !text, let s = start {
                runs.append(s...(r - 1))
                start = nil
            }
        }
        let tallest = runs.filter { Float($0.count) >= 0.18 * Float(h) }.sorted { $0.count > $1.count }.prefix(2).sorted { $0.lowerBound < $1.lowerBound }
        guard tallest.count == 2 else { return nil }
        let gapRow = (tallest[0].upperBound + tallest[1].lowerBound) / 2
        // Both lines have one glyph height: a run glued to the frame's solid rows grows into
        // them, so each line is measured from the gap between the lines (the top line's
        // bottom, the bottom line's top) with the shorter run's height.
        let lineHeight = Float(min(tallest[0].count, tallest[1].count))
        let bottoms = [Float(frame.minY + tallest[0].upperBound + 1), Float(frame.minY + tallest[1].lowerBound) + lineHeight]
        let lines = bottoms.map { bottom in
            PlateReader.Line(slope: slope, intercept: bottom - slope * cx, h: lineHeight, xa: seed.xa, xb: seed.xb)
        }
        /// A column dark in the gap between the lines too: the frame's side, not a glyph.
        func frameSide(_ x: Int) -> Bool {
            guard x >= 0, x < image.width else { return true }
            let y = frame.minY + gapRow + Int((slope * (Float(x) - cx)).rounded())
            return y >= 0 && y < image.height && image[x, y] < threshold
        }
        let followed = lines.compactMap { Self.followInk(image, line: $0, below: threshold, reach: 2, stop: frameSide) }
        guard followed.count == 2 else { return nil }
        return readLines(followed, in: image, factor: factor, reader: reader)
    }

    /// Two lines whose place was guessed, read side by side; nil when the same place was
    /// read already or the strip makes no two-line plate.
    func readLines(_ lines: [PlateReader.Line], in image: GrayImage, factor: Int, reader: PlateReader) -> (candidate: PlateCandidate, score: Float)? {
        let box = Self.box(around: lines, factor: factor)
        if readRows.contains(where: { $0.iou(box) > Self.sameRow }) { return nil }
        readRows.append(box)
        return readTwoLines(lines, box: box, in: image, inverted: false, guessed: true, reader: reader)
    }

    /// The best two-line reading of characters read line after line: all of them, or, when
    /// they make no two-line plate, fewer by up to two at the lines' outer ends (a screw, the
    /// frame's edge or a band beside a line, which the followed span may take in).
    static func twoLineReading(_ characters: [[Float]], topLine: Int) -> SyntaxReading? {
        if let reading = PlateSyntax.read(characters, topLine: topLine) { return reading }
        let top = Array(characters[..<topLine]), bottom = Array(characters[topLine...])
        var best: SyntaxReading?
        for drops in 1...2 {
            for a in 0...drops {
                for b in 0...(drops - a) {
                    for c in 0...(drops - a - b) {
                        let d = drops - a - b - c
                        guard a + b < top.count, c + d < bottom.count else { continue }
                        let t = top[a..<(top.count - b)], u = bottom[c..<(bottom.count - d)]
                        guard let reading = PlateSyntax.read(Array(t + u), topLine: t.count) else { continue }
                        if best == nil || reading.score > best!.score { best = reading }
                    }
                }
            }
            if best != nil { return best }
        }
        return nil
    }

    /// The plate box around lines: their spans, from a glyph height above the top line's
    /// bottom to the bottom line's bottom, with the margins of `plateBox`.
    static func box(around lines: [PlateReader.Line], factor: Int) -> PlateBox {
        let h = lines.map(\.h).max()!
        let xa = lines.map(\.xa).min()!, xb = lines.map(\.xb).max()!
        let cx = (xa + xb) / 2
        let top = lines.map { $0.slope * cx + $0.intercept - $0.h }.min()!
        let bottom = lines.map { $0.slope * cx + $0.intercept }.max()!
        let x = max(0, Int(xa - h / 2)), y = max(0, Int(top - h / 4))
        return PlateBox(x: x * factor, y: y * factor, width: Int(xb - xa + h) * factor, height: Int(bottom - top + h / 2) * factor)
    }

    /// The grey level halfway between a line's glyphs and the plate around them (the darkest
    /// and lightest tenth of its band); nil when the band has too little contrast for ink.
    static func inkLevels(_ image: GrayImage, line: PlateReader.Line) -> UInt8? {
        var values: [UInt8] = []
        for x in Int(line.xa)..<Int(line.xb.rounded(.up)) where x >= 0 && x < image.width {
            let bottom = line.slope * (Float(x) + 0.5) + line.intercept
            for y in Int(bottom - line.h)..<Int(bottom) where y >= 0 && y < image.height { values.append(image[x, y]) }
        }
        guard values.count >= 20 else { return nil }
        values.sort()
        let dark = Int(values[values.count / 10]), light = Int(values[values.count * 9 / 10])
        guard light - dark >= 24 else { return nil }
        return UInt8((dark + light) / 2)
    }

    /// Whether column `x` of a line's band holds ink: at least a tenth of the band's inner
    /// rows (a fifth of a height trimmed off top and bottom) darker than `threshold`.
    static func columnHasInk(_ image: GrayImage, line: PlateReader.Line, x: Int, threshold: UInt8) -> Bool {
        guard x >= 0, x < image.width else { return false }
        let bottom = line.slope * (Float(x) + 0.5) + line.intercept
        let y0 = max(0, Int(bottom - 0.8 * line.h)), y1 = min(image.height, Int(bottom - 0.2 * line.h))
        guard y0 < y1 else { return false }
        var ink = 0
        for y in y0..<y1 where image[x, y] < threshold { ink += 1 }
        return Float(ink) >= max(1, 0.1 * Float(y1 - y0))
    }

    /// A line's span narrowed to the ink inside it, then followed outwards through gaps of
    /// at most half a glyph height, at most `reach` heights past where it was; nil without ink.
    static func followInk(_ image: GrayImage, line: PlateReader.Line, below threshold: UInt8, reach: Float, stop: (Int) -> Bool = { _ in false }) -> PlateReader.Line? {
        let a = Int(line.xa), b = Int(line.xb.rounded(.up)) - 1
        let inside = (a...b).filter { columnHasInk(image, line: line, x: $0, threshold: threshold) }
        guard let first = inside.first, let last = inside.last else { return nil }
        let gap = max(2, Int(0.5 * line.h)), limit = Int(reach * line.h)
        var left = first, right = last
        var x = left - 1, blank = 0
        while x >= max(0, a - limit), blank <= gap, !stop(x) {
            if columnHasInk(image, line: line, x: x, threshold: threshold) {
                left = x
                blank = 0
            } else {
                blank += 1
            }
            x -= 1
        }
        x = right + 1
        blank = 0
        while x <= min(image.width - 1, b + limit), blank <= gap, !stop(x) {
            if columnHasInk(image, line: line, x: x, threshold: threshold) {
                right = x
                blank = 0
            } else {
                blank += 1
            }
            x += 1
        }
        var out = line
        out.xa = Float(left)
        out.xb = Float(right + 1)
        return out
    }

    /// The line just below (or above) `line`: past a gap of light rows at most half a height
    /// wide, rows with ink across the line's span begin; the neighbour is a glyph height of
    /// them, with the same tilt, its span followed along its own ink. Nil when no such rows.
    static func neighbourLine(_ image: GrayImage, of line: PlateReader.Line, below: Bool, threshold: UInt8) -> PlateReader.Line? {
        let h = line.h
        let xa = Int(line.xa), xb = Int(line.xb.rounded(.up))
        guard xb - xa >= 2 else { return nil }
        /// Share of the span's columns dark at `offset` rows from the line's bottom.
        func inkShare(_ offset: Int) -> Float {
            var ink = 0, all = 0
            for x in xa..<xb where x >= 0 && x < image.width {
                let y = Int(line.slope * (Float(x) + 0.5) + line.intercept) + offset
                guard y >= 0, y < image.height else { continue }
                all += 1
                if image[x, y] < threshold { ink += 1 }
            }
            return all == 0 ? 0 : Float(ink) / Float(all)
        }
        // rows outward from the line's edge: first the gap (the lightest rows, though a frame's
        // edge, a screw or a band may darken them), then the neighbour's ink rising above it
        let step = below ? 1 : -1
        var offset = below ? 0 : -Int(h.rounded()) - 1
        var lightest: Float = 1
        var start: Int?
        for _ in 0..<Int(0.8 * h) {
            let share = inkShare(offset)
            if share < lightest {
                lightest = share
            } else if lightest < 0.25, share >= lightest + 0.1, share >= 0.15 {
                start = offset
                break
            }
            offset += step
        }
        guard let start else { return nil }
        var other = line
        // the neighbour's bottom: a height below its first ink row (or its last, from above)
        other.intercept = line.intercept + (below ? Float(start) + h : Float(start) + 1)
        return followInk(image, line: other, below: threshold, reach: 1)
    }
}

