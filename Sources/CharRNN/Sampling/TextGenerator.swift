// TextGenerator: runs a trained model one token at a time for B streams at once, primed with text.
//
// Per token it advances a StepModel (the model's own T = 1 forward pass, or its float16 step) and picks each
// stream's next token with the Sampler: nothing is allocated per token. The prime always runs in float32, in
// chunks through the model's batched forward pass.

/// Generates token ids from a model for `streams` parallel samples.
public final class TextGenerator {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let streams: Int
    private let stepper: StepModel
    private var state: RecurrentState<Float> { stepper.state }
    private var sampler: Sampler
    private var rng: SplitMix64
    private var current: [Int32]

    /// The model's weights must not change while the generator is in use (see `StepModel`).
    ///
    /// - Parameters:
    ///   - model: the model to generate from.
    ///   - vocabulary: its vocabulary (for the default start token).
    ///   - streams: samples generated together (B).
    ///   - sampling: temperature, greedy, top-k and top-p.
    ///   - seed: seeds the coins; the same seed, checkpoint and settings give the same tokens.
    ///   - precision: the weights generation multiplies by (see `WeightPrecision`).
    /// - Throws: `StepModelError` when float16 cannot hold the weights.
    public init(
        model: CharRNNModel<Float>, vocabulary: Vocabulary, streams: Int, sampling: SamplingConfig, seed: UInt64,
        precision: WeightPrecision = .float32
    ) throws {
        precondition(streams >= 1, "need at least one stream")
        self.model = model
        self.vocabulary = vocabulary
        self.streams = streams
        stepper = try StepModel(model: model, streams: streams, precision: precision)
        sampler = Sampler(config: sampling, vocabularySize: model.config.vocabularySize)
        rng = SplitMix64(seed: seed)
        current = [Int32](repeating: 0, count: streams)
    }

    /// The token generation starts after when there is no prime: a line feed if the vocabulary has one (samples
    /// then start like the beginning of a line), else the most frequent token.
    public var defaultStart: Int {
        let newline = vocabulary.id(of: "\n")
        if newline != Vocabulary.unknownID { return newline }
        return (1..<vocabulary.count).max { vocabulary.counts[$0] < vocabulary.counts[$1] } ?? 1
    }

    /// Runs `ids` through the model from a zero state (the same for every stream); the last id becomes the input
    /// of the first generated step. Empty `ids` means `[defaultStart]`.
    public func prime(_ ids: [Int]) {
        let ids = ids.isEmpty ? [defaultStart] : ids
        state.reset()
        // All but the last token: one stream, in chunks, then the state is copied to every stream.
        let single = RecurrentState<Float>(config: model.config, batch: 1)
        var start = 0
        while start < ids.count - 1 {
            let steps = min(256, ids.count - 1 - start)
            let chunk = ids[start..<(start + steps)].map { Int32($0) }
            _ = chunk.withUnsafeBufferPointer { model.logits(inputs: $0, steps: steps, batch: 1, state: single) }
            start += steps
        }
        let h = model.config.hiddenSize
        for k in 0..<model.config.layers {
            for b in 0..<streams {
                (state.hidden[k].pointer + b * h).update(from: single.hidden[k].pointer, count: h)
                if model.config.cell.hasCellState { (state.cell[k].pointer + b * h).update(from: single.cell[k].pointer, count: h) }
            }
        }
        for b in 0..<streams { current[b] = Int32(ids[ids.count - 1]) }
    }

    /// Generates the next token of every stream into `tokens` (B ids, never `<unk>`).
    public func next(into tokens: inout [Int]) {
        if tokens.count != streams { tokens = [Int](repeating: 0, count: streams) }
        let v = model.config.vocabularySize
        let logits = current.withUnsafeBufferPointer { stepper.step($0) }
        for b in 0..<streams {
            let id = sampler.pick(UnsafeBufferPointer(rebasing: logits[(b * v)..<((b + 1) * v)]), coin: rng.nextUnitDouble())
            tokens[b] = id
            current[b] = Int32(id)
        }
    }

    /// Generates up to `count` tokens and hands the text to `body` as it comes, piece by piece, always valid UTF-8
    /// (a character split over byte tokens arrives whole). `body` gets the stream's index and its new text, and
    /// returns false to stop early. Call `prime` first.
    public func generate(tokens count: Int, _ body: (_ stream: Int, _ text: String) -> Bool) {
        var utf8 = [UTF8Stream](repeating: UTF8Stream(), count: streams)
        var tokens: [Int] = []
        var bytes: [UInt8] = []
        func emit(_ b: Int) -> Bool {
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes.isEmpty || body(b, String(decoding: bytes, as: UTF8.self))
        }
        for _ in 0..<count {
            next(into: &tokens)
            for b in 0..<streams {
                utf8[b].push(vocabulary.bytes(of: tokens[b...b]), into: &bytes)
                if !emit(b) { return }
            }
        }
        for b in 0..<streams {
            utf8[b].finish(into: &bytes)
            if !emit(b) { return }
        }
    }
}
