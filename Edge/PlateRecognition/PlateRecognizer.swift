/// One plate read in one image.
public struct PlateCandidate: Sendable, Equatable, Codable {
    /// Characters without separators, e.g. `1234BCD` or `BI1234AB`.
    public var text: String
    /// Probability of each character of `text`, in order.
    public var characterConfidences: [Double]
    /// Calibrated probability that `text` is exactly right.
    public var confidence: Double
    /// The plate's box in the pixels of the image given to `recognize`.
    public var box: PlateBox
    public var layout: PlateLayout
    /// What the whole-plate reader's confidence was computed from (nil for the character
    /// reader): printed by `bollard-edge recognize --evidence` to fit its calibration offline.
    public var evidence: WholePlateEvidence?

    public init(text: String, characterConfidences: [Double], confidence: Double, box: PlateBox, layout: PlateLayout, evidence: WholePlateEvidence? = nil) {
        self.text = text
        self.characterConfidences = characterConfidences
        self.confidence = confidence
        self.box = box
        self.layout = layout
        self.evidence = evidence
    }
}

extension PlateCandidate {
    /// The candidate a syntax reading makes, with its confidence and box.
    init(_ reading: SyntaxReading, confidence: Float, box: PlateBox, evidence: WholePlateEvidence? = nil) {
        self.init(
            text: reading.text, characterConfidences: reading.charConfidences.map { Double($0) }, confidence: Double(confidence), box: box,
            layout: reading.layout, evidence: evidence)
    }
}

/// The raw measures behind a whole-plate read's confidence, before calibration and caps.
public struct WholePlateEvidence: Sendable, Equatable, Codable {
    /// Product of the chosen characters' probabilities (each from its CTC peak column).
    public var probability: Double
    /// The least of them.
    public var minimum: Double
    /// Largest character mass in a column the best path decoded as blank.
    public var skipped: Double
    /// Characters left out because no glyph-sized blob stands under them.
    public var droppedUnsupported: Bool
    /// Glyph-sized blobs on the row's line that no read character maps to (a lost glyph).
    public var unreadGlyphs: Int
    public var inverted: Bool
    /// Another binarisation read a different text at the same place (capped at 0.8).
    public var disputed = false
    /// What the glyph-by-glyph ensemble read on the same row, and its confidence, when the
    /// whole-plate read would be acted on alone (nil otherwise, or when it read nothing).
    public var characterText: String?
    public var characterConfidence: Double?
    /// The two readers disagree on a read the ensemble found in a known layout (capped at 0.8).
    public var readersDisagree = false
    /// Another known layout's text for the same characters, and its syntax score over the
    /// read's (capped at 0.8 from `ConfidenceCalibration.layoutRival`).
    public var rivalText: String?
    public var rivalRatio: Double = 0
}

extension WholePlateEvidence {
    /// The evidence of a whole-plate reading: its characters' probabilities, the mass the
    /// CTC path skipped, and the other known layout its characters make.
    init(_ reading: SyntaxReading, skipped: Float, droppedUnsupported: Bool, unreadGlyphs: Int, inverted: Bool) {
        self.init(
            probability: Double(reading.probability), minimum: Double(reading.charConfidences.min() ?? 0),
            skipped: Double(skipped), droppedUnsupported: droppedUnsupported, unreadGlyphs: unreadGlyphs, inverted: inverted)
        rivalText = reading.rivalText
        rivalRatio = Double(reading.rivalRatio)
    }
}

/// Finds and reads plates in grayscale frames.
///
/// Pipeline: local-contrast threshold → character-shaped components → rows of
/// components of similar height and baseline → each component classified by
/// the trained MLP (with a "not a character" class) → plate syntax → confidence.
/// Not thread-safe: it reuses its buffers; make one recogniser per thread.
public final class PlateRecognizer {
    public struct Configuration: Sendable {
        /// Frames wider than this are box-downscaled by an integer factor before analysis.
        public var maxAnalysisWidth = 1024
        /// Smallest character height (pixels after downscaling) that is looked at.
        public var minCharacterHeight = 9
        /// At most this many plates are reported, best first.
        public var maxPlates = 5
        /// Also look for light characters on a dark plate (never reported as confident).
        public var readsLightOnDark = true
        /// How a row of glyphs found by the blob detector is read.
        public var reader: Reader = .wholePlate

        public init() {}
    }

    /// How rows are read: glyph by glyph (the MLP ensemble over each blob), or at once
    /// by the whole-plate CNN with CTC (model file version 2 or 3), which needs no
    /// segmentation, so gaps, touching glyphs and the EU band do not break a row.
    public enum Reader: String, Sendable, CaseIterable {
        case characters
        case wholePlate = "whole-plate"
    }

    public let configuration: Configuration

    static let passes: [BlobFinder.Threshold] = [
        .init(radiusScale: 1, constant: 7, divisor: 14),
        .init(radiusScale: 1, constant: 2, divisor: 40),
        .init(radiusScale: 0.6, constant: 12, divisor: 10),
        .init(radiusScale: 1, constant: 22, divisor: 6),
        .init(radiusScale: 1, constant: 7, divisor: 14, erode: true),
    ]
    private let finder = BlobFinder()
    private let classifier: CharacterClassifier
    private let plateReader: PlateReader?
    /// Rows already read whole in this image (passes find the same plate again).
    var readRows: [PlateBox] = []
    /// The blobs of the binarisation pass being read, for the whole-plate reader's
    /// look along a row's line for glyph groups the row grouper left out.
    private var passBlobs: [Blob] = []
    private var crop: [Float]
    private var probabilities: [Float]
    /// Class probabilities of blobs already read in this image (passes share many blobs).
    private var cache: [BlobKey: [Float]] = [:]

    private struct BlobKey: Hashable {
        var minX: Int, minY: Int, maxX: Int, maxY: Int
    }

