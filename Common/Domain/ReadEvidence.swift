/// The frame a vehicle's read was kept from (the tracker's best), as grey
/// pixels, and where the plate is in it: what a gate turns into evidence
/// images when the decision is a violation or a review. Reads from replay
/// files and the generator have none.
public struct ReadEvidence: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// `width × height` grey pixels, row by row.
    public var pixels: [UInt8]
    /// The plate's box in the frame: x, y, width, height.
    public var boxX: Int
    public var boxY: Int
    public var boxWidth: Int
    public var boxHeight: Int

    public init(width: Int, height: Int, pixels: [UInt8], boxX: Int, boxY: Int, boxWidth: Int, boxHeight: Int) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.boxX = boxX
        self.boxY = boxY
        self.boxWidth = boxWidth
        self.boxHeight = boxHeight
    }
}
