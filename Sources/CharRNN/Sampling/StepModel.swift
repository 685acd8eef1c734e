// StepModel: runs a model one time step at a time for B streams, the engine under generation.
//
// With float32 weights a step is the model's own forward pass (T = 1), so generation sees exactly the
// probabilities that training and `charrnn eval` compute; it runs in a workspace of its own, where the matrices
// are packed for the batched products on the first step instead of on every one. With float16 it runs its own
// step, bound by reading the weights once per token:
//
//   layer 0   gates = table[token] + W_hh · h          table = embedding · W_ihᵀ + biases, (V, G·H), float32
//   layer k   gates = biases + W_ih · h_below + W_hh · h   (GRU: W_hh · h + b_hh kept apart for the reset gate)
//   decoder   logits = b + W_dec · h_top
//
// with every matrix a HalfMatrix (binary16 weights, single-precision sums) and the same fused gate math as
// training. That halves the bytes read per token, and the one-stream speed with it.
//
// Shapes: tokens (B); states (B, H) per layer; logits (B, V).

/// How generation stores the weights it multiplies by.
public enum WeightPrecision: String, CaseIterable, Sendable {
    /// The checkpoint's weights as trained: the exact model that `eval` scores.
    case float32
    /// A binary16 copy of the matrices with single-precision sums: about half the time per token when one
    /// stream is bound by memory bandwidth; logits move by about 1e-3.
    case float16
}

/// A model advanced one token at a time for `streams` streams, with its recurrent state.
public final class StepModel {
    public let model: CharRNNModel<Float>
    public let precision: WeightPrecision
    public let streams: Int
    /// h (and c) of every layer for each stream, (B, H); read and replaced by every step.
    public let state: RecurrentState<Float>
    private let half: HalfWeights?
    /// float32: the model's forward pass runs in this workspace, where the weights are packed once.
    private let exact: CharRNNModel<Float>.Workspace?

    /// The float16 copies and the step's workspaces.
    private final class HalfWeights {
        let inputTable: Buffer<Float>  // (V, G·H): embedding · W_ih0ᵀ + b_ih0 (+ b_hh0 except GRU)
        let biases: [Buffer<Float>]  // per layer: (G·H) b_ih + b_hh, GRU b_ih only; layer 0's is folded into the table
        let hiddenBiases: [Buffer<Float>]  // GRU: b_hh per layer
        let weightsIH: [HalfMatrix?]  // nil for layer 0, which uses the table
        let weightsHH: [HalfMatrix]
        let decoder: HalfMatrix
        let decoderBias: Buffer<Float>
        let gates: Buffer<Float>  // (B, G·H)
        let hiddenProjection: Buffer<Float>  // GRU: (B, G·H)
        let hiddenN: Buffer<Float>  // GRU: (B, H), unused after the step
        let logits: Buffer<Float>  // (B, V)

