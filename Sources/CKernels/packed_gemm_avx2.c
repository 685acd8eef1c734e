// The AVX2 kernel of `crnn_gemm_packed` (AVX2 + FMA): blocks of up to 6 rows × one 16-column panel in twelve
// accumulators. packed_gemm.c has the layout, the portable twin and the dispatch; packed_gemm_avx512.c the AVX-512
// kernel with the same bits.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>

#define CRNN_FMA __attribute__((target("avx2,fma")))

/// Depth of one pass over a panel: 512 rows of 16 floats (32 KiB) stay in L1 while every row block of A meets
/// them. Measured 128/256/512: 512 was fastest at both production shapes (K = 512 and 2,048).
enum { PANEL = CRNN_PANEL_WIDTH, DEPTH = CRNN_PACKED_DEPTH, ROWS = 6 };

/// C[0..R)[0..16) ← scale·C + A[0..R)[0..kc) · P[0..kc)[0..16): R rows of twelve or fewer accumulators, two
/// vectors of B and one broadcast of A per step. A[r][kk] is at a[r·rs + kk·ks]: (lda, 1) in place, (1, R) when
/// packed. With scale 0, C is not read.
CRNN_FMA static inline __attribute__((always_inline)) void block(int R, size_t kc, const float *a, size_t rs, size_t ks,
                                                                 const float *p, float scale, float *c, size_t ldc) {
    __m256 lo[ROWS], hi[ROWS];
    __m256 s = _mm256_set1_ps(scale);
    for (int r = 0; r < R; r++) {
        if (scale == 0) {
            lo[r] = _mm256_setzero_ps();
            hi[r] = _mm256_setzero_ps();
        } else {
            lo[r] = _mm256_mul_ps(s, _mm256_loadu_ps(c + r * ldc));
            hi[r] = _mm256_mul_ps(s, _mm256_loadu_ps(c + r * ldc + 8));
        }
    }
    // Unrolled by four: +14% in a C harness of the recurrence, +8% in training (docs/performance-log.md, item 19).
    // The same unrolling made the half-precision kernel (half_panels_avx2.c) 20% slower, so it is not there.
#pragma clang loop unroll_count(4)
    for (size_t kk = 0; kk < kc; kk++) {
        __m256 b0 = _mm256_loadu_ps(p + kk * PANEL), b1 = _mm256_loadu_ps(p + kk * PANEL + 8);
        for (int r = 0; r < R; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * rs + kk * ks);
            lo[r] = _mm256_fmadd_ps(x, b0, lo[r]);
            hi[r] = _mm256_fmadd_ps(x, b1, hi[r]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(c + r * ldc, lo[r]);
        _mm256_storeu_ps(c + r * ldc + 8, hi[r]);
    }
}

/// `block` with R fixed at compile time, so the accumulators live in registers; A in place (`packed_a` 0) or
/// packed (1).
CRNN_FMA static void block_rows(int R, size_t kc, const float *a, size_t lda, int packed_a, const float *p, float scale,
                                float *c, size_t ldc) {
// One case per block size, laid out as a table.
// clang-format off
#define CRNN_BLOCK(R) packed_a ? block(R, kc, a, 1, R, p, scale, c, ldc) : block(R, kc, a, lda, 1, p, scale, c, ldc)
    switch (R) {
    case 6: CRNN_BLOCK(6); break;
    case 5: CRNN_BLOCK(5); break;
    case 4: CRNN_BLOCK(4); break;
    case 3: CRNN_BLOCK(3); break;
    case 2: CRNN_BLOCK(2); break;
    default: CRNN_BLOCK(1); break;
    }
#undef CRNN_BLOCK
    // clang-format on
}

/// Rows are cut into ⌈m/6⌉ blocks of near-equal size (50 → five of 6 and four of 5), so no block runs mostly
/// empty. The last, partial panel goes through a 6×16 tile. Each output is summed over k in order, the same way
/// in whichever block its row falls, and whether A is packed or not. With `a_work`, each pass first copies A's
/// rows block by block, k-major (a block's R values for one k side by side), so the kernel's broadcasts walk one
/// contiguous stream instead of R rows lda apart.
CRNN_FMA void crnn_gemm_packed_avx2(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                                    float beta, float *c, size_t ldc, float *a_work) {
    size_t blocks = (m + ROWS - 1) / ROWS;
    for (size_t k0 = 0; k0 < k; k0 += DEPTH) {
        size_t kc = k - k0 < DEPTH ? k - k0 : DEPTH;
        float scale = k0 == 0 ? beta : 1;
        if (a_work) crnn_copy_row_blocks(m, blocks, kc, a, lda, k0, a_work);
        for (size_t p = 0; p * PANEL < n; p++) {
            const float *bp = packed + p * PANEL * k + k0 * PANEL;
            size_t j0 = p * PANEL;
            size_t cols = n - j0 < PANEL ? n - j0 : PANEL;
            size_t r0 = 0;
            for (size_t i = 0; i < blocks; i++) {
                size_t r1 = m * (i + 1) / blocks;
                int R = (int)(r1 - r0);
                const float *ai = a_work ? a_work + r0 * kc : a + r0 * lda + k0;
                if (cols == PANEL) {
                    block_rows(R, kc, ai, lda, a_work != 0, bp, scale, c + r0 * ldc + j0, ldc);
                } else {
                    float tile[ROWS * PANEL] = {0};
                    crnn_tile_in(tile, c + r0 * ldc + j0, ldc, (size_t)R, cols);
                    block_rows(R, kc, ai, lda, a_work != 0, bp, scale, tile, PANEL);
                    crnn_tile_out(tile, c + r0 * ldc + j0, ldc, (size_t)R, cols);
                }
                r0 = r1;
            }
        }
    }
}

#endif
