// What the kernel files share privately: the partial last panel of the AVX2 panel kernels (packed_gemm.c,
// half_panels.c), which always write 16 columns, so a panel with fewer goes through a zero-padded rows × 16 tile,
// copied in and back out; the AVX-512 kernels' mask for it; the copy of A's row blocks; the kernel level; and the
// AVX-512 kernels the dispatchers call.
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

/// Copies columns k0 ..< k0 + kc of A's m rows into `dst`, cut into `blocks` blocks of near-equal size (block i
/// holds rows m·i/blocks ..< m·(i+1)/blocks, at most CRNN_MAX_BLOCK_ROWS), each by `crnn_copy_block` with its
/// row count a constant; block i's copy starts at dst + r0·kc. Inlined into each kernel, so it is compiled for
/// that kernel's instruction set.
static inline __attribute__((always_inline)) void crnn_copy_row_blocks(size_t m, size_t blocks, size_t kc,
                                                                      const float *a, size_t lda, size_t k0,
                                                                      float *dst) {
    size_t r0 = 0;
    for (size_t i = 0; i < blocks; i++) {
        size_t r1 = m * (i + 1) / blocks;
        const float *src = a + r0 * lda + k0;
        float *out = dst + r0 * kc;
        switch (r1 - r0) {
        case 10: crnn_copy_block(10, kc, src, lda, out); break;
        case 9: crnn_copy_block(9, kc, src, lda, out); break;
        case 8: crnn_copy_block(8, kc, src, lda, out); break;
        case 7: crnn_copy_block(7, kc, src, lda, out); break;
        case 6: crnn_copy_block(6, kc, src, lda, out); break;
        case 5: crnn_copy_block(5, kc, src, lda, out); break;
        case 4: crnn_copy_block(4, kc, src, lda, out); break;
        case 3: crnn_copy_block(3, kc, src, lda, out); break;
        case 2: crnn_copy_block(2, kc, src, lda, out); break;
        default: crnn_copy_block(1, kc, src, lda, out); break;
        }
        r0 = r1;
    }
}

/// Which of panel p's 16 columns (of n in all) exist, as a bit mask: all 16 but in the last, partial panel.
static inline uint16_t crnn_panel_mask(size_t p, size_t n) {
    size_t width = n - p * CRNN_PANEL_WIDTH;
    return width >= CRNN_PANEL_WIDTH ? (uint16_t)0xFFFF : (uint16_t)((1u << width) - 1);
}

/// The kernel level to run for a caller that asks for at most `cap` (0 portable, 1 AVX2/FMA/F16C, 2 AVX-512):
/// the smaller of `cap` and what this CPU has (kernels.c).
int crnn_kernel_level(int cap);

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
/// half_avx512.c's kernels for CPUs with AVX-512F, with the AVX2 kernels' bits: four rows of binary16 weights
/// against one vector (kernels.c's `dot_rows4`, run by its `matvec_f16_avx2` loop), and the contract of
/// `crnn_gemm_half_panels`.
void crnn_dot_rows4_f16_avx512(const uint16_t *w, size_t cols, const float *x, float out[4]);
void crnn_gemm_half_panels_avx512(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                  float *y, size_t ldy);

/// The AVX-512 kernel of packed_gemm_avx512.c: `crnn_gemm_packed`'s contract, for CPUs with AVX-512F; the same
/// bits as the AVX2 kernel (both sum each output over k in order with fused multiply-adds).
void crnn_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                             float beta, float *c, size_t ldc, float *a_work);
#endif

#endif
