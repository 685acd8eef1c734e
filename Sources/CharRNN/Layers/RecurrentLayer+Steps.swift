// RecurrentLayer's time steps: the recurrence forward and backward over all steps, and the per-step pieces it is
// made of. The input projection and the weight gradients are in RecurrentLayer.swift. In Float on a CPU with
// AVX2, the LSTM's gate math runs in CKernels (through `lstmForward`/`lstmBackward`, LSTMCell.swift), whose
// twins are the Swift `lstmForwardStep`/`lstmBackwardStep`.

extension RecurrentLayer {
    /// Where a step's rows of P come from when they are not in `cache.gates` already: rows of the projected
    /// vocabulary table Q, (V, G·H), chosen by the (T, B) token ids.
    struct TableRows {
        let table: UnsafePointer<T>
        let ids: UnsafePointer<Int32>
    }

    /// The recurrence over all steps, from the input projections P = X · W_ihᵀ in `cache.gates` (or, with
    /// `tableRows`, the table's rows, which each step copies in itself), without the biases: each step adds them
    /// to its rows just before its recurrent product, while they are in cache (a pass of its own over all of P
    /// would cost more).
    func recur(
        initialHidden: UnsafePointer<T>, initialCell: UnsafePointer<T>?, parameters p: RecurrentParameters<T>,
        cache: Cache, tableRows: TableRows? = nil
    ) {
        let (steps, batch, h, threads) = (cache.steps, cache.batch, hiddenSize, cache.threads)
        for k in 0..<gateRows { cache.inputBias[k] = cell == .gru ? p.biasIH[k] : p.biasIH[k] + p.biasHH[k] }
        cache.initialHidden.pointer.update(from: initialHidden, count: batch * h)
        if cell.hasCellState {
            precondition(initialCell != nil, "an LSTM layer needs an initial cell state")
            cache.initialCell.pointer.update(from: initialCell!, count: batch * h)
        }
        // Workers write disjoint rows of the cache.
        nonisolated(unsafe) let (p, cache, tableRows) = (p, cache, tableRows)
        if let packed = cache.packedForward {
            // Rows of the batch are independent through time: each worker runs every step for its rows, product
            // and gate math, with no hand-off between steps.
            pack(packed, p.weightHH, .transposed, threads: threads)
            if steps == 1 {
                // One step (generation): the product split by output columns, so each worker reads its part of
                // W_hh instead of all of it (the step is bound by reading the weights), then the gate math by rows.
                packed.splitPanelsOverWorkers(rows: batch, threads: threads) { panels, workspace in
                    forwardProduct(0, 0..<batch, packed, p, cache, tableRows, panels: (panels, workspace))
                }
                splitOverWorkers(batch, threads: threads, minimumPerPart: minimumRowsPerPart) { rows in
                    forwardGates(0, rows, p, cache)
                }
                return
            }
            splitOverWorkers(batch, threads: threads, minimumPerPart: 4) { rows in
                for t in 0..<steps {
                    forwardProduct(t, rows, packed, p, cache, tableRows)
                    forwardGates(t, rows, p, cache)
                }
            }
        } else {
            // Each step's product over the whole batch (OpenBLAS), then the gate math over parts of the batch.
            for t in 0..<steps {
                forwardProduct(t, 0..<batch, nil, p, cache, tableRows)
                splitOverWorkers(batch, threads: threads, minimumPerPart: minimumRowsPerPart) { rows in
                    forwardGates(t, rows, p, cache)
                }
            }
        }
    }