    /// A recogniser with a model loaded and checked by `RecognitionModel.load`.
    ///
    /// With `configuration.reader == .wholePlate` the model must carry the reader
    /// (check `model.hasWholePlateReader` first; the gate refuses to start without it);
    /// otherwise the rows are read glyph by glyph.
    public init(model: RecognitionModel, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        classifier = CharacterClassifier(model: model)
        plateReader = configuration.reader == .wholePlate ? model.reader.map { PlateReader(model: $0) } : nil
        crop = [Float](repeating: 0, count: CharacterModel.cropWidth * CharacterModel.cropHeight)
        probabilities = [Float](repeating: 0, count: CharacterModel.alphabet.count + 1)
        finder.minHeight = configuration.minCharacterHeight
    }

    /// A recogniser with the packaged model, for tools and tests. The gate loads its
    /// model at start (`RecognitionModel.load(path:)`) so a bad file stops start-up
    /// with a clear error instead; here a missing or corrupt packaged copy is fatal.
    public convenience init(configuration: Configuration = Configuration()) {
        do {
            self.init(model: try RecognitionModel.packaged(), configuration: configuration)
        } catch {
            fatalError("\(error)")
        }
    }

    /// Plates in the image, best first (possibly none).
    public func recognize(_ image: GrayImage) -> [PlateCandidate] {
        guard image.width >= 16, image.height >= 16 else { return [] }
        let factor = max(1, (image.width + configuration.maxAnalysisWidth - 1) / configuration.maxAnalysisWidth)
        let work = image.downscaled(by: factor)
        var found: [(candidate: PlateCandidate, score: Float)] = []
        cache.removeAll(keepingCapacity: true)
        readRows.removeAll(keepingCapacity: true)
        var withPieces: [(blobs: [Blob], pieces: [Blob])] = []
        // Square-plate candidates for the fallback below, each once: the passes find the same
        // line or frame again, and what is read from one depends on nothing but it and the image.
        var halfStacks: [[Blob]] = []
        var frames: [Blob] = []
        var confident = false
        for threshold in Self.passes {
            finder.threshold = threshold
            let blobs = finder.blobs(in: work)
            passBlobs = blobs
            let lines = RowGrouper.lines(blobs)
            let stacked = readLines(lines, among: blobs, in: work, factor: factor, inverted: false, into: &found)
            if plateReader != nil {
                // a line read as one of a stack's is no half of a stack that was not found
                for index in lines.indices where !stacked.contains(index) && Self.halfStackLengths.contains(lines[index].count) && !halfStacks.contains(lines[index]) {
                    halfStacks.append(lines[index])
                }
                for blob in blobs where mayBeSquarePlate(blob) && !frames.contains(blob) { frames.append(blob) }
            }
            if !finder.pieces.isEmpty { withPieces.append((blobs, finder.pieces)) }
            // A clean, confident read: the other binarisations would only find it again.
            confident = found.contains(where: { $0.candidate.confidence >= ConfidenceCalibration.earlyExit })
            if confident { break }
        }
        // Nothing confident: glyphs may run together into components too wide for one
        // glyph. Read again the rows that the cut pieces of those components complete.
        if !confident {
            for (blobs, pieces) in withPieces {
                passBlobs = blobs + pieces
                readLines(RowGrouper.lines(blobs + pieces), among: blobs + pieces, in: work, factor: factor, inverted: false, into: &found) { line in
                    line.contains(where: { pieces.contains($0) })
                }
                if found.contains(where: { $0.candidate.confidence >= ConfidenceCalibration.earlyExit }) { break }
            }
        }
        // Still nothing confident: a line may be half of a square plate whose other line
        // made no blobs; look for that line beside it and read both at once.
        if let plateReader, !found.contains(where: { $0.candidate.confidence >= ConfidenceCalibration.earlyExit }) {
            for line in halfStacks {
                if let read = readHalfStack(line, in: work, factor: factor, reader: plateReader) { found.append(read) }
            }
            for blob in frames where !found.contains(where: { $0.candidate.box.iou(Self.plateBox(around: [blob], factor: factor)) > 0.3 }) {
                if let read = readFramedPlate(blob, in: work, factor: factor, reader: plateReader) { found.append(read) }
            }
        }
        cache.removeAll(keepingCapacity: true)
        if configuration.readsLightOnDark, !found.contains(where: { $0.candidate.confidence >= ConfidenceCalibration.earlyExit }) {
            // White (or yellow) characters on a dark plate: same pipeline on the negative.
            var negative = work
            for i in negative.pixels.indices { negative.pixels[i] = 255 - negative.pixels[i] }
            finder.threshold = Self.passes[0]
            passBlobs = finder.blobs(in: negative)
            readLines(RowGrouper.lines(passBlobs), among: passBlobs, in: negative, factor: factor, inverted: true, into: &found)
        }
        found.sort { $0.score > $1.score }
        var kept: [PlateCandidate] = []
        for (candidate, _) in found where !kept.contains(where: { $0.box.iou(candidate.box) > 0.2 }) {
            var candidate = candidate
            // Another binarisation read something else here: one of them lost or merged a glyph.
            let disputed = found.contains { $0.candidate.box.iou(candidate.box) > 0.2 && $0.candidate.text != candidate.text }
            if disputed {
                candidate.confidence = min(candidate.confidence, Double(ConfidenceCalibration.capIrregular))
                candidate.evidence?.disputed = true
            }
            kept.append(candidate)
            if kept.count == configuration.maxPlates { break }
        }
        return kept
    }

    /// Reads one binarisation's lines: first the pairs that stand one above the other as a
    /// two-line plate (read glyph by glyph whichever reader is configured), then every row
    /// of four or more that is not a line of a two-line plate already read (its top line
    /// alone would be a digit group or a part, and would dispute the whole). With `only`,
    /// just the rows and pairs holding a line it accepts.
    /// Returns the indices of the lines read as lines of a two-line plate.
    @discardableResult
    private func readLines(_ lines: [[Blob]], among blobs: [Blob], in image: GrayImage, factor: Int, inverted: Bool,
                           into found: inout [(candidate: PlateCandidate, score: Float)], only: (([Blob]) -> Bool)? = nil) -> Set<Int> {
        var taken = Set<Int>()
        for (t, b) in RowGrouper.stacks(lines, among: blobs) {
            if let only, !only(lines[t]) && !only(lines[b]) { continue }
            if let read = readStacked(top: lines[t], bottom: lines[b], in: image, factor: factor, inverted: inverted) {
                found.append(read)
                taken.insert(t)
                taken.insert(b)
            }
        }
        for (index, row) in lines.enumerated() where row.count >= 4 && !taken.contains(index) {
            if let only, !only(row) { continue }
            if let read = read(row: row, in: image, factor: factor, inverted: inverted) { found.append(read) }
        }
        return taken
    }

