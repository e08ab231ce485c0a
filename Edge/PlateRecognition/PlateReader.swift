/// The whole-plate reader's weights: a small CNN whose last layer gives, for each
/// column group of the rectified strip, a distribution over `0-9A-Z` and a CTC blank.
/// Read from a version 2 or 3 model file (`RecognitionModel.reader`); trained by
/// Edge/Training/train_reader.py, batch normalisation already folded in.
struct ReaderModel: Sendable {
    struct Conv: Sendable {
        let inputs: Int, outputs: Int
        let kernelHeight: Int, kernelWidth: Int
        let padHeight: Int, padWidth: Int
        let relu: Bool
        let poolHeight: Int, poolWidth: Int
        let weights: [Float]  // outputs x inputs x kh x kw
        let bias: [Float]
    }

    /// Input strip, columns x rows.
    let width: Int, height: Int
    /// The strip around a row, in glyph heights: above the glyph tops, below the
    /// bottoms, left and right of the outer glyphs (as train_reader.reader_crop).
    let top: Float, bottom: Float, side: Float
    let blank: Int
    let layers: [Conv]
    let command: String
    /// The fitted mapping from a read's evidence to its confidence (format version 3);
    /// nil in a version 2 file, whose reads keep the squared product of peaks.
    var calibration: ReaderCalibration? = nil

    /// Output shape (channels, rows, columns) after each layer, from the input size;
    /// nil when a layer would leave no pixels.
    static func shapes(_ layers: [Conv], width: Int, height: Int) -> [(c: Int, h: Int, w: Int)]? {
        var h = height, w = width, out: [(c: Int, h: Int, w: Int)] = []
        for l in layers {
            h = (h + 2 * l.padHeight - l.kernelHeight + 1) / l.poolHeight
            w = (w + 2 * l.padWidth - l.kernelWidth + 1) / l.poolWidth
            guard h > 0, w > 0 else { return nil }
            out.append((l.outputs, h, w))
        }
        return out
    }
}

/// The whole-plate reader's confidence, fitted offline on a rendered calibration set of
/// its own seed (Edge/Training/calibrate_reader.py) and stored in the model file:
/// a score, linear in the logarithms of the read's character probabilities, mapped
/// through a monotone piecewise-linear table. The caps (layouts outside the list,
/// skipped or unread glyphs, light-on-dark) still apply afterwards.
struct ReaderCalibration: Sendable, Equatable {
    /// Coefficients of log(product of character probabilities), log(least probability), the
    /// skipped column's mass, and a constant.
    var logProbability: Float, logMinimum: Float, skipped: Float, bias: Float
    /// (score, confidence) with increasing scores and non-decreasing confidences in [0, 1].
    var knots: [(score: Float, confidence: Float)]
    var command: String

    static func == (a: Self, b: Self) -> Bool {
        a.logProbability == b.logProbability && a.logMinimum == b.logMinimum && a.skipped == b.skipped && a.bias == b.bias
            && a.command == b.command && a.knots.map(\.score) == b.knots.map(\.score) && a.knots.map(\.confidence) == b.knots.map(\.confidence)
    }

    func score(_ e: WholePlateEvidence) -> Float {
        let floor: Double = 1e-6  // a probability of zero would make the score minus infinity
        return logProbability * Float(log(max(e.probability, floor))) + logMinimum * Float(log(max(e.minimum, floor)))
            + skipped * Float(e.skipped) + bias
    }

    func confidence(_ e: WholePlateEvidence) -> Float {
        let s = score(e)
        guard let first = knots.first, let last = knots.last else { return 0 }
        if s <= first.score { return first.confidence }
        if s >= last.score { return last.confidence }
        for (a, b) in zip(knots, knots.dropFirst()) where s <= b.score {
            return a.confidence + (b.confidence - a.confidence) * (s - a.score) / (b.score - a.score)
        }
        return last.confidence
    }
}

/// Reads the text of one plate row at once, without cutting it into characters.
///
/// The strip around the row (its glyphs' bottom line, median height and span, from
/// the blob detector) is resampled to the model's input, run through the CNN, and
/// decoded CTC-style: the best class per column, repeats merged, blanks dropped.
/// Each decoded character keeps the class distribution of its most confident
/// column, so `PlateSyntax` can still choose between O and 0 or B and 8 by layout.
/// Owns its buffers: one instance per thread.
final class PlateReader {
    let model: ReaderModel
    private let shapes: [(c: Int, h: Int, w: Int)]
    private var bufferA: [Float]
    private var bufferB: [Float]
    /// The sampled input, rows x columns; tests set it directly.
    var strip: [Float]

