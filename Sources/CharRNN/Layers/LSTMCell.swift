// The LSTM cell's elementwise work for one time step, forward and backward: one fused, vectorized pass over the
// B × H hidden units (SIMD8 across H). The matrix products around it live in RecurrentLayer.swift.
//
// Shapes: `gates` (B, 4H) in the order i, f, g, o; c, h and their gradients (B, H).
//
// `lstmForward`/`lstmBackward` are what the layer and generation call: CKernels' AVX2/FMA cell for Float on a
// CPU that has it, these Swift steps (its twins, compared with it in LSTMKernelTests) otherwise.
import CKernels

/// `lstmForwardStep` through CKernels' AVX2/FMA cell when T is Float and the CPU has it. `cellPrevious` may be
/// `cell`.
@inline(__always)
func lstmForward<T: RNNScalar>(
    gates: UnsafeMutablePointer<T>, cellPrevious: UnsafePointer<T>, cell: UnsafeMutablePointer<T>,
    hidden: UnsafeMutablePointer<T>, batch: Int, hiddenSize h: Int
) {
    if T.self == Float.self,
        crnn_lstm_forward(float(gates), float(cellPrevious), float(cell), float(hidden), batch, h) != 0
    {
        return
    }
    lstmForwardStep(gates: gates, cellPrevious: cellPrevious, cell: cell, hidden: hidden, batch: batch, hiddenSize: h)
}

/// `lstmBackwardStep` through CKernels' AVX2/FMA cell when T is Float and the CPU has it.
@inline(__always)
func lstmBackward<T: RNNScalar>(
    gates: UnsafePointer<T>, cell: UnsafePointer<T>, cellPrevious: UnsafePointer<T>, dHidden: UnsafePointer<T>,
    dCell: UnsafeMutablePointer<T>, dGates: UnsafeMutablePointer<T>, batch: Int, hiddenSize h: Int
) {
    if T.self == Float.self,
        crnn_lstm_backward(
            float(gates), float(cell), float(cellPrevious), float(dHidden), float(dCell), float(dGates), batch, h) != 0
    {
        return
    }
    lstmBackwardStep(
        gates: gates, cell: cell, cellPrevious: cellPrevious, dHidden: dHidden, dCell: dCell, dGates: dGates,
        batch: batch, hiddenSize: h)
}

/// Forward: turns pre-activations into gates in place and computes the new cell and hidden state.
///
/// - Parameters:
///   - gates: (B, 4H) pre-activations on entry; σ(i), σ(f), tanh(g), σ(o) on return.
///   - cellPrevious: c_{t-1}, (B, H).
///   - cell: receives c_t = f ⊙ c_{t-1} + i ⊙ g, (B, H).
///   - hidden: receives h_t = o ⊙ tanh(c_t), (B, H).
@_specialize(where T == Float)
@_specialize(where T == Double)
func lstmForwardStep<T: RNNScalar>(
    gates: UnsafeMutablePointer<T>, cellPrevious: UnsafePointer<T>, cell: UnsafeMutablePointer<T>,
    hidden: UnsafeMutablePointer<T>, batch: Int, hiddenSize h: Int
) {
    for b in 0..<batch {
        let gi = gates + b * 4 * h
        let (gf, gg, go) = (gi + h, gi + 2 * h, gi + 3 * h)
        let (cp, c, hh) = (cellPrevious + b * h, cell + b * h, hidden + b * h)
        var j = 0
        while j < h {
            let i = T.sigmoid(load8(gi, j, h))
            let f = T.sigmoid(load8(gf, j, h))
            let g = T.tanh(load8(gg, j, h))
            let o = T.sigmoid(load8(go, j, h))
            let cNew = f * load8(cp, j, h) + i * g
            store8(i, gi, j, h)
            store8(f, gf, j, h)
            store8(g, gg, j, h)
            store8(o, go, j, h)
            store8(cNew, c, j, h)
            store8(o * T.tanh(cNew), hh, j, h)
            j += 8
        }
    }
}

/// Backward: from the gradient reaching h_t and c_t, the gradient of the pre-activations and of c_{t-1}.
///
/// - Parameters:
///   - gates: the activated gates saved by the forward step, (B, 4H).
///   - cell: c_t, (B, H).  cellPrevious: c_{t-1}, (B, H).
///   - dHidden: ∂L/∂h_t, (B, H).
///   - dCell: ∂L/∂c_t from later steps on entry, ∂L/∂c_{t-1} on return, (B, H).
///   - dGates: receives ∂L/∂(pre-activations), (B, 4H).
@_specialize(where T == Float)
@_specialize(where T == Double)
func lstmBackwardStep<T: RNNScalar>(
    gates: UnsafePointer<T>, cell: UnsafePointer<T>, cellPrevious: UnsafePointer<T>, dHidden: UnsafePointer<T>,
    dCell: UnsafeMutablePointer<T>, dGates: UnsafeMutablePointer<T>, batch: Int, hiddenSize h: Int
) {
    for b in 0..<batch {
        let gi = gates + b * 4 * h
        let di = dGates + b * 4 * h
        let (c, cp, dh, dc) = (cell + b * h, cellPrevious + b * h, dHidden + b * h, dCell + b * h)
        var j = 0
        while j < h {
            let i = load8(gi, j, h)
            let f = load8(gi + h, j, h)
            let g = load8(gi + 2 * h, j, h)
            let o = load8(gi + 3 * h, j, h)
            let tc = T.tanh(load8(c, j, h))
            let dhv = load8(dh, j, h)
            // c_t feeds h_t = o·tanh(c_t) and the later steps (dc on entry).
            let dcTotal = load8(dc, j, h) + dhv * o * (1 - tc * tc)
            store8(dcTotal * g * i * (1 - i), di, j, h)  // ∂/∂pre_i
            store8(dcTotal * load8(cp, j, h) * f * (1 - f), di + h, j, h)  // ∂/∂pre_f
            store8(dcTotal * i * (1 - g * g), di + 2 * h, j, h)  // ∂/∂pre_g
            store8(dhv * tc * o * (1 - o), di + 3 * h, j, h)  // ∂/∂pre_o
            store8(dcTotal * f, dc, j, h)  // ∂L/∂c_{t-1}
            j += 8
        }
    }
}
