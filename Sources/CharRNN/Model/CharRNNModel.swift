// CharRNNModel: embedding → L recurrent layers (dropout between them) → linear decoder → softmax cross-entropy,
// forward and backward over one time-major batch, with the hidden state carried in a RecurrentState.
//
// The loss reported is the mean over the T·B positions of −log p(target) in nats, and the gradients computed are
// exactly the gradients of that number (a whole-model gradient check enforces it; char-rnn divides its loss by
// seq_length but not its gradients).
//
// Shapes: inputs and targets (T, B) time-major; embedded (N, E) with N = T·B; layer outputs (N, H); logits (N, V).

/// A character-level RNN language model and its workspaces.
///
/// Not thread-safe: one call at a time (each call may use `threads` threads itself).
public final class CharRNNModel<T: RNNScalar> {
    public let config: ModelConfig
    public let parameters: ParameterStore<T>
    /// Threads every forward and backward pass of this model uses for its products, gate math and softmax, fixed
    /// when the model is made; results are the same bits for any count. (charrnn splits products over its own
    /// threads, so making a model sets OpenBLAS to one thread per call.)
    public let threads: Int
    /// Regularisation while training (dropout masks, DropConnect, embedding rows): the `Trainer` sets its run's.
    /// Default `Regularization()`: locked masks for `config.dropout`, nothing else.
    public var regularization = Regularization()
    let layers: [RecurrentLayer<T>]
    private var workspace: Workspace?

    /// How the first layer gets its input projection (see `usesVocabularyTable`); tests force each way.
    enum FirstLayerInput { case automatic, embeddedRows, vocabularyTable }
    var firstLayerInput = FirstLayerInput.automatic

    /// Activations and gradient buffers for one (T, B), allocated on first use and reused.
    final class Workspace {
        let steps: Int
        let batch: Int
        let inputs: UnsafeMutablePointer<Int32>
        let targets: UnsafeMutablePointer<Int32>
        let embedded: Buffer<T>  // (N, E)
        let caches: [RecurrentLayer<T>.Cache]
        /// Training-time regularisation (`CharRNNModel+Regularization.swift`): masks, masked copies and their
        /// gradients, allocated for the settings the workspace was made with.
        let dropouts: Dropouts
        let logits: Buffer<T>  // (N, V); after backward, ∂L/∂logits
        let dHidden: [Buffer<T>]  // two (N, H) buffers, used in turn going down the layers
        let dEmbedded: Buffer<T>  // (N, E)
        /// The input each layer saw in the last forward (embedded, or the layer below, after any dropout).
        var layerInputs: [UnsafePointer<T>]
        /// The decoder's input in the last forward (the last layer's output, after any dropout).
        var decoderInput: UnsafePointer<T>
        /// Whether the last forward fed the first layer through the vocabulary table (`usesVocabularyTable`).
        var usedTable = false

        init(model: CharRNNModel, steps: Int, batch: Int) {
            let (n, c) = (steps * batch, model.config)
            self.steps = steps
            self.batch = batch
            inputs = .allocate(capacity: n)
            targets = .allocate(capacity: n)
            embedded = Buffer(count: n * c.embeddingSize)
            caches = model.layers.map {
                $0.makeCache(steps: steps, batch: batch, threads: model.threads)
            }
            dropouts = Dropouts(model: model, steps: steps, batch: batch, training: true)
            logits = Buffer(count: n * c.vocabularySize)
            dHidden = [Buffer(count: n * c.hiddenSize), Buffer(count: n * c.hiddenSize)]
            dEmbedded = Buffer(count: n * c.embeddingSize)
            layerInputs = Array(repeating: UnsafePointer(embedded.pointer), count: c.layers)
            decoderInput = UnsafePointer(embedded.pointer)
        }

        deinit {
            inputs.deallocate()
            targets.deallocate()
        }
    }

    /// A model of `config`'s shape with zero weights; call `initialize(using:)` or load a checkpoint.
    ///
    /// - Parameters:
    ///   - config: the model's shape (`config.problem` must be nil).
    ///   - threads: threads for the model's passes (default 1; values below 1 count as 1).
    public init(config: ModelConfig, threads: Int = 1) {
        precondition(config.problem == nil, config.problem?.description ?? "")
        self.config = config
        self.threads = workerCount(threads)
        _ = BLASThreads.singleThreaded
        parameters = ParameterStore(config: config)
        layers = Self.layers(config)
    }

