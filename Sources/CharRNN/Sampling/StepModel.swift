// StepModel: runs a model one time step at a time for up to B streams, the engine under generation.
//
// Every step runs on weights prepared once (StepWeights):
//
//   layer 0   gates = table[token] + W_hh · h          table = embedding · W_ihᵀ + biases, (V, G·H), float32
//   layer k   gates = biases + W_ih · h_below + W_hh · h   (GRU: W_hh · h + b_hh kept apart for the reset gate)
//   decoder   logits = b + W_dec · h_top
//
// with the same fused gate math as training. float32 multiplies by the weights as trained, packed into panels;
// float16 by a binary16 copy (half the bytes read per token, about twice one stream's speed). Either way each
// stream's logits depend only on its own tokens and state: a step of 1 stream and a step of 40 give a stream the
// same bits, so a generation server can batch whatever requests are in flight without changing anyone's text. The
// logits differ from the training forward pass's (`charrnn eval`) only by float32 rounding (another summation
// order), about 1e-6.
//
// Shapes: tokens (B′ ≤ B); states (B, H) per layer, of which a step reads and writes the first B′ rows; logits
// (B′, V).

/// How generation stores the weights it multiplies by.
public enum WeightPrecision: String, CaseIterable, Sendable {
    /// The checkpoint's weights as trained (`eval` scores the same model, summed in another order).
    case float32
    /// A binary16 copy of the matrices with single-precision sums: about half the time per token when one
    /// stream is bound by memory bandwidth; logits move by about 1e-3.
    case float16
}

/// A model advanced one token at a time for up to `streams` streams, with their recurrent state.
public final class StepModel {
    public let model: CharRNNModel<Float>
    public let precision: WeightPrecision
    /// The most streams a step runs.
    public let streams: Int
    /// h (and c) of every layer for each stream, (B, H); a step reads and replaces the rows it runs.
    public let state: RecurrentState<Float>
    private let weights: StepWeights

    /// The float16 weights' layout for `streams` streams: panels from three streams (AVX2, C harness, LSTM 2×512
    /// shape, one core: 63 against 41 GFLOP/s at three streams, 88 against 61 at 32), and for any number on a CPU
    /// with AVX-512, whose two-panel kernel also reads one stream's weights faster (one contiguous run per two
    /// panels instead of four rows at a time: 6,000 tokens of LSTM 2×512 on two threads 1.04–1.18 against
    /// 1.01–1.40 s); otherwise row-major for one or two (the dot-product kernel, as fast as AVX2's panels at two).
    /// The layouts sum in different orders, so one float16 stream's samples differ between the two kinds of CPU.
    static func halfLayout(streams: Int) -> HalfMatrix.Layout {
        streams >= 3 || BLASCore.vectorLevel >= 2 ? .panels : .rows
    }

    /// The model's weights must not change while the StepModel is in use: steps run on copies made here.
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
        weights = try StepWeights(model: model, streams: streams, precision: precision, halfLayout: halfLayout)
    }

    /// Advances the first `tokens.count` streams (at most `streams`) by one token each and calls `body` with the
    /// logits of the next, (B′, V), valid during the call. Allocates nothing.
    public func step<R>(_ tokens: [Int32], _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(tokens.withUnsafeBufferPointer { step($0) })
    }

    /// `step(_:_:)` on ids in place, the logits valid until the next call; with `decode` false only the states
    /// advance (priming wants no logits) and the result is empty.
    func step(_ tokens: UnsafeBufferPointer<Int32>, decode: Bool = true) -> UnsafeBufferPointer<Float> {
        let batch = tokens.count
        precondition(batch >= 1 && batch <= streams, "need 1 to \(streams) tokens, one per stream, got \(batch)")
        let c = model.config
        let (v, h, g, threads, w) = (
            c.vocabularySize, c.hiddenSize, c.cell.gateCount * c.hiddenSize, model.threads, weights
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
        guard decode else { return UnsafeBufferPointer(start: logits, count: 0) }
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
