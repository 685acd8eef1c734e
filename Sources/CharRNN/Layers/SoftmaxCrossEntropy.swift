// Softmax cross-entropy over N rows of V logits, fused with its gradient.
//
// loss_r = log Σ_v e^{z_rv} − z_r,target, computed stably as m + log Σ e^{z − m} with m = max_v z_rv.
// ∂(scale · Σ_r loss_r)/∂z_rv = scale · (softmax(z_r)_v − [v = target_r]).
//
// Shapes: logits (N, V); targets (N).

/// Returns Σ_r loss_r (nats). When `gradientScale` is given, overwrites `logits` with
/// gradientScale · ∂(Σ loss)/∂logits: the caller passes 1/N to get the gradient of the mean.
func softmaxCrossEntropy<T: RNNScalar>(
    logits: UnsafeMutablePointer<T>, targets: UnsafePointer<Int32>, rows n: Int, classes v: Int,
    gradientScale: T?
) -> Double {
    var total = 0.0
    for r in 0..<n {
        let z = logits + r * v
        var m = z[0]
        for k in 1..<v where z[k] > m { m = z[k] }
        var sum: T = 0
        for k in 0..<v { sum += T.exp(z[k] - m) }
        let target = Int(targets[r])
        let logSum = T.log(sum)
        total += Double(m + logSum - z[target])
        if let scale = gradientScale {
            let inverse = scale / sum
            for k in 0..<v { z[k] = T.exp(z[k] - m) * inverse }
            z[target] -= scale
        }
    }
    return total
}