    /// A model reading `model`'s weights (the same memory, not a copy) with passes of its own on `threads`
    /// threads: inference on another thread while `model` is used elsewhere. Neither may change the weights.
    init(sharingWeightsOf model: CharRNNModel, threads: Int) {
        config = model.config
        self.threads = workerCount(threads)
        parameters = model.parameters
        layers = Self.layers(config)
        firstLayerInput = model.firstLayerInput
    }

    private static func layers(_ config: ModelConfig) -> [RecurrentLayer<T>] {
        (0..<config.layers).map {
            RecurrentLayer(
                cell: config.cell, inputSize: $0 == 0 ? config.embeddingSize : config.hiddenSize,
                hiddenSize: config.hiddenSize)
        }
    }

    /// PyTorch's default initialization, plus a forget-gate bias of 1 (Jozefowicz et al. 2015; torch-rnn):
    /// embedding N(0, 1); recurrent weights and biases U(−1/√H, 1/√H); decoder U(−1/√H, 1/√H); then for LSTMs
    /// bias_ih's forget block = 1 and bias_hh's forget block = 0, so the forget gate starts mostly open.
    public func initialize(using rng: inout SplitMix64) {
        let h = config.hiddenSize
        let bound = 1 / Double(h).squareRoot()
        for view in parameters.views {
            let p = parameters.values.pointer + view.offset
            for i in 0..<view.count {
                p[i] = view.name == "embedding.weight" ? T(rng.nextNormal()) : T((rng.nextUnitDouble() * 2 - 1) * bound)
            }
        }
        if config.cell == .lstm {
            for k in 0..<config.layers {
                let (bih, bhh) = (parameters.value("rnn.bias_ih_l\(k)"), parameters.value("rnn.bias_hh_l\(k)"))
                for j in h..<(2 * h) {
                    bih[j] = 1
                    bhh[j] = 0
                }
            }
        }
    }

    func workspace(steps: Int, batch: Int) -> Workspace {
        if let w = workspace, w.steps == steps, w.batch == batch, w.dropouts.settings == regularization { return w }
        let w = Workspace(model: self, steps: steps, batch: batch)
        workspace = w
        return w
    }

    /// Runs one batch forward and, when `train` is true, backward, accumulating into `parameters.gradients`.
    ///
    /// - Parameters:
    ///   - inputs: token ids, (T, B) time-major, `steps · batch` of them.
    ///   - targets: the id that follows each input, (T, B).
    ///   - steps: T.
    ///   - batch: B.
    ///   - state: the carried hidden state, read as the initial state and replaced by the final one.
    ///   - train: compute gradients (and apply dropout and the rest of `regularization`).
    ///   - rng: draws the masks (used only when training with some regularisation on).
    ///   - part: when these B streams are part of a larger batch trained by several processes (data parallelism):
    ///     where they lie in it. The gradient is then that of the loss summed here over the whole batch's positions,
    ///     so the processes' gradients add up to the whole batch's, and the dropout masks are this part's slice
    ///     of the whole batch's, drawn from `rng` as one process would draw them. Nil for a batch of its own.
    /// - Returns: the mean loss over the T·B positions, in nats.
    @discardableResult
    public func run(
        inputs: [Int32], targets: [Int32], steps: Int, batch: Int, state: RecurrentState<T>, train: Bool,
        rng: inout SplitMix64, part: BatchPart? = nil
    ) -> Double {
        precondition(part.map { $0.streams.count == batch && $0.streams.upperBound <= $0.batch } ?? true, "bad part")
        let n = steps * batch
        precondition(inputs.count == n && targets.count == n, "inputs and targets need T·B = \(n) ids")
        let v = config.vocabularySize
        precondition(targets.allSatisfy { $0 >= 0 && Int($0) < v }, "token id outside the vocabulary of \(v)")
        let w = inputs.withUnsafeBufferPointer {
            forward($0, steps: steps, batch: batch, state: state, train: train, rng: &rng, part: part)
        }
        w.targets.update(from: targets, count: n)
        let total = softmaxCrossEntropy(
            logits: w.logits.pointer, targets: w.targets, rows: n, classes: v,
            gradientScale: train ? T(1) / T(steps * (part?.batch ?? batch)) : nil, threads: threads)
        guard train else { return total / Double(n) }
        backward(w)
        return total / Double(n)
    }

