// One recurrent layer (LSTM, GRU or RNN) unrolled over T time steps, forward and backward, laid out the way fast
// RNN libraries do it (cuDNN, torch-rnn):
//
//   forward   P = X · W_ihᵀ + biases          one GEMM over all T·B positions        (T·B, G·H)
//             for t: P_t += h_{t-1} · W_hhᵀ    the only per-step GEMM, M = B           (B, G·H)
//                    fused gate math          LSTMCell / GRUCell / RNNCell
//   backward  for t = T−1 … 0: gate math backward, dh_{t-1} = dP_t · W_hh (M = B)
//             then dW_ih += dPᵀ · X and dW_hh += dPᵀ · [h_{-1} … h_{T-2}], one GEMM each over all steps;
//             dX = dP · W_ih, one GEMM.
//
// Shapes (time-major, row-major): input X (T, B, D); h0, c0 (B, H); outputs (T, B, H); G = 4 (LSTM), 3 (GRU),
// 1 (RNN). All buffers live in a Cache made once per (T, B): nothing is allocated inside the time loop.
// Backward accumulates (+=) into the gradients; the caller zeroes them once per step.

/// A recurrent layer's sizes and cell type; the parameters live in a flat buffer (see `RecurrentParameters`).
public struct RecurrentLayer<T: RNNScalar>: Sendable {
    public let cell: CellKind
    /// D: input features.
    public let inputSize: Int
    /// H: hidden units.
    public let hiddenSize: Int

