// Splitting the gate math and the optimizer over worker threads must not change a single bit: rows of a batch
// and elements of the update are independent, and each is computed exactly as on one thread.
import Testing

@testable import CharRNN

@Suite struct WorkerThreadsTests {
    /// Gradients after one forward/backward, and parameters after two Adam updates, with `threads` workers. The
    /// count is the model's own and is passed to every call, so parallel tests cannot change it.
    func train(
        cell: CellKind, threads: Int, regularization: Regularization? = nil
    ) -> (gradients: [Float], parameters: [Float], loss: Double) {
        // B = 24 and H = 256: the batch splits into parts (at least 8 rows each), the update too.
        let config = ModelConfig(
            vocabularySize: 13, cell: cell, layers: 2, hiddenSize: 256, embeddingSize: 9,
            dropout: regularization == nil ? 0 : 0.2)
        let model = CharRNNModel<Float>(config: config, threads: threads)
        if let regularization { model.regularization = regularization }
        var rng = SplitMix64(seed: 8)
        model.initialize(using: &rng)
        let (steps, batch) = (3, 24)
        let inputs = (0..<(steps * batch)).map { Int32(($0 * 7 + 3) % 13) }
        let targets = (0..<(steps * batch)).map { Int32(($0 * 5 + 1) % 13) }
        let state = RecurrentState<Float>(config: config, batch: batch)
        var optimizerConfig = OptimizerConfig()
        optimizerConfig.weightDecay = 0.01
        let optimizer = Optimizer<Float>(config: optimizerConfig, parameterCount: model.parameters.count)
        var loss = 0.0
        var gradients: [Float] = []
        for _ in 0..<2 {
            model.parameters.zeroGradients(threads: threads)
            loss = model.run(
                inputs: inputs, targets: targets, steps: steps, batch: batch, state: state, train: true, rng: &rng)
            if gradients.isEmpty { gradients = model.parameters.gradients.array }
            _ = clipGradients(model.parameters.gradients, threshold: 1, mode: .norm, threads: threads)
            optimizer.update(
                parameters: model.parameters.values, gradients: model.parameters.gradients, learningRate: 0.01,
                threads: threads)
        }
        return (gradients, model.parameters.values.array, loss)
    }

    /// Without regularisation; with every kind (the W_hh masks are drawn in parts on the threads); and with every
    /// kind but input dropout, so the first layer reads the vocabulary table.
    static let regularizations: [Regularization?] = [
        nil, Regularization(inputDropout: 0.1, outputDropout: 0.2, weightDrop: 0.3, embeddingDropout: 0.1),
        Regularization(dropoutMasks: .elementwise, outputDropout: 0.2, weightDrop: 0.3, embeddingDropout: 0.1),
    ]

    @Test(arguments: CellKind.allCases, regularizations)
    func splittingOverThreadsGivesTheSameBits(cell: CellKind, regularization: Regularization?) {
        let one = train(cell: cell, threads: 1, regularization: regularization)
        for threads in [2, 3] {
            let many = train(cell: cell, threads: threads, regularization: regularization)
            #expect(many.loss == one.loss)
            // The index of the first difference (an expectation over two large arrays would diff them).
            #expect(
                firstDifference(many.gradients, one.gradients) == nil, "\(cell), \(threads) threads: gradients differ")
            #expect(
                firstDifference(many.parameters, one.parameters) == nil,
                "\(cell), \(threads) threads: parameters differ")
        }
    }
}

/// The first index where `a` and `b` hold different bits, or nil.
func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
    if a.count != b.count { return min(a.count, b.count) }
    return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
}
