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
public func gradientNorm<T: RNNScalar>(_ gradients: Buffer<T>) -> Double {
    var sum = 0.0
    for i in 0..<gradients.count {
        let g = Double(gradients[i])
        sum += g * g
    }
    return sum.squareRoot()
}

/// Clips `gradients` in place and returns their L2 norm before clipping (for the log line).
///
/// - Parameters:
///   - gradients: the flat gradient buffer, clipped in place.
///   - threshold: c; 0 or less disables clipping.
///   - mode: `.norm` scales the whole buffer to norm c; `.value` clamps each element to [−c, c].
@discardableResult
public func clipGradients<T: RNNScalar>(_ gradients: Buffer<T>, threshold: Double, mode: ClipMode) -> Double {
    let norm = gradientNorm(gradients)
    guard threshold > 0 else { return norm }
    let g = gradients.pointer
    switch mode {
    case .norm:
        if norm > threshold {
            let scale = T(threshold / norm)
            for i in 0..<gradients.count { g[i] *= scale }
        }
    case .value:
        let c = T(threshold)
        for i in 0..<gradients.count { g[i] = min(max(g[i], -c), c) }
    }
    return norm
}