    init(model: ReaderModel) {
        self.model = model
        shapes = ReaderModel.shapes(model.layers, width: model.width, height: model.height)!
        var largest = model.width * model.height
        var h = model.height, w = model.width
        for (l, s) in zip(model.layers, shapes) {
            largest = max(largest, l.inputs * (h + 2 * l.padHeight) * (w + 2 * l.padWidth), l.outputs * (h + 2 * l.padHeight) * (w + 2 * l.padWidth))
            h = s.h
            w = s.w
        }
        bufferA = [Float](repeating: 0, count: largest)
        bufferB = [Float](repeating: 0, count: largest)
        strip = [Float](repeating: 0, count: model.width * model.height)
    }

    /// A decoded read: per character its class distribution (alphabet order, then
    /// the blank's mass in the last slot), and the largest mass, in a column decoded as
    /// blank, of a character other than its decoded neighbours (one the best path may
    /// have skipped).
    struct Decoded {
        var characters: [[Float]]
        var skippedMass: Float
        /// The column of each character's most confident step, and the number of columns.
        var columns: [Int] = []
        var width = 0

        /// The best class of each character, for deciding whether to look again.
        var text: String {
            String(characters.map { row in CharacterModel.alphabet[(0..<CharacterModel.alphabet.count).max { row[$0] < row[$1] }!] })
        }
    }

    /// Samples the strip for a row whose glyph bottoms lie on y = slope * x + intercept
    /// (continuous pixel coordinates), median glyph height `h`, glyphs from `xa` to `xb`.
    /// Kept identical to `reader_crop` in train_reader.py.
    func sample(_ image: GrayImage, slope: Float, intercept: Float, h: Float, xa: Float, xb: Float) {
        sample(image, lines: [Line(slope: slope, intercept: intercept, h: h, xa: xa, xb: xb)])
    }

    /// One line of glyphs: bottoms on y = slope * x + intercept, height `h`, from `xa` to `xb`.
    struct Line {
        var slope: Float, intercept: Float, h: Float, xa: Float, xb: Float
    }

    /// Where each line's window starts and ends in the strip, in glyph heights
    /// (`sample(_:lines:)` lays the windows side by side).
    func windows(_ lines: [Line]) -> (starts: [Float], total: Float) {
        var starts: [Float] = []
        var total: Float = 0
        for line in lines {
            starts.append(total)
            total += (line.xb - line.xa) / line.h + 2 * model.side
        }
        return (starts, total)
    }

    /// Where each decoded character stands: the line whose window holds its peak column, and
    /// its x in the image along that line (the inverse of `sample(_:lines:)`).
    func places(of decoded: Decoded, lines: [Line]) -> [(line: Int, x: Float)] {
        let (starts, total) = windows(lines)
        return decoded.columns.map { column in
            let place = (Float(column) + 0.5) / Float(decoded.width) * total
            let line = (starts.lastIndex { place >= $0 } ?? 0)
            return (line, lines[line].xa + (place - starts[line] - model.side) * lines[line].h)
        }
    }

    /// Samples the windows of several lines side by side, left to right, each cut as a
    /// row is (its own bottom line and height; `side` heights beyond its outer glyphs):
    /// the two lines of a square plate become one strip that looks like a one-line plate
    /// of the same text (NNNN over LLL reads as NNNN LLL), which the reader was trained on.
    /// With one line, exactly the row's strip.
    func sample(_ image: GrayImage, lines: [Line]) {
        let W = model.width, H = model.height
        let (starts, total) = windows(lines)
        let maxX = Float(image.width) - 1.001, maxY = Float(image.height) - 1.001
        var sum: Float = 0
        image.pixels.withUnsafeBufferPointer { px in
            strip.withUnsafeMutableBufferPointer { out in
                let iw = image.width
                var index = 0
                for u in 0..<W {
                    let cx: Float
                    if lines.count == 1 {
                        let h = lines[0].h
                        cx = lines[0].xa - model.side * h + (Float(u) + 0.5) * ((lines[0].xb - lines[0].xa) + 2 * model.side * h) / Float(W)
                    } else {
                        let t = (Float(u) + 0.5) * total / Float(W)
                        while index + 1 < lines.count, t >= starts[index + 1] { index += 1 }
                        cx = lines[index].xa + (t - starts[index] - model.side) * lines[index].h
                    }
                    let line = lines[index]
                    let tall = (1 + model.top + model.bottom) * line.h
                    let top = line.slope * cx + line.intercept - (1 + model.top) * line.h
                    var sx = cx - 0.5
                    sx = min(max(sx, 0), maxX)
                    let xi = Int(sx), fx = sx - Float(xi)
                    for v in 0..<H {
                        // clamped at the image's edges, as plates.bilinear in training
                        let sy = min(max(top + (Float(v) + 0.5) * tall / Float(H) - 0.5, 0), maxY)
                        let yi = Int(sy), fy = sy - Float(yi)
                        let o = yi * iw + xi
                        let a = Float(px[o]), b = Float(px[o + 1]), c = Float(px[o + iw]), d = Float(px[o + iw + 1])
                        let value = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
                        out[v * W + u] = value
                        sum += value
                    }
                }
                let n = Float(W * H)
                let mean = sum / n
                var variance: Float = 0
                for i in 0..<(W * H) {
                    let d = out[i] - mean
                    variance += d * d
                }
                let scale = 1 / ((variance / n).squareRoot() + 8)
                for i in 0..<(W * H) { out[i] = (out[i] - mean) * scale }
            }
        }
    }

