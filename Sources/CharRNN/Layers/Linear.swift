// A fully connected layer y = x · Wᵀ + b over N rows at once (the decoder from hidden states to logits), forward
// and backward. PyTorch's nn.Linear layout: W is (out, in).
//
// Shapes: x (N, in); W (out, in); b (out); y (N, out).

/// y = x · Wᵀ + b, the product on up to `threads` threads.
func linearForward<T: RNNScalar>(
    output: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>,
    rows n: Int, inputSize i: Int, outputSize o: Int, threads: Int
) {
    for r in 0..<n { (output + r * o).update(from: bias, count: o) }
    matrixMultiply(
        .none, .transposed, m: n, n: o, k: i, a: input, lda: i, b: weight, ldb: i, beta: 1, c: output, ldc: o,
        threads: threads)
}

/// dW += dyᵀ · x, db += Σ_rows dy, and dx = dy · W (overwritten) when `dInput` is given; on up to `threads`
/// threads.
func linearBackward<T: RNNScalar>(
    dInput: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>,
    dOutput: UnsafePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, rows n: Int, inputSize i: Int,
    outputSize o: Int, threads: Int
) {
    matrixMultiply(
        .transposed, .none, m: o, n: i, k: n, a: dOutput, lda: o, b: input, ldb: i, beta: 1, c: dWeight, ldc: i,
        threads: threads)
    addRowSums(dBias, dOutput, rows: n, width: o, threads: threads)
    if let dInput {
        matrixMultiply(
            .none, .none, m: n, n: i, k: o, a: dOutput, lda: o, b: weight, ldb: i, c: dInput, ldc: i, threads: threads)
    }
}