    /// A layer of `cell` taking D = `inputSize` features to H = `hiddenSize` units.
    public init(cell: CellKind, inputSize: Int, hiddenSize: Int) {
        precondition(inputSize > 0 && hiddenSize > 0, "layer sizes must be positive: D=\(inputSize) H=\(hiddenSize)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    /// G·H: rows of W_ih and W_hh.
    public var gateRows: Int { cell.gateCount * hiddenSize }

    /// Parameters in this layer: W_ih, W_hh, b_ih, b_hh.
    public var parameterCount: Int { gateRows * (inputSize + hiddenSize + 2) }

    /// Activations saved by `forward` for `backward`, and backward's workspaces, for one (T, B).
    public final class Cache {
        public let steps: Int
        public let batch: Int
        /// (T, B, G·H): activated gates (LSTM i f g o, GRU r z n; the RNN keeps h_t here).
        let gates: Buffer<T>
        /// LSTM: c_t; GRU: W_hn h_{t-1} + b_hn; (T, B, H). Empty for the RNN.
        let states: Buffer<T>
        /// (T, B, H): h_t, the layer's output.
        public let outputs: Buffer<T>
        /// h0 and c0 as given to forward, (B, H) each.
        let initialHidden: Buffer<T>
        let initialCell: Buffer<T>
        /// (T, B, G·H): ∂L/∂(input projection).
        let dPre: Buffer<T>
        /// GRU only: (T, B, 3H) ∂L/∂(hidden projection); (B, 3H) the hidden projection of one step; (B, H) the
        /// direct part of ∂L/∂h_{t-1}.
        let dPreHidden: Buffer<T>
        let hiddenProjection: Buffer<T>
        let dHiddenDirect: Buffer<T>
        /// (B, H) running ∂L/∂h and ∂L/∂c during backward.
        let dHidden: Buffer<T>
        let dCell: Buffer<T>
        /// W_hh packed for the per-step products (`PackedMatrix`): op = W_hhᵀ, (H, G·H), forward; op = W_hh,
        /// (G·H, H), backward. Only for Float with B ≥ 2 on a CPU with the vectorized kernel, unless the cache
        /// was made without packed products; nil otherwise, and the products go through OpenBLAS.
        let packedForward: PackedMatrix?
        let packedBackward: PackedMatrix?

        init(layer: RecurrentLayer, steps: Int, batch: Int, packedProducts: Bool) {
            let (h, g) = (layer.hiddenSize, layer.gateRows)
            let isGRU = layer.cell == .gru
            self.steps = steps
            self.batch = batch
            gates = Buffer(count: steps * batch * g)
            states = Buffer(count: layer.cell == .rnn ? 0 : steps * batch * h)
            outputs = Buffer(count: steps * batch * h)
            initialHidden = Buffer(count: batch * h)
            initialCell = Buffer(count: layer.cell.hasCellState ? batch * h : 0)
            dPre = Buffer(count: steps * batch * g)
            dPreHidden = Buffer(count: isGRU ? steps * batch * g : 0)
            hiddenProjection = Buffer(count: isGRU ? batch * g : 0)
            dHiddenDirect = Buffer(count: isGRU ? batch * h : 0)
            dHidden = Buffer(count: batch * h)
            dCell = Buffer(count: batch * h)
            let packed = packedProducts && T.self == Float.self && batch >= 2 && PackedMatrix.isVectorized
            packedForward = packed ? PackedMatrix(k: h, n: g) : nil
            packedBackward = packed ? PackedMatrix(k: g, n: h) : nil
        }
    }

    /// The buffers `forward` and `backward` need for T = `steps` and B = `batch`. With `packedProducts` (the
    /// default), Float layers run their per-step products on packed weights when the CPU has the vectorized
    /// kernel; false keeps them on OpenBLAS (tests compare the two).
    public func makeCache(steps: Int, batch: Int, packedProducts: Bool = true) -> Cache {
        precondition(steps > 0 && batch > 0, "need at least one step and one row: T=\(steps) B=\(batch)")
        return Cache(layer: self, steps: steps, batch: batch, packedProducts: packedProducts)
    }

    /// Runs the layer over `cache.steps` steps.
    ///
    /// - Parameters:
    ///   - input: X, (T, B, D).
    ///   - initialHidden: h0, (B, H).
    ///   - initialCell: c0, (B, H), LSTM only (nil otherwise).
    ///   - p: the layer's weights and biases.
    ///   - cache: receives the outputs (`cache.outputs`) and what backward needs.
    public func forward(
        input: UnsafePointer<T>, initialHidden: UnsafePointer<T>, initialCell: UnsafePointer<T>?,
        parameters p: RecurrentParameters<T>, cache: Cache
    ) {
        let (steps, batch, d, h, g) = (cache.steps, cache.batch, inputSize, hiddenSize, gateRows)
        let rows = steps * batch
        cache.initialHidden.pointer.update(from: initialHidden, count: batch * h)
        if cell.hasCellState {
            precondition(initialCell != nil, "an LSTM layer needs an initial cell state")
            cache.initialCell.pointer.update(from: initialCell!, count: batch * h)
        }
        // P = biases, then P += X · W_ihᵀ. The GRU keeps b_hh for its hidden projection.
        let gates = cache.gates.pointer
        for k in 0..<g { gates[k] = cell == .gru ? p.biasIH[k] : p.biasIH[k] + p.biasHH[k] }
        for r in 1..<max(1, rows) { (gates + r * g).update(from: gates, count: g) }
        matrixMultiply(.none, .transposed, m: rows, n: g, k: d, a: input, lda: d, b: p.weightIH, ldb: d, beta: 1, c: gates, ldc: g)

        // Workers write disjoint rows of the cache.
        nonisolated(unsafe) let (p, cache) = (p, cache)
        if let packed = cache.packedForward {
            // Rows of the batch are independent through time: each worker runs every step for its rows, product
            // and gate math, with no hand-off between steps.
            pack(packed, p.weightHH, .transposed)
            splitOverWorkers(batch, minimumPerPart: 4) { rows in
                for t in 0..<steps {
                    forwardProduct(t, rows, packed, p, cache)
                    forwardGates(t, rows, p, cache)
                }
            }
        } else {
            // Each step's product over the whole batch (OpenBLAS), then the gate math over parts of the batch.
            for t in 0..<steps {
                forwardProduct(t, 0..<batch, nil, p, cache)
                splitOverWorkers(batch, minimumPerPart: minimumRowsPerPart) { rows in forwardGates(t, rows, p, cache) }
            }
        }
    }

    /// The final cell state c_{T-1} after `forward` (LSTM only), (B, H).
    public func finalCell(_ cache: Cache) -> UnsafeMutablePointer<T> {
        precondition(cell.hasCellState, "only the LSTM has a cell state")
        return cache.states.pointer + (cache.steps - 1) * cache.batch * hiddenSize
    }

    /// The final hidden state h_{T-1} after `forward`, (B, H).
    public func finalHidden(_ cache: Cache) -> UnsafeMutablePointer<T> {
        cache.outputs.pointer + (cache.steps - 1) * cache.batch * hiddenSize
    }

    /// Backpropagates through the steps of the last `forward`.
    ///
    /// - Parameters:
    ///   - dOutput: ∂L/∂outputs, (T, B, H).
    ///   - dFinalHidden: ∂L/∂h_{T-1} from beyond the chunk, (B, H), or nil for zero.
    ///   - dFinalCell: ∂L/∂c_{T-1} from beyond the chunk, (B, H), or nil for zero.
    ///   - input: X as given to forward, (T, B, D).
    ///   - p: the layer's weights and biases.
    ///   - dp: the gradients of the weights and biases, accumulated into (+=).
    ///   - dInput: receives ∂L/∂X, (T, B, D), or nil when not needed (the embedding's input is ids).
    ///   - dInitialHidden: receives ∂L/∂h0, (B, H), or nil.
    ///   - dInitialCell: receives ∂L/∂c0, (B, H), or nil.
    ///   - cache: what the last forward saved.
    public func backward(
        dOutput: UnsafePointer<T>, dFinalHidden: UnsafePointer<T>?, dFinalCell: UnsafePointer<T>?,
        input: UnsafePointer<T>, parameters p: RecurrentParameters<T>, gradients dp: RecurrentParameters<T>,
        dInput: UnsafeMutablePointer<T>?, dInitialHidden: UnsafeMutablePointer<T>?,
        dInitialCell: UnsafeMutablePointer<T>?, cache: Cache
    ) {
        let (steps, batch, d, h, g) = (cache.steps, cache.batch, inputSize, hiddenSize, gateRows)
        let dh = cache.dHidden.pointer
        let dc = cache.dCell.pointer
        if let dFinalHidden { dh.update(from: dFinalHidden, count: batch * h) } else { dh.update(repeating: 0, count: batch * h) }
        if let dFinalCell { dc.update(from: dFinalCell, count: batch * h) } else { dc.update(repeating: 0, count: batch * h) }
        // dPHidden: the gradient of the hidden projection, which W_hh and b_hh see (separate only for the GRU).
        let dPHidden = cell == .gru ? cache.dPreHidden.pointer : cache.dPre.pointer

        // Workers write disjoint rows of the cache.
        nonisolated(unsafe) let (p, cache, dOutput) = (p, cache, dOutput)
        if let packed = cache.packedBackward {
            pack(packed, p.weightHH, .none)
            splitOverWorkers(batch, minimumPerPart: 4) { rows in
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    backwardGates(t, rows, dOutput, cache)
                    backwardProduct(t, rows, packed, p, cache)
                }
            }
        } else {
            for t in stride(from: steps - 1, through: 0, by: -1) {
                splitOverWorkers(batch, minimumPerPart: minimumRowsPerPart) { rows in backwardGates(t, rows, dOutput, cache) }
                backwardProduct(t, 0..<batch, nil, p, cache)
            }
        }
        if let dInitialHidden { dInitialHidden.update(from: dh, count: batch * h) }
        if let dInitialCell, cell.hasCellState { dInitialCell.update(from: dc, count: batch * h) }

        // Weight gradients: one GEMM each over all steps.
        let rows = steps * batch
        let dP = UnsafePointer(cache.dPre.pointer)
        matrixMultiply(.transposed, .none, m: g, n: d, k: rows, a: dP, lda: g, b: input, ldb: d, beta: 1, c: dp.weightIH, ldc: d)
        // dW_hh += dP_Hᵀ · [h0; h_0 … h_{T-2}]: the first step against h0, the rest against the outputs.
        matrixMultiply(.transposed, .none, m: g, n: h, k: batch, a: dPHidden, lda: g, b: cache.initialHidden.pointer, ldb: h, beta: 1, c: dp.weightHH, ldc: h)
        if steps > 1 {
            matrixMultiply(.transposed, .none, m: g, n: h, k: (steps - 1) * batch, a: dPHidden + batch * g, lda: g, b: cache.outputs.pointer, ldb: h, beta: 1, c: dp.weightHH, ldc: h)
        }
        for r in 0..<rows {
            let (a, b) = (dP + r * g, dPHidden + r * g)
            for k in 0..<g {
                dp.biasIH[k] += a[k]
                dp.biasHH[k] += b[k]
            }
        }
        if let dInput {
            matrixMultiply(.none, .none, m: rows, n: d, k: g, a: dP, lda: g, b: p.weightIH, ldb: d, c: dInput, ldc: d)
        }
    }

    /// Packs op(W_hh) into `packed` (then T is Float); nothing when there is no packed copy.
    @inline(__always)
    private func pack(_ packed: PackedMatrix?, _ w: UnsafePointer<T>, _ transW: Transpose) {
        packed?.pack(UnsafeRawPointer(w).assumingMemoryBound(to: Float.self), ldb: hiddenSize, transW)
    }

    /// C ← β·C + A · op(W_hh) for one step: A (m, k), C (m, n), W_hh stored (G·H, H). Through the cache's packed
    /// copy when it has one (then T is Float), through OpenBLAS otherwise.
    @inline(__always)
    private func recurrentProduct(
        _ packed: PackedMatrix?, _ transW: Transpose, m: Int, n: Int, k: Int, a: UnsafePointer<T>,
        w: UnsafePointer<T>, beta: T, c: UnsafeMutablePointer<T>
    ) {
        if let packed {
            packed.multiply(
                m: m, a: UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda: k, beta: Float(beta),
                c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc: n)
        } else {
            matrixMultiply(.none, transW, m: m, n: n, k: k, a: a, lda: k, b: w, ldb: hiddenSize, beta: beta, c: c, ldc: n)
        }
    }

    /// Rows per part for the gate math alone: at least 2,048 hidden units, below which a thread hand-off costs
    /// more than it saves.
    private var minimumRowsPerPart: Int { max(1, 2048 / hiddenSize) }
}

// One time step for a range of batch rows, the pieces both loop orders above are made of. Pointers are offset to
// the first row of `rows`; everything a call writes belongs to those rows only. (The closures that call these
// stay generic over T after specialization, so the cell functions carry `@_specialize` for Float and Double:
// without it the gate math ran through generic SIMD witnesses, 20× slower.)
extension RecurrentLayer {
    /// Step t's recurrent product for `rows`: P_t += h_{t-1} · W_hhᵀ (LSTM, RNN), or the GRU's hidden projection
    /// b_hh + h_{t-1} · W_hhᵀ; through `packed` on this thread, or OpenBLAS when nil.
    @inline(__always)
    func forwardProduct(_ t: Int, _ rows: Range<Int>, _ packed: PackedMatrix?, _ p: RecurrentParameters<T>, _ cache: Cache) {
        let (batch, h, g, r0) = (cache.batch, hiddenSize, gateRows, rows.lowerBound)
        let hPrev = t == 0 ? UnsafePointer(cache.initialHidden.pointer) : UnsafePointer(cache.outputs.pointer + (t - 1) * batch * h)
        var target = cache.gates.pointer + (t * batch + r0) * g
        if cell == .gru {
            target = cache.hiddenProjection.pointer + r0 * g
            for b in 0..<rows.count { (target + b * g).update(from: p.biasHH, count: g) }
        }
        recurrentProduct(packed, .transposed, m: rows.count, n: g, k: h, a: hPrev + r0 * h, w: p.weightHH, beta: 1, c: target)
    }

