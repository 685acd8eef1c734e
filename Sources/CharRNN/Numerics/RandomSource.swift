// Seeded randomness. Every random draw in charrnn comes from a generator passed in by the caller, so the same
// command with the same seed gives the same bytes.
import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed 64-bit generator whose whole state is one
/// UInt64, so it can be saved in a checkpoint and restored exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The generator's entire state.
    public var state: UInt64

    /// A generator whose whole state is `seed`.
    public init(seed: UInt64) { state = seed }

    @inline(__always)
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Skips `count` draws of `next()` at once: the state moves by a fixed step per draw.
    public mutating func advance(by count: Int) {
        state &+= 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: count)
    }
}

extension RandomNumberGenerator {
    /// A uniform draw in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller; one of the pair is discarded to keep the state simple).
    public mutating func nextNormal() -> Double {
        var u = nextUnitDouble()
        while u == 0 { u = nextUnitDouble() }
        let v = nextUnitDouble()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