    /// Runs the network on `strip` and returns per column the softmax over classes
    /// (columns x (alphabet + blank)), row-major by column.
    func run() -> (columns: Int, classes: Int, probabilities: [Float]) {
        var h = model.height, w = model.width
        // layer input lives in bufferA, padded for the layer about to run
        let first = model.layers[0]
        pad(strip, channels: 1, h: h, w: w, ph: first.padHeight, pw: first.padWidth, into: &bufferA)
        for (index, layer) in model.layers.enumerated() {
            let ph = layer.padHeight, pw = layer.padWidth
            let inH = h + 2 * ph, inW = w + 2 * pw
            let convH = inH - layer.kernelHeight + 1, convW = inW - layer.kernelWidth + 1
            convolve(layer, inH: inH, inW: inW, convH: convH, convW: convW)  // bufferA -> bufferB (convH x convW per channel)
            let outH = convH / layer.poolHeight, outW = convW / layer.poolWidth
            let next = index + 1 < model.layers.count ? model.layers[index + 1] : nil
            poolInto(layer, convH: convH, convW: convW, outH: outH, outW: outW, nph: next?.padHeight ?? 0, npw: next?.padWidth ?? 0)
            h = outH
            w = outW
        }
        // bufferA: classes x 1 x columns (no padding after the last layer)
        let classes = model.layers.last!.outputs
        var probabilities = [Float](repeating: 0, count: classes * w)
        for t in 0..<w {
            var top: Float = -.infinity
            for k in 0..<classes { top = max(top, bufferA[k * h * w + t]) }
            var total: Float = 0
            for k in 0..<classes {
                let e = expf(bufferA[k * h * w + t] - top)
                probabilities[t * classes + k] = e
                total += e
            }
            for k in 0..<classes { probabilities[t * classes + k] /= total }
        }
        return (w, classes, probabilities)
    }

    private func pad(_ source: [Float], channels: Int, h: Int, w: Int, ph: Int, pw: Int, into out: inout [Float]) {
        let ow = w + 2 * pw, oh = h + 2 * ph
        for i in 0..<(channels * oh * ow) { out[i] = 0 }
        for c in 0..<channels {
            for y in 0..<h {
                for x in 0..<w { out[(c * oh + y + ph) * ow + x + pw] = source[(c * h + y) * w + x] }
            }
        }
    }

