// StepModel's float32 steps, on weights packed once, against the model's forward pass (the same model summed in
// another order); the forward pass's splits of one step and of two; and that the model's own workspace does see
// changed weights. (That a stream's logits do not depend on the batch: GenerationEngineTests.)
import Testing

@testable import CharRNN

@Suite struct StepModelTests {
    /// A 2-layer model with sizes that all differ and V = 11: 4 streams take the embedded rows into layer 0, 16
    /// the vocabulary table (V ≤ T·B); both run the packed products (B ≥ 2).
    static func model(_ cell: CellKind, hidden: Int = 13, threads: Int = 1) -> CharRNNModel<Float> {
        let config = ModelConfig(vocabularySize: 11, cell: cell, layers: 2, hiddenSize: hidden, embeddingSize: 6)
        let model = CharRNNModel<Float>(config: config, threads: threads)
        var rng = SplitMix64(seed: 5)
        model.initialize(using: &rng)
        return model
    }

    static func tokens(_ t: Int, streams: Int) -> [Int32] { (0..<streams).map { Int32(($0 * 7 + t * 3) % 11) } }

    @Test(arguments: CellKind.allCases, [1, 4, 16])
    func float32StepsAgreeWithTheForwardPass(cell: CellKind, streams: Int) throws {
        let model = Self.model(cell)
        let stepper = try StepModel(model: model, streams: streams, precision: .float32)
        let state = RecurrentState<Float>(config: model.config, batch: streams)
        for t in 0..<8 {
            let tokens = Self.tokens(t, streams: streams)
            let stepped = Array(tokens.withUnsafeBufferPointer { stepper.step($0) })
            let direct = Array(
                tokens.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 1, batch: streams, state: state) })
            let worst = zip(stepped, direct).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            #expect(worst < 1e-5, "\(cell), \(streams) streams, step \(t): \(worst)")
        }
    }

    /// A single step splits its recurrent products by output columns, longer runs by batch rows: two one-step
    /// passes leave the bits of one two-step pass in the state (h and c of every layer), for 1–3 threads. (The
    /// logits are not compared: OpenBLAS's decoder product rounds a row differently at M = 16 and M = 32.) H = 264
    /// gives every cell enough panels for a split over two workers (and the GRU and RNN a partial last panel).
    @Test(arguments: CellKind.allCases)
    func oneStepSplitByColumnsEqualsOneStepOfTwoSplitByRows(cell: CellKind) {
        let streams = 16  // ≥ V, so both take layer 0 through the vocabulary table
        let tokens = Self.tokens(0, streams: streams) + Self.tokens(1, streams: streams)
        for threads in [1, 2, 3] {
            let model = Self.model(cell, hidden: 264, threads: threads)
            let (once, twice) = (
                RecurrentState<Float>(config: model.config, batch: streams),
                RecurrentState<Float>(config: model.config, batch: streams)
            )
            tokens.withUnsafeBufferPointer { all in
                _ = model.logits(inputs: all, steps: 2, batch: streams, state: once)
                for t in 0..<2 {
                    _ = model.logits(
                        inputs: UnsafeBufferPointer(rebasing: all[(t * streams)..<((t + 1) * streams)]), steps: 1,
                        batch: streams, state: twice)
                }
            }
            for k in 0..<model.config.layers {
                #expect(
                    firstDifference(once.hidden[k].array, twice.hidden[k].array) == nil,
                    "\(cell) h\(k), \(threads) threads")
                if cell.hasCellState {
                    #expect(
                        firstDifference(once.cell[k].array, twice.cell[k].array) == nil,
                        "\(cell) c\(k), \(threads) threads")
                }
            }
        }
    }

    /// The model's own workspace packs on every call, so a forward after the weights change equals a fresh model's.
    @Test(arguments: CellKind.allCases)
    func theModelsOwnWorkspaceSeesChangedWeights(cell: CellKind) {
        let streams = 16
        let model = Self.model(cell)
        let tokens = Self.tokens(0, streams: streams)
        _ = tokens.withUnsafeBufferPointer {
            model.logits(
                inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: model.config, batch: streams))
        }
        for name in [
            "rnn.weight_hh_l0", "rnn.weight_ih_l0", "rnn.weight_hh_l1", "rnn.weight_ih_l1", "embedding.weight",
        ] {
            let (p, n) = (model.parameters.value(name), model.parameters.view(name).count)
            for i in 0..<n { p[i] *= -1.5 }
        }
        let fresh = CharRNNModel<Float>(config: model.config)
        fresh.parameters.values.pointer.update(from: model.parameters.values.pointer, count: model.parameters.count)
        let again = Array(
            tokens.withUnsafeBufferPointer {
                model.logits(
                    inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: model.config, batch: streams))
            })
        let reference = Array(
            tokens.withUnsafeBufferPointer {
                fresh.logits(
                    inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: model.config, batch: streams))
            })
        #expect(firstDifference(again, reference) == nil, "\(cell)")
    }
}
