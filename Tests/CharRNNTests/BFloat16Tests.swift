// What data-parallel training rests on below the trainer: CMPIShim's bfloat16 conversions of the gradient exchange.
import CMPIShim
import Foundation
import Testing

@testable import CharRNN

/// The bfloat16 conversions of the gradient exchange against Swift's own bit arithmetic: round to nearest even,
/// NaN kept, and exact on the way back.
@Suite struct BFloat16Tests {
    @Test func roundsToNearestEvenAndKeepsNaN() {
        var rng = SplitMix64(seed: 3)
        var values: [Float] = [
            0, -0, 1, -1, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
        ]
        // Ties (the low 16 bits exactly 0x8000) with an even and an odd neighbour below, and values either side.
        values += [0x3F80_8000, 0x3F81_8000, 0xBF80_8000, 0xBF81_8000, 0x3F80_7FFF, 0x3F81_8001, 0x7F7F_8000].map {
            Float(bitPattern: $0)
        }
        values += (0..<10_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        var halves = [UInt16](repeating: 0, count: values.count)
        crnn_float_to_bfloat16(values, &halves, values.count)
        var back = [Float](repeating: 0, count: values.count)
        crnn_bfloat16_to_float(halves, &back, values.count)
        for (i, value) in values.enumerated() {
            if value.isNaN {
                #expect(back[i].isNaN, "\(value)")
                continue
            }
            // The independent reference: of the two bfloat16 neighbours, the nearer; on a tie, the even one.
            let bits = value.bitPattern
            let (low, high) = (bits & 0xFFFF_0000, (bits & 0xFFFF_0000) &+ 0x1_0000)
            let (distanceLow, distanceHigh) = (bits - low, high &- bits)
            let expected =
                distanceLow < distanceHigh || distanceLow == distanceHigh && (low >> 16) & 1 == 0 ? low : high
            #expect(back[i].bitPattern == expected, "\(value): \(back[i]) vs \(Float(bitPattern: expected))")
        }
    }
}
