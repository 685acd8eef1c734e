// Optimizers over the flat parameter buffer: one pass over all parameters per step (llm.c's gpt2_update).
//
//   adam     m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + ε)
//   rmsprop  v ← α·v + (1−α)·g²;  p ← p − lr·g / (√v + ε)                       (char-rnn's, α = 0.95)
//   sgd      b ← μ·b + g;  p ← p − lr·b                                          (momentum μ)
// Weight decay is decoupled (AdamW, Loshchilov & Hutter 2019) for every optimizer: p ← p − lr·λ·p before the
// step, so it does not interact with Adam's per-parameter scaling.
import Foundation

/// Which update rule training uses.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// Adam with bias correction.
    case adam
    /// RMSprop (char-rnn's optimizer).
    case rmsprop
    /// Stochastic gradient descent with momentum.
    case sgd
}

/// Optimizer hyperparameters, with the defaults char-rnn and torch-rnn users expect.
public struct OptimizerConfig: Codable, Sendable, Equatable {
    /// Default Adam (torch-rnn's choice; fastest to a good loss on character data).
    public var kind: OptimizerKind = .adam
    /// Base learning rate. Default 2e-3, char-rnn's and torch-rnn's.
    public var learningRate: Double = 2e-3
    /// Adam's moment decays. Defaults 0.9 and 0.999 (Kingma & Ba).
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    /// Added to the denominator. Default 1e-8.
    public var epsilon: Double = 1e-8
    /// RMSprop's decay of the squared-gradient average. Default 0.95, char-rnn's `decay_rate`.
    public var rmsDecay: Double = 0.95
    /// SGD's momentum. Default 0.9.
    public var momentum: Double = 0.9
    /// Decoupled weight decay λ. Default 0: character models rarely need it.
    public var weightDecay: Double = 0

    /// The documented defaults: Adam, learning rate 2e-3.
    public init() {}
}

/// Optimizer state: the step count and the moment buffers, laid out like the parameters.
public final class Optimizer<T: RNNScalar> {
    public let config: OptimizerConfig
    /// Updates applied so far (Adam's t).
    public var step = 0
    /// First moment (Adam) or momentum buffer (SGD); empty for RMSprop.
    let first: Buffer<T>
    /// Second moment (Adam, RMSprop); empty for SGD.
    let second: Buffer<T>

    /// Zero moments for `parameterCount` parameters, at step 0.
    public init(config: OptimizerConfig, parameterCount: Int) {
        self.config = config
        first = Buffer(count: config.kind == .rmsprop ? 0 : parameterCount)
        second = Buffer(count: config.kind == .sgd ? 0 : parameterCount)
    }

    /// Applies one update to `parameters` from `gradients` at learning rate `learningRate`. Elements are updated
    /// independently, in parts on up to `threads` threads (the same bits for any thread count).
    func update(parameters: Buffer<T>, gradients: Buffer<T>, learningRate: Double, threads: Int = 1) {
        precondition(parameters.count == gradients.count, "parameters and gradients differ in size")
        step += 1
        nonisolated(unsafe) let (p, g) = (parameters.pointer, gradients.pointer)
        let lr = T(learningRate)
        let keep = config.weightDecay > 0 ? 1 - lr * T(config.weightDecay) : nil
        let eps = T(config.epsilon)
        let config = self.config
        let (correction1, correction2) = (
            1 - T(pow(config.beta1, Double(step))), 1 - T(pow(config.beta2, Double(step)))
        )
        nonisolated(unsafe) let (m, v) = (first.pointer, second.pointer)
        splitOverWorkers(parameters.count, threads: threads, minimumPerPart: 1 << 15) { range in
            if let keep { for i in range { p[i] *= keep } }
            switch config.kind {
            case .adam:
                let step = AdamStep(
                    learningRate: lr, beta1: T(config.beta1), beta2: T(config.beta2), epsilon: eps,
                    correction1: correction1, correction2: correction2)
                adamUpdate(
                    step, p + range.lowerBound, g + range.lowerBound, m + range.lowerBound, v + range.lowerBound,
                    count: range.count)
            case .rmsprop:
                let alpha = T(config.rmsDecay)
                for i in range {
                    v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i]
                    p[i] -= lr * g[i] / (v[i].squareRoot() + eps)
                }
            case .sgd:
                let mu = T(config.momentum)
                for i in range {
                    m[i] = mu * m[i] + g[i]
                    p[i] -= lr * m[i]
                }
            }
        }
    }
}

/// One Adam update's constants: the learning rate, decays, ε and the two bias corrections 1 − βᵢᵗ.
struct AdamStep<T: RNNScalar> {
    var learningRate: T
    var beta1: T
    var beta2: T
    var epsilon: T
    var correction1: T
    var correction2: T
}

/// Adam over `count` elements, eight lanes at a time (the last vector partial). Each lane performs the same
/// operations in the same order as `adamUpdateScalar`, its twin, so the results are the same bits.
@_specialize(where T == Float)
@_specialize(where T == Double)
func adamUpdate<T: RNNScalar>(
    _ s: AdamStep<T>, _ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>, count: Int
) {
    let (b1, b2, k1, k2) = (
        SIMD8(repeating: s.beta1), SIMD8(repeating: s.beta2), SIMD8(repeating: 1 - s.beta1),
        SIMD8(repeating: 1 - s.beta2)
    )
    let (c1, c2) = (SIMD8(repeating: s.correction1), SIMD8(repeating: s.correction2))
    let (lr, eps) = (SIMD8(repeating: s.learningRate), SIMD8(repeating: s.epsilon))
    for i in stride(from: 0, to: count, by: 8) {
        let gi = load8(g, i, count)
        let mi = b1 * load8(m, i, count) + k1 * gi
        let vi = b2 * load8(v, i, count) + k2 * gi * gi
        store8(mi, m, i, count)
        store8(vi, v, i, count)
        store8(load8(p, i, count) - lr * (mi / c1) / ((vi / c2).squareRoot() + eps), p, i, count)
    }
}

/// The twin of `adamUpdate`: the formula in the header, one element at a time.
func adamUpdateScalar<T: RNNScalar>(
    _ s: AdamStep<T>, _ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ m: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>, count: Int
) {
    for i in 0..<count {
        m[i] = s.beta1 * m[i] + (1 - s.beta1) * g[i]
        v[i] = s.beta2 * v[i] + (1 - s.beta2) * g[i] * g[i]
        p[i] -= s.learningRate * (m[i] / s.correction1) / ((v[i] / s.correction2).squareRoot() + s.epsilon)
    }
}
