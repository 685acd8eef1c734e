// CKernels: hand-vectorized kernels for the products and cell math that dominate training and generation. Each
// operation has a portable C (or Swift) twin and x86-64 variants for AVX2 (with FMA and F16C) and AVX-512,
// compiled function by function with target attributes and chosen at run time, so the package builds and runs on
// any CPU. The variants of one operation give the same bits (see Sources/CKernels/README.md).
//
// Test-only entry points (a chosen instruction set, the portable twins) are in CKernelsTesting.h, imported as
// `CKernels.Testing`.
#ifndef CHARRNN_CKERNELS_H
#define CHARRNN_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: CPU features (cpu_features.c)

/// 1 when this CPU runs the AVX2 kernels (AVX2, FMA and F16C), 0 when the portable ones are used.
int crnn_kernels_vectorized(void);

/// The widest vector units this CPU has, as OpenBLAS's kernel families need them: 2 for AVX-512 (F, DQ, BW, VL,
/// CD), 1 for AVX2 with FMA, 0 for neither (or not x86-64).
int crnn_cpu_vector_level(void);

/// Tells the CPU the calling thread is spin-waiting (x86 `pause`; nothing elsewhere).
void crnn_spin_pause(void);

// MARK: Half-precision matrix-vector products (matvec_f16.c)

/// binary16 bit pattern → float, exactly (subnormals, infinities and NaNs included).
float crnn_half_to_float(uint16_t h);

/// Matrix-vector products with half-precision weights, for B vectors at once:
///
///     y[b·ldy + r] += Σ_k float(W[r·cols + k]) · x[b·cols + k]     for r < rows, b < batch
///
/// W is (rows, cols) row-major, IEEE 754 binary16 bit patterns; x is (batch, cols); y is (batch, ldy) and is
/// accumulated into. Sums run in single precision. Runs the AVX-512 or AVX2 kernel when the CPU has it (the two
/// give the same bits).
void crnn_matvec_f16(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch, float *y,
                     size_t ldy);

// MARK: Half-precision products over 16-row panels (half_panels.c)

/// Rows (of W) or columns (of op(B)) in one panel of a packed matrix.
#define CRNN_PANEL_WIDTH 16

/// binary16 values a (rows, cols) matrix takes packed into panels: ⌈rows/16⌉ panels of cols × 16.
size_t crnn_half_panels_count(size_t rows, size_t cols);

/// Packs W, (rows, cols) row-major binary16, into `packed` (`crnn_half_panels_count(rows, cols)` values): panel p
/// is cols rows of 16 values, W[16p + c][kk] at p·16·cols + kk·16 + c, zero past the last row of W.
void crnn_pack_half_panels(const uint16_t *w, size_t rows, size_t cols, uint16_t *packed);

/// The contract of `crnn_matvec_f16` over a packed W, for many vectors at once:
///
///     y[b·ldy + r] += Σ_k float(W[r][k]) · x[b·cols + k]     for r < rows, b < batch
///
/// Each output is summed in single precision starting from y, over k in increasing order, the same way whatever
/// `batch` is; so the vectors may be split over threads, and a range of panels (packed + 16·p·cols, rows from
/// 16·p, y + 16·p) may be given to another thread, without changing a bit. Runs the AVX-512 or AVX2 kernel when
/// the CPU has it (the same bits).
void crnn_gemm_half_panels(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed, float *y,
                           size_t ldy);

// MARK: Single-precision products against a packed right-hand operand (packed_gemm.c)

/// Floats a packed (k, n) matrix takes: ⌈n/16⌉ panels of k × 16.
size_t crnn_packed_count(size_t k, size_t n);

/// Packs panels first_panel ..< first_panel + panel_count of op(B), a (k, n) matrix, into `packed` (which holds
/// `crnn_packed_count(k, n)` floats): panel p is k rows of 16 floats, op(B)[kk][16p + c] at p·16·k + kk·16 + c,
/// zero past column n. B is stored row-major with leading dimension ldb: (k, n) when `transposed` is 0, (n, k)
/// when it is 1.
void crnn_pack_panels(const float *b, size_t ldb, int transposed, size_t k, size_t n, size_t first_panel,
                      size_t panel_count, float *packed);

/// Depth of one pass of `crnn_gemm_packed` over k.
#define CRNN_PACKED_DEPTH 512

/// C ← β·C + A · op(B), op(B) packed by `crnn_pack_panels`. A is (m, k) row-major with leading dimension lda; C is
/// (m, n) with ldc. With β = 0, C is not read. Each output is summed over k in increasing order starting from β·C,
/// the same way whatever m is, so splitting the rows over threads gives the same bits. Runs the AVX-512 or the
/// AVX2 kernel when the CPU has it (the two give the same bits). `a_work` is NULL, or room for
/// m · min(k, CRNN_PACKED_DEPTH) floats into which the kernel copies A first, in the order it reads it (faster
/// when A is re-read for many panels); the same bits either way.
void crnn_gemm_packed(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed, float beta,
                      float *c, size_t ldc, float *a_work);

// MARK: LSTM cell (lstm_cell.c)

/// The LSTM cell's elementwise step forward for `batch` rows of h units, the contract of `lstmForwardStep` in
/// LSTMCell.swift (gates (B, 4H) i f g o, pre-activations in, activations out; c_t and h_t out). Returns 1 when it
/// ran the AVX2 kernel, 0 (touching nothing) when the CPU lacks it and the caller must run its own (the Swift
/// twin). `cell_prev` may be `cell` (c updated in place, as generation does); no other buffers may overlap.
int crnn_lstm_forward(float *gates, const float *cell_prev, float *cell, float *hidden, size_t batch, size_t h);

/// The LSTM cell's elementwise step backward, the contract of `lstmBackwardStep` in LSTMCell.swift; returns as
/// `crnn_lstm_forward` does.
int crnn_lstm_backward(const float *gates, const float *cell, const float *cell_prev, const float *d_hidden,
                       float *d_cell, float *d_gates, size_t batch, size_t h);

#ifdef __cplusplus
}
#endif

#endif