        init?(model: CharRNNModel<Float>, streams: Int, layout: HalfMatrix.Layout) {
            let c = model.config
            let (v, e, h, g) = (c.vocabularySize, c.embeddingSize, c.hiddenSize, c.cell.gateCount * c.hiddenSize)
            let p = model.parameters
            func combinedBias(_ k: Int) -> Buffer<Float> {
                let r = p.recurrent(k)
                return Buffer((0..<g).map { c.cell == .gru ? r.biasIH[$0] : r.biasIH[$0] + r.biasHH[$0] })
            }
            let first = p.recurrent(0)
            biases = (0..<c.layers).map { combinedBias($0) }
            inputTable = Buffer(count: v * g)
            for t in 0..<v { (inputTable.pointer + t * g).update(from: biases[0].pointer, count: g) }
            matrixMultiply(
                .none, .transposed, m: v, n: g, k: e, a: p.value("embedding.weight"), lda: e, b: first.weightIH, ldb: e,
                beta: 1,
                c: inputTable.pointer, ldc: g, threads: model.threads)
            hiddenBiases = (0..<c.layers).map {
                Buffer(Array(UnsafeBufferPointer(start: p.recurrent($0).biasHH, count: g)))
            }
            var weightsIH: [HalfMatrix?] = [nil]
            var weightsHH: [HalfMatrix] = []
            for k in 0..<c.layers {
                let r = p.recurrent(k)
                if k > 0 {
                    guard let m = HalfMatrix(r.weightIH, rows: g, cols: h, layout: layout) else { return nil }
                    weightsIH.append(m)
                }
                guard let m = HalfMatrix(r.weightHH, rows: g, cols: h, layout: layout) else { return nil }
                weightsHH.append(m)
            }
            guard let decoder = HalfMatrix(p.value("decoder.weight"), rows: v, cols: h, layout: layout) else {
                return nil
            }
            self.weightsIH = weightsIH
            self.weightsHH = weightsHH
            self.decoder = decoder
            decoderBias = Buffer(Array(UnsafeBufferPointer(start: p.value("decoder.bias"), count: v)))
            gates = Buffer(count: streams * g)
            hiddenProjection = Buffer(count: c.cell == .gru ? streams * g : 0)
            hiddenN = Buffer(count: c.cell == .gru ? streams * h : 0)
            logits = Buffer(count: streams * v)
        }
    }

    /// The float16 weights' layout for `streams` streams: panels from three streams (AVX2, C harness, LSTM 2×512
    /// shape, one core: 63 against 41 GFLOP/s at three streams, 88 against 61 at 32), and for any number on a CPU
    /// with AVX-512, whose two-panel kernel also reads one stream's weights faster (one contiguous run per two
    /// panels instead of four rows at a time: 6,000 tokens of LSTM 2×512 on two threads 1.04–1.18 against
    /// 1.01–1.40 s); otherwise row-major for one or two (the dot-product kernel, as fast as AVX2's panels at two).
    /// The layouts sum in different orders, so one float16 stream's samples differ between the two kinds of CPU.
    static func halfLayout(streams: Int) -> HalfMatrix.Layout {
        streams >= 3 || BLASCore.vectorLevel >= 2 ? .panels : .rows
    }

    /// The model's weights must not change while the StepModel is in use: float16 steps run on binary16 copies
    /// made here, and float32 steps pack the matrices on the first step only.
    ///
    /// - Throws: `StepModelError.weightOutOfHalfRange` when float16 is asked for and a weight does not fit.
    public convenience init(model: CharRNNModel<Float>, streams: Int, precision: WeightPrecision = .float32) throws {
        try self.init(
            model: model, streams: streams, precision: precision, halfLayout: StepModel.halfLayout(streams: streams))
    }

    /// `init(model:streams:precision:)` with the float16 weights in `halfLayout`, for tests of both layouts.
    init(model: CharRNNModel<Float>, streams: Int, precision: WeightPrecision, halfLayout: HalfMatrix.Layout) throws {
        precondition(streams >= 1, "need at least one stream")
        self.model = model
        self.streams = streams
        self.precision = precision
        state = RecurrentState(config: model.config, batch: streams)
        if precision == .float16 {
            guard let half = HalfWeights(model: model, streams: streams, layout: halfLayout) else {
                throw StepModelError.weightOutOfHalfRange
            }
            self.half = half
            exact = nil
        } else {
            half = nil
            exact = model.frozenWorkspace(steps: 1, batch: streams)
        }
    }

    /// Advances every stream by one token (B ids, each in the vocabulary) and calls `body` with the logits of the
    /// next, (B, V), valid during the call. Allocates nothing after the first step.
    public func step<R>(_ tokens: [Int32], _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(tokens.withUnsafeBufferPointer { step($0) })
    }

