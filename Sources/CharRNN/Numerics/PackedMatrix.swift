// PackedMatrix: a single-precision right-hand operand repacked once into 16-column panels, for products that meet
// the same weights many times in a row — training's recurrent products, 2·T per layer and update, M = B rows
// each. OpenBLAS repacks B on every call; packing once and running CKernels' AVX-512 or AVX2 kernel over the
// panels makes these products ~1.3–1.4× faster at the production shapes (docs/performance-log.md).
//
// Results: each output is summed over k in order, the same way for any split of the rows, so the same bits for
// any thread count; they differ from sgemm's in the last bits (a different summation order).
import CKernels

/// op(B), a (k, n) Float matrix, packed for `multiply`.
final class PackedMatrix: @unchecked Sendable {
    /// Rows of op(B): the shared dimension of the product.
    let k: Int
    /// Columns of op(B): the product's output columns.
    let n: Int
    /// ⌈n/16⌉ panels of k × 16 floats.
    let storage: UnsafeMutablePointer<Float>
    let panels: Int

    /// Whether this CPU runs the vectorized kernel. Without it the portable twin would be slower than OpenBLAS,
    /// so callers should not pack.
    static var isVectorized: Bool { crnn_kernels_vectorized() != 0 }

    /// Storage for a (k, n) op(B); `pack` fills it.
    init(k: Int, n: Int) {
        precondition(k > 0 && n > 0, "a packed matrix needs positive sizes: k=\(k) n=\(n)")
        self.k = k
        self.n = n
        panels = (n + Int(CRNN_PANEL_WIDTH) - 1) / Int(CRNN_PANEL_WIDTH)
        storage = allocateLarge(byteCount: crnn_packed_count(k, n) * 4)
            .bindMemory(to: Float.self, capacity: crnn_packed_count(k, n))
    }

    deinit {
        storage.deallocate()
        scratch?.deallocate()
    }

    /// Per-part workspaces for the splits over the workers, kept between calls so that a split allocates
    /// nothing once they are big enough; grown on the calling thread. One caller at a time: a PackedMatrix belongs
    /// to one layer cache.
    private var scratch: UnsafeMutablePointer<Float>?
    private var scratchCount = 0

    /// `parts` workspaces of `perPart` floats, part p's at p · perPart.
    private func scratch(parts: Int, perPart: Int) -> UnsafeMutablePointer<Float> {
        let needed = max(1, parts * perPart)
        if needed > scratchCount {
            scratch?.deallocate()
            scratch = .allocate(capacity: needed)
            scratchCount = needed
        }
        return scratch!
    }

    /// Packs op(B): B stored row-major with leading dimension `ldb`, (k, n) for `.none`, (n, k) for
    /// `.transposed`. Split over up to `threads` threads by panels, from 2^18 values a part (W_hh of a 512-unit
    /// LSTM, 2^20 values, takes both cores).
    func pack(_ b: UnsafePointer<Float>, ldb: Int, _ transB: Transpose, threads: Int = 1) {
        precondition(ldb >= (transB == .none ? n : k), "pack: ldb \(ldb) too small")
        nonisolated(unsafe) let (b, storage) = (b, storage)
        let (k, n, transposed) = (k, n, Int32(transB == .transposed ? 1 : 0))
        splitOverWorkers(panels, threads: threads, minimumPerPart: max(1, (1 << 14) / k)) { part in
            crnn_pack_panels(b, ldb, transposed, k, n, part.lowerBound, part.count, storage)
        }
    }

    /// Floats `multiply` needs in a workspace for m rows of A: m · min(k, 512).
    func workspaceCount(rows m: Int) -> Int { Self.workspaceCount(rows: m, k: k) }

    /// `workspaceCount(rows:)` for a packed matrix of k rows.
    static func workspaceCount(rows m: Int, k: Int) -> Int { m * min(k, Int(CRNN_PACKED_DEPTH)) }