    /// Backward through the steps, leaving ∂L/∂P in `cache.dPre` (and the GRU's ∂L/∂hidden projection in
    /// `cache.dPreHidden`); accumulates dW_hh and both biases, and gives ∂L/∂h0 and ∂L/∂c0.
    func recurBackward(
        dOutput: UnsafePointer<T>, dFinalHidden: UnsafePointer<T>?, dFinalCell: UnsafePointer<T>?,
        parameters p: RecurrentParameters<T>, gradients dp: RecurrentParameters<T>,
        dInitialHidden: UnsafeMutablePointer<T>?, dInitialCell: UnsafeMutablePointer<T>?, cache: Cache
    ) {
        let (steps, batch, h, g, threads) = (cache.steps, cache.batch, hiddenSize, gateRows, cache.threads)
        let dh = cache.dHidden.pointer
        let dc = cache.dCell.pointer
        if let dFinalHidden {
            dh.update(from: dFinalHidden, count: batch * h)
        } else {
            dh.update(repeating: 0, count: batch * h)
        }
        if let dFinalCell {
            dc.update(from: dFinalCell, count: batch * h)
        } else {
            dc.update(repeating: 0, count: batch * h)
        }
        cache.biasRowSums.zero()
        // Workers write disjoint rows of the cache.
        nonisolated(unsafe) let (p, cache, dOutput) = (p, cache, dOutput)
        if let packed = cache.packedBackward {
            pack(packed, p.weightHH, .none, threads: threads)
            splitOverWorkers(batch, threads: threads, minimumPerPart: 4) { rows in
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    backwardGates(t, rows, dOutput, cache)
                    backwardProduct(t, rows, packed, p, cache)
                }
            }
        } else {
            for t in stride(from: steps - 1, through: 0, by: -1) {
                splitOverWorkers(batch, threads: threads, minimumPerPart: minimumRowsPerPart) { rows in
                    backwardGates(t, rows, dOutput, cache)
                }
                backwardProduct(t, 0..<batch, nil, p, cache)
            }
        }
        if let dInitialHidden { dInitialHidden.update(from: dh, count: batch * h) }
        if let dInitialCell, cell.hasCellState { dInitialCell.update(from: dc, count: batch * h) }

        // dW_hh += dP_Hᵀ · [h0; h_0 … h_{T-2}], dP_H the gradient of the hidden projection (separate only for the
        // GRU): one GEMM over all steps, the first T blocks of the hidden history.
        let dP = UnsafePointer(cache.dPre.pointer)
        let dPHidden = cell == .gru ? UnsafePointer(cache.dPreHidden.pointer) : dP
        matrixMultiply(
            .transposed, .none, m: g, n: h, k: steps * batch, a: dPHidden, lda: g, b: cache.hiddenHistory.pointer,
            ldb: h, beta: 1, c: dp.weightHH, ldc: h, threads: threads)
        if cell == .gru {
            addRowSums(dp.biasIH, dP, rows: steps * batch, width: g, threads: threads)
            addRowSums(dp.biasHH, dPHidden, rows: steps * batch, width: g, threads: threads)
        } else {
            // Both biases get Σ_b (Σ_t ∂L/∂P[t, b]), the row sums backwardGates kept, in row order.
            addRowSums(
                dp.biasIH, cache.biasRowSums.pointer, rows: batch, width: g, alsoInto: dp.biasHH, threads: threads)
        }
    }

    /// Packs op(W_hh) into `packed` (then T is Float).
    @inline(__always)
    private func pack(_ packed: PackedMatrix, _ w: UnsafePointer<T>, _ transW: Transpose, threads: Int) {
        packed.pack(float(w), ldb: hiddenSize, transW, threads: threads)
    }

    /// C ← β·C + A · op(W_hh) for one step: A (m, k), C (m, n), W_hh stored (G·H, H). Through a packed copy on
    /// this thread when given (then T is Float), through OpenBLAS otherwise (split over up to `threads` threads:
    /// the products without packed weights run on the calling thread, one per step).
    @inline(__always)
    private func recurrentProduct(
        _ packed: PackedMatrix?, _ transW: Transpose, m: Int, n: Int, k: Int, a: UnsafePointer<T>,
        w: UnsafePointer<T>, beta: T, c: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>? = nil,
        threads: Int
    ) {
        if let packed {
            packed.multiply(
                m: m, a: float(a), lda: k, beta: Float(beta), c: float(c), ldc: n,
                workspace: workspace.map { float($0) })
        } else {
            matrixMultiply(
                .none, transW, m: m, n: n, k: k, a: a, lda: k, b: w, ldb: hiddenSize, beta: beta, c: c, ldc: n,
                threads: threads)
        }
    }

    /// h_{t-1}, (B, H): h0 at t = 0, else step t − 1's outputs.
    @inline(__always)
    func previousHidden(_ t: Int, _ cache: Cache) -> UnsafePointer<T> {
        UnsafePointer(cache.hiddenHistory.pointer + t * cache.batch * hiddenSize)
    }

    /// c_{t-1}, (B, H), LSTM only: c0 at t = 0, else step t − 1's cell state.
    @inline(__always)
    func previousCell(_ t: Int, _ cache: Cache) -> UnsafePointer<T> {
        t == 0
            ? UnsafePointer(cache.initialCell.pointer)
            : UnsafePointer(cache.states.pointer + (t - 1) * cache.batch * hiddenSize)
    }

    /// Rows per part for the gate math alone: at least 2,048 hidden units, below which a thread hand-off costs
    /// more than it saves (also the float16 step's split, `StepModel`).
    var minimumRowsPerPart: Int { max(1, 2048 / hiddenSize) }
}

