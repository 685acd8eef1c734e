// HalfMatrix: a read-only copy of a weight matrix in IEEE half precision (binary16), for generation, where one
// stream's step is bound by reading the weights: half the bytes, nearly twice the tokens per second.
//
// Two layouts, for the two ways generation multiplies: `.rows` for one stream (a dot product per row, bound by
// reading the weights), `.panels` for several (each weight converted once per step and used for up to six
// streams from registers; 1.4× the rows kernel's speed at 32 streams, docs/performance-log.md).
//
// Products sum in single precision (CKernels' AVX-512 or AVX2 kernels, or their portable twins on other CPUs).
// Each output's summation order does not depend on how the work is split over threads, so results are the same
// for any thread count; the two layouts sum in different orders, so they differ in the last bits.
import CKernels

/// A (rows, cols) matrix of binary16 values.
final class HalfMatrix: @unchecked Sendable {
    /// How the values are stored.
    enum Layout: Sendable {
        /// Row-major: the layout for products with one vector.
        case rows
        /// Panels of 16 rows, column by column within a panel (`crnn_pack_half_panels`): the layout for products
        /// with several vectors at once.
        case panels
    }

    let rows: Int
    let cols: Int
    /// How `bits` holds the values, chosen for the number of vectors each product meets.
    let layout: Layout
    /// The binary16 bit patterns: rows · cols row-major, or ⌈rows/16⌉ panels of cols × 16.
    let bits: UnsafeMutablePointer<UInt16>

    /// Rounds `values` (rows · cols, row-major) to the nearest binary16 values, stored in `layout`, or returns nil
    /// when one of them is outside binary16's finite range (±65504) and would become infinite.
    init?(_ values: UnsafePointer<Float>, rows: Int, cols: Int, layout: Layout = .rows) {
        precondition(rows >= 0 && cols >= 0, "matrix sizes must be non-negative")
        let largest = Float(Float16.greatestFiniteMagnitude)
        for i in 0..<(rows * cols) where values[i].isFinite && abs(values[i]) > largest {
            // Values within half a step above the largest still round down to it; beyond, they would become ∞.
            if !Float16(values[i]).isFinite { return nil }
        }
        self.rows = rows
        self.cols = cols
        self.layout = layout
        let rounded = (0..<(rows * cols)).map { Float16(values[$0]).bitPattern }
        switch layout {
        case .rows:
            bits = allocateLarge(byteCount: max(1, rows * cols) * 2).bindMemory(
                to: UInt16.self, capacity: max(1, rows * cols))
            bits.initialize(from: rounded, count: rounded.count)
        case .panels:
            let count = crnn_half_panels_count(rows, cols)
            bits = allocateLarge(byteCount: max(1, count) * 2).bindMemory(to: UInt16.self, capacity: max(1, count))
            crnn_pack_half_panels(rounded, rows, cols, bits)
        }
    }

    deinit { bits.deallocate() }

    /// The value at (r, c) as a Float.
    subscript(r: Int, c: Int) -> Float {
        let panel = Int(CRNN_PANEL_WIDTH)
        let index = layout == .rows ? r * cols + c : (r / panel * cols + c) * panel + r % panel
        return Float(Float16(bitPattern: bits[index]))
    }

    /// y[b·ldy + r] += Σ_k W[r, k] · x[b·cols + k] for every row r and each of the `batch` vectors in x.
    ///
    /// Large matrices are split by rows over up to `threads` threads (each reads its part of the weights); the
    /// same bits for any count.
    func multiplyAdd(
        _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, threads: Int = 1
    ) {
        precondition(ldy >= rows, "ldy = \(ldy) is less than the \(rows) rows")
        nonisolated(unsafe) let (w, x, y) = (UnsafePointer(bits), x, y)
        let (rows, cols) = (self.rows, self.cols)
        if layout == .panels {
            let panel = Int(CRNN_PANEL_WIDTH)
            // Parts of at least 2^17 weights, on whole panels.
            let panels = (rows + panel - 1) / panel
            splitOverWorkers(panels, threads: threads, minimumPerPart: max(1, (1 << 17) / max(1, panel * cols))) { p in
                let first = p.lowerBound * panel
                crnn_gemm_half_panels(
                    batch, min(rows, p.upperBound * panel) - first, cols, x, w + first * cols, y + first, ldy)
            }
            return
        }
        // Parts of at least 2^17 weights (64 rows), on multiples of four rows, the kernel's block.
        splitOverWorkers(rows, threads: threads, minimumPerPart: max(64, (1 << 17) / max(1, cols)), alignment: 4) { r in
            crnn_matvec_f16(w + r.lowerBound * cols, r.count, cols, x, batch, y + r.lowerBound, ldy)
        }
    }

    /// The naive twin of `multiplyAdd`: plain loops over Swift's Float16 conversion, one thread, in the order
    /// the layout's portable kernel sums (`.rows`: the dot product, then added to y; `.panels`: from y on).
    func naiveMultiplyAdd(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        for b in 0..<batch {
            for r in 0..<rows {
                var sum: Float = layout == .rows ? 0 : y[b * ldy + r]
                for k in 0..<cols { sum += self[r, k] * x[b * cols + k] }
                y[b * ldy + r] = layout == .rows ? y[b * ldy + r] + sum : sum
            }
        }
    }
}
