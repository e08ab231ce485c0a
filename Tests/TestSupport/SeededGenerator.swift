/// A small deterministic random number generator (a 64-bit linear congruential one, Knuth's
/// MMIX constants), for tests that draw many random cases and must draw the same ones on
/// every run, so that a failure comes back when it is run again.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
