// Dynamic evaluation (Krause et al. 2018): the model adapts to the text it is scoring. The text is read as one
// stream in segments; each segment is scored with the current weights, then one gradient step is taken on that
// segment's loss, so later segments are predicted by a model that has seen the earlier ones. A pull back towards
// the original weights keeps the adaptation local. Every token is scored before the model learns from it, so the
// figure is a fair prediction loss; it is reported apart from the static one. The checkpoint is never changed:
// the adaptation happens in a copy of the weights.
//
//   for each segment s_i (T tokens):   score s_i with θ,   g = ∇ mean loss(s_i),   θ ← θ − η g + λ (θ₀ − θ)

/// How dynamic evaluation adapts the weights. Each default is the documented one.
public struct DynamicEvaluation: Sendable, Equatable {
    /// Tokens per segment: scored, then learned from. Default 50.
    public var segmentLength = 50
    /// η, the step size of plain SGD on each segment's mean loss (nats per token). Default 0.25: on
    /// tiny-shakespeare's validation text, LSTM 2×512 scored 1.3235 nats with 0.25, 1.3378 with 0.5 and 1.4238 with 1
    /// (static: 1.4408; BENCHMARKS.md, Quality).
    public var learningRate = 0.25
    /// λ, the fraction of the way back to the original weights taken after every step. Default 0.01.
    public var decay = 0.01

    public init(segmentLength: Int = 50, learningRate: Double = 0.25, decay: Double = 0.01) {
        self.segmentLength = segmentLength
        self.learningRate = learningRate
        self.decay = decay
    }

    /// Why the settings cannot be used (the first setting outside its limits), or nil.
    public var problem: SettingError? {
        let checks: [SettingError?] = [
            SettingError.check(.segmentLength, segmentLength, .atLeast(1)),
            learningRate.isFinite
                ? SettingError.check(.dynamicLearningRate, learningRate, .zeroOrPositive)
                : SettingError(.dynamicLearningRate, .real(learningRate), .zeroOrPositive),
            SettingError.check(.dynamicDecay, decay, .fraction(includingZero: true, includingOne: true)),
        ]
        return checks.lazy.compactMap { $0 }.first
    }
}

extension CharRNNModel where T == Float {
    /// The summed loss of `ids` (nats, every token but the first predicted) as one stream from a zero state, with
    /// the weights adapting as described above; this model's own weights are left as they are.
    ///
    /// - Parameters:
    ///   - ids: the tokens, in this model's vocabulary.
    ///   - settings: segment length, step size and decay.
    /// - Returns: the summed loss in nats and the number of predicted tokens.
    public func evaluateDynamically(
        _ ids: TokenIDs, settings: DynamicEvaluation
    ) -> (totalNats: Double, predictions: Int) {
        precondition(settings.problem == nil, settings.problem?.description ?? "")
        guard ids.count >= 2 else { return (0, 0) }
        // The copy that learns: no dropout, no regularisation, the same weights.
        var plain = config
        plain.dropout = 0
        let learner = CharRNNModel(config: plain, threads: threads)
        learner.regularization = Regularization()
        let (values, count) = (learner.parameters.values.pointer, parameters.count)
        values.update(from: parameters.values.pointer, count: count)
        let original = parameters.values.pointer
        let gradients = learner.parameters.gradients.pointer
        let (rate, decay) = (Float(settings.learningRate), Float(settings.decay))
        let state = RecurrentState<Float>(config: plain, batch: 1)
        var unused = SplitMix64(seed: 0)
        var total = 0.0
        forEachSegment(of: ids, range: ids.startIndex..<ids.endIndex, length: settings.segmentLength) {
            inputs, targets in
            learner.parameters.zeroGradients(threads: threads)
            // The loss is computed on the weights before this segment's step: it is the segment's score.
            let loss = learner.run(
                inputs: inputs, targets: targets, steps: inputs.count, batch: 1, state: state, train: true,
                rng: &unused)
            total += loss * Double(inputs.count)
            for i in 0..<count {
                values[i] += -rate * gradients[i] + decay * (original[i] - values[i])
            }
        }
        return (total, ids.count - 1)
    }
}
