// Packed-weight products (CKernels' AVX-512 and AVX2 kernels and the portable twin) against the naive matrix
// multiply, and the two vector kernels against each other bit for bit, on sizes that exercise every row-block size,
// a partial last panel and more than one pass over k, with A read in place or through a workspace; the same bits
// for any thread count, for them and for the products `matrixMultiply` splits over threads; and a recurrent layer
// in Float with packed products against the same layer on OpenBLAS.
import CKernels
import CKernels.Testing
import Testing

@testable import CharRNN

@Suite struct PackedMatrixTests {
    /// (m, n, k): m = 1 … 13 gives the AVX2 kernel's row blocks of 1 … 6, m = 1 … 23 the AVX-512 kernel's of
    /// 1 … 10; n not a multiple of 16 gives a partial panel, an odd number of panels a lone last one for the
    /// AVX-512 kernel's pairs; k > 256 and k > 512 take two passes.
    static let shapes = [
        (1, 1, 1), (2, 16, 3), (5, 37, 9), (7, 50, 600), (13, 33, 1030), (50, 64, 33), (6, 15, 512),
        (10, 48, 257), (19, 65, 300), (23, 20, 256), (9, 130, 40),
    ]

    func check(portable: Bool) {
        var rng = SplitMix64(seed: 23)
        for (m, n, k) in Self.shapes {
            for transB in [Transpose.none, .transposed] {
                for beta: Float in [0, 1, 0.5] {
                    let (lda, ldb, ldc) = (k + 3, (transB == .none ? n : k) + 2, n + 2)
                    let a = (0..<(m * lda)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                    let b = (0..<((transB == .none ? k : n) * ldb)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                    let c0 = (0..<(m * ldc)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                    let packed = PackedMatrix(k: k, n: n)
                    packed.pack(b, ldb: ldb, transB)
                    var fast = c0
                    if portable {
                        crnn_gemm_packed_portable(m, n, k, a, lda, packed.storage, beta, &fast, ldc)
                    } else {
                        packed.multiply(m: m, a: a, lda: lda, beta: beta, c: &fast, ldc: ldc)
                    }
                    if !portable {
                        // A copied into a workspace first (filled with NaN, so a value read before it is written
                        // shows): the same bits as reading A in place.
                        var viaWorkspace = c0
                        var workspace = [Float](repeating: .nan, count: packed.workspaceCount(rows: m))
                        workspace.withUnsafeMutableBufferPointer { w in
                            packed.multiply(
                                m: m, a: a, lda: lda, beta: beta, c: &viaWorkspace, ldc: ldc, workspace: w.baseAddress!)
                        }
                        #expect(
                            viaWorkspace.map(\.bitPattern) == fast.map(\.bitPattern),
                            "m=\(m) n=\(n) k=\(k) \(transB) β=\(beta): workspace")
                    }
                    var naive = c0
                    naiveMatrixMultiply(
                        .none, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &naive, ldc: ldc
                    )
                    let worst = zip(fast, naive).map { abs($0 - $1) }.max() ?? 0
                    // Sums of up to 1,030 products of magnitude ≤ 1, in a different order: float rounding only.
                    #expect(worst <= 1e-5 * Float(k), "m=\(m) n=\(n) k=\(k) \(transB) β=\(beta): off by \(worst)")
                    for i in 0..<m {
                        for j in n..<ldc { #expect(fast[i * ldc + j] == c0[i * ldc + j], "padding of C written") }
                    }
                }
            }
        }
    }

    /// The AVX-512 kernel gives the AVX2 kernel's bits (each output one chain of fused multiply-adds over k), so
    /// a checkpoint does not depend on which of the two a CPU has. Skipped on a CPU without AVX-512, where both
    /// levels would run the AVX2 kernel.
    @Test(.enabled(if: CPU.hasAVX512, "this CPU has no AVX-512: its kernel cannot run here"))
    func avx512KernelGivesTheAVX2KernelsBits() {
        var rng = SplitMix64(seed: 29)
        let shapes = Self.shapes + (1...23).map { m in (m, 33 + m, 270 + m) }
        for (m, n, k) in shapes {
            for beta: Float in [0, 1, 0.5] {
                let (lda, ldc) = (k + 3, n + 2)
                let a = (0..<(m * lda)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                let b = (0..<(k * n)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                let c0 = (0..<(m * ldc)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                let packed = PackedMatrix(k: k, n: n)
                packed.pack(b, ldb: n, .none)
                var results: [[UInt32]] = []
                for (level, workspace) in [(1, false), (2, false), (2, true)] {
                    var c = c0
                    var work = [Float](repeating: .nan, count: packed.workspaceCount(rows: m))
                    a.withUnsafeBufferPointer { a in
                        work.withUnsafeMutableBufferPointer { w in
                            c.withUnsafeMutableBufferPointer { c in
                                crnn_gemm_packed_at_level(
                                    Int32(level), m, n, k, a.baseAddress!, lda, packed.storage, beta, c.baseAddress!,
                                    ldc,
                                    workspace ? w.baseAddress! : nil)
                            }
                        }
                    }
                    results.append(c.map(\.bitPattern))
                }
                #expect(results[1] == results[0], "m=\(m) n=\(n) k=\(k) β=\(beta)")
                #expect(results[2] == results[0], "m=\(m) n=\(n) k=\(k) β=\(beta): workspace")
            }
        }
    }

    /// Packing panel by panel (as the worker threads split it) writes the same storage as packing all at once,
    /// zero padding of the partial last panel included.
    @Test func packingInPartsGivesTheSameStorage() {
        var rng = SplitMix64(seed: 5)
        for (k, n) in [(9, 37), (600, 50), (3, 16)] {
            for transposed: Int32 in [0, 1] {
                let ldb = (transposed == 0 ? n : k) + 3
                let b = (0..<((transposed == 0 ? k : n) * ldb)).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
                let count = crnn_packed_count(k, n)
                let panels = (n + 15) / 16
                var whole = [Float](repeating: .nan, count: count)
                var parts = [Float](repeating: .nan, count: count)
                crnn_pack_panels(b, ldb, transposed, k, n, 0, panels, &whole)
                for p in stride(from: panels - 1, through: 0, by: -1) {
                    crnn_pack_panels(b, ldb, transposed, k, n, p, 1, &parts)
                }
                #expect(whole.map(\.bitPattern) == parts.map(\.bitPattern), "k=\(k) n=\(n) transposed=\(transposed)")
                #expect(!whole.contains { $0.isNaN }, "every packed value written")
            }
        }
    }

    @Test func vectorizedKernelMatchesNaive() { check(portable: false) }
    @Test func portableTwinMatchesNaive() { check(portable: true) }

    @Test func betaZeroIgnoresWhatCHeld() {
        let (m, n, k) = (7, 20, 5)
        let packed = PackedMatrix(k: k, n: n)
        packed.pack([Float](repeating: 1, count: k * n), ldb: n, .none)
        let a = [Float](repeating: 2, count: m * k)
        for portable in [false, true] {
            var c = [Float](repeating: .nan, count: m * n)
            if portable {
                crnn_gemm_packed_portable(m, n, k, a, k, packed.storage, 0, &c, n)
            } else {
                packed.multiply(m: m, a: a, lda: k, c: &c, ldc: n)
            }
            #expect(c.allSatisfy { $0 == 10 }, "portable: \(portable)")
        }
    }

    /// `body(threads)` gives the same bits for 1, 2 and 3 threads.
    func expectSameBitsOverThreads(_ label: String, _ body: (_ threads: Int) -> [Float]) {
        let one = body(1)
        for threads in [2, 3] {
            #expect(firstDifference(one, body(threads)) == nil, "\(label): 1 and \(threads) threads differ")
        }
    }

    @Test func rowsComputedInPartsGiveTheSameBits() {
        // The layers split a step's rows over threads: any split must give the bits of the whole product.
        var rng = SplitMix64(seed: 5)
        let (m, n, k) = (50, 2048, 512)  // the forward product of a 2×512 LSTM
        let a = (0..<(m * k)).map { _ in Float(rng.nextUnitDouble() - 0.5) }
        let w = (0..<(n * k)).map { _ in Float(rng.nextUnitDouble() - 0.5) }
        let packed = PackedMatrix(k: k, n: n)
        packed.pack(w, ldb: k, .transposed)
        var whole = [Float](repeating: 0.25, count: m * n)
        packed.multiply(m: m, a: a, lda: k, beta: 1, c: &whole, ldc: n)
        for cuts in [[23], [1, 2, 30], [7, 13, 25, 49]] {
            var parts = [Float](repeating: 0.25, count: m * n)
            let bounds = [0] + cuts + [m]
            a.withUnsafeBufferPointer { a in
                parts.withUnsafeMutableBufferPointer { c in
                    for (lo, hi) in zip(bounds, bounds.dropFirst()) {
                        packed.multiply(
                            m: hi - lo, a: a.baseAddress! + lo * k, lda: k, beta: 1, c: c.baseAddress! + lo * n, ldc: n)
                    }
                }
            }
            #expect(firstDifference(whole, parts) == nil, "rows cut at \(cuts)")
        }
    }

    /// Many rows over the workers in blocks (layer 2's input products), and few rows by output columns (a
    /// generation step): the bits of one `multiply` over all rows, for 1, 2 and 3 threads, with a last block or
    /// panel shorter than the others.
    @Test(arguments: [(PackedMatrix.rowBlock * 5 + 7, 37), (13, 300)])
    func multiplyOverWorkersGivesTheBitsOfOneProduct(m: Int, n: Int) {
        var rng = SplitMix64(seed: 8)
        let k = 600
        let a = (0..<(m * k)).map { _ in Float(rng.nextUnitDouble() - 0.5) }
        let w = (0..<(n * k)).map { _ in Float(rng.nextUnitDouble() - 0.5) }
        let packed = PackedMatrix(k: k, n: n)
        packed.pack(w, ldb: k, .transposed)
        for beta: Float in [0, 1] {
            var whole = [Float](repeating: 0.25, count: m * n)
            packed.multiply(m: m, a: a, lda: k, beta: beta, c: &whole, ldc: n)
            for threads in [1, 2, 3] {
                var split = [Float](repeating: 0.25, count: m * n)
                packed.multiplyOverWorkers(m: m, a: a, lda: k, beta: beta, c: &split, ldc: n, threads: threads)
                #expect(firstDifference(whole, split) == nil, "β=\(beta), \(threads) threads")
            }
        }
    }

    @Test func splitProductsGiveTheSameBitsOnAnyThreadCount() {
        var rng = SplitMix64(seed: 6)
        // Long M splits by rows, long N by columns; every transpose.
        for (m, n, k) in [(300, 100, 200), (100, 300, 200)] {
            for transA in [Transpose.none, .transposed] {
                for transB in [Transpose.none, .transposed] {
                    let a = (0..<(m * k)).map { _ in Float(rng.nextUnitDouble() - 0.5) }
                    let b = (0..<(k * n)).map { _ in Float(rng.nextUnitDouble() - 0.5) }
                    let (lda, ldb) = (transA == .none ? k : m, transB == .none ? n : k)
                    expectSameBitsOverThreads("m=\(m) n=\(n) \(transA) \(transB)") { threads in
                        var c = [Float](repeating: 0.5, count: m * n)
                        matrixMultiply(
                            transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &c, ldc: n,
                            threads: threads)
                        return c
                    }
                    var fast = [Float](repeating: 0.5, count: m * n)
                    var naive = fast
                    matrixMultiply(
                        transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &fast, ldc: n,
                        threads: 2)
                    naiveMatrixMultiply(
                        transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: &naive, ldc: n)
                    #expect(zip(fast, naive).allSatisfy { abs($0 - $1) < 1e-4 }, "m=\(m) n=\(n) \(transA) \(transB)")
                }
            }
        }
    }

    /// Skipped on a CPU without AVX2, where a cache never packs and both runs would use OpenBLAS.
    @Test(
        .enabled(if: CPU.hasAVX2, "this CPU has no AVX2: layers never pack their weights here"),
        arguments: CellKind.allCases)
    func recurrentLayerWithPackedProductsMatchesOpenBLAS(cell: CellKind) {
        // H = 130: the LSTM's G·H = 520 takes two passes over k backward, and neither 130 nor 390 nor 520 fills
        // its last panel; B = 7 gives row blocks of 3 and 4.
        let f = LayerFixture<Float>(cell, steps: 4, batch: 7, inputSize: 6, hiddenSize: 130, seed: 3)
        let (t, b, h) = (4, 7, 130)
        var rng = SplitMix64(seed: 4)
        let dOut: Buffer<Float> = randomBuffer(t * b * h, using: &rng)
        let dFinal: Buffer<Float> = randomBuffer(b * h, using: &rng)
        func run(packed: Bool) -> [Float] {
            let cache = f.layer.makeCache(steps: t, batch: b, packedProducts: packed)
            #expect((cache.packedForward != nil) == packed)
            for g in [f.gWeightIH, f.gWeightHH, f.gBiasIH, f.gBiasHH] { g.pointer.update(repeating: 0, count: g.count) }
            f.forward(cache)
            let (dInput, dh0, dc0) = f.backward(cache, dOutput: dOut, dFinalHidden: dFinal, dFinalCell: dFinal)
            return cache.outputs.array + f.gWeightIH.array + f.gWeightHH.array + f.gBiasIH.array + f.gBiasHH.array
                + dInput.array + dh0.array + dc0.array
        }
        let packed = run(packed: true)
        let blas = run(packed: false)
        let worst = zip(packed, blas).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst < 1e-4, "\(cell): packed and OpenBLAS differ by \(worst)")
    }
}