    /// Step t's gate math for `rows`, from the pre-activations the product completed.
    @inline(__always)
    func forwardGates(_ t: Int, _ rows: Range<Int>, _ p: RecurrentParameters<T>, _ cache: Cache) {
        let (batch, h, g, r0, n) = (cache.batch, hiddenSize, gateRows, rows.lowerBound, rows.count)
        let gt = cache.gates.pointer + (t * batch + r0) * g
        let out = cache.outputs.pointer + (t * batch + r0) * h
        let state = cache.states.pointer + (t * batch + r0) * h
        let hPrev = t == 0 ? UnsafePointer(cache.initialHidden.pointer) : UnsafePointer(cache.outputs.pointer + (t - 1) * batch * h)
        switch cell {
        case .lstm:
            let cPrev = t == 0 ? UnsafePointer(cache.initialCell.pointer) : UnsafePointer(cache.states.pointer + (t - 1) * batch * h)
            lstmForwardStep(gates: gt, cellPrevious: cPrev + r0 * h, cell: state, hidden: out, batch: n, hiddenSize: h)
        case .gru:
            gruForwardStep(gates: gt, hiddenProjection: cache.hiddenProjection.pointer + r0 * g, hiddenN: state, hiddenPrevious: hPrev + r0 * h, hidden: out, batch: n, hiddenSize: h)
        case .rnn:
            rnnForwardStep(pre: gt, hidden: gt, count: n * h)
            out.update(from: gt, count: n * h)
        }
    }

