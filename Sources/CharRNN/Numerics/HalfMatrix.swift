// HalfMatrix: a read-only copy of a weight matrix in IEEE half precision (binary16), for generation, where one
// stream's step is bound by reading the weights: half the bytes, nearly twice the tokens per second.
//
// Products sum in single precision (CKernels' AVX2/FMA/F16C kernel, or its portable twin on other CPUs). Each
// output's summation order does not depend on how the rows are split over threads, so results are the same for
// any thread count.
import CKernels

/// A (rows, cols) row-major matrix of binary16 values.
public final class HalfMatrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    /// The binary16 bit patterns, rows · cols.
    let bits: UnsafeMutablePointer<UInt16>

    /// Rounds `values` (rows · cols, row-major) to the nearest binary16 values, or returns nil when one of them is
    /// outside binary16's finite range (±65504) and would become infinite.
    public init?(_ values: UnsafePointer<Float>, rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "matrix sizes must be non-negative")
        let largest = Float(Float16.greatestFiniteMagnitude)
        for i in 0..<(rows * cols) where values[i].isFinite && abs(values[i]) > largest {
            // Values within half a step above the largest still round down to it; beyond, they would become ∞.
            if !Float16(values[i]).isFinite { return nil }
        }
        self.rows = rows
        self.cols = cols
        bits = .allocate(capacity: max(1, rows * cols))
        for i in 0..<(rows * cols) { bits[i] = Float16(values[i]).bitPattern }
    }

    deinit { bits.deallocate() }

    /// The value at (r, c) as a Float.
    public subscript(r: Int, c: Int) -> Float { Float(Float16(bitPattern: bits[r * cols + c])) }

    /// y[b·ldy + r] += Σ_k W[r, k] · x[b·cols + k] for every row r and each of the `batch` vectors in x.
    ///
    /// Large matrices are split by rows over `WorkerThreads.count` threads (each reads its part of the
    /// weights).
    public func multiplyAdd(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        precondition(ldy >= rows, "ldy = \(ldy) is less than the \(rows) rows")
        nonisolated(unsafe) let (w, x, y) = (UnsafePointer(bits), x, y)
        let cols = self.cols
        // Parts of at least 2^17 weights (64 rows), on multiples of four rows, the kernel's block.
        splitOverWorkers(rows, minimumPerPart: max(64, (1 << 17) / max(1, cols)), alignment: 4) { r in
            crnn_matvec_f16(w + r.lowerBound * cols, r.count, cols, x, batch, y + r.lowerBound, ldy)
        }
    }

    /// The naive twin of `multiplyAdd`: plain loops over Swift's Float16 conversion, one thread.
    public func naiveMultiplyAdd(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        for b in 0..<batch {
            for r in 0..<rows {
                var sum: Float = 0
                for k in 0..<cols { sum += self[r, k] * x[b * cols + k] }
                y[b * ldy + r] += sum
            }
        }
    }
}
