// The AVX-512 kernel of `crnn_gemm_packed` (packed_gemm.c has the layout, the portable twin and the dispatch;
// packed_gemm_avx2.c the AVX2 kernel).
//
// A 16-column panel is one 512-bit vector, so a block is up to 10 rows × two panels: 2R accumulators, two loads
// of B and R broadcasts of A per k, twice the AVX2 kernel's work per instruction. Each output is still one chain
// of fused multiply-adds over k in increasing order from β·C (a pass boundary stores and reloads the float, and
// 1·C is exact), so the bits equal the AVX2 kernel's for any depth, row blocking or panel grouping.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>

#define CRNN_AVX512 __attribute__((target("avx512f,avx2,fma")))

enum {
    PANEL = CRNN_PANEL_WIDTH,
    /// Rows per block: 10 rows × 2 panels is 20 accumulators of the 32 registers; 50 rows run as five blocks of 10.
    /// (In a harness, one thread: 10 rows ~140 GFLOP/s at the training shapes, 9 rows 113–137; 12 rows spilled
    /// at 48 rows, 61.)
    ROWS = CRNN_MAX_BLOCK_ROWS,
    /// Depth of one pass: two panels of 256 rows (32 KiB) stay in L1 while every row block meets them.
    DEPTH = 256,
};

/// C[0..R)[0..16P) ← scale·C + A[0..R)[0..kc) · (P panels)[0..kc): the AVX-512 twin of packed_gemm_avx2.c's `block`.
/// Panel q's values are at p + q·panel_stride; `m0`/`m1` select the columns of C that exist in panels 0 and 1.
/// A[r][kk] is at a[r·rs + kk·ks]. With scale 0, C is not read.
CRNN_AVX512 static inline __attribute__((always_inline)) void block(int R, int P, size_t kc, const float *a, size_t rs,
                                                                    size_t ks, const float *p, size_t panel_stride,
                                                                    float scale, float *c, size_t ldc, __mmask16 m0,
                                                                    __mmask16 m1) {
    __m512 acc0[ROWS], acc1[ROWS];
    const __m512 s = _mm512_set1_ps(scale);
    for (int r = 0; r < R; r++) {
        if (scale == 0) {
            acc0[r] = _mm512_setzero_ps();
            if (P == 2) acc1[r] = _mm512_setzero_ps();
        } else {
            acc0[r] = _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m0, c + r * ldc));
            if (P == 2) acc1[r] = _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m1, c + r * ldc + PANEL));
        }
    }
    const float *p1 = P == 2 ? p + panel_stride : p;  // not formed past the last panel
    for (size_t kk = 0; kk < kc; kk++) {
        const __m512 b0 = _mm512_loadu_ps(p + kk * PANEL);
        const __m512 b1 = P == 2 ? _mm512_loadu_ps(p1 + kk * PANEL) : b0;
        for (int r = 0; r < R; r++) {
            const __m512 x = _mm512_set1_ps(a[r * rs + kk * ks]);
            acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
            if (P == 2) acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, m0, acc0[r]);
        if (P == 2) _mm512_mask_storeu_ps(c + r * ldc + PANEL, m1, acc1[r]);
    }
}

/// `block` with R and P fixed at compile time, so the accumulators live in registers; A in place (`packed_a` 0)
/// or packed (1).
CRNN_AVX512 static void block_rows(int R, int P, size_t kc, const float *a, size_t lda, int packed_a, const float *p,
                                   size_t panel_stride, float scale, float *c, size_t ldc, __mmask16 m0, __mmask16 m1) {
// One case per block size, laid out as a table.
// clang-format off
#define CRNN_BLOCK_P(R, P)                                                                                          \
    (packed_a ? block(R, P, kc, a, 1, R, p, panel_stride, scale, c, ldc, m0, m1)                                   \
              : block(R, P, kc, a, lda, 1, p, panel_stride, scale, c, ldc, m0, m1))
#define CRNN_BLOCK(R)                                                                                               \
    case R:                                                                                                         \
        if (P == 2) CRNN_BLOCK_P(R, 2); else CRNN_BLOCK_P(R, 1);                                                    \
        break;
    switch (R) {
    CRNN_BLOCK(10) CRNN_BLOCK(9) CRNN_BLOCK(8) CRNN_BLOCK(7)
    CRNN_BLOCK(6) CRNN_BLOCK(5) CRNN_BLOCK(4) CRNN_BLOCK(3) CRNN_BLOCK(2)
    default: if (P == 2) CRNN_BLOCK_P(1, 2); else CRNN_BLOCK_P(1, 1); break;
    }
#undef CRNN_BLOCK
#undef CRNN_BLOCK_P
    // clang-format on
}

/// Rows are cut into ⌈m/10⌉ blocks of near-equal size; panels are taken two at a time, the last one alone when
/// their count is odd. With `a_work`, A is copied block by block, k-major, at the start of each pass (as the
/// AVX2 kernel does).
CRNN_AVX512 void crnn_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                                         float beta, float *c, size_t ldc, float *a_work) {
    const size_t blocks = (m + ROWS - 1) / ROWS;
    const size_t panels = (n + PANEL - 1) / PANEL;
    for (size_t k0 = 0; k0 < k; k0 += DEPTH) {
        const size_t kc = k - k0 < DEPTH ? k - k0 : DEPTH;
        const float scale = k0 == 0 ? beta : 1;
        if (a_work) crnn_copy_row_blocks(m, blocks, kc, a, lda, k0, a_work);
        for (size_t p = 0; p < panels; p += 2) {
            const int P = p + 1 < panels ? 2 : 1;
            const float *bp = packed + p * PANEL * k + k0 * PANEL;
            const __mmask16 m0 = crnn_panel_mask(p, n), m1 = P == 2 ? crnn_panel_mask(p + 1, n) : 0;
            size_t r0 = 0;
            for (size_t i = 0; i < blocks; i++) {
                size_t r1 = m * (i + 1) / blocks;
                const float *ai = a_work ? a_work + r0 * kc : a + r0 * lda + k0;
                block_rows((int)(r1 - r0), P, kc, ai, lda, a_work != 0, bp, PANEL * k, scale, c + r0 * ldc + p * PANEL,
                           ldc, m0, m1);
                r0 = r1;
            }
        }
    }
}

#endif
