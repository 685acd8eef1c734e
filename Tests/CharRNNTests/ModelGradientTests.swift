// The whole model: the gradient training uses is the gradient of the loss training reports (finite differences
// in Double over every parameter, for every cell, with and without dropout), and an untrained model's loss and
// parameter layout.
import Foundation
import Testing

@testable import CharRNN

@Suite struct ModelGradientTests {
    @Test(arguments: CellKind.allCases, [0.0, 0.3])
    func gradientOfTheReportedLossMatchesFiniteDifferences(cell: CellKind, dropout: Double) {
        // The first layer fed embedded rows, and through the projected vocabulary table.
        for input in [CharRNNModel<Double>.FirstLayerInput.embeddedRows, .vocabularyTable] {
            checkModelGradient(cell: cell, dropout: dropout, firstLayerInput: input)
        }
    }

    /// Three layers: a middle layer takes its input from a layer and gives its gradient to one.
    @Test(arguments: CellKind.allCases)
    func threeLayersMatchFiniteDifferences(cell: CellKind) {
        checkModelGradient(cell: cell, dropout: 0.2, firstLayerInput: .embeddedRows, layers: 3)
    }

    /// Every regularisation at once, with either kind of mask: DropConnect on W_hh, embedding rows, dropout on
    /// the embedding's output, between the layers and on the decoder's input. Without input dropout the first layer
    /// reads the vocabulary table, so embedding dropout is checked through the table too.
    @Test(arguments: CellKind.allCases, DropoutMasks.allCases)
    func regularisedLossMatchesFiniteDifferences(cell: CellKind, masks: DropoutMasks) {
        let all = Regularization(
            dropoutMasks: masks, inputDropout: 0.2, outputDropout: 0.3, weightDrop: 0.4, embeddingDropout: 0.3)
        var noInput = all
        noInput.inputDropout = 0
        checkModelGradient(cell: cell, dropout: 0.3, firstLayerInput: .embeddedRows, regularization: all)
        checkModelGradient(cell: cell, dropout: 0.3, firstLayerInput: .vocabularyTable, regularization: noInput)
        checkModelGradient(cell: cell, dropout: 0, firstLayerInput: .embeddedRows, layers: 3, regularization: all)
    }

