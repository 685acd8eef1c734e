// Matrix multiplication: one generic entry point over OpenBLAS's sgemm/dgemm, and its naive twin.
//
// Every matrix is row-major with an explicit leading dimension (the distance between rows), as in CBLAS.
// Generic over Float and Double so the gradient checks run in Double through exactly the code training runs.
import COpenBLAS

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// The matrix as stored.
    case none
    /// Its transpose.
    case transposed
}

/// A floating-point type with a BLAS matrix multiply: Float (sgemm) and Double (dgemm).
public protocol BLASScalar: BinaryFloatingPoint, Sendable {
    /// CBLAS gemm in row-major order; see `matrixMultiply`.
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
        _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int, _ beta: Self,
        _ c: UnsafeMutablePointer<Self>, _ ldc: Int)

    /// CBLAS gemv in row-major order: y ← α·op(M)·x + β·y, M stored (rows, cols) with leading dimension ldm.
    static func gemv(
        _ trans: Transpose, _ rows: Int, _ cols: Int, _ alpha: Self, _ m: UnsafePointer<Self>, _ ldm: Int,
        _ x: UnsafePointer<Self>, _ incx: Int, _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int)
}

@inline(__always)
private func cblasTranspose(_ t: Transpose) -> CBLAS_TRANSPOSE { t == .none ? CblasNoTrans : CblasTrans }

extension Float: BLASScalar {
    @inline(__always)
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    @inline(__always)
    public static func gemv(
        _ trans: Transpose, _ rows: Int, _ cols: Int, _ alpha: Float, _ m: UnsafePointer<Float>, _ ldm: Int,
        _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ incy: Int
    ) {
        cblas_sgemv(
            CblasRowMajor, cblasTranspose(trans), blasint(rows), blasint(cols), alpha, m, blasint(ldm), x,
            blasint(incx), beta, y, blasint(incy))
    }
}

extension Double: BLASScalar {
    @inline(__always)
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
        _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int, _ beta: Double,
        _ c: UnsafeMutablePointer<Double>, _ ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    @inline(__always)
    public static func gemv(
        _ trans: Transpose, _ rows: Int, _ cols: Int, _ alpha: Double, _ m: UnsafePointer<Double>, _ ldm: Int,
        _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double, _ y: UnsafeMutablePointer<Double>, _ incy: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, cblasTranspose(trans), blasint(rows), blasint(cols), alpha, m, blasint(ldm), x,
            blasint(incx), beta, y, blasint(incy))
    }
}

/// Checks the operand shapes shared by `matrixMultiply` and `naiveMatrixMultiply`.
@inline(__always)
private func checkShapes(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes must be non-negative: m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA == .none ? k : m), "gemm: lda \(lda) too small for op(A) \(m)×\(k)")
    precondition(ldb >= max(1, transB == .none ? n : k), "gemm: ldb \(ldb) too small for op(B) \(k)×\(n)")
    precondition(ldc >= max(1, n), "gemm: ldc \(ldc) too small for C \(m)×\(n)")
}

/// C ← α·op(A)·op(B) + β·C through OpenBLAS.
///
/// Shapes (row-major): op(A) is `(m, k)`, op(B) is `(k, n)`, C is `(m, n)`. A stored untransposed is `(m, k)`
/// with row stride `lda`; stored for `.transposed` it is `(k, m)`. Likewise B. With β = 0, C's prior contents
/// are ignored (BLAS semantics: NaNs in C do not propagate).
@inline(__always)
public func matrixMultiply<T: BLASScalar>(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: T = 1,
    a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T = 0,
    c: UnsafeMutablePointer<T>, ldc: Int
) {
    checkShapes(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
    if m == 0 || n == 0 { return }
    if m == 1 && k > 0 {
        // One row (sampling one stream): a matrix-vector product. sgemm would repack all of B on every call,
        // which costs 3× the arithmetic at this size. c = op(B)ᵀ-as-stored · a: B stored (n, k) for
        // `.transposed` (no transpose in gemv), (k, n) for `.none` (transpose in gemv).
        let incx = transA == .none ? 1 : lda
        // Large products are split by output columns over `WorkerThreads.count` threads (parts of at least 2^17
        // weights, 64 columns): one stream's sampling is bound by reading the weights, and two cores read twice
        // as fast as one.
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        splitOverWorkers(n, minimumPerPart: max(64, (1 << 17) / k)) { part in
            let (lo, count) = (part.lowerBound, part.count)
            if transB == .transposed {
                T.gemv(.none, count, k, alpha, b + lo * ldb, ldb, a, incx, beta, c + lo, 1)
            } else {
                T.gemv(.transposed, k, count, alpha, b + lo, ldb, a, incx, beta, c + lo, 1)
            }
        }
        return
    }
    // Large products are cut into up to four parts along the longer of M and N, each one single-threaded
    // OpenBLAS call, and the parts are spread over `WorkerThreads.count` threads. The cut depends only on the
    // shape: OpenBLAS's sums depend on where a block starts, so a cut that followed the thread count would change
    // the bits with it. (OpenBLAS's own threads are not used: they spin in sched_yield between calls and take the
    // second core from charrnn's other parallel loops; BENCHMARKS.md.)
    let work = m * n * k
    let long = max(m, n)
    let parts = min(maximumParts, work / minimumPartWork, long / 16)
    if parts <= 1 {
        T.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    nonisolated(unsafe) let (a, b, c) = (a, b, c)
    forEachPart(parts) { part in
        let (lo, hi) = (long * part / parts, long * (part + 1) / parts)
        if m >= n {
            let aPart = transA == .none ? a + lo * lda : a + lo
            T.gemm(transA, transB, hi - lo, n, k, alpha, aPart, lda, b, ldb, beta, c + lo * ldc, ldc)
        } else {
            let bPart = transB == .none ? b + lo : b + lo * ldb
            T.gemm(transA, transB, m, hi - lo, k, alpha, a, lda, bPart, ldb, beta, c + lo, ldc)
        }
    }
}

/// At most this many parts per product: enough for four threads; each further cut costs OpenBLAS efficiency
/// (one thread at M = 2,500: 2 parts ~91 GFLOP/s, 4 parts ~89, 8 parts ~84).
private let maximumParts = 4
/// Multiply-adds per part below which cutting costs more in thread hand-off than it saves (~0.05 ms).
private let minimumPartWork = 1 << 22

/// The naive twin of `matrixMultiply`: the same contract as three plain loops, for tests to compare against.
public func naiveMatrixMultiply<T: BinaryFloatingPoint>(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: T = 1,
    a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T = 0,
    c: UnsafeMutablePointer<T>, ldc: Int
) {
    checkShapes(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
    for i in 0..<m {
        for j in 0..<n {
            var sum: T = 0
            for p in 0..<k {
                let x = transA == .none ? a[i * lda + p] : a[p * lda + i]
                let y = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                sum += x * y
            }
            c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}

/// OpenBLAS's own threading.
public enum BLASThreads {
    /// Sets how many threads OpenBLAS may use for one call. charrnn keeps it at 1 and splits large products over
    /// `WorkerThreads` itself (see `matrixMultiply`).
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// The current OpenBLAS thread count.
    public static var count: Int { Int(openblas_get_num_threads()) }
}
