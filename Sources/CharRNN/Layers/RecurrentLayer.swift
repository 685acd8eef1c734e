// One recurrent layer (LSTM, GRU or RNN) unrolled over T time steps, forward and backward, laid out the way fast
// RNN libraries do it (cuDNN, torch-rnn):
//
//   forward   P = X · W_ihᵀ                   one GEMM over all T·B positions        (T·B, G·H)
//             for t: P_t += biases + h_{t-1} · W_hhᵀ    the only per-step GEMM, M = B  (B, G·H)
//                    fused gate math          LSTMCell / GRUCell / RNNCell
//   backward  for t = T−1 … 0: gate math backward, dh_{t-1} = dP_t · W_hh (M = B)
//             then dW_ih += dPᵀ · X and dW_hh += dPᵀ · [h_{-1} … h_{T-2}], one GEMM each over all steps;
//             dX = dP · W_ih, one GEMM.
//
// Shapes (time-major, row-major): input X (T, B, D); h0, c0 (B, H); outputs (T, B, H); G = 4 (LSTM), 3 (GRU),
// 1 (RNN). All buffers live in a Cache made once per (T, B): nothing is allocated inside the time loop.
// Backward accumulates (+=) into the gradients; the caller zeroes them once per step.

/// A recurrent layer's sizes and cell type; the parameters live in a flat buffer (see `RecurrentParameters`).
struct RecurrentLayer<T: RNNScalar>: Sendable {
    let cell: CellKind
    /// D: input features.
    let inputSize: Int
    /// H: hidden units.
    let hiddenSize: Int

