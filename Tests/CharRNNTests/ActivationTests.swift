// The SIMD activations: Float's polynomial exp against libm, sigmoid and tanh at the extremes.
import Foundation
import Testing

@testable import CharRNN

@Suite struct ActivationTests {
    @Test func floatPolynomialExpMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = SIMD8<Float>(x, x + 0.011, x + 0.023, x + 0.037, x + 0.041, x + 0.053, x + 0.067, x + 0.071)
            let fast = Float.exp(v)
            for i in 0..<8 { worst = max(worst, abs(fast[i] - Foundation.exp(v[i])) / Foundation.exp(v[i])) }
            x += 0.0917
        }
        #expect(worst < 1e-6)
    }

    @Test func sigmoidAndTanhAtTheExtremes() {
        let v = SIMD8<Float>(-1000, -20, -1, 0, 1, 20, 1000, .nan)
        let s = Float.sigmoid(v)
        let t = Float.tanh(v)
        #expect(s[0] == 0 && s[3] == 0.5 && s[6] == 1)
        #expect(t[0] == -1 && t[3] == 0 && t[6] == 1)
        #expect(s[7].isNaN && t[7].isNaN)  // NaN propagates: the trainer's guard must see it
        #expect(abs(t[2] - Foundation.tanh(-1)) < 1e-6 && abs(s[4] - 1 / (1 + Foundation.exp(-1))) < 1e-6)
    }
}
