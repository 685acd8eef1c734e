// What the kernel files share privately: the partial last panel of the AVX2 panel kernels (packed_gemm.c,
// half_panels.c), which always write 16 columns, so a panel with fewer goes through a zero-padded rows × 16 tile,
// copied in and back out; the copy of A's row blocks; and the AVX-512 kernels the dispatchers call.
#ifndef CRNN_PANEL_TILE_H
#define CRNN_PANEL_TILE_H

#include "CKernels.h"

/// tile[r·16 + j] ← c[r·ldc + j] for r < rows, j < cols; the tile's other columns keep their values.
static inline void crnn_tile_in(float *tile, const float *c, size_t ldc, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) tile[r * CRNN_PANEL_WIDTH + j] = c[r * ldc + j];
}

/// c[r·ldc + j] ← tile[r·16 + j] for r < rows, j < cols.
static inline void crnn_tile_out(const float *tile, float *c, size_t ldc, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) c[r * ldc + j] = tile[r * CRNN_PANEL_WIDTH + j];
}

/// The most rows a panel kernel's block has (the AVX-512 kernel's; the AVX2 kernel's are 6).
#define CRNN_MAX_BLOCK_ROWS 10

/// dst[kk·R + r] ← a[r·lda + kk] for r < R, kk < kc: one row block of A, k-major, as the panel kernels read it
/// when A is packed. Inlined with R a constant, each k's R values are written side by side from R streams read in
/// order, about 3× faster than writing each row with a stride of R (~0.17 against ~0.5 ns per value).
static inline __attribute__((always_inline)) void crnn_copy_block(int R, size_t kc, const float *a, size_t lda,
                                                                 float *dst) {
    const float *src[CRNN_MAX_BLOCK_ROWS];
    for (int r = 0; r < R; r++) src[r] = a + r * lda;
    for (size_t kk = 0; kk < kc; kk++)
        for (int r = 0; r < R; r++) dst[kk * R + r] = src[r][kk];
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
/// half_avx512.c's kernels, with the contracts of `crnn_matvec_f16` (whole blocks of four rows only; returns how
/// many rows it did) and `crnn_gemm_half_panels`, for CPUs with AVX-512F; the AVX2 kernels' bits.
size_t crnn_matvec_f16_avx512(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch,
                              float *y, size_t ldy);
void crnn_gemm_half_panels_avx512(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                  float *y, size_t ldy);

/// The AVX-512 kernel of packed_gemm_avx512.c: `crnn_gemm_packed`'s contract, for CPUs with AVX-512F; the same
/// bits as the AVX2 kernel (both sum each output over k in order with fused multiply-adds).
void crnn_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                             float beta, float *c, size_t ldc, float *a_work);
#endif

#endif