    /// A human-readable trace of the pipeline (rows, blobs, top classes), for tuning on synthetic data.
    public func explain(_ image: GrayImage) -> String {
        let factor = max(1, (image.width + configuration.maxAnalysisWidth - 1) / configuration.maxAnalysisWidth)
        let work = image.downscaled(by: factor)
        var out = "factor \(factor)\n"
        let alphabet = CharacterModel.alphabet.map(String.init) + ["#"]
        for (index, threshold) in Self.passes.enumerated() {
            finder.threshold = threshold
            let blobs = finder.blobs(in: work)
            out += "pass \(index): \(blobs.count) blobs\n"
            for b in blobs { out += "blob \(b.minX) \(b.minY) \(b.width) \(b.height) pass \(index)\n" }
            let pieces = finder.pieces
            for p in pieces { out += "piece \(p.minX) \(p.minY) \(p.width) \(p.height) pass \(index)\n" }
            let lines = RowGrouper.lines(blobs)
            let stacked = RowGrouper.stacks(lines, among: blobs).map { [(lines[$0.top], "top"), (lines[$0.bottom], "bottom")] }
            let rows = RowGrouper.rows(blobs).map { ($0, "row") } + RowGrouper.rows(blobs + pieces).filter({ $0.contains(where: { pieces.contains($0) }) }).map { ($0, "row") }
            for (row, kind) in stacked.flatMap({ $0 }) + rows {
                out += "\(kind == "row" ? "row" : "two-line \(kind)") of \(row.count) (pass \(index)):"
                for blob in row {
                    classifier.sample(work, x0: Float(blob.minX), y0: Float(blob.minY), x1: Float(blob.maxX + 1), y1: Float(blob.maxY + 1), into: &crop)
                    classifier.classify(crop, probabilities: &probabilities)
                    let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                    out += " \(alphabet[top])\(Int(probabilities[top] * 100))@\(blob.minX),\(blob.minY) \(blob.width)x\(blob.height)"
                }
                out += "\n"
            }
        }
        return out
    }

    /// Character distributions of the blobs of a row, without those that are not characters.
    ///
    /// The model's reject class alone decides for blobs that do not fit the row's
    /// geometry; a blob of the row's height on its baseline is kept unless the model
    /// is sure, because real fonts differ from rendered ones and a dropped character
    /// is a confident misread. Its reject mass then lowers the read's confidence.
    ///
    /// `glyphHeight` is the height a glyph of the row should have, when more than the row
    /// knows it (both lines of a two-line plate); by default the median of the row's blobs.
    func classify(row: [Blob], in image: GrayImage, splitting: Bool = false, glyphHeight: Float? = nil) -> (chars: [(blob: Blob, p: [Float], fits: Bool)], droppedFitting: Int, didSplit: Bool) {
        var out: [(blob: Blob, p: [Float], fits: Bool)] = []
        var droppedFitting = 0
        let reject = CharacterModel.rejectClass
        let heights = row.map { Float($0.height) }.sorted()
        let medianHeight = glyphHeight ?? heights[heights.count / 2]
        // Glyphs that touch (blur, bold dies, tight spacing) arrive as one blob wider
        // than any single glyph: the splitting variant cuts it at its lightest columns.
        var pieces: [Blob] = []
        var didSplit = false
        for blob in row {
            let tallEnough = abs(Float(blob.height) - medianHeight) <= 0.12 * medianHeight
            if splitting, tallEnough, Float(blob.width) > 1.05 * medianHeight {
                let parts = split(blob, into: Float(blob.width) > 1.6 * medianHeight ? 3 : 2, in: image)
                if (parts.map { bestCharacter(classified($0, in: image)) }.min() ?? 0) > 0.5 {
                    pieces += parts
                    didSplit = true
                    continue
                }
            }
            pieces.append(blob)
        }
        let widths = pieces.map { Float($0.width) }.sorted()
        let medianWidth = widths[widths.count / 2]
        let (slope, intercept) = baseline(row)
        for blob in pieces {
            probabilities = classified(blob, in: image)
            let fits = abs(Float(blob.height) - medianHeight) <= 0.12 * medianHeight
                && abs(Float(blob.maxY) - (slope * blob.centerX + intercept)) <= 0.12 * medianHeight
                && Float(blob.width) >= 0.18 * medianHeight
                && Float(blob.width) <= 1.8 * medianWidth
            let limit: Float = fits ? 0.97 : 0.5
            if probabilities[reject] >= limit {
                if fits { droppedFitting += 1 }
                continue
            }
            out.append((blob, probabilities, fits))
        }
        return (out, droppedFitting, didSplit)
    }

    /// Class probabilities of a blob, through the per-image cache.
    private func classified(_ blob: Blob, in image: GrayImage) -> [Float] {
        let key = BlobKey(minX: blob.minX, minY: blob.minY, maxX: blob.maxX, maxY: blob.maxY)
        if let known = cache[key] { return known }
        classifier.sample(image, x0: Float(blob.minX), y0: Float(blob.minY), x1: Float(blob.maxX + 1), y1: Float(blob.maxY + 1), into: &crop)
        classifier.classify(crop, probabilities: &probabilities)
        cache[key] = probabilities
        return probabilities
    }

    private static let letterO = CharacterModel.alphabet.firstIndex(of: "O")!

    /// Probability of the most likely real character (not the reject class), O and 0 as one.
    private func bestCharacter(_ p: [Float]) -> Float {
        var best: Float = 0
        for k in 0..<CharacterModel.rejectClass { best = max(best, p[k]) }
        return max(best, p[0] + p[Self.letterO])
    }