    /// bufferB[o][y][x] = bias[o] + sum over i, ky, kx of W[o][i][ky][kx] * bufferA[i][y + ky][x + kx].
    /// Eight columns at a time in a register (SIMD8), the sum over inputs and kernel taps
    /// kept there; every layer of the shipped reader is a multiple of eight columns wide.
    private func convolve(_ layer: ReaderModel.Conv, inH: Int, inW: Int, convH: Int, convW: Int) {
        let kh = layer.kernelHeight, kw = layer.kernelWidth, cin = layer.inputs
        let wide = convW & ~7
        layer.weights.withUnsafeBufferPointer { weights in
            bufferA.withUnsafeBufferPointer { inputBuffer in
                bufferB.withUnsafeMutableBufferPointer { outputBuffer in
                    let input = inputBuffer.baseAddress!, output = outputBuffer.baseAddress!
                    for o in 0..<layer.outputs {
                        let b = layer.bias[o]
                        let wo = weights.baseAddress! + o * cin * kh * kw
                        for y in 0..<convH {
                            let dst = output + (o * convH + y) * convW
                            var x = 0
                            while x < wide {
                                var acc = SIMD8<Float>(repeating: b)
                                for i in 0..<cin {
                                    for ky in 0..<kh {
                                        let row = input + (i * inH + y + ky) * inW + x
                                        let wr = wo + (i * kh + ky) * kw
                                        for kx in 0..<kw {
                                            let v = UnsafeRawPointer(row + kx).loadUnaligned(as: SIMD8<Float>.self)
                                            acc += v * wr[kx]  // not addProduct: without FMA in the target it is a libm call per lane
                                        }
                                    }
                                }
                                UnsafeMutableRawPointer(dst + x).storeBytes(of: acc, as: SIMD8<Float>.self)
                                x += 8
                            }
                            while x < convW {
                                var sum = b
                                for i in 0..<cin {
                                    for ky in 0..<kh {
                                        for kx in 0..<kw { sum += wo[(i * kh + ky) * kw + kx] * input[(i * inH + y + ky) * inW + x + kx] }
                                    }
                                }
                                dst[x] = sum
                                x += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// ReLU and max pooling of bufferB into bufferA, padded for the next layer.
    private func poolInto(_ layer: ReaderModel.Conv, convH: Int, convW: Int, outH: Int, outW: Int, nph: Int, npw: Int) {
        let qh = layer.poolHeight, qw = layer.poolWidth
        let ph = outH + 2 * nph, pw = outW + 2 * npw
        bufferB.withUnsafeBufferPointer { input in
            bufferA.withUnsafeMutableBufferPointer { output in
                for i in 0..<(layer.outputs * ph * pw) { output[i] = 0 }
                for c in 0..<layer.outputs {
                    for y in 0..<outH {
                        for x in 0..<outW {
                            var m = -Float.infinity
                            for dy in 0..<qh {
                                let row = (c * convH + y * qh + dy) * convW + x * qw
                                for dx in 0..<qw { m = max(m, input[row + dx]) }
                            }
                            if layer.relu { m = max(m, 0) }
                            output[(c * ph + y + nph) * pw + x + npw] = m
                        }
                    }
                }
            }
        }
    }

    /// CTC best path over per-column probabilities (columns x classes, blank = `blank`).
    static func decode(_ probabilities: [Float], columns: Int, classes: Int, blank: Int) -> Decoded {
        var characters: [[Float]] = []
        var classOf: [Int] = []
        var peaks: [Int] = []
        // blank columns: the row and the number of characters decoded before it
        var blanks: [(row: [Float], before: Int)] = []
        var previous = blank
        var peak: Float = -1
        for t in 0..<columns {
            let row = Array(probabilities[(t * classes)..<((t + 1) * classes)])
            var best = 0
            for k in 1..<classes where row[k] > row[best] { best = k }
            if best == blank {
                blanks.append((row, characters.count))
                previous = blank
                continue
            }
            if best != previous { classOf.append(best) }
            if best != previous {
                characters.append(row)
                peaks.append(t)
                peak = row[best]
            } else if row[best] > peak {
                characters[characters.count - 1] = row
                peaks[peaks.count - 1] = t
                peak = row[best]
            }
            previous = best
        }
        // A blank column's character mass counts as a skipped character unless it is the
        // class of the character just before or after it: the tail of a glyph's own peak,
        // which CTC spreads over the columns beside it, is not a second glyph.
        var skipped: Float = 0
        for (row, before) in blanks {
            let neighbours = [before - 1, before].filter { classOf.indices.contains($0) }.map { classOf[$0] }
            for k in 0..<classes where k != blank && !neighbours.contains(k) { skipped = max(skipped, row[k]) }
        }
        return Decoded(characters: characters, skippedMass: skipped, columns: peaks, width: columns)
    }

    /// A read's confidence before the recogniser's caps: the model file's fitted calibration,
    /// or (a version 2 file) the squared product of its characters' probabilities.
    func confidence(_ evidence: WholePlateEvidence, of reading: SyntaxReading) -> Float {
        model.calibration?.confidence(evidence) ?? powf(reading.probability, ConfidenceCalibration.exponent)
    }

    /// Reads the strip sampled last.
    func read() -> Decoded {
        let (columns, classes, probabilities) = run()
        return Self.decode(probabilities, columns: columns, classes: classes, blank: model.blank)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
