// StepModel's float32 steps, which run the model's forward pass in a workspace of their own where the weights are
// packed (and the vocabulary table projected) on the first step only, against the model's forward pass in its own
// workspace, which makes them again on every call; and that the model's own workspace does see changed weights.
import Testing

@testable import CharRNN

@Suite struct StepModelTests {
    /// A 2-layer model with sizes that all differ and V = 11: 4 streams take the embedded rows into layer 0, 16
    /// the vocabulary table (V ≤ T·B); both run the packed products (B ≥ 2).
    static func model(_ cell: CellKind) -> CharRNNModel<Float> {
        let config = ModelConfig(vocabularySize: 11, cell: cell, layers: 2, hiddenSize: 13, embeddingSize: 6)
        let model = CharRNNModel<Float>(config: config)
        var rng = SplitMix64(seed: 5)
        model.initialize(using: &rng)
        return model
    }

    static func tokens(_ t: Int, streams: Int) -> [Int32] { (0..<streams).map { Int32(($0 * 7 + t * 3) % 11) } }

    @Test(arguments: CellKind.allCases, [4, 16])
    func float32StepsOnWeightsPackedOnceEqualTheForwardPass(cell: CellKind, streams: Int) throws {
        let model = Self.model(cell)
        let stepper = try StepModel(model: model, streams: streams, precision: .float32)
        let state = RecurrentState<Float>(config: model.config, batch: streams)
        for t in 0..<8 {
            let tokens = Self.tokens(t, streams: streams)
            let stepped = Array(tokens.withUnsafeBufferPointer { stepper.step($0) })
            let direct = Array(tokens.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 1, batch: streams, state: state) })
            #expect(firstDifference(stepped, direct) == nil, "\(cell), \(streams) streams, step \(t)")
        }
    }

    /// The model's own workspace packs on every call, so a forward after the weights change equals a fresh model's.
    @Test(arguments: CellKind.allCases)
    func theModelsOwnWorkspaceSeesChangedWeights(cell: CellKind) {
        let streams = 16
        let model = Self.model(cell)
        let tokens = Self.tokens(0, streams: streams)
        _ = tokens.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: model.config, batch: streams)) }
        for name in ["rnn.weight_hh_l0", "rnn.weight_ih_l0", "rnn.weight_hh_l1", "rnn.weight_ih_l1", "embedding.weight"] {
            let (p, n) = (model.parameters.value(name), model.parameters.view(name).count)
            for i in 0..<n { p[i] *= -1.5 }
        }
        let fresh = CharRNNModel<Float>(config: model.config)
        fresh.parameters.values.pointer.update(from: model.parameters.values.pointer, count: model.parameters.count)
        let again = Array(tokens.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: model.config, batch: streams)) })
        let reference = Array(tokens.withUnsafeBufferPointer { fresh.logits(inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: model.config, batch: streams)) })
        #expect(firstDifference(again, reference) == nil, "\(cell)")
    }
}
