// Gradient clipping by norm and by value against hand-computed numbers.
import Foundation
import Testing

@testable import CharRNN

@Suite struct ClippingTests {
    @Test func normClippingScalesToTheThresholdAndReportsThePreClipNorm() {
        let g = Buffer<Double>([3, 4])
        #expect(clipGradients(g, threshold: 1, mode: .norm) == 5)  // √(9 + 16)
        #expect(abs(g[0] - 0.6) < 1e-12 && abs(g[1] - 0.8) < 1e-12)
        let small = Buffer<Double>([0.3, 0.4])
        #expect(clipGradients(small, threshold: 1, mode: .norm) == 0.5)
        #expect(small.array == [0.3, 0.4])  // under the threshold: untouched
    }

    @Test func valueClippingClampsEachElement() {
        let g = Buffer<Float>([-7, 2, 9])
        _ = clipGradients(g, threshold: 5, mode: .value)
        #expect(g.array == [-5, 2, 5])
    }
}