    /// C ← β·C + A · op(B), on the calling thread. A is (m, k) with leading dimension `lda`, C is (m, n) with
    /// `ldc`; with β = 0, C is not read. Each row of C depends only on the same row of A, computed the same way
    /// whatever m is, so callers may split the rows over threads without changing a bit.
    ///
    /// With a `workspace` of `workspaceCount(rows: m)` floats, A is first copied there in the order the kernel
    /// reads it: the same bits, faster when A is re-read for many panels (the recurrent products and
    /// `multiplyOverWorkers`; docs/performance-log.md).
    func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        workspace: UnsafeMutablePointer<Float>? = nil
    ) {
        precondition(m >= 0 && lda >= k && ldc >= n, "packed product: m=\(m) lda=\(lda) ldc=\(ldc) for k=\(k) n=\(n)")
        if m == 0 { return }
        crnn_gemm_packed(m, n, k, a, lda, storage, beta, c, ldc, workspace)
    }

    /// `multiply` for the output columns of `panels` only: C's other columns are not touched. The same bits as
    /// `multiply` over all columns.
    ///
    /// - Parameters:
    ///   - m: rows of A and C.
    ///   - a: A, (m, k) row-major.
    ///   - lda: A's leading dimension, at least k.
    ///   - beta: β; with 0, C is not read.
    ///   - c: C, (m, n) row-major.
    ///   - ldc: C's leading dimension, at least n.
    ///   - panels: panel indices in 0..<⌈n/16⌉; panel p holds output columns 16p ..< min(16p + 16, n).
    ///   - workspace: nil, or `workspaceCount(rows: m)` floats A is copied through (as for `multiply`).
    func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        panels: Range<Int>, workspace: UnsafeMutablePointer<Float>? = nil
    ) {
        precondition(panels.lowerBound >= 0 && panels.upperBound <= self.panels, "panels \(panels) of \(self.panels)")
        precondition(m >= 0 && lda >= k && ldc >= n, "packed product: m=\(m) lda=\(lda) ldc=\(ldc) for k=\(k) n=\(n)")
        let columns = columns(inPanels: panels)
        if m == 0 || columns.isEmpty { return }
        let j0 = columns.lowerBound
        crnn_gemm_packed(m, columns.count, k, a, lda, storage + j0 * k, beta, c + j0, ldc, workspace)
    }

    /// The output columns panels hold: 16p ..< min(16p + 16, n) for each panel p.
    func columns(inPanels panels: Range<Int>) -> Range<Int> {
        let width = Int(CRNN_PANEL_WIDTH)
        return min(n, panels.lowerBound * width)..<min(n, panels.upperBound * width)
    }

    /// Panels per part when a product of m rows is split over the workers by output columns: at least 2^19
    /// multiply-adds a part, below which a thread hand-off costs about as much as it saves.
    func minimumPanelsPerPart(rows m: Int) -> Int { max(1, (1 << 19) / max(1, m * k * Int(CRNN_PANEL_WIDTH))) }

    /// Splits the panels (output columns) of a product of m rows over up to `threads` threads: `body(panels,
    /// workspace)` once per part, each part with a workspace of `workspaceCount(rows: m)` floats of its own.
    func splitPanelsOverWorkers(
        rows m: Int, threads: Int, _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let parts = max(1, min(workerCount(threads), panels / minimumPanelsPerPart(rows: m)))
        let (count, perPart) = (panels, workspaceCount(rows: m))
        nonisolated(unsafe) let base = scratch(parts: parts, perPart: perPart)
        forEachPart(parts, threads: parts) { part in
            body(count * part / parts..<count * (part + 1) / parts, base + part * perPart)
        }
    }

    /// Rows of A a worker of `multiplyOverWorkers` takes at a time: 48 rows of k ≤ 512 (96 KiB) stay in L2
    /// while every panel meets them (C harness, M = 1,250 per thread: 48 and 96 alike, 192 slower).
    static let rowBlock = 48

    /// `multiply` for many rows: C ← β·C + A · op(B), in blocks of `rowBlock` rows that up to `threads` threads
    /// take in turn, each through a workspace of its own; fewer than two blocks' worth of rows (a generation step)
    /// are split by output columns instead, so each worker reads part of B rather than all of it. The same bits as
    /// `multiply` over all rows at once, for any thread count.
    func multiplyOverWorkers(
        m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int
    ) {
        precondition(m >= 0 && lda >= k && ldc >= n, "packed product: m=\(m) lda=\(lda) ldc=\(ldc) for k=\(k) n=\(n)")
        nonisolated(unsafe) let (a, c) = (a, c)
        if m < 2 * Self.rowBlock {
            splitPanelsOverWorkers(rows: m, threads: threads) { panels, workspace in
                self.multiply(m: m, a: a, lda: lda, beta: beta, c: c, ldc: ldc, panels: panels, workspace: workspace)
            }
            return
        }
        // Blocks of `rowBlock` rows, each taken by the next free worker (one workspace per worker).
        let blocks = (m + Self.rowBlock - 1) / Self.rowBlock
        let (workers, perWorker) = (min(workerCount(threads), blocks), workspaceCount(rows: Self.rowBlock))
        nonisolated(unsafe) let base = scratch(parts: workers, perPart: perWorker)
        forEachPart(blocks, threads: workers) { block, worker in
            let (r0, workspace) = (block * Self.rowBlock, base + worker * perWorker)
            let count = min(Self.rowBlock, m - r0)
            self.multiply(
                m: count, a: a + r0 * lda, lda: lda, beta: beta, c: c + r0 * ldc, ldc: ldc, workspace: workspace)
        }
    }
}
