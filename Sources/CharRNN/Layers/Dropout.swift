// Inverted dropout between recurrent layers: during training each value is kept with probability 1 − p and
// scaled by 1/(1 − p), so evaluation needs no rescaling. The mask comes from the caller's seeded generator.

/// Fills `mask` with 0 or 1/(1 − p) for `count` values and multiplies `values` by it in place.
func dropoutForward<T: RNNScalar>(
    values: UnsafeMutablePointer<T>, mask: UnsafeMutablePointer<T>, count: Int, probability p: Double,
    using rng: inout SplitMix64
) {
    let keep = T(1 / (1 - p))
    for k in 0..<count {
        mask[k] = rng.nextUnitDouble() < p ? 0 : keep
        values[k] *= mask[k]
    }
}

/// dValues ⊙= mask.
func dropoutBackward<T: RNNScalar>(dValues: UnsafeMutablePointer<T>, mask: UnsafePointer<T>, count: Int) {
    for k in 0..<count { dValues[k] *= mask[k] }
}