    /// Cuts a blob into `parts` pieces at its lightest columns near the even cut points.
    private func split(_ blob: Blob, into parts: Int, in image: GrayImage) -> [Blob] {
        let w = blob.width
        var cuts: [Int] = []
        image.pixels.withUnsafeBufferPointer { px in
            for k in 1..<parts {
                let centre = blob.minX + w * k / parts
                let reach = max(1, w / (parts * 4))
                var bestX = centre
                var bestSum = -1
                for x in max(blob.minX + 2, centre - reach)...min(blob.maxX - 2, centre + reach) {
                    var sum = 0
                    for y in blob.minY...blob.maxY { sum += Int(px[y * image.width + x]) }
                    if sum > bestSum {
                        bestSum = sum
                        bestX = x
                    }
                }
                cuts.append(bestX)
            }
        }
        var pieces: [Blob] = []
        var start = blob.minX
        for cut in cuts + [blob.maxX + 1] {
            pieces.append(Blob(minX: start, minY: blob.minY, maxX: cut - 1, maxY: blob.maxY, area: 0))
            start = cut + 1
        }
        return pieces
    }

    /// Least-squares line through the blobs' bottoms (y = slope * x + intercept): the bottom pixel
    /// rows, or with `edge` the bottom edges below them (continuous coordinates, one more).
    func baseline(_ row: [Blob], edge: Bool = false) -> (Float, Float) {
        let xs = row.map(\.centerX), ys = row.map { Float(edge ? $0.maxY + 1 : $0.maxY) }
        let mx = xs.reduce(0, +) / Float(xs.count), my = ys.reduce(0, +) / Float(ys.count)
        var sxy: Float = 0, sxx: Float = 0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        return (slope, my - slope * mx)
    }

    /// The row read as it is and with its over-wide blobs cut; the syntax score decides.
    private func read(row: [Blob], in image: GrayImage, factor: Int, inverted: Bool) -> (candidate: PlateCandidate, score: Float)? {
        if let plateReader {
            guard var read = readWhole(row: row, in: image, factor: factor, inverted: inverted, reader: plateReader) else { return nil }
            crossCheck(&read.candidate, row: row, in: image, factor: factor, inverted: inverted)
            return read
        }
        return readCharacters(row: row, in: image, factor: factor, inverted: inverted)
    }

    /// A whole-plate read that would be acted on alone is held against the glyph-by-glyph
    /// ensemble's read of the same row. The two are independent models with different
    /// failure modes (the CNN can turn an I next to digits into a 1 and a European plate
    /// into a valid Spanish provincial one; the ensemble loses glyphs it cannot segment):
    /// when the ensemble reads a different text in a known layout with confidence of its own,
    /// one of them is wrong and a person should look. An ensemble that reads nothing, or
    /// only an unknown layout, is no evidence against the reader.
    func crossCheck(_ candidate: inout PlateCandidate, row: [Blob], in image: GrayImage, factor: Int, inverted: Bool) {
        guard candidate.confidence >= ConfidenceCalibration.actAlone else { return }
        guard let other = readCharacters(row: row, in: image, factor: factor, inverted: inverted)?.candidate else { return }
        candidate.evidence?.characterText = other.text
        candidate.evidence?.characterConfidence = other.confidence
        if ConfidenceCalibration.readersDisagree(whole: candidate.text, characters: other) {
            candidate.confidence = min(candidate.confidence, Double(ConfidenceCalibration.capIrregular))
            candidate.evidence?.readersDisagree = true
        }
    }

    /// The glyph-by-glyph read: the row as it is and with its over-wide blobs cut; the syntax score decides.
    private func readCharacters(row: [Blob], in image: GrayImage, factor: Int, inverted: Bool) -> (candidate: PlateCandidate, score: Float)? {
        Self.wholeOrCut { splitting in read(row: row, in: image, factor: factor, inverted: inverted, splitting: splitting) }
    }

    /// A read of glyphs as they are and with their over-wide blobs cut (`splitting`): a cut
    /// must explain them much better to win (a wide W is not VV).
    static func wholeOrCut(
        _ read: (_ splitting: Bool) -> (candidate: PlateCandidate, score: Float)?
    ) -> (candidate: PlateCandidate, score: Float)? {
        let whole = read(false)
        guard let cut = read(true) else { return whole }
        guard let whole else { return cut }
        return cut.score > 3 * whole.score ? cut : whole
    }

    private func read(row: [Blob], in image: GrayImage, factor: Int, inverted: Bool, splitting: Bool) -> (candidate: PlateCandidate, score: Float)? {
        let (chars, droppedFitting, didSplit) = classify(row: row, in: image, splitting: splitting)
        if splitting, !didSplit { return nil }
        guard chars.count >= 4 else { return nil }
        var best: (reading: SyntaxReading, range: Range<Int>)?
        // Whole row, or the row less up to two characters at its ends (frame pieces,
        // a neighbouring sticker); a window must then earn its place by its score.
        let lengths = chars.count <= 8 ? Array(max(4, chars.count - 2)...chars.count) : [8, 7]
        for length in lengths {
            for start in 0...(chars.count - length) {
                let range = start..<(start + length)
                // only blobs that do not fit the row may be cut (unless the row is too long)
                if chars.count <= 8, chars.indices.contains(where: { !range.contains($0) && chars[$0].fits }) { continue }
                guard let reading = PlateSyntax.read(chars[range].map { $0.p }) else { continue }
                if best == nil || reading.score > best!.reading.score { best = (reading, range) }
            }
        }
        guard let (reading, range) = best else { return nil }
        let blobs = chars[range].map { $0.blob }
        let box = Self.plateBox(around: blobs, factor: factor)
        var confidence = ConfidenceCalibration.confidence(reading: reading, blobs: blobs, rowLength: row.count)
        if inverted { confidence = min(confidence, ConfidenceCalibration.capOtherLayout) }
        // A glyph-shaped blob on the row that the model refused may be a lost character.
        let cutFitting = chars.indices.contains { !range.contains($0) && chars[$0].fits }
        // Cut glyphs are a guess about where one character ends.
        if droppedFitting > 0 || cutFitting || didSplit { confidence = min(confidence, ConfidenceCalibration.capIrregular) }
        return (PlateCandidate(reading, confidence: confidence, box: box), reading.score)
    }
}

