// Inverted dropout: during training each value is kept with probability 1 − p and scaled by 1/(1 − p), so
// evaluation needs no rescaling. Masks come from the caller's seeded generator, one draw per mask value in order,
// whatever the thread count.
//
// Two kinds of mask on activations (T, B, D) time-major:
//   elementwise  mask (T, B, D): a fresh draw at every position;
//   locked       mask (B, D): one draw per stream and feature, the same at every step (variational dropout).
// And DropConnect on a parameter matrix (`DroppedParameter`): the mask is drawn per update over its elements, or
// over its rows (embedding dropout), and the layers run on the masked copy.

/// Fills `mask` with 0 or 1/(1 − p), the i-th value from the i-th draw of `rng`, on up to `threads` threads (each
/// part jumps to its own place in the sequence, so the bits do not depend on the count); `rng` moves by `count`.
func drawDropoutMask<T: RNNScalar>(
    _ mask: UnsafeMutablePointer<T>, count: Int, probability p: Double, using rng: inout SplitMix64, threads: Int = 1
) {
    let keep = T(1 / (1 - p))
    nonisolated(unsafe) let mask = mask
    let start = rng
    splitOverWorkers(count, threads: threads, minimumPerPart: 1 << 14) { part in
        var r = start
        r.advance(by: part.lowerBound)
        for k in part { mask[k] = r.nextUnitDouble() < p ? 0 : keep }
    }
    rng.advance(by: count)
}

/// Draws the mask for `steps` steps of `rows` streams of `width` features, in `kind`'s layout, as one process draws
/// it for a whole batch: with `part`, this part's streams are the rows `part.streams` of a batch of `part.batch`,
/// and the draws of the other streams are skipped (so the parts of several processes make up that one mask).
///
/// - Parameters:
///   - mask: (T, rows, width) for `.elementwise`, (rows, width) for `.locked`.
func drawActivationMask<T: RNNScalar>(
    _ mask: UnsafeMutablePointer<T>, kind: DropoutMasks, steps: Int, rows: Int, width: Int, probability p: Double,
    part: BatchPart?, using rng: inout SplitMix64
) {
    let (before, after) =
        part.map { ($0.streams.lowerBound * width, ($0.batch - $0.streams.upperBound) * width) } ?? (0, 0)
    for t in 0..<(kind == .locked ? 1 : steps) {
        rng.advance(by: before)
        drawDropoutMask(mask + t * rows * width, count: rows * width, probability: p, using: &rng)
        rng.advance(by: after)
    }
}

/// values ⊙= mask over (T, rows, width): `mask` in `kind`'s layout (see `drawActivationMask`). Forward on the
/// activations, and backward on their gradients (the mask is its own Jacobian's diagonal).
func applyActivationMask<T: RNNScalar>(
    _ values: UnsafeMutablePointer<T>, mask: UnsafePointer<T>, kind: DropoutMasks, steps: Int, rows: Int, width: Int
) {
    let block = rows * width
    for t in 0..<steps {
        let (v, m) = (values + t * block, kind == .locked ? mask : mask + t * block)
        for k in 0..<block { v[k] *= m[k] }
    }
}

/// A parameter matrix under DropConnect for one update: the mask over its elements (`rowWidth` 1) or over its
/// rows of `rowWidth` (whole embedding rows), the masked copy the layers run on, and the gradient they leave for
/// that copy, which `accumulateGradient` takes back to the parameter through the mask.
///
/// Shapes: the parameter, `values` and `gradient` (rows, rowWidth), row-major; `mask` (rows · rowWidth) for
/// elements, (rows) for rows.
final class DroppedParameter<T: RNNScalar> {
    let rowWidth: Int
    let mask: Buffer<T>
    let values: Buffer<T>
    let gradient: Buffer<T>

    init(count: Int, rowWidth: Int = 1) {
        precondition(rowWidth > 0 && count % rowWidth == 0, "\(count) values are not rows of \(rowWidth)")
        self.rowWidth = rowWidth
        mask = Buffer(count: count / rowWidth)
        values = Buffer(count: count)
        gradient = Buffer(count: count)
    }

    /// Draws this update's mask from `rng`, fills `values` with `parameter` ⊙ mask and zeroes `gradient`.
    func draw(from parameter: UnsafePointer<T>, probability p: Double, using rng: inout SplitMix64, threads: Int) {
        drawDropoutMask(mask.pointer, count: mask.count, probability: p, using: &rng, threads: threads)
        let (w, m, out) = (rowWidth, mask.pointer, values.pointer)
        for r in 0..<mask.count {
            for k in 0..<w { out[r * w + k] = parameter[r * w + k] * m[r] }
        }
        gradient.zero()
    }

    /// ∂L/∂parameter += `gradient` ⊙ mask.
    func accumulateGradient(into dParameter: UnsafeMutablePointer<T>) {
        let (w, m, g) = (rowWidth, mask.pointer, gradient.pointer)
        for r in 0..<mask.count {
            for k in 0..<w { dParameter[r * w + k] += g[r * w + k] * m[r] }
        }
    }
}
