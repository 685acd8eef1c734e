// Private to CKernels: what the kernel files share. The partial last panel of the AVX2 panel kernels
// (packed_gemm_avx2.c, half_panels_avx2.c), which always write 16 columns, so a panel with fewer goes through a
// zero-padded rows × 16 tile, copied in and back out; the AVX-512 kernels' mask for it; the copy of A's row blocks;
// and the per-instruction-set kernels each operation's dispatcher (<op>.c) calls.
#ifndef CHARRNN_KERNELS_INTERNAL_H
#define CHARRNN_KERNELS_INTERNAL_H

#include "CKernels.h"
#include "CKernelsTesting.h"

/// 1 where the x86-64 kernels are compiled (x86-64 with GCC or Clang); elsewhere only the portable twins exist.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define CRNN_X86_KERNELS 1
#else
#define CRNN_X86_KERNELS 0
#endif

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
static inline __attribute__((always_inline)) void
crnn_copy_row_blocks(size_t m, size_t blocks, size_t kc, const float *a, size_t lda, size_t k0, float *dst) {
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

#if CRNN_X86_KERNELS
/// Four rows of binary16 weights against one vector, the block the one-stream kernels run (`crnn_matvec_f16_avx2`
/// runs it over all rows): matvec_f16_avx2.c's and its AVX-512 twin in matvec_f16_avx512.c, with the same bits.
void crnn_dot_rows4_f16_avx2(const uint16_t *w, size_t cols, const float *x, float out[4]);
void crnn_dot_rows4_f16_avx512(const uint16_t *w, size_t cols, const float *x, float out[4]);

/// `crnn_matvec_f16`'s contract: blocks of four rows through `dot4` (either of the two above), the last rows one
/// at a time (matvec_f16_avx2.c).
void crnn_matvec_f16_avx2(void (*dot4)(const uint16_t *, size_t, const float *, float[4]), const uint16_t *weights,
                          size_t rows, size_t cols, const float *x, size_t batch, float *y, size_t ldy);

/// `crnn_gemm_half_panels`'s contract: half_panels_avx2.c and half_panels_avx512.c (the same bits).
void crnn_gemm_half_panels_avx2(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                float *y, size_t ldy);
void crnn_gemm_half_panels_avx512(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                  float *y, size_t ldy);

/// `crnn_gemm_packed`'s contract: packed_gemm_avx2.c and packed_gemm_avx512.c (the same bits: both sum each output
/// over k in order with fused multiply-adds).
void crnn_gemm_packed_avx2(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed, float beta,
                           float *c, size_t ldc, float *a_work);
void crnn_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed, float beta,
                             float *c, size_t ldc, float *a_work);

/// The LSTM cell's step forward and backward in AVX2 (lstm_cell_avx2.c): `crnn_lstm_forward`/`_backward`.
void crnn_lstm_forward_avx2(float *gates, const float *cell_prev, float *cell, float *hidden, size_t batch, size_t h);
void crnn_lstm_backward_avx2(const float *gates, const float *cell, const float *cell_prev, const float *d_hidden,
                             float *d_cell, float *d_gates, size_t batch, size_t h);
#endif

#endif