    /// `step(_:_:)` on ids in place, the logits valid until the next call.
    func step(_ tokens: UnsafeBufferPointer<Int32>) -> UnsafeBufferPointer<Float> {
        precondition(tokens.count == streams, "need one token per stream (\(streams)), got \(tokens.count)")
        guard let w = half else {
            return model.logits(inputs: tokens, steps: 1, batch: streams, state: state, workspace: exact)
        }
        let c = model.config
        let (v, h, g, batch, threads) = (
            c.vocabularySize, c.hiddenSize, c.cell.gateCount * c.hiddenSize, streams, model.threads
        )
        precondition(tokens.allSatisfy { $0 >= 0 && Int($0) < v }, "token id outside the vocabulary of \(v)")
        let gates = w.gates.pointer
        for k in 0..<c.layers {
            let hidden = state.hidden[k].pointer
            // Input part of the pre-activations, biases included.
            for b in 0..<batch {
                let row = gates + b * g
                if k == 0 {
                    row.update(from: w.inputTable.pointer + Int(tokens[b]) * g, count: g)
                } else {
                    row.update(from: w.biases[k].pointer, count: g)
                }
            }
            if k > 0 {
                w.weightsIH[k]!.multiplyAdd(
                    state.hidden[k - 1].pointer, batch: batch, into: gates, ldy: g, threads: threads)
            }
            switch c.cell {
            case .lstm:
                w.weightsHH[k].multiplyAdd(hidden, batch: batch, into: gates, ldy: g, threads: threads)
                // Streams split over the workers as training splits its gate math (each row's math is the same
                // either way).
                nonisolated(unsafe) let (gates, cell, hidden) = (gates, state.cell[k].pointer, hidden)
                splitOverWorkers(batch, threads: threads, minimumPerPart: model.layers[k].minimumRowsPerPart) { rows in
                    let (gt, ct, ht, n) = (
                        gates + rows.lowerBound * g, cell + rows.lowerBound * h, hidden + rows.lowerBound * h,
                        rows.count
                    )
                    lstmForward(gates: gt, cellPrevious: ct, cell: ct, hidden: ht, batch: n, hiddenSize: h)
                }
            case .gru:
                let hp = w.hiddenProjection.pointer
                for b in 0..<batch { (hp + b * g).update(from: w.hiddenBiases[k].pointer, count: g) }
                w.weightsHH[k].multiplyAdd(hidden, batch: batch, into: hp, ldy: g, threads: threads)
                nonisolated(unsafe) let (gates, projection, hn, hidden) = (gates, hp, w.hiddenN.pointer, hidden)
                splitOverWorkers(batch, threads: threads, minimumPerPart: model.layers[k].minimumRowsPerPart) { rows in
                    let (r0, n) = (rows.lowerBound, rows.count)
                    gruForwardStep(
                        gates: gates + r0 * g, hiddenProjection: projection + r0 * g, hiddenN: hn + r0 * h,
                        hiddenPrevious: hidden + r0 * h, hidden: hidden + r0 * h, batch: n, hiddenSize: h)
                }
            case .rnn:
                w.weightsHH[k].multiplyAdd(hidden, batch: batch, into: gates, ldy: g, threads: threads)
                rnnForwardStep(pre: gates, hidden: hidden, count: batch * h)
            }
        }
        let logits = w.logits.pointer
        for b in 0..<batch { (logits + b * v).update(from: w.decoderBias.pointer, count: v) }
        w.decoder.multiplyAdd(state.hidden[c.layers - 1].pointer, batch: batch, into: logits, ldy: v, threads: threads)
        return UnsafeBufferPointer(start: logits, count: batch * v)
    }
}

/// Why a StepModel cannot be made.
public enum StepModelError: Error, CustomStringConvertible {
    /// A weight is beyond float16's largest finite value.
    case weightOutOfHalfRange

    public var description: String {
        switch self {
        case .weightOutOfHalfRange:
            return "a weight of this model is beyond float16's range (±65504); use float32 weights"
        }
    }
}
