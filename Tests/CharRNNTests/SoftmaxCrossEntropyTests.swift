// Softmax cross-entropy's loss and gradient against hand-computed values, and stable for huge logits.
import Foundation
import Testing

@testable import CharRNN

@Suite struct SoftmaxCrossEntropyTests {
    @Test func lossAndGradientAgainstHandComputedValues() {
        // logits [0, ln 2, ln 3]: softmax = [1, 2, 3] / 6; target 2 → loss = ln 6 − ln 3 = ln 2.
        let logits = Buffer<Double>([0, log(2), log(3)])
        var target: Int32 = 2
        let loss = softmaxCrossEntropy(
            logits: logits.pointer, targets: &target, rows: 1, classes: 3, gradientScale: 1, threads: 1)
        #expect(abs(loss - log(2)) < 1e-15)
        #expect(zip(logits.array, [1.0 / 6, 2.0 / 6, 3.0 / 6 - 1]).allSatisfy { abs($0 - $1) < 1e-15 })
    }

    @Test func stableForHugeLogits() {
        let logits = Buffer<Float>([1000, 0, -1000])
        var target: Int32 = 0
        #expect(
            softmaxCrossEntropy(
                logits: logits.pointer, targets: &target, rows: 1, classes: 3, gradientScale: nil, threads: 1) == 0)
    }
}