extension PlateRecognizer {
    /// A two-line plate: each line classified as a row of its own (its own height and
    /// baseline decide which blobs fit), then both read as one text, top line first, under
    /// the two-line layouts only. As for a row, a line may leave out up to two blobs at its
    /// ends that do not fit it (two in all), and the variant with over-wide blobs cut must
    /// score three times better to win.
    ///
    /// With the whole-plate reader, the two lines are read at once as well, side by side in
    /// one strip (`readStackedWhole`): a line whose glyphs touch each other or the frame has
    /// no clean blobs for the ensemble, but the reader needs only its line. That read wins
    /// when it makes a two-line plate, and reaches the review threshold only when the
    /// ensemble reads the same plate.
    func readStacked(top: [Blob], bottom: [Blob], in image: GrayImage, factor: Int, inverted: Bool) -> (candidate: PlateCandidate, score: Float)? {
        let characters = Self.wholeOrCut { splitting in readStacked(top: top, bottom: bottom, in: image, factor: factor, inverted: inverted, splitting: splitting) }
        guard let plateReader, var whole = readStackedWhole(top: top, bottom: bottom, in: image, factor: factor, inverted: inverted, reader: plateReader)
        else { return characters }
        // The reader's confidence was fitted on rows, not on lines laid side by side: a
        // two-line read is acted on alone only when the ensemble reads the same plate.
        if whole.candidate.confidence >= ConfidenceCalibration.actAlone {
            let other = characters?.candidate
            whole.candidate.evidence?.characterText = other?.text
            whole.candidate.evidence?.characterConfidence = other?.confidence
            if other.map({ !PlateSyntax.sameReading($0.text, whole.candidate.text) }) ?? true {
                whole.candidate.confidence = min(whole.candidate.confidence, Double(ConfidenceCalibration.capIrregular))
                whole.candidate.evidence?.readersDisagree = other != nil
            }
        }
        return whole
    }

    /// The two lines of a stack read by the CNN in one strip, top line first (each line cut
    /// as a row is: its own bottom line, the stack's glyph height, its blobs' span), then
    /// held to the two-line layouts.
    private func readStackedWhole(top: [Blob], bottom: [Blob], in image: GrayImage, factor: Int, inverted: Bool, reader: PlateReader) -> (candidate: PlateCandidate, score: Float)? {
        let heights = (top + bottom).map(\.height).sorted()
        let h = Float(heights[heights.count / 2])
        let lines = [top, bottom].map { line -> PlateReader.Line in
            var (slope, intercept) = baseline(line, edge: true)
            if line.count < 3 {
                // two glyphs make a poor slope: take the other line's, through this line's bottoms
                let other = line == top ? bottom : top
                slope = baseline(other, edge: true).0
                let xs = line.map(\.centerX), ys = line.map { Float($0.maxY + 1) }
                intercept = zip(xs, ys).map { $1 - slope * $0 }.reduce(0, +) / Float(line.count)
            }
            return PlateReader.Line(slope: slope, intercept: intercept, h: h, xa: Float(line.map(\.minX).min()!), xb: Float(line.map(\.maxX).max()! + 1))
        }
        return readTwoLines(lines, box: Self.plateBox(around: top + bottom, factor: factor), in: image, inverted: inverted, guessed: false, reader: reader)
    }

    /// Two lines read side by side in one strip and held to the two-line layouts. Lines whose
    /// place was `guessed` from the image, not found as blobs, may leave out up to two read
    /// characters at their outer ends and are capped below the review threshold; found ones
    /// are capped, as a row is, when a glyph blob on a line has no character.
    func readTwoLines(_ lines: [PlateReader.Line], box: PlateBox, in image: GrayImage, inverted: Bool, guessed: Bool, reader: PlateReader) -> (candidate: PlateCandidate, score: Float)? {
        reader.sample(image, lines: lines)
        let decoded = reader.read()
        let places = reader.places(of: decoded, lines: lines)
        let topLine = places.filter { $0.line == 0 }.count
        let read = guessed ? Self.twoLineReading(decoded.characters, topLine: topLine) : PlateSyntax.read(decoded.characters, topLine: topLine)
        guard let reading = read else { return nil }
        var unread = 0
        if !guessed {
            for (index, line) in lines.enumerated() {
                let xs = places.filter { $0.line == index }.map(\.x)
                unread += Self.unreadGlyphs(passBlobs, characterXs: xs, in: image, slope: line.slope, intercept: line.intercept, h: line.h, from: line.xa, to: line.xb)
            }
        }
        let evidence = WholePlateEvidence(reading, skipped: decoded.skippedMass, droppedUnsupported: false, unreadGlyphs: unread, inverted: inverted)
        var confidence = reader.confidence(evidence, of: reading)
        if inverted { confidence = min(confidence, ConfidenceCalibration.capOtherLayout) }
        if guessed || decoded.skippedMass > ConfidenceCalibration.skippedCharacter || unread > 0 || reading.rivalRatio >= ConfidenceCalibration.layoutRival {
            confidence = min(confidence, ConfidenceCalibration.capIrregular)
        }
        return (PlateCandidate(reading, confidence: confidence, box: box, evidence: evidence), reading.score)
    }

