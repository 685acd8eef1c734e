// Matrix multiplication: one generic entry point over OpenBLAS's sgemm/dgemm, and its naive twin.
//
// Every matrix is row-major with an explicit leading dimension (the distance between rows), as in CBLAS.
// Generic over Float and Double so the gradient checks run in Double through exactly the code training runs.
import COpenBLAS

/// Whether a matrix operand is used as stored or transposed.
enum Transpose: Sendable {
    /// The matrix as stored.
    case none
    /// Its transpose.
    case transposed
}

@inline(__always)
private func cblasTranspose(_ t: Transpose) -> CBLAS_TRANSPOSE { t == .none ? CblasNoTrans : CblasTrans }

/// `p` as a pointer to `U`, the same memory (for handing a generic T, known to be U, to CBLAS).
@inline(__always)
private func rebound<T, U>(_ p: UnsafePointer<T>, to _: U.Type) -> UnsafePointer<U> {
    UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
}

@inline(__always)
private func rebound<T, U>(_ p: UnsafeMutablePointer<T>, to _: U.Type) -> UnsafeMutablePointer<U> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
}

// CBLAS for the two scalar types the layers run in: sgemm/sgemv for Float, dgemm/dgemv for Double. The type test
// is resolved when the generic code is specialized, so the products call CBLAS directly.
extension RNNScalar {
    /// CBLAS gemm in row-major order; see `matrixMultiply`.
    @inline(__always)
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
        _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int, _ beta: Self,
        _ c: UnsafeMutablePointer<Self>, _ ldc: Int
    ) {
        let (ta, tb, m, n, k, lda, ldb, ldc) = (
            cblasTranspose(transA), cblasTranspose(transB), blasint(m), blasint(n), blasint(k), blasint(lda),
            blasint(ldb), blasint(ldc)
        )
        if Self.self == Float.self {
            cblas_sgemm(
                CblasRowMajor, ta, tb, m, n, k, Float(alpha), rebound(a, to: Float.self), lda,
                rebound(b, to: Float.self), ldb, Float(beta), rebound(c, to: Float.self), ldc)
        } else if Self.self == Double.self {
            cblas_dgemm(
                CblasRowMajor, ta, tb, m, n, k, Double(alpha), rebound(a, to: Double.self), lda,
                rebound(b, to: Double.self), ldb, Double(beta), rebound(c, to: Double.self), ldc)
        } else {
            preconditionFailure("matrix products run in Float or Double, not \(Self.self)")
        }
    }

    /// CBLAS gemv in row-major order: y ← α·op(M)·x + β·y, M stored (rows, cols) with leading dimension ldm.
    @inline(__always)
    static func gemv(
        _ trans: Transpose, _ rows: Int, _ cols: Int, _ alpha: Self, _ m: UnsafePointer<Self>, _ ldm: Int,
        _ x: UnsafePointer<Self>, _ incx: Int, _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int
    ) {
        let (t, rows, cols, ldm, incx, incy) = (
            cblasTranspose(trans), blasint(rows), blasint(cols), blasint(ldm), blasint(incx), blasint(incy)
        )
        if Self.self == Float.self {
            cblas_sgemv(
                CblasRowMajor, t, rows, cols, Float(alpha), rebound(m, to: Float.self), ldm,
                rebound(x, to: Float.self), incx, Float(beta), rebound(y, to: Float.self), incy)
        } else if Self.self == Double.self {
            cblas_dgemv(
                CblasRowMajor, t, rows, cols, Double(alpha), rebound(m, to: Double.self), ldm,
                rebound(x, to: Double.self), incx, Double(beta), rebound(y, to: Double.self), incy)
        } else {
            preconditionFailure("matrix products run in Float or Double, not \(Self.self)")
        }
    }
}

/// Checks the operand shapes shared by `matrixMultiply` and `naiveMatrixMultiply`.
@inline(__always)
private func checkShapes(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int)
{
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes must be non-negative: m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA == .none ? k : m), "gemm: lda \(lda) too small for op(A) \(m)×\(k)")
    precondition(ldb >= max(1, transB == .none ? n : k), "gemm: ldb \(ldb) too small for op(B) \(k)×\(n)")
    precondition(ldc >= max(1, n), "gemm: ldc \(ldc) too small for C \(m)×\(n)")
}

/// C ← α·op(A)·op(B) + β·C through OpenBLAS.
///
/// Shapes (row-major): op(A) is `(m, k)`, op(B) is `(k, n)`, C is `(m, n)`. A stored untransposed is `(m, k)`
/// with row stride `lda`; stored for `.transposed` it is `(k, m)`. Likewise B. With β = 0, C's prior contents
/// are ignored (BLAS semantics: NaNs in C do not propagate). Large products are split over up to `threads`
/// threads, the same bits for any count.
@inline(__always)
func matrixMultiply<T: RNNScalar>(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: T = 1,
    a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T = 0,
    c: UnsafeMutablePointer<T>, ldc: Int, threads: Int = 1
) {
    // OpenBLAS's own threads would make the bits depend on timing (a call made while its threads are busy runs
    // on one), so every product runs on one of them; charrnn splits large products itself.
    _ = BLASThreads.singleThreaded
    checkShapes(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
    if m == 0 || n == 0 { return }
    if m == 1 && k > 0 {
        // One row (sampling one stream): a matrix-vector product. sgemm would repack all of B on every call,
        // which costs 3× the arithmetic at this size. c = op(B)ᵀ-as-stored · a: B stored (n, k) for
        // `.transposed` (no transpose in gemv), (k, n) for `.none` (transpose in gemv).
        let incx = transA == .none ? 1 : lda
        // Large products are split by output columns over the threads (parts of at least 2^17 weights, 64
        // columns): one stream's sampling is bound by reading the weights, and two cores read twice as fast as one.
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        splitOverWorkers(n, threads: threads, minimumPerPart: max(64, (1 << 17) / k)) { part in
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
    // OpenBLAS call, and the parts are spread over the threads. The cut depends only on the
    // shape: OpenBLAS's sums depend on where a block starts, so a cut that followed the thread count would change
    // the bits with it. (OpenBLAS's own threads are not used: they spin in sched_yield between calls and take the
    // second core from charrnn's other parallel loops; docs/performance-log.md.)
    let work = m * n * k
    let long = max(m, n)
    let parts = min(maximumParts, work / minimumPartWork, long / 16)
    if parts <= 1 {
        T.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    nonisolated(unsafe) let (a, b, c) = (a, b, c)
    forEachPart(parts, threads: threads) { part in
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
func naiveMatrixMultiply<T: BinaryFloatingPoint>(
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

/// OpenBLAS's own threading, which charrnn keeps at one thread per call: it splits large products over its own
/// worker threads (see `matrixMultiply`), OpenBLAS's idle threads spin between calls and would take the cores those
/// splits need, and a product whose split depends on whether OpenBLAS's threads are free would not give the same
/// bits every time.
enum BLASThreads {
    /// Sets OpenBLAS to one thread per call, once per process, before the first product.
    static let singleThreaded: Void = openblas_set_num_threads(1)

    /// The current OpenBLAS thread count.
    static var count: Int { Int(openblas_get_num_threads()) }
}