    /// Step t's gate math backward for `rows`: dh += ∂L/∂output_t, then ∂L/∂P_t (and the GRU's ∂L/∂hidden
    /// projection and direct ∂L/∂h_{t-1}); the LSTM's dc becomes ∂L/∂c_{t-1}.
    @inline(__always)
    func backwardGates(_ t: Int, _ rows: Range<Int>, _ dOutput: UnsafePointer<T>, _ cache: Cache) {
        let (batch, h, g, r0, n) = (cache.batch, hiddenSize, gateRows, rows.lowerBound, rows.count)
        let dh = cache.dHidden.pointer + r0 * h
        let gt = UnsafePointer(cache.gates.pointer + (t * batch + r0) * g)
        let dPt = cache.dPre.pointer + (t * batch + r0) * g
        let state = UnsafePointer(cache.states.pointer + (t * batch + r0) * h)
        addInPlace(dh, dOutput + (t * batch + r0) * h, count: n * h)
        switch cell {
        case .lstm:
            let cPrev = t == 0 ? UnsafePointer(cache.initialCell.pointer) : UnsafePointer(cache.states.pointer + (t - 1) * batch * h)
            lstmBackwardStep(gates: gt, cell: state, cellPrevious: cPrev + r0 * h, dHidden: dh, dCell: cache.dCell.pointer + r0 * h, dGates: dPt, batch: n, hiddenSize: h)
        case .gru:
            let hPrev = t == 0 ? UnsafePointer(cache.initialHidden.pointer) : UnsafePointer(cache.outputs.pointer + (t - 1) * batch * h)
            gruBackwardStep(gates: gt, hiddenN: state, hiddenPrevious: hPrev + r0 * h, dHidden: dh, dInputProjection: dPt, dHiddenProjection: cache.dPreHidden.pointer + (t * batch + r0) * g, dHiddenPrevious: cache.dHiddenDirect.pointer + r0 * h, batch: n, hiddenSize: h)
        case .rnn:
            rnnBackwardStep(hidden: gt, dHidden: dh, dPre: dPt, count: n * h)
        }
    }