// One time step for a range of batch rows, the pieces both loop orders are made of. Pointers are offset to
// the first row of `rows`; everything a call writes belongs to those rows only. (The closures that call these
// stay generic over T after specialization, so the cell functions carry `@_specialize` for Float and Double:
// without it the gate math ran through generic SIMD witnesses, 20× slower.)
extension RecurrentLayer {
    /// Step t's recurrent product for `rows`: P_t += h_{t-1} · W_hhᵀ (LSTM, RNN), or the GRU's hidden projection
    /// b_hh + h_{t-1} · W_hhᵀ; through `packed` on this thread, or OpenBLAS when nil. First P_t gets the biases
    /// (`cache.inputBias`), added to its rows or, with `tableRows`, to the table rows its tokens pick. With
    /// `panels` (and `packed`), only the output columns of those panels, through the workspace given.
    @inline(__always)
    func forwardProduct(
        _ t: Int, _ rows: Range<Int>, _ packed: PackedMatrix?, _ p: RecurrentParameters<T>, _ cache: Cache,
        _ tableRows: TableRows?, panels: (Range<Int>, workspace: UnsafeMutablePointer<Float>)? = nil
    ) {
        let (batch, h, g, r0) = (cache.batch, hiddenSize, gateRows, rows.lowerBound)
        let columns = if let packed, let panels { packed.columns(inPanels: panels.0) } else { 0..<g }
        let (j0, width) = (columns.lowerBound, columns.count)
        let hPrev = previousHidden(t, cache)
        var target = cache.gates.pointer + (t * batch + r0) * g
        let bias = UnsafePointer(cache.inputBias.pointer)
        for b in 0..<rows.count {
            if let tableRows {
                let id = Int(tableRows.ids[t * batch + r0 + b])
                setSum(target + b * g + j0, tableRows.table + id * g + j0, bias + j0, count: width)
            } else {
                addInPlace(target + b * g + j0, bias + j0, count: width)
            }
        }
        if cell == .gru {
            target = cache.hiddenProjection.pointer + r0 * g
            for b in 0..<rows.count { (target + b * g + j0).update(from: p.biasHH + j0, count: width) }
        }
        if let packed, let panels {
            packed.multiply(
                m: rows.count, a: float(hPrev + r0 * h), lda: h, beta: 1, c: float(target), ldc: g, panels: panels.0,
                workspace: panels.workspace)
            return
        }
        // Through a copy of h_{t-1} in the order the kernel reads it, in this worker's rows of the workspace (the
        // product meets G·H/16 panels, each re-reading A): same bits, 1.07× the training speed
        // (docs/performance-log.md).
        let workspace = packed.map { cache.productWorkspace.pointer + $0.workspaceCount(rows: r0) }
        recurrentProduct(
            packed, .transposed, m: rows.count, n: g, k: h, a: hPrev + r0 * h, w: p.weightHH, beta: 1, c: target,
            workspace: workspace, threads: cache.threads)
    }