    func checkModelGradient(
        cell: CellKind, dropout: Double, firstLayerInput: CharRNNModel<Double>.FirstLayerInput, layers: Int = 2,
        regularization: Regularization = Regularization()
    ) {
        // V=7, E=4, H=5, T=3, B=2: all different, so a transposed shape cannot hide.
        let config = ModelConfig(
            vocabularySize: 7, cell: cell, layers: layers, hiddenSize: 5, embeddingSize: 4, dropout: dropout)
        let model = CharRNNModel<Double>(config: config)
        model.firstLayerInput = firstLayerInput
        model.regularization = regularization
        let regularized = dropout > 0 || regularization != Regularization()
        var rng = SplitMix64(seed: 21)
        model.initialize(using: &rng)
        let (steps, batch) = (3, 2)
        let inputs = (0..<6).map { _ in Int32(rng.next() % 7) }
        let targets = (0..<6).map { _ in Int32(rng.next() % 7) }
        let state = RecurrentState<Double>(config: config, batch: batch)
        let h0: [[Double]] = state.hidden.map { _ in (0..<10).map { _ in rng.nextUnitDouble() - 0.5 } }
        let c0: [[Double]] = state.cell.map { b in (0..<b.count).map { _ in rng.nextUnitDouble() - 0.5 } }
        func loss(train: Bool) -> Double {
            for k in 0..<layers {
                for i in 0..<10 { state.hidden[k][i] = h0[k][i] }
                for i in 0..<c0[k].count { state.cell[k][i] = c0[k][i] }
            }
            var maskRNG = SplitMix64(seed: 99)  // the same dropout masks every time
            return model.run(
                inputs: inputs, targets: targets, steps: steps, batch: batch, state: state, train: train, rng: &maskRNG)
        }
        model.parameters.zeroGradients()
        let reported = loss(train: true)
        let analytic = model.parameters.gradients.array
        if !regularized { #expect(abs(reported - loss(train: false)) < 1e-12) }  // evaluation reports the same
        let numeric = numericalGradient(model.parameters.values) {
            model.parameters.zeroGradients()
            return loss(train: regularized)  // the masks are part of the training loss
        }
        for view in model.parameters.views {
            let range = view.offset..<(view.offset + view.count)
            if view.name == "embedding.weight" {
                // Rows of tokens that never appear as inputs have zero gradient on both sides.
                let used = Set(inputs.map(Int.init))
                let rows = used.flatMap { ($0 * 4)..<($0 * 4 + 4) }.map { $0 + view.offset }
                expectGradientsMatch(
                    rows.map { analytic[$0] }, rows.map { numeric[$0] },
                    "\(cell) \(firstLayerInput) \(regularization) \(view.name)")
                continue
            }
            expectGradientsMatch(
                Array(analytic[range]), Array(numeric[range]),
                "\(cell) \(firstLayerInput) dropout \(dropout) \(regularization) \(view.name)")
        }
    }

    @Test(arguments: CellKind.allCases)
    func vocabularyTableGivesTheSameLossAndGradients(cell: CellKind) {
        // Float, the sizes where the table is chosen (V = 11 ≤ T·B = 48), against embedded rows: equal up to
        // rounding. Token 10 never appears, so its table row and embedding gradient stay unused.
        let config = ModelConfig(vocabularySize: 11, cell: cell, layers: 2, hiddenSize: 24, embeddingSize: 6)
        var results: [(loss: Double, gradients: [Float])] = []
        for input in [CharRNNModel<Float>.FirstLayerInput.embeddedRows, .automatic] {
            let model = CharRNNModel<Float>(config: config)
            model.firstLayerInput = input
            #expect(model.usesVocabularyTable(positions: 48) == (input == .automatic))
            var rng = SplitMix64(seed: 31)
            model.initialize(using: &rng)
            let inputs = (0..<48).map { Int32(($0 * 7 + 2) % 10) }
            let targets = (0..<48).map { Int32(($0 * 3 + 1) % 11) }
            let state = RecurrentState<Float>(config: config, batch: 8)
            let loss = model.run(
                inputs: inputs, targets: targets, steps: 6, batch: 8, state: state, train: true, rng: &rng)
            results.append((loss, model.parameters.gradients.array))
        }
        #expect(abs(results[0].loss - results[1].loss) < 1e-6)
        let worst = zip(results[0].gradients, results[1].gradients).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "\(cell): gradients differ by \(worst)")
    }

    @Test func untrainedModelPredictsRoughlyUniformly() {
        let config = ModelConfig(vocabularySize: 65, hiddenSize: 32, embeddingSize: 16)
        let model = CharRNNModel<Float>(config: config)
        var rng = SplitMix64(seed: 1)
        model.initialize(using: &rng)
        let ids = (0..<100).map { _ in Int32(rng.next() % 65) }
        let loss = model.run(
            inputs: ids, targets: ids.reversed(), steps: 10, batch: 10,
            state: RecurrentState(config: config, batch: 10), train: false, rng: &rng)
        #expect(abs(loss - log(65.0)) < 0.3)  // ln 65 ≈ 4.17 nats
    }

    @Test func parameterLayoutFollowsPyTorchNamesAndShapes() {
        let store = ParameterStore<Float>(
            config: ModelConfig(vocabularySize: 65, cell: .gru, layers: 2, hiddenSize: 512, embeddingSize: 64))
        #expect(
            store.views.map(\.name) == [
                "embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1", "decoder.weight",
                "decoder.bias",
            ])
        #expect(store.view("rnn.weight_ih_l0").shape == [1536, 64])
        #expect(store.view("rnn.weight_ih_l1").shape == [1536, 512])
        #expect(store.view("decoder.weight").shape == [65, 512])
        // 65·64 + 1536·(64+512+2) + 1536·(512+512+2) + 65·512 + 65
        #expect(store.count == 4160 + 887_808 + 1_575_936 + 33_280 + 65)
    }
}