    private func readStacked(top: [Blob], bottom: [Blob], in image: GrayImage, factor: Int, inverted: Bool, splitting: Bool) -> (candidate: PlateCandidate, score: Float)? {
        // Both lines have one glyph height: a short line's median may be a band's or a screw's.
        let allHeights = (top + bottom).map { Float($0.height) }.sorted()
        let glyphHeight = allHeights[allHeights.count / 2]
        let upper = classify(row: top, in: image, splitting: splitting, glyphHeight: glyphHeight)
        let lower = classify(row: bottom, in: image, splitting: splitting, glyphHeight: glyphHeight)
        if splitting, !upper.didSplit, !lower.didSplit { return nil }
        guard upper.chars.count >= 2, lower.chars.count >= 2 else { return nil }
        /// Windows of a line: all of it, or less up to two blobs at its ends that do not fit.
        func windows(_ chars: [(blob: Blob, p: [Float], fits: Bool)]) -> [Range<Int>] {
            var out: [Range<Int>] = []
            for length in max(2, chars.count - 2)...chars.count {
                for start in 0...(chars.count - length) {
                    let range = start..<(start + length)
                    if chars.indices.contains(where: { !range.contains($0) && chars[$0].fits }) { continue }
                    out.append(range)
                }
            }
            return out
        }
        var best: (reading: SyntaxReading, upper: Range<Int>, lower: Range<Int>)?
        for ru in windows(upper.chars) {
            for rl in windows(lower.chars) where (upper.chars.count - ru.count) + (lower.chars.count - rl.count) <= 2 {
                let probabilities = upper.chars[ru].map(\.p) + lower.chars[rl].map(\.p)
                guard let reading = PlateSyntax.read(probabilities, topLine: ru.count) else { continue }
                if best == nil || reading.score > best!.reading.score { best = (reading, ru, rl) }
            }
        }
        guard let (reading, ru, rl) = best else { return nil }
        let lines = [upper.chars[ru].map(\.blob), lower.chars[rl].map(\.blob)]
        let blobs = lines[0] + lines[1]
        let box = Self.plateBox(around: blobs, factor: factor)
        var confidence = ConfidenceCalibration.confidence(reading: reading, lines: lines, rowLength: top.count + bottom.count)
        if inverted { confidence = min(confidence, ConfidenceCalibration.capOtherLayout) }
        let cutFitting = upper.chars.indices.contains { !ru.contains($0) && upper.chars[$0].fits }
            || lower.chars.indices.contains { !rl.contains($0) && lower.chars[$0].fits }
        if upper.droppedFitting + lower.droppedFitting > 0 || cutFitting || upper.didSplit || lower.didSplit {
            confidence = min(confidence, ConfidenceCalibration.capIrregular)
        }
        return (PlateCandidate(reading, confidence: confidence, box: box), reading.score)
    }
}

extension PlateRecognizer {
    /// Rows overlapping an already read one this much are the same plate found again.
    static let sameRow = 0.8

    /// The plate around its glyphs: their span with half a glyph height of margin at the
    /// sides and a quarter above and below, in the pixels of the image given to `recognize`.
    static func plateBox(around blobs: [Blob], factor: Int) -> PlateBox {
        let minX = blobs.map(\.minX).min()!, maxX = blobs.map(\.maxX).max()!
        let minY = blobs.map(\.minY).min()!, maxY = blobs.map(\.maxY).max()!
        let heights = blobs.map(\.height).sorted()
        let h = heights[heights.count / 2]
        return PlateBox(
            x: max(0, minX - h / 2) * factor,
            y: max(0, minY - h / 4) * factor,
            width: (maxX - minX + 1 + h) * factor,
            height: (maxY - minY + 1 + h / 2) * factor
        )
    }

    /// The row's strip read at once by the CNN, decoded, then held to the plate syntax.
    fileprivate func readWhole(row: [Blob], in image: GrayImage, factor: Int, inverted: Bool, reader: PlateReader) -> (candidate: PlateCandidate, score: Float)? {
        let heights = row.map(\.height).sorted()
        let h = heights[heights.count / 2]
        let minX = row.map(\.minX).min()!, maxX = row.map(\.maxX).max()!
        let box = Self.plateBox(around: row, factor: factor)
        // The passes find the same plate again with a blob more or less: read it once.
        if readRows.contains(where: { $0.iou(box) > Self.sameRow }) { return nil }
        readRows.append(box)
        // glyph bottoms: least squares through (centre, bottom edge), continuous coordinates
        let (slope, intercept) = baseline(row, edge: true)
        let fh = Float(h)
        // Glyphs on the row's line past a gap the row grouper would not cross (the letter
        // group of a Spanish plate, a provincial prefix): the strip reaches out to them.
        var xa = Float(minX), xb = Float(maxX + 1)
        var grew = true
        while grew {
            grew = false
            for b in passBlobs where abs(Float(b.height) - fh) <= 0.2 * fh
                && abs(Float(b.maxY + 1) - (slope * b.centerX + intercept)) <= 0.2 * fh
            {
                let left = Float(b.minX), right = Float(b.maxX + 1)
                if left >= xb, left - xb <= 2.5 * fh, right - Float(maxX + 1) <= 5 * fh {
                    xb = right
                    grew = true
                } else if right <= xa, xa - right <= 2.5 * fh, Float(minX) - left <= 5 * fh {
                    xa = left
                    grew = true
                }
            }
        }
        reader.sample(image, slope: slope, intercept: intercept, h: fh, xa: xa, xb: xb)
        var decoded = reader.read()
        // The Spanish plate's halves as the detector loses them: the digits alone (the
        // letter group stands past a wide gap) or digits short of four before three
        // letters (the first digit merged into the E band). Look again further out.
        let text = decoded.text
        let digitsOnly = (3...4).contains(text.count) && text.allSatisfy(\.isNumber)
        let shortDigits = (5...6).contains(text.count) && text.prefix(text.count - 3).allSatisfy(\.isNumber)
            && text.suffix(3).allSatisfy(\.isLetter)
        var window = (xa, xb)
        if digitsOnly || shortDigits {
            let wa = max(0, xa - (shortDigits ? 1.0 * fh : 0)), wb = min(Float(image.width), xb + (digitsOnly ? 3.5 * fh : 0))
            reader.sample(image, slope: slope, intercept: intercept, h: fh, xa: wa, xb: wb)
            let wider = reader.read()
            if wider.characters.count > decoded.characters.count {
                decoded = wider
                window = (wa, wb)
            }
        }
        guard var reading = PlateSyntax.read(decoded.characters) else { return nil }
        // Where each read character stands in the image: its CTC peak column mapped back.
        let xs = reader.places(of: decoded, lines: [PlateReader.Line(slope: slope, intercept: intercept, h: fh, xa: window.0, xb: window.1)]).map(\.x)
        var keptXs = xs
        var droppedUnsupported = false
        let supported = xs.map { x -> Bool in
            passBlobs.contains { b in
                Float(b.height) >= 0.75 * fh && Float(b.height) <= 1.25 * fh
                    && abs(Float(b.maxY + 1) - (slope * b.centerX + intercept)) <= 0.25 * fh
                    && x >= Float(b.minX) - 0.3 * fh && x <= Float(b.maxX + 1) + 0.3 * fh
            }
        }
        var keptCharacters = decoded.characters
        if let (shorter, keptIndices) = Self.leavingOutUnsupported(reading, decoded.characters, supported: supported) {
            reading = shorter
            keptXs = keptIndices.map { xs[$0] }
            keptCharacters = keptIndices.map { decoded.characters[$0] }
            droppedUnsupported = true
        }
        var unread = Self.unreadGlyphBlobs(passBlobs, characterXs: keptXs, in: image, slope: slope, intercept: intercept, h: fh, from: window.0, to: window.1)
        // A glyph no character came from, in a read of no known layout: the reader lost it
        // (CTC merges a doubled 00 or SS unless a blank column parts them; a narrow I goes
        // missing). The ensemble reads that glyph, and its character is put in its place.
        var filled = false
        if reading.layout == .other, !droppedUnsupported, (1...2).contains(unread.count) {
            if let (completed, xsAfter) = Self.fillingLost(keptCharacters, at: keptXs, lost: unread.map { ($0.centerX, classified($0, in: image)) }) {
                reading = completed
                keptXs = xsAfter
                unread = Self.unreadGlyphBlobs(passBlobs, characterXs: keptXs, in: image, slope: slope, intercept: intercept, h: fh, from: window.0, to: window.1)
                filled = true
            }
        }
        let evidence = WholePlateEvidence(reading, skipped: decoded.skippedMass, droppedUnsupported: droppedUnsupported, unreadGlyphs: unread.count, inverted: inverted)
        var confidence = reader.confidence(evidence, of: reading)
        if droppedUnsupported || filled { confidence = min(confidence, ConfidenceCalibration.capIrregular) }
        if reading.layout == .other || inverted { confidence = min(confidence, ConfidenceCalibration.capOtherLayout) }
        // A column the best path left blank that was close to a character: one may be missing.
        if decoded.skippedMass > ConfidenceCalibration.skippedCharacter { confidence = min(confidence, ConfidenceCalibration.capIrregular) }
        // A glyph on the row that no character came from: the network may have lost a narrow
        // one (B7848IW read B7848W), and what is left can still be a valid plate.
        if !unread.isEmpty { confidence = min(confidence, ConfidenceCalibration.capIrregular) }
        // The same characters make another valid plate nearly as well: the layout guessed a glyph.
        if reading.rivalRatio >= ConfidenceCalibration.layoutRival { confidence = min(confidence, ConfidenceCalibration.capIrregular) }
        let spanX = Int(xa.rounded(.down)), spanEnd = Int(xb.rounded(.up))
        let plate = PlateBox(x: max(0, spanX - h / 2) * factor, y: box.y, width: (spanEnd - spanX + h) * factor, height: box.height)
        return (PlateCandidate(reading, confidence: confidence, box: plate, evidence: evidence), reading.score)
    }
}

