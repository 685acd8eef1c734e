// Gradient clipping over the flat gradient buffer.
//
//   norm   (default) if ‖g‖₂ > c: g ← g · c/‖g‖₂   (nanoGPT, PyTorch's clip_grad_norm_)
//   value  g ← clamp(g, −c, c) elementwise          (char-rnn, torch-rnn)

/// How gradients are clipped.
public enum ClipMode: String, Codable, CaseIterable, Sendable {
    /// Scale the whole gradient so its global L2 norm is at most the threshold.
    case norm
    /// Clamp each element to [−threshold, threshold] (char-rnn).
    case value
}

/// The L2 norm of all gradients, accumulated in Double.
///
/// Large buffers are cut into 16 fixed parts (by the size alone), summed on up to `threads` threads with four
/// running sums each, then added in order: the same bits for any thread count, and no one long chain of dependent
/// additions.
func gradientNorm<T: RNNScalar>(_ gradients: Buffer<T>, threads: Int = 1) -> Double {
    let count = gradients.count
    let parts = count >= 1 << 16 ? 16 : 1
    var sums = [Double](repeating: 0, count: parts)
    sums.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let (sums, g) = (buffer.baseAddress!, UnsafePointer(gradients.pointer))
        forEachPart(parts, threads: threads) { part in
            let (lo, hi) = (count * part / parts, count * (part + 1) / parts)
            var acc = SIMD4<Double>()
            var i = lo
            while i + 4 <= hi {
                let v = SIMD4<Double>(Double(g[i]), Double(g[i + 1]), Double(g[i + 2]), Double(g[i + 3]))
                acc += v * v
                i += 4
            }
            var sum = acc.sum()
            while i < hi {
                sum += Double(g[i]) * Double(g[i])
                i += 1
            }
            sums[part] = sum
        }
    }
    var total = 0.0
    for s in sums { total += s }
    return total.squareRoot()
}

/// Clips `gradients` in place and returns their L2 norm before clipping (for the log line).
///
/// - Parameters:
///   - gradients: the flat gradient buffer, clipped in place.
///   - threshold: c; 0 or less disables clipping.
///   - mode: `.norm` scales the whole buffer to norm c; `.value` clamps each element to [−c, c].
///   - threads: threads for the norm and the scaling (the same bits for any count).
@discardableResult
func clipGradients<T: RNNScalar>(_ gradients: Buffer<T>, threshold: Double, mode: ClipMode, threads: Int = 1) -> Double
{
    let norm = gradientNorm(gradients, threads: threads)
    guard threshold > 0 else { return norm }
    let g = gradients.pointer
    switch mode {
    case .norm:
        if norm > threshold {
            nonisolated(unsafe) let g = g
            let scale = T(threshold / norm)
            splitOverWorkers(gradients.count, threads: threads, minimumPerPart: 1 << 16) { part in
                for i in part { g[i] *= scale }
            }
        }
    case .value:
        let c = T(threshold)
        for i in 0..<gradients.count { g[i] = min(max(g[i], -c), c) }
    }
    return norm
}
