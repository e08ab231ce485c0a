import Foundation

/// One trained character model: a small MLP over a 20 x 32 normalised crop.
///
/// Classes are `0-9`, `A-Z` and a last "not a character" class. Weights come from
/// the model file (`RecognitionModel`), written by `make train-ocr`.
struct CharacterModel: Sendable {
    static let cropWidth = 20
    static let cropHeight = 32
    /// Class order of the models' outputs; one more output is "not a character".
    static let alphabet: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static var rejectClass: Int { alphabet.count }

    struct Layer: Sendable {
        let inputs: Int
        let outputs: Int
        let weights: [Float]  // outputs x inputs, row-major
        let bias: [Float]
    }

    let layers: [Layer]
}

/// Runs the character models (an averaged ensemble); owns its scratch buffers, so one instance per thread.
final class CharacterClassifier {
    private let models: [CharacterModel]
    private var bufferA: [Float]
    private var bufferB: [Float]
    private var memberProbabilities: [Float]

    /// Three MLPs trained on different renderings (seeds, sizes, glyph styles): their
    /// averaged probabilities are both more accurate and less over-confident.
    init(model: RecognitionModel) {
        models = model.members
        let widest = models.flatMap { $0.layers.map { max($0.inputs, $0.outputs) } }.max() ?? 0
        bufferA = [Float](repeating: 0, count: widest)
        bufferB = [Float](repeating: 0, count: widest)
        memberProbabilities = [Float](repeating: 0, count: CharacterModel.alphabet.count + 1)
    }

    /// Samples the classifier input for an ink box (x0, y0, x1, y1 exclusive), as
    /// `plates.crop_char` does in training: a window 1.2 box heights tall, at least
    /// 0.75 of that wide, centred on the box; bilinear; zero mean, unit-ish variance.
    func sample(_ image: GrayImage, x0: Float, y0: Float, x1: Float, y1: Float, into out: inout [Float]) {
        let cw = CharacterModel.cropWidth, ch = CharacterModel.cropHeight
        let bh = y1 - y0, bw = x1 - x0
        let wh = bh * 1.2
        let ww = max(wh * 0.75, bw * 1.1)
        let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
        let maxX = Float(image.width) - 1.001, maxY = Float(image.height) - 1.001
        var sum: Float = 0
        image.pixels.withUnsafeBufferPointer { px in
            let w = image.width
            for j in 0..<ch {
                var sy = cy - wh / 2 + (Float(j) + 0.5) * wh / Float(ch) - 0.5
                sy = min(max(sy, 0), maxY)
                let y0i = Int(sy), fy = sy - Float(y0i)
                for i in 0..<cw {
                    var sx = cx - ww / 2 + (Float(i) + 0.5) * ww / Float(cw) - 0.5
                    sx = min(max(sx, 0), maxX)
                    let x0i = Int(sx), fx = sx - Float(x0i)
                    let o = y0i * w + x0i
                    let a = Float(px[o]), b = Float(px[o + 1]), c = Float(px[o + w]), d = Float(px[o + w + 1])
                    let v = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
                    out[j * cw + i] = v
                    sum += v
                }
            }
        }
        let n = Float(cw * ch)
        let mean = sum / n
        var sq: Float = 0
        for k in 0..<(cw * ch) {
            let d = out[k] - mean
            sq += d * d
        }
        let scale = 1 / ((sq / n).squareRoot() + 8)
        for k in 0..<(cw * ch) { out[k] = (out[k] - mean) * scale }
    }

    /// Class probabilities for a sampled crop, averaged over the ensemble;
    /// `probabilities` gets alphabet.count + 1 values.
    func classify(_ input: [Float], probabilities: inout [Float]) {
        let n = CharacterModel.alphabet.count + 1
        for k in 0..<n { probabilities[k] = 0 }
        for model in models {
            run(model, input)
            for k in 0..<n { probabilities[k] += memberProbabilities[k] / Float(models.count) }
        }
    }

    private func run(_ model: CharacterModel, _ input: [Float]) {
        for k in 0..<input.count { bufferA[k] = input[k] }
        for (index, layer) in model.layers.enumerated() {
            let last = index == model.layers.count - 1
            layer.weights.withUnsafeBufferPointer { w in
                bufferA.withUnsafeBufferPointer { x in
                    bufferB.withUnsafeMutableBufferPointer { y in
                        for o in 0..<layer.outputs {
                            var v = layer.bias[o] + dot(w.baseAddress! + o * layer.inputs, x.baseAddress!, layer.inputs)
                            if !last, v < 0 { v = 0 }
                            y[o] = v
                        }
                    }
                }
            }
            swap(&bufferA, &bufferB)
        }
        let n = model.layers.last!.outputs
        var m = -Float.infinity
        for k in 0..<n { m = max(m, bufferA[k]) }
        var s: Float = 0
        for k in 0..<n {
            let e = expf(bufferA[k] - m)
            memberProbabilities[k] = e
            s += e
        }
        for k in 0..<n { memberProbabilities[k] /= s }
    }
}

@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var k = 0
    let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
    while k + 8 <= n {
        let va = rawA.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
        let vb = rawB.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
        acc += va * vb
        k += 8
    }
    var s = acc.sum()
    while k < n {
        s += a[k] * b[k]
        k += 1
    }
    return s
}
