// Softmax cross-entropy over N rows of V logits, fused with its gradient.
//
// loss_r = log Σ_v e^{z_rv} − z_r,target, computed stably as m + log Σ e^{z − m} with m = max_v z_rv.
// ∂(scale · Σ_r loss_r)/∂z_rv = scale · (softmax(z_r)_v − [v = target_r]).
//
// Shapes: logits (N, V); targets (N).

/// Returns Σ_r loss_r (nats). When `gradientScale` is given, overwrites `logits` with
/// gradientScale · ∂(Σ loss)/∂logits: the caller passes 1/N to get the gradient of the mean.
///
/// Rows are independent: parts of them run on up to `threads` threads, and the per-row losses are summed in row
/// order afterwards, so the total is the same for any thread count.
func softmaxCrossEntropy<T: RNNScalar>(
    logits: UnsafeMutablePointer<T>, targets: UnsafePointer<Int32>, rows n: Int, classes v: Int,
    gradientScale: T?, threads: Int
) -> Double {
    var losses = [Double](repeating: 0, count: n)
    losses.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let (losses, logits, targets) = (buffer.baseAddress!, logits, targets)
        splitOverWorkers(n, threads: threads, minimumPerPart: max(1, 16_384 / max(1, v))) { rows in
            for r in rows {
                losses[r] = softmaxCrossEntropyRow(
                    logits + r * v, target: Int(targets[r]), classes: v, gradientScale: gradientScale)
            }
        }
    }
    var total = 0.0
    for loss in losses { total += loss }
    return total
}

/// One row's loss; with `gradientScale`, the row becomes gradientScale · (softmax(z) − one-hot(target)).
@_specialize(where T == Float)
@_specialize(where T == Double)
func softmaxCrossEntropyRow<T: RNNScalar>(
    _ z: UnsafeMutablePointer<T>, target: Int, classes v: Int, gradientScale: T?
) -> Double {
    var m = z[0]
    for k in 1..<v where z[k] > m { m = z[k] }
    var sum: T = 0
    for k in 0..<v { sum += T.exp(z[k] - m) }
    let loss = Double(m + T.log(sum) - z[target])
    if let scale = gradientScale {
        let inverse = scale / sum
        for k in 0..<v { z[k] = T.exp(z[k] - m) * inverse }
        z[target] -= scale
    }
    return loss
}