    /// A layer of `cell` taking D = `inputSize` features to H = `hiddenSize` units.
    init(cell: CellKind, inputSize: Int, hiddenSize: Int) {
        precondition(inputSize > 0 && hiddenSize > 0, "layer sizes must be positive: D=\(inputSize) H=\(hiddenSize)")
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    /// G·H: rows of W_ih and W_hh.
    var gateRows: Int { cell.gateCount * hiddenSize }

    /// Parameters in this layer: W_ih, W_hh, b_ih, b_hh.
    var parameterCount: Int { gateRows * (inputSize + hiddenSize + 2) }

    /// Activations saved by `forward` for `backward`, and backward's workspaces, for one (T, B).
    final class Cache {
        let steps: Int
        let batch: Int
        /// Threads for this cache's products, gate math and sums: the model's count, fixed for the cache's life.
        let threads: Int
        /// (T, B, G·H): activated gates (LSTM i f g o, GRU r z n; the RNN keeps h_t here).
        let gates: Buffer<T>
        /// LSTM: c_t; GRU: W_hn h_{t-1} + b_hn; (T, B, H). Empty for the RNN.
        let states: Buffer<T>
        /// (T, B, H): h_t, the layer's output; a view of `hiddenHistory`.
        let outputs: Buffer<T>
        /// h0 and c0 as given to forward, (B, H) each; h0 is a view of `hiddenHistory`.
        let initialHidden: Buffer<T>
        /// (T + 1, B, H): [h0; h_0 … h_{T-1}], so h_{t-1} for every step is one block and dW_hh one GEMM.
        let hiddenHistory: Buffer<T>
        let initialCell: Buffer<T>
        /// (T, B, G·H): ∂L/∂(input projection). For the LSTM and the RNN, the same buffer as `gates`: backward
        /// overwrites each step's activations with their gradient once it has read them (the cells read every
        /// gate of a unit before writing any), so the layer touches one (T, B, G·H) buffer instead of two.
        let dPre: Buffer<T>
        /// (B, G·H): for the LSTM and the RNN, each batch row's ∂L/∂P summed over the steps during backward,
        /// the bias gradient in two small passes instead of a pass over all of dPre. Empty for the GRU.
        let biasRowSums: Buffer<T>
        /// (G·H): the biases each step adds to its rows of P: b_ih + b_hh, or b_ih alone for the GRU (which keeps
        /// b_hh for its hidden projection).
        let inputBias: Buffer<T>
        /// GRU only: (T, B, 3H) ∂L/∂(hidden projection); (B, 3H) the hidden projection of one step; (B, H) the
        /// direct part of ∂L/∂h_{t-1}.
        let dPreHidden: Buffer<T>
        let hiddenProjection: Buffer<T>
        let dHiddenDirect: Buffer<T>
        /// (B, H) running ∂L/∂h and ∂L/∂c during backward.
        let dHidden: Buffer<T>
        let dCell: Buffer<T>
        /// W_hh packed for the per-step products (`PackedMatrix`): op = W_hhᵀ, (H, G·H), forward; op = W_hh,
        /// (G·H, H), backward, made on the first backward pass (forward-only use never needs it). Only for Float
        /// with B ≥ 2 on a CPU with the vectorized kernel, unless the cache was made without packed products; nil
        /// otherwise, and the products go through OpenBLAS.
        let packedForward: PackedMatrix?
        lazy var packedBackward: PackedMatrix? = packedForward.map { PackedMatrix(k: $0.n, n: $0.k) }
        /// (B · 512) Float at most: the per-step products' copy of their left operand (h_{t-1} forward, dP_t
        /// backward), each worker in its own rows (see `PackedMatrix.multiply`); empty without packed products.
        let productWorkspace: Buffer<T>
        /// W_ih packed for the layer's input products when the cache packs (`forward(input:…)` only; made on
        /// first use): op = W_ihᵀ, (D, G·H), for P = X · W_ihᵀ; op = W_ih, (G·H, D), for ∂L/∂X = dP · W_ih.
        var packedInputForward: PackedMatrix?
        var packedInputBackward: PackedMatrix?
        /// Token input only (`forward(ids:…)`): Q = E · W_ihᵀ and ∂L/∂Q, (V, G·H); made on first use.
        var table: Buffer<T>?
        var dTable: Buffer<T>?
        /// op(W_ih) packed into `slot` (made on first use): W_ih stored (G·H, D).
        func packedInputWeights(
            _ slot: inout PackedMatrix?, _ w: UnsafePointer<T>, rows g: Int, cols d: Int, _ trans: Transpose
        ) -> PackedMatrix {
            if slot == nil { slot = trans == .transposed ? PackedMatrix(k: d, n: g) : PackedMatrix(k: g, n: d) }
            slot!.pack(float(w), ldb: d, trans, threads: threads)
            return slot!
        }

        /// The (V, G·H) table buffer, made or remade for `rows` = V.
        func tableBuffer(_ buffer: inout Buffer<T>?, rows: Int, width: Int) -> UnsafeMutablePointer<T> {
            if buffer?.count != rows * width { buffer = Buffer(count: rows * width) }
            return buffer!.pointer
        }

        init(layer: RecurrentLayer, steps: Int, batch: Int, threads: Int, packedProducts: Bool) {
            let (h, g) = (layer.hiddenSize, layer.gateRows)
            let isGRU = layer.cell == .gru
            self.steps = steps
            self.batch = batch
            self.threads = workerCount(threads)
            gates = Buffer(count: steps * batch * g)
            states = Buffer(count: layer.cell == .rnn ? 0 : steps * batch * h)
            hiddenHistory = Buffer(count: (steps + 1) * batch * h)
            initialHidden = Buffer(viewing: hiddenHistory, offset: 0, count: batch * h)
            outputs = Buffer(viewing: hiddenHistory, offset: batch * h, count: steps * batch * h)
            initialCell = Buffer(count: layer.cell.hasCellState ? batch * h : 0)
            dPre = isGRU ? Buffer(count: steps * batch * g) : gates
            biasRowSums = Buffer(count: isGRU ? 0 : batch * g)
            inputBias = Buffer(count: g)
            dPreHidden = Buffer(count: isGRU ? steps * batch * g : 0)
            hiddenProjection = Buffer(count: isGRU ? batch * g : 0)
            dHiddenDirect = Buffer(count: isGRU ? batch * h : 0)
            dHidden = Buffer(count: batch * h)
            dCell = Buffer(count: batch * h)
            let packed = packedProducts && T.self == Float.self && batch >= 2 && PackedMatrix.isVectorized
            packedForward = packed ? PackedMatrix(k: h, n: g) : nil
            // Room for the backward products' A (k = G·H), the larger of the two.
            productWorkspace = Buffer(count: packed ? PackedMatrix.workspaceCount(rows: batch, k: g) : 0)
        }
    }

    /// The buffers `forward` and `backward` need for T = `steps` and B = `batch`. With `packedProducts` (the
    /// default), Float layers run their per-step products on packed weights when the CPU has the vectorized
    /// kernel; false keeps them on OpenBLAS (tests compare the two).
    ///
    /// - Parameters:
    ///   - steps: T.
    ///   - batch: B.
    ///   - threads: threads for the cache's products, gate math and sums (the same bits for any count).
    ///   - packedProducts: run Float products on packed weights when the CPU has the vectorized kernel.
    func makeCache(steps: Int, batch: Int, threads: Int = 1, packedProducts: Bool = true) -> Cache {
        precondition(steps > 0 && batch > 0, "need at least one step and one row: T=\(steps) B=\(batch)")
        return Cache(
            layer: self, steps: steps, batch: batch, threads: threads, packedProducts: packedProducts)
    }

    /// Runs the layer over `cache.steps` steps.
    ///
    /// - Parameters:
    ///   - input: X, (T, B, D).
    ///   - initialHidden: h0, (B, H).
    ///   - initialCell: c0, (B, H), LSTM only (nil otherwise).
    ///   - p: the layer's weights and biases.
    ///   - cache: receives the outputs (`cache.outputs`) and what backward needs.
    func forward(
        input: UnsafePointer<T>, initialHidden: UnsafePointer<T>, initialCell: UnsafePointer<T>?,
        parameters p: RecurrentParameters<T>, cache: Cache
    ) {
        let (rows, d, g) = (cache.steps * cache.batch, inputSize, gateRows)
        // P = X · W_ihᵀ; the biases are added by each step (`recur`).
        if cache.packedForward != nil {
            let packed = cache.packedInputWeights(&cache.packedInputForward, p.weightIH, rows: g, cols: d, .transposed)
            packed.multiplyOverWorkers(
                m: rows, a: float(input), lda: d, c: float(cache.gates.pointer), ldc: g, threads: cache.threads)
        } else {
            matrixMultiply(
                .none, .transposed, m: rows, n: g, k: d, a: input, lda: d, b: p.weightIH, ldb: d, beta: 0,
                c: cache.gates.pointer, ldc: g, threads: cache.threads)
        }
        recur(initialHidden: initialHidden, initialCell: initialCell, parameters: p, cache: cache)
    }

    /// Runs the layer over token ids looked up in an embedding E, (V, D), without forming X = E[ids]: the
    /// projected table Q = E · W_ihᵀ, (V, G·H), is computed once and each step copies its rows of P from it.
    /// V·D·G·H multiply-adds instead of T·B·D·G·H: the first layer's choice when V < T·B. Same results as
    /// `forward(input:…)` on the embedded rows, up to rounding.
    ///
    /// - Parameters:
    ///   - ids: (T, B) token ids, each in 0..<V.
    ///   - embedding: E, (V, D).
    ///   - vocabularySize: V.
    ///   - initialHidden: h0, (B, H).
    ///   - initialCell: c0, (B, H), LSTM only (nil otherwise).
    ///   - p: the layer's weights and biases.
    ///   - cache: receives the outputs (`cache.outputs`) and what backward needs.
    func forward(
        ids: UnsafePointer<Int32>, embedding: UnsafePointer<T>, vocabularySize: Int,
        initialHidden: UnsafePointer<T>, initialCell: UnsafePointer<T>?, parameters p: RecurrentParameters<T>,
        cache: Cache
    ) {
        let (d, g, v) = (inputSize, gateRows, vocabularySize)
        let q = cache.tableBuffer(&cache.table, rows: v, width: g)
        matrixMultiply(
            .none, .transposed, m: v, n: g, k: d, a: embedding, lda: d, b: p.weightIH, ldb: d, beta: 0, c: q, ldc: g,
            threads: cache.threads)
        // Each step copies its rows of P from Q itself, while they are in cache (not a pass over all of P first).
        recur(
            initialHidden: initialHidden, initialCell: initialCell, parameters: p, cache: cache,
            tableRows: TableRows(table: q, ids: ids))
    }

    /// The final cell state c_{T-1} after `forward` (LSTM only), (B, H).
    func finalCell(_ cache: Cache) -> UnsafeMutablePointer<T> {
        precondition(cell.hasCellState, "only the LSTM has a cell state")
        return cache.states.pointer + (cache.steps - 1) * cache.batch * hiddenSize
    }

    /// The final hidden state h_{T-1} after `forward`, (B, H).
    func finalHidden(_ cache: Cache) -> UnsafeMutablePointer<T> {
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
    ///   - dInput: receives ∂L/∂X, (T, B, D), or nil when not needed.
    ///   - dInitialHidden: receives ∂L/∂h0, (B, H), or nil.
    ///   - dInitialCell: receives ∂L/∂c0, (B, H), or nil.
    ///   - cache: what the last forward saved.
    func backward(
        dOutput: UnsafePointer<T>, dFinalHidden: UnsafePointer<T>?, dFinalCell: UnsafePointer<T>?,
        input: UnsafePointer<T>, parameters p: RecurrentParameters<T>, gradients dp: RecurrentParameters<T>,
        dInput: UnsafeMutablePointer<T>?, dInitialHidden: UnsafeMutablePointer<T>?,
        dInitialCell: UnsafeMutablePointer<T>?, cache: Cache
    ) {
        recurBackward(
            dOutput: dOutput, dFinalHidden: dFinalHidden, dFinalCell: dFinalCell, parameters: p, gradients: dp,
            dInitialHidden: dInitialHidden, dInitialCell: dInitialCell, cache: cache)
        // dW_ih += dPᵀ · X and dX = dP · W_ih, one GEMM each over all steps.
        let (rows, d, g) = (cache.steps * cache.batch, inputSize, gateRows)
        let dP = UnsafePointer(cache.dPre.pointer)
        matrixMultiply(
            .transposed, .none, m: g, n: d, k: rows, a: dP, lda: g, b: input, ldb: d, beta: 1, c: dp.weightIH, ldc: d,
            threads: cache.threads)
        if let dInput {
            if cache.packedForward != nil {
                let packed = cache.packedInputWeights(&cache.packedInputBackward, p.weightIH, rows: g, cols: d, .none)
                packed.multiplyOverWorkers(
                    m: rows, a: float(dP), lda: g, c: float(dInput), ldc: d, threads: cache.threads)
            } else {
                matrixMultiply(
                    .none, .none, m: rows, n: d, k: g, a: dP, lda: g, b: p.weightIH, ldb: d, c: dInput, ldc: d,
                    threads: cache.threads)
            }
        }
    }

    /// Backpropagates through the steps of the last `forward(ids:…)`.
    ///
    /// - Parameters:
    ///   - dOutput: ∂L/∂outputs, (T, B, H).
    ///   - dFinalHidden: ∂L/∂h_{T-1} from beyond the chunk, (B, H), or nil for zero.
    ///   - dFinalCell: ∂L/∂c_{T-1} from beyond the chunk, (B, H), or nil for zero.
    ///   - ids: the token ids given to forward, (T, B).
    ///   - embedding: E as given to forward, (V, D).
    ///   - vocabularySize: V.
    ///   - p: the layer's weights and biases.
    ///   - dp: the gradients of the weights and biases, accumulated into (+=).
    ///   - dEmbedding: ∂L/∂E, (V, D), accumulated into (+=), or nil when not needed.
    ///   - dInitialHidden: receives ∂L/∂h0, (B, H), or nil.
    ///   - dInitialCell: receives ∂L/∂c0, (B, H), or nil.
    ///   - cache: what the last forward saved.
    func backward(
        dOutput: UnsafePointer<T>, dFinalHidden: UnsafePointer<T>?, dFinalCell: UnsafePointer<T>?,
        ids: UnsafePointer<Int32>, embedding: UnsafePointer<T>, vocabularySize: Int,
        parameters p: RecurrentParameters<T>, gradients dp: RecurrentParameters<T>,
        dEmbedding: UnsafeMutablePointer<T>?, dInitialHidden: UnsafeMutablePointer<T>?,
        dInitialCell: UnsafeMutablePointer<T>?, cache: Cache
    ) {
        recurBackward(
            dOutput: dOutput, dFinalHidden: dFinalHidden, dFinalCell: dFinalCell, parameters: p, gradients: dp,
            dInitialHidden: dInitialHidden, dInitialCell: dInitialCell, cache: cache)
        // ∂L/∂Q[v] = Σ of ∂L/∂P over the positions holding token v; parts of the columns on the worker threads,
        // each position added in order. Then dW_ih += ∂L/∂Qᵀ · E and dE += ∂L/∂Q · W_ih.
        let (rows, d, g, v) = (cache.steps * cache.batch, inputSize, gateRows, vocabularySize)
        nonisolated(unsafe) let dQ = cache.tableBuffer(&cache.dTable, rows: v, width: g)
        nonisolated(unsafe) let (dP, ids) = (UnsafePointer(cache.dPre.pointer), ids)
        splitOverWorkers(g, threads: cache.threads, minimumPerPart: 256, alignment: 16) { cols in
            for t in 0..<v { (dQ + t * g + cols.lowerBound).update(repeating: 0, count: cols.count) }
            for r in 0..<rows {
                addInPlace(dQ + Int(ids[r]) * g + cols.lowerBound, dP + r * g + cols.lowerBound, count: cols.count)
            }
        }
        matrixMultiply(
            .transposed, .none, m: g, n: d, k: v, a: dQ, lda: g, b: embedding, ldb: d, beta: 1, c: dp.weightIH, ldc: d,
            threads: cache.threads)
        if let dEmbedding {
            matrixMultiply(
                .none, .none, m: v, n: d, k: g, a: dQ, lda: g, b: p.weightIH, ldb: d, beta: 1, c: dEmbedding, ldc: d,
                threads: cache.threads)
        }
    }
}