    /// Step t's gate math for `rows`, from the pre-activations the product completed.
    @inline(__always)
    func forwardGates(_ t: Int, _ rows: Range<Int>, _ p: RecurrentParameters<T>, _ cache: Cache) {
        let (batch, h, g, r0, n) = (cache.batch, hiddenSize, gateRows, rows.lowerBound, rows.count)
        let gt = cache.gates.pointer + (t * batch + r0) * g
        let out = cache.outputs.pointer + (t * batch + r0) * h
        let state = cache.states.pointer + (t * batch + r0) * h
        let hPrev = previousHidden(t, cache)
        switch cell {
        case .lstm:
            let cPrev = previousCell(t, cache)
            lstmForward(gates: gt, cellPrevious: cPrev + r0 * h, cell: state, hidden: out, batch: n, hiddenSize: h)
        case .gru:
            gruForwardStep(
                gates: gt, hiddenProjection: cache.hiddenProjection.pointer + r0 * g, hiddenN: state,
                hiddenPrevious: hPrev + r0 * h, hidden: out, batch: n, hiddenSize: h)
        case .rnn:
            rnnForwardStep(pre: gt, hidden: gt, count: n * h)
            out.update(from: gt, count: n * h)
        }
    }

    /// Step t's gate math backward for `rows`: dh += ∂L/∂output_t, then ∂L/∂P_t (and the GRU's ∂L/∂hidden
    /// projection and direct ∂L/∂h_{t-1}); the LSTM's dc becomes ∂L/∂c_{t-1}. The LSTM and RNN add ∂L/∂P_t to
    /// their rows of `biasRowSums`.
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
            let cPrev = previousCell(t, cache)
            let dc = cache.dCell.pointer + r0 * h
            lstmBackward(
                gates: gt, cell: state, cellPrevious: cPrev + r0 * h, dHidden: dh, dCell: dc, dGates: dPt, batch: n,
                hiddenSize: h)
            addInPlace(cache.biasRowSums.pointer + r0 * g, dPt, count: n * g)
        case .gru:
            let hPrev = previousHidden(t, cache)
            gruBackwardStep(
                gates: gt, hiddenN: state, hiddenPrevious: hPrev + r0 * h, dHidden: dh, dInputProjection: dPt,
                dHiddenProjection: cache.dPreHidden.pointer + (t * batch + r0) * g,
                dHiddenPrevious: cache.dHiddenDirect.pointer + r0 * h, batch: n, hiddenSize: h)
        case .rnn:
            rnnBackwardStep(hidden: gt, dHidden: dh, dPre: dPt, count: n * h)
            addInPlace(cache.biasRowSums.pointer + r0 * g, dPt, count: n * g)
        }
    }

    /// Step t's product backward for `rows`: dh ← ∂L/∂h_{t-1} = dP_t · W_hh (plus the GRU's direct part), through
    /// `packed` on this thread, or OpenBLAS when nil.
    @inline(__always)
    func backwardProduct(
        _ t: Int, _ rows: Range<Int>, _ packed: PackedMatrix?, _ p: RecurrentParameters<T>, _ cache: Cache
    ) {
        let (batch, h, g, r0) = (cache.batch, hiddenSize, gateRows, rows.lowerBound)
        let dh = cache.dHidden.pointer + r0 * h
        let workspace = packed.map { cache.productWorkspace.pointer + $0.workspaceCount(rows: r0) }
        if cell == .gru {
            dh.update(from: cache.dHiddenDirect.pointer + r0 * h, count: rows.count * h)
            recurrentProduct(
                packed, .none, m: rows.count, n: h, k: g, a: cache.dPreHidden.pointer + (t * batch + r0) * g,
                w: p.weightHH, beta: 1, c: dh, workspace: workspace, threads: cache.threads)
        } else {
            recurrentProduct(
                packed, .none, m: rows.count, n: h, k: g, a: cache.dPre.pointer + (t * batch + r0) * g, w: p.weightHH,
                beta: 0, c: dh, workspace: workspace, threads: cache.threads)
        }
    }
}
