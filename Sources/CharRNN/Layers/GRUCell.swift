// The GRU cell's elementwise work for one time step, forward and backward (SIMD8 across H). PyTorch's GRU: the
// reset gate multiplies the hidden product after it is computed, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
//
// Shapes: input and hidden projections (B, 3H) in the order r, z, n; states and their gradients (B, H).

/// Forward: gates r, z, n and the new hidden state.
///
/// - Parameters:
///   - gates: (B, 3H) input projections W_ih x + b_ih on entry; r, z, n on return.
///   - hiddenProjection: (B, 3H) W_hh h_{t-1} + b_hh.
///   - hiddenN: receives W_hn h_{t-1} + b_hn, (B, H), which backward needs.
///   - hiddenPrevious: h_{t-1}, (B, H).  hidden: receives h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}, (B, H).
@_specialize(where T == Float)
@_specialize(where T == Double)
func gruForwardStep<T: RNNScalar>(
    gates: UnsafeMutablePointer<T>, hiddenProjection: UnsafePointer<T>, hiddenN: UnsafeMutablePointer<T>,
    hiddenPrevious: UnsafePointer<T>, hidden: UnsafeMutablePointer<T>, batch: Int, hiddenSize h: Int
) {
    for b in 0..<batch {
        let gr = gates + b * 3 * h
        let hr = hiddenProjection + b * 3 * h
        let (hp, out, hn) = (hiddenPrevious + b * h, hidden + b * h, hiddenN + b * h)
        var j = 0
        while j < h {
            let r = T.sigmoid(load8(gr, j, h) + load8(hr, j, h))
            let z = T.sigmoid(load8(gr + h, j, h) + load8(hr + h, j, h))
            let nh = load8(hr + 2 * h, j, h)
            let n = T.tanh(load8(gr + 2 * h, j, h) + r * nh)
            store8(r, gr, j, h)
            store8(z, gr + h, j, h)
            store8(n, gr + 2 * h, j, h)
            store8(nh, hn, j, h)
            store8(n + z * (load8(hp, j, h) - n), out, j, h)
            j += 8
        }
    }
}

/// Backward: gradients of the input and hidden projections, and the direct part of ∂L/∂h_{t-1}.
///
/// - Parameters:
///   - gates: r, z, n saved by the forward step, (B, 3H).  hiddenN: W_hn h_{t-1} + b_hn, (B, H).
///   - hiddenPrevious: h_{t-1}, (B, H).  dHidden: ∂L/∂h_t, (B, H).
///   - dInputProjection: receives ∂L/∂(W_ih x + b_ih), (B, 3H).
///   - dHiddenProjection: receives ∂L/∂(W_hh h + b_hh), (B, 3H).
///   - dHiddenPrevious: receives z ⊙ ∂L/∂h_t, the part of ∂L/∂h_{t-1} that bypasses W_hh, (B, H).
@_specialize(where T == Float)
@_specialize(where T == Double)
func gruBackwardStep<T: RNNScalar>(
    gates: UnsafePointer<T>, hiddenN: UnsafePointer<T>, hiddenPrevious: UnsafePointer<T>,
    dHidden: UnsafePointer<T>, dInputProjection: UnsafeMutablePointer<T>,
    dHiddenProjection: UnsafeMutablePointer<T>, dHiddenPrevious: UnsafeMutablePointer<T>, batch: Int,
    hiddenSize h: Int
) {
    for b in 0..<batch {
        let g = gates + b * 3 * h
        let (di, dhh) = (dInputProjection + b * 3 * h, dHiddenProjection + b * 3 * h)
        let (hn, hp, dh, dhp) = (hiddenN + b * h, hiddenPrevious + b * h, dHidden + b * h, dHiddenPrevious + b * h)
        var j = 0
        while j < h {
            let r = load8(g, j, h)
            let z = load8(g + h, j, h)
            let n = load8(g + 2 * h, j, h)
            let dhv = load8(dh, j, h)
            let dn = dhv * (1 - z) * (1 - n * n)  // through n's tanh
            let dr = dn * load8(hn, j, h) * r * (1 - r)  // through r's sigmoid
            let dz = dhv * (load8(hp, j, h) - n) * z * (1 - z)
            store8(dr, di, j, h)
            store8(dz, di + h, j, h)
            store8(dn, di + 2 * h, j, h)
            store8(dr, dhh, j, h)
            store8(dz, dhh + h, j, h)
            store8(dn * r, dhh + 2 * h, j, h)
            store8(dhv * z, dhp, j, h)
            j += 8
        }
    }
}
