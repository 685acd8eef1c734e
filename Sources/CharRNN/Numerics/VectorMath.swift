// Elementwise helpers over raw buffers that the layers share: sums in place, column sums of a matrix (bias
// gradients), and Float views of generic pointers for the Float-only C kernels. Each is specialized for Float and
// Double, the two scalar types the layers run in.

/// sums[k] += Σ_r rows[r·width + k], and the same column sums into `second` when given; each column summed in
/// row order from zero, then added. Parts of the columns run on up to `threads` threads (the same bits for any
/// thread count). Bias gradients: the LSTM's and RNN's two biases share one pass.
func addRowSums<T: RNNScalar>(
    _ sums: UnsafeMutablePointer<T>, _ values: UnsafePointer<T>, rows: Int, width: Int,
    alsoInto second: UnsafeMutablePointer<T>? = nil, threads: Int
) {
    nonisolated(unsafe) let (sums, values, second) = (sums, values, second)
    splitOverWorkers(width, threads: threads, minimumPerPart: max(16, (1 << 16) / max(1, rows)), alignment: 16) {
        cols in
        withUnsafeTemporaryAllocation(of: T.self, capacity: cols.count) { column in
            let total = column.baseAddress!
            total.initialize(repeating: 0, count: cols.count)
            for r in 0..<rows { addInPlace(total, values + r * width + cols.lowerBound, count: cols.count) }
            addInPlace(sums + cols.lowerBound, total, count: cols.count)
            if let second { addInPlace(second + cols.lowerBound, total, count: cols.count) }
        }
    }
}

/// a[i] += b[i] for i < count.
@_specialize(where T == Float)
@_specialize(where T == Double)
func addInPlace<T: RNNScalar>(_ a: UnsafeMutablePointer<T>, _ b: UnsafePointer<T>, count: Int) {
    for i in 0..<count { a[i] += b[i] }
}

/// a[i] = b[i] + c[i] for i < count.
@_specialize(where T == Float)
@_specialize(where T == Double)
func setSum<T: RNNScalar>(_ a: UnsafeMutablePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>, count: Int) {
    for i in 0..<count { a[i] = b[i] + c[i] }
}

/// A pointer to T's storage as Float, for the Float-only C kernels (callers check T == Float).
@inline(__always)
func float<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }

@inline(__always)
func float<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
