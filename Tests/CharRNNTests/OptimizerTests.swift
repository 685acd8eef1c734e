// The optimizers (Adam, RMSprop, SGD with momentum, weight decay) against hand-computed numbers (the arithmetic
// is in the comments), and vectorized Adam against its scalar twin.
import Foundation
import Testing

@testable import CharRNN

@Suite struct OptimizerTests {
    func run(_ kind: OptimizerKind, steps: Int, gradient: Double = 0.5, decay: Double = 0) -> Double {
        var config = OptimizerConfig()
        config.kind = kind
        config.learningRate = 0.1
        config.weightDecay = decay
        let optimizer = Optimizer<Double>(config: config, parameterCount: 1)
        let p = Buffer<Double>([1])
        let g = Buffer<Double>([gradient])
        for _ in 0..<steps { optimizer.update(parameters: p, gradients: g, learningRate: 0.1) }
        return p[0]
    }

    @Test func adamFirstStepMovesByTheLearningRate() {
        // Bias-corrected m̂ = g and v̂ = g², so the step is lr · g/|g| = 0.1 (less ε).
        #expect(abs(run(.adam, steps: 1) - 0.9) < 1e-7)
        // A constant gradient keeps m̂ = g and v̂ = g²: three steps move 0.3.
        #expect(abs(run(.adam, steps: 3) - 0.7) < 1e-6)
    }

    @Test func rmspropFollowsCharRNN() {
        // v = 0.05 · 0.25 = 0.0125; step = 0.1 · 0.5 / √0.0125 = 0.44721…
        #expect(abs(run(.rmsprop, steps: 1) - (1 - 0.1 * 0.5 / 0.0125.squareRoot())) < 1e-7)
    }

    @Test func sgdWithMomentum() {
        // b1 = 0.5 → p = 0.95; b2 = 0.9·0.5 + 0.5 = 0.95 → p = 0.95 − 0.095 = 0.855
        #expect(abs(run(.sgd, steps: 2) - 0.855) < 1e-12)
    }

    /// The vectorized Adam against its scalar twin, bit for bit, on a length that leaves a partial vector, over
    /// steps whose bias corrections differ; moments start nonzero and v non-negative, as in training. The
    /// parameters are small beside the steps, so a step's last bits are not lost in p − step.
    func adamTwins<T: RNNScalar>(_: T.Type) -> Bool {
        var rng = SplitMix64(seed: 7)
        let n = 37
        let (p, m): (Buffer<T>, Buffer<T>) = (
            randomBuffer(n, scale: 1e-4, using: &rng), randomBuffer(n, scale: 0.1, using: &rng)
        )
        let v: Buffer<T> = randomBuffer(n, scale: 0.01, using: &rng)
        for i in 0..<n { v[i] = v[i] * v[i] }
        let (p2, m2, v2) = (Buffer(p.array), Buffer(m.array), Buffer(v.array))
        for t in 1...3 {
            let g: Buffer<T> = randomBuffer(n, scale: 2, using: &rng)
            let s = AdamStep<T>(
                learningRate: T(0.003 * Double(t)), beta1: 0.9, beta2: 0.999, epsilon: T(1e-8),
                correction1: T(1 - pow(0.9, Double(t))), correction2: T(1 - pow(0.999, Double(t))))
            adamUpdate(s, p.pointer, g.pointer, m.pointer, v.pointer, count: n)
            adamUpdateScalar(s, p2.pointer, g.pointer, m2.pointer, v2.pointer, count: n)
        }
        return p.array == p2.array && m.array == m2.array && v.array == v2.array && p.array.allSatisfy { $0.isFinite }
    }

    @Test func vectorizedAdamIsItsScalarTwin() {
        #expect(adamTwins(Float.self))
        #expect(adamTwins(Double.self))
    }

    @Test func decoupledWeightDecay() {
        // p ← 1 · (1 − 0.1·0.5) = 0.95, then the SGD step: 0.95 − 0.1·0.5 = 0.9
        #expect(abs(run(.sgd, steps: 1, decay: 0.5) - 0.9) < 1e-12)
    }
}