extension PlateRecognizer {
    /// A read with one or two characters left out where no glyph-sized blob stands (an emblem
    /// in the gap, the band's letters, a sticker), when that gives a known layout: any such
    /// character of a read in no known layout; of a read in a known layout only those the
    /// reader itself doubts (below even odds), and only if the plate left scores better.
    /// Returns the shorter reading and the indices of the characters kept; nil to keep all.
    static func leavingOutUnsupported(_ reading: SyntaxReading, _ characters: [[Float]], supported: [Bool]) -> (SyntaxReading, [Int])? {
        let droppable = characters.indices.filter {
            !supported[$0] && (reading.layout == .other || reading.charConfidences[$0] < ConfidenceCalibration.doubtedCharacter)
        }
        guard (1...2).contains(droppable.count) else { return nil }
        let kept = characters.indices.filter { !droppable.contains($0) }
        guard let shorter = PlateSyntax.read(kept.map { characters[$0] }), shorter.layout != .other,
              reading.layout == .other || shorter.score > reading.score
        else { return nil }
        return (shorter, kept)
    }

    /// Characters read, with lost glyphs put in their places (by x) as the ensemble reads
    /// them, when that makes a known layout. Returns the reading and every character's x.
    static func fillingLost(_ characters: [[Float]], at xs: [Float], lost: [(x: Float, p: [Float])]) -> (SyntaxReading, [Float])? {
        let all = (zip(xs, characters).map { ($0, $1) } + lost.map { ($0.x, $0.p) }).sorted { $0.0 < $1.0 }
        guard let completed = PlateSyntax.read(all.map(\.1)), completed.layout != .other else { return nil }
        return (completed, all.map(\.0))
    }

    /// Glyph-sized blobs on the row's line between `from` and `to` that no read character
    /// maps to: the inverse of the rule on unsupported characters. Each character claims
    /// the blob nearest to it (within 0.6 h); a blob overlapping a claimed one by half its
    /// width is the same glyph found twice. A blob beyond the outer characters counts only
    /// when plate-light stands just outside it too (a lost first or last glyph); the dark
    /// band or the background past the plate's end, darker than the plate next to it,
    /// is often cut at glyph height and is not a glyph.
    static func unreadGlyphs(_ blobs: [Blob], characterXs: [Float], in image: GrayImage, slope: Float, intercept: Float, h: Float, from: Float, to: Float) -> Int {
        unreadGlyphBlobs(blobs, characterXs: characterXs, in: image, slope: slope, intercept: intercept, h: h, from: from, to: to).count
    }

