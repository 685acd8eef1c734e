// The Float training path as it runs — packed recurrent products (CKernels' AVX2 or AVX-512 kernel), the C LSTM
// cell, the polynomial SIMD activations, OpenBLAS's sgemm, the vocabulary table — against finite differences of
// the loss it reports, at a tolerance suited to single precision. (The Double checks in ModelGradientTests run the
// same code paths' generic twins; this one runs the kernels.)
import Testing

@testable import CharRNN

@Suite struct FloatGradientTests {
    /// Central differences in Float with step 1e-2 on the mean loss (accumulated in Double): truncation error
    /// O(ε²) ≈ 1e-4 relative, rounding error ~1e-7/ε ≈ 1e-5; a wrong gradient is off by far more.
    @Test(arguments: CellKind.allCases, [CharRNNModel<Float>.FirstLayerInput.embeddedRows, .vocabularyTable])
    func theFloatPathsGradientMatchesFiniteDifferences(cell: CellKind, input: CharRNNModel<Float>.FirstLayerInput) {
        // B = 4 (packed products need B ≥ 2), H = 20 (two full SIMD8 vectors and a tail), T = 5, 3 layers.
        let config = ModelConfig(
            vocabularySize: 9, cell: cell, layers: 3, hiddenSize: 20, embeddingSize: 6, dropout: 0.2)
        let model = CharRNNModel<Float>(config: config, threads: 2)
        model.firstLayerInput = input
        var rng = SplitMix64(seed: 41)
        model.initialize(using: &rng)
        let (steps, batch) = (5, 4)
        let inputs = (0..<(steps * batch)).map { _ in Int32(rng.next() % 9) }
        let targets = (0..<(steps * batch)).map { _ in Int32(rng.next() % 9) }
        let state = RecurrentState<Float>(config: config, batch: batch)
        let initial = state.hidden.map { _ in (0..<(batch * 20)).map { _ in Float(rng.nextUnitDouble() - 0.5) } }
        func loss() -> Double {
            for k in 0..<config.layers {
                state.hidden[k].pointer.update(from: initial[k], count: batch * 20)
                if cell.hasCellState { state.cell[k].pointer.update(from: initial[k], count: batch * 20) }
            }
            var masks = SplitMix64(seed: 7)  // the same dropout masks every time
            return model.run(
                inputs: inputs, targets: targets, steps: steps, batch: batch, state: state, train: true, rng: &masks)
        }
        if PackedMatrix.isVectorized {
            #expect(
                CharRNNModel<Float>.Workspace(model: model, steps: steps, batch: batch).caches.allSatisfy {
                    $0.packedForward != nil
                })
        }
        model.parameters.zeroGradients()
        _ = loss()
        let analytic = model.parameters.gradients.array
        // Every tensor, at up to 12 of its elements spread over it (the largest gradients are where bugs show).
        var checked = 0
        for view in model.parameters.views {
            let indices = Array(Set((0..<12).map { view.offset + $0 * view.count / 12 }))
            var a: [Double] = []
            var n: [Double] = []
            for i in indices where view.name != "embedding.weight" || inputs.contains(Int32((i - view.offset) / 6)) {
                let p = model.parameters.values.pointer + i
                let saved = p.pointee
                p.pointee = saved + 1e-2
                let plus = loss()
                p.pointee = saved - 1e-2
                let minus = loss()
                p.pointee = saved
                a.append(Double(analytic[i]))
                n.append((plus - minus) / 2e-2)
            }
            checked += a.count
            expectGradientsMatch(a, n, "\(cell) \(input) \(view.name)", tolerance: 2e-2)
        }
        #expect(checked > 100)
    }
}