    /// Step t's product backward for `rows`: dh ← ∂L/∂h_{t-1} = dP_t · W_hh (plus the GRU's direct part), through
    /// `packed` on this thread, or OpenBLAS when nil.
    @inline(__always)
    func backwardProduct(_ t: Int, _ rows: Range<Int>, _ packed: PackedMatrix?, _ p: RecurrentParameters<T>, _ cache: Cache) {
        let (batch, h, g, r0) = (cache.batch, hiddenSize, gateRows, rows.lowerBound)
        let dh = cache.dHidden.pointer + r0 * h
        if cell == .gru {
            dh.update(from: cache.dHiddenDirect.pointer + r0 * h, count: rows.count * h)
            recurrentProduct(packed, .none, m: rows.count, n: h, k: g, a: cache.dPreHidden.pointer + (t * batch + r0) * g, w: p.weightHH, beta: 1, c: dh)
        } else {
            recurrentProduct(packed, .none, m: rows.count, n: h, k: g, a: cache.dPre.pointer + (t * batch + r0) * g, w: p.weightHH, beta: 0, c: dh)
        }
    }
}

/// a[i] += b[i] for i < count.
@_specialize(where T == Float)
@_specialize(where T == Double)
func addInPlace<T: RNNScalar>(_ a: UnsafeMutablePointer<T>, _ b: UnsafePointer<T>, count: Int) {
    for i in 0..<count { a[i] += b[i] }
}