    /// The unread glyph blobs themselves (`unreadGlyphs`).
    static func unreadGlyphBlobs(_ blobs: [Blob], characterXs: [Float], in image: GrayImage, slope: Float, intercept: Float, h: Float, from: Float, to: Float) -> [Blob] {
        let glyphs = blobs.filter { b in
            abs(Float(b.height) - h) <= 0.2 * h && abs(Float(b.maxY + 1) - (slope * b.centerX + intercept)) <= 0.2 * h
                && b.centerX >= from && b.centerX <= to
        }
        guard !glyphs.isEmpty, let first = characterXs.min(), let last = characterXs.max() else { return [] }
        var claimed = [Bool](repeating: false, count: glyphs.count)
        for x in characterXs {
            var best = -1
            var distance = 0.6 * h
            for (i, b) in glyphs.enumerated() {
                let d = x < Float(b.minX) ? Float(b.minX) - x : (x > Float(b.maxX + 1) ? x - Float(b.maxX + 1) : 0)
                if d < distance || (d == distance && best >= 0 && abs(b.centerX - x) < abs(glyphs[best].centerX - x)) {
                    best = i
                    distance = d
                }
            }
            if best >= 0 { claimed[best] = true }
        }
        // the plate's light level: the brighter half of the band the claimed glyphs stand in
        var light: [UInt8] = []
        for (i, b) in glyphs.enumerated() where claimed[i] {
            for y in b.minY...b.maxY {
                for x in b.minX...b.maxX { light.append(image.pixels[y * image.width + x]) }
            }
        }
        light.sort()
        let plateLight = light.isEmpty ? 255 : Float(light[light.count * 3 / 4])
        func mean(_ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) -> Float? {
            let xa = max(0, x0), xb = min(image.width - 1, x1), ya = max(0, y0), yb = min(image.height - 1, y1)
            guard xa <= xb, ya <= yb else { return nil }
            var sum = 0
            for y in ya...yb {
                for x in xa...xb { sum += Int(image.pixels[y * image.width + x]) }
            }
            return Float(sum) / Float((xb - xa + 1) * (yb - ya + 1))
        }
        var unread: [Blob] = []
        for (i, b) in glyphs.enumerated() where !claimed[i] {
            let twice = glyphs.indices.contains { j in
                guard claimed[j] else { return false }
                let overlap = min(b.maxX, glyphs[j].maxX) - max(b.minX, glyphs[j].minX) + 1
                return Float(overlap) >= 0.5 * Float(min(b.width, glyphs[j].width))
            }
            if twice { continue }
            if b.centerX < first || b.centerX > last {
                let reach = max(2, Int(0.15 * h))
                let outside = b.centerX < first ? mean(b.minX - reach, b.minX - 1, b.minY, b.maxY) : mean(b.maxX + 1, b.maxX + reach, b.minY, b.maxY)
                guard let outside, let inside = mean(b.minX, b.maxX, b.minY, b.maxY) else { continue }
                if outside < inside + 0.5 * (plateLight - inside) { continue }
            }
            unread.append(b)
        }
        return unread
    }
}

/// Maps the model's raw reading probability to a calibrated confidence.
///
/// Raw probabilities of a softmax trained on synthetic plates are over-confident
/// on real photos; the exponent and the caps below were fitted on a held-out
/// rendered set (see docs/recognition.md) and then made stricter, because a
/// read at ≥ 0.9 is acted on without a person looking.
enum ConfidenceCalibration {
    static let exponent: Float = 2
    static let capOtherLayout: Float = 0.85
    static let capIrregular: Float = 0.8
    /// Whole-plate reader: a blank column whose best character has this much mass
    /// may hide a character the best path skipped.
    static let skippedCharacter: Float = 0.3
    /// A whole-plate read's character below this probability, with no glyph blob under it,
    /// may be left out of a read in a known layout (even odds: the reader doubts it).
    static let doubtedCharacter: Float = 0.5
    /// A read this confident ends the search for more binarisations.
    static let earlyExit: Double = 0.95
    /// The gate acts on a read this confident without a person looking (the review threshold).
    static let actAlone: Double = 0.9
    /// The ensemble's confidence from which its differing read counts against the
    /// whole-plate reader's (fitted on the rendered calibration sets, docs/recognition.md).
    static let crossCheckEvidence: Double = 0.2
    /// A read whose characters make another known layout's plate with at least this share of
    /// its syntax score is a guess between two plates (fitted on the rendered calibration
    /// sets, docs/recognition.md).
    static let layoutRival: Float = 0.01

    /// The ensemble's read of a row counts against the whole-plate reader's: another text
    /// (O and 0 as one), in a known layout, read with some confidence of its own.
    static func readersDisagree(whole text: String, characters other: PlateCandidate) -> Bool {
        !PlateSyntax.sameReading(other.text, text) && other.layout != .other && other.confidence >= crossCheckEvidence
    }

    static func confidence(reading: SyntaxReading, blobs: [Blob], rowLength: Int) -> Float {
        confidence(reading: reading, lines: [blobs], rowLength: rowLength)
    }

    /// The same for the lines of a two-line plate: heights must agree across both lines,
    /// bottoms along each line.
    static func confidence(reading: SyntaxReading, lines: [[Blob]], rowLength: Int) -> Float {
        var c = powf(reading.probability, exponent)
        if reading.layout == .other { c = min(c, capOtherLayout) }
        // Heights or baselines that wander suggest a merged or broken character.
        let blobs = lines.flatMap { $0 }
        let hs = blobs.map { Float($0.height) }
        let mean = hs.reduce(0, +) / Float(hs.count)
        let spread = hs.map { abs($0 - mean) }.max()! / mean
        var slopeResidual: Float = 0
        for line in lines where line.count >= 3 {
            let bottoms = line.map { Float($0.maxY) }
            let xs = line.map { $0.centerX }
            let mx = xs.reduce(0, +) / Float(xs.count), my = bottoms.reduce(0, +) / Float(bottoms.count)
            var sxy: Float = 0, sxx: Float = 0
            for (x, y) in zip(xs, bottoms) {
                sxy += (x - mx) * (y - my)
                sxx += (x - mx) * (x - mx)
            }
            let slope = sxx > 0 ? sxy / sxx : 0
            for (x, y) in zip(xs, bottoms) { slopeResidual = max(slopeResidual, abs(y - my - slope * (x - mx))) }
        }
        if spread > 0.15 || slopeResidual > 0.15 * mean { c = min(c, capIrregular) }
        // Extra blobs in the row that were kept out of the reading: a piece may be missing.
        if rowLength > blobs.count + 2 { c = min(c, capIrregular) }
        return c
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
