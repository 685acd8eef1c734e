// The classic Elman RNN cell's elementwise work, h_t = tanh(pre), forward and backward (SIMD8 across H).

/// Forward: h_t = tanh(pre) for `count` = B·H values. `pre` and `hidden` may be the same buffer.
@_specialize(where T == Float)
@_specialize(where T == Double)
func rnnForwardStep<T: RNNScalar>(pre: UnsafePointer<T>, hidden: UnsafeMutablePointer<T>, count: Int) {
    var j = 0
    while j < count {
        store8(T.tanh(load8(pre, j, count)), hidden, j, count)
        j += 8
    }
}

/// Backward: ∂L/∂pre = ∂L/∂h_t ⊙ (1 − h_t²) for `count` = B·H values.
@_specialize(where T == Float)
@_specialize(where T == Double)
func rnnBackwardStep<T: RNNScalar>(
    hidden: UnsafePointer<T>, dHidden: UnsafePointer<T>, dPre: UnsafeMutablePointer<T>, count: Int
) {
    var j = 0
    while j < count {
        let hv = load8(hidden, j, count)
        store8(load8(dHidden, j, count) * (1 - hv * hv), dPre, j, count)
        j += 8
    }
}
