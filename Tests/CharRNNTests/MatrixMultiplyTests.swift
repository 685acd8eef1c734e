// OpenBLAS gemm against its naive twin, for Float and Double, every transpose, padded leading dimensions,
// alpha and beta.
import Testing

@testable import CharRNN

private func compare<T: RNNScalar>(_: T.Type, tolerance: T) {
    var rng = SplitMix64(seed: 7)
    func random(_ n: Int) -> [T] { (0..<n).map { _ in T(rng.nextUnitDouble() * 2 - 1) } }
    // m = 1 takes the gemv path; k = 0 means C = β·C.
    for (m, n, k) in [(1, 1, 1), (3, 5, 7), (50, 64, 33), (17, 1, 9), (4, 3, 0), (1, 64, 33), (1, 5, 7), (1, 4, 0)] {
        for transA in [Transpose.none, .transposed] {
            for transB in [Transpose.none, .transposed] {
                for (alpha, beta) in [(T(1), T(0)), (T(0.5), T(1)), (T(-2), T(0.25))] {
                    // Leading dimensions padded by 2 so row strides are exercised.
                    let lda = (transA == .none ? k : m) + 2
                    let ldb = (transB == .none ? n : k) + 2
                    let ldc = n + 2
                    let a = random((transA == .none ? m : k) * lda)
                    let b = random((transB == .none ? k : n) * ldb)
                    let c0 = random(m * ldc)
                    var fast = c0
                    var naive = c0
                    matrixMultiply(
                        transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                        c: &fast, ldc: ldc)
                    naiveMatrixMultiply(
                        transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                        c: &naive, ldc: ldc)
                    let worst = zip(fast, naive).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= tolerance, "m=\(m) n=\(n) k=\(k) \(transA) \(transB) α=\(alpha) β=\(beta)")
                    // Padding columns of C are untouched.
                    for i in 0..<m { #expect(fast[i * ldc + n] == c0[i * ldc + n]) }
                }
            }
        }
    }
}

@Suite struct MatrixMultiplyTests {
    @Test func floatMatchesNaive() { compare(Float.self, tolerance: 1e-4) }
    @Test func doubleMatchesNaive() { compare(Double.self, tolerance: 1e-12) }

    @Test func splitMatrixVectorMatchesNaive() {
        // One row with n·k ≥ 2^18 is split over two threads; both layouts of B, against the naive twin.
        var rng = SplitMix64(seed: 17)
        // Wide and short: fewer than 64 output columns over a long k (a small vocabulary's decoder over a huge
        // hidden size) stays one part.
        for (n, k) in [(1030, 300), (10, 30_000)] {
            let a = (0..<k).map { _ in rng.nextUnitDouble() - 0.5 }
            let b = (0..<(n * k)).map { _ in rng.nextUnitDouble() - 0.5 }
            for transB in [Transpose.none, .transposed] {
                let ldb = transB == .none ? n : k
                var fast = [Double](repeating: 1, count: n)
                var naive = fast
                matrixMultiply(
                    .none, transB, m: 1, n: n, k: k, a: a, lda: k, b: b, ldb: ldb, beta: 0.5, c: &fast, ldc: n,
                    threads: 2)
                naiveMatrixMultiply(
                    .none, transB, m: 1, n: n, k: k, a: a, lda: k, b: b, ldb: ldb, beta: 0.5, c: &naive, ldc: n)
                #expect(zip(fast, naive).allSatisfy { abs($0 - $1) < 1e-12 }, "\(transB) n=\(n) k=\(k)")
            }
        }
    }

    @Test func knownProduct() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        var c = [Double](repeating: 0, count: 4)
        matrixMultiply(
            .none, .none, m: 2, n: 2, k: 2, a: [1, 2, 3, 4], lda: 2, b: [5, 6, 7, 8], ldb: 2, c: &c, ldc: 2)
        #expect(c == [19, 22, 43, 50])
    }
}