    /// Forward only: runs `inputs`, (T, B) time-major, and calls `body` with the logits of every position,
    /// `(T·B, V)` time-major, valid during the call. The state is replaced by the final one. Allocates nothing
    /// once the workspace for (T, B) exists.
    public func logits<R>(
        inputs: [Int32], steps: Int, batch: Int, state: RecurrentState<T>,
        _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        try body(inputs.withUnsafeBufferPointer { logits(inputs: $0, steps: steps, batch: batch, state: state) })
    }

    /// `logits(inputs:steps:batch:state:_:)` on ids in place, the logits valid until the next call.
    func logits(
        inputs: UnsafeBufferPointer<Int32>, steps: Int, batch: Int, state: RecurrentState<T>
    ) -> UnsafeBufferPointer<T> {
        var unused = SplitMix64(seed: 0)
        let w = forward(inputs, steps: steps, batch: batch, state: state, train: false, rng: &unused)
        return UnsafeBufferPointer(start: w.logits.pointer, count: steps * batch * config.vocabularySize)
    }

    /// Runs `inputs`, (T, B) time-major, through the layers only, replacing `state` with the final one: what
    /// `logits` does to the state, the same bits, without the decoder's product (priming needs the state only;
    /// for a large vocabulary the decoder is most of a short prompt's cost).
    func advance(inputs: UnsafeBufferPointer<Int32>, steps: Int, batch: Int, state: RecurrentState<T>) {
        var unused = SplitMix64(seed: 0)
        forward(inputs, steps: steps, batch: batch, state: state, train: false, rng: &unused, decode: false)
    }

    /// Embedding, the recurrent layers (with dropout when training) and, unless `decode` is false (then the
    /// workspace's logits are stale), the decoder; carries the state.
    @discardableResult
    private func forward(
        _ inputs: UnsafeBufferPointer<Int32>, steps: Int, batch: Int, state: RecurrentState<T>, train: Bool,
        rng: inout SplitMix64, part: BatchPart? = nil, decode: Bool = true
    ) -> Workspace {
        let n = steps * batch
        precondition(inputs.count == n, "inputs need T·B = \(n) ids")
        precondition(state.batch == batch, "state holds \(state.batch) streams, the batch has \(batch)")
        let (v, e, h) = (config.vocabularySize, config.embeddingSize, config.hiddenSize)
        precondition(inputs.allSatisfy { $0 >= 0 && Int($0) < v }, "token id outside the vocabulary of \(v)")
        let w = workspace(steps: steps, batch: batch)
        w.inputs.update(from: inputs.baseAddress!, count: n)
        let (p, d) = (parameters, w.dropouts)
        if train { d.drawParameterMasks(p, using: &rng, threads: threads) }
        let embedding = d.embeddingValues(p, training: train)
        w.usedTable = usesVocabularyTable(positions: n) && !(train && d.dropsInput(0))
        if !w.usedTable {
            embeddingForward(output: w.embedded.pointer, ids: w.inputs, table: embedding, count: n, width: e)
        }
        for (k, layer) in layers.enumerated() {
            let (h0, c0) = (state.hidden[k].pointer, config.cell.hasCellState ? state.cell[k].pointer : nil)
            let weights = d.recurrent(k, p, training: train)
            if k == 0 && w.usedTable {
                layer.forward(
                    ids: w.inputs, embedding: embedding, vocabularySize: v, initialHidden: h0, initialCell: c0,
                    parameters: weights, cache: w.caches[0])
                continue
            }
            var input = UnsafePointer(k == 0 ? w.embedded.pointer : w.caches[k - 1].outputs.pointer)
            if train { input = d.dropInput(k, input, using: &rng, part: part) }
            w.layerInputs[k] = input
            layer.forward(input: input, initialHidden: h0, initialCell: c0, parameters: weights, cache: w.caches[k])
        }
        var top = UnsafePointer(w.caches[layers.count - 1].outputs.pointer)
        if train { top = d.dropInput(layers.count, top, using: &rng, part: part) }
        w.decoderInput = top
        if decode {
            linearForward(
                output: w.logits.pointer, input: top, weight: p.value("decoder.weight"),
                bias: p.value("decoder.bias"), rows: n, inputSize: h, outputSize: v, threads: threads)
        }

        // Carry the final states (detached) to the next batch.
        for (k, layer) in layers.enumerated() {
            state.hidden[k].pointer.update(from: layer.finalHidden(w.caches[k]), count: batch * h)
            if config.cell.hasCellState {
                state.cell[k].pointer.update(from: layer.finalCell(w.caches[k]), count: batch * h)
            }
        }
        return w
    }

    /// Whether the first layer reads token ids through a projected vocabulary table (`RecurrentLayer.forward(ids:…)`)
    /// rather than embedded rows: with `firstLayerInput` automatic, when V ≤ T·B, where the table is the cheaper
    /// of the two (V·E·G·H multiply-adds against T·B·E·G·H, three times over with backward).
    func usesVocabularyTable(positions n: Int) -> Bool {
        switch firstLayerInput {
        case .automatic: return config.vocabularySize <= n
        case .embeddedRows: return false
        case .vocabularyTable: return true
        }
    }

    /// Backward through the decoder, the layers and the embedding, from ∂L/∂logits left in `w.logits`, after a
    /// training forward pass (whose masks it uses).
    private func backward(_ w: Workspace) {
        let (n, v, e, h) = (w.steps * w.batch, config.vocabularySize, config.embeddingSize, config.hiddenSize)
        let (p, d) = (parameters, w.dropouts)
        defer { d.finishBackward(p) }  // the masked copies' gradients to the parameters, once all is done
        var dCurrent = w.dHidden[0].pointer
        linearBackward(
            dInput: dCurrent, dWeight: p.gradient("decoder.weight"), dBias: p.gradient("decoder.bias"),
            dOutput: w.logits.pointer, input: w.decoderInput, weight: p.value("decoder.weight"), rows: n,
            inputSize: h, outputSize: v, threads: threads)
        d.backwardInput(layers.count, dCurrent)
        let dEmbedding = d.embeddingGradient(p)
        for k in stride(from: layers.count - 1, through: 0, by: -1) {
            let (weights, gradients) = (d.recurrent(k, p, training: true), d.recurrentGradients(k, p))
            if k == 0 && w.usedTable {
                // ∂L/∂E accumulates straight into the embedding's gradient (or its masked copy's).
                layers[0].backward(
                    dOutput: dCurrent, dFinalHidden: nil, dFinalCell: nil, ids: w.inputs,
                    embedding: d.embeddingValues(p, training: true), vocabularySize: v, parameters: weights,
                    gradients: gradients, dEmbedding: dEmbedding, dInitialHidden: nil, dInitialCell: nil,
                    cache: w.caches[0])
                return
            }
            let dInput = k > 0 ? w.dHidden[(layers.count - k) % 2].pointer : w.dEmbedded.pointer
            layers[k].backward(
                dOutput: dCurrent, dFinalHidden: nil, dFinalCell: nil, input: w.layerInputs[k], parameters: weights,
                gradients: gradients, dInput: dInput, dInitialHidden: nil, dInitialCell: nil, cache: w.caches[k])
            d.backwardInput(k, dInput)
            dCurrent = dInput
        }
        embeddingBackward(dTable: dEmbedding, dOutput: w.dEmbedded.pointer, ids: w.inputs, count: n, width: e)
    }
}

/// Where a process's streams lie in a batch that several processes train together (data parallelism): streams
/// `streams` of a batch of `batch`.
public struct BatchPart: Sendable, Equatable {
    public var streams: Range<Int>
    public var batch: Int

    public init(streams: Range<Int>, batch: Int) {
        self.streams = streams
        self.batch = batch
    }
}
