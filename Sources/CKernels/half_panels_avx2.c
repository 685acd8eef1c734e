// The AVX2 kernel of `crnn_gemm_half_panels` (AVX2 + FMA + F16C): each 16-row panel is converted once per step
// and meets up to six streams from registers. half_panels.c has the layout, the portable twin and the dispatch.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>

#define CRNN_F16 __attribute__((target("avx2,fma,f16c")))

enum { PANEL = CRNN_PANEL_WIDTH, STREAMS = 6 };

/// Y[0..S)[0..16) += X[0..S) · panel: S streams of two accumulators each; per kk, one row of the panel
/// converted to two vectors of floats and one broadcast of each stream's x.
CRNN_F16 static inline __attribute__((always_inline)) void block(int S, size_t cols, const float *x,
                                                                 const uint16_t *panel, float *y, size_t ldy) {
    __m256 lo[STREAMS], hi[STREAMS];
    for (int s = 0; s < S; s++) {
        lo[s] = _mm256_loadu_ps(y + s * ldy);
        hi[s] = _mm256_loadu_ps(y + s * ldy + 8);
    }
    for (size_t kk = 0; kk < cols; kk++) {
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + kk * PANEL)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + kk * PANEL + 8)));
        for (int s = 0; s < S; s++) {
            __m256 v = _mm256_broadcast_ss(x + s * cols + kk);
            lo[s] = _mm256_fmadd_ps(v, w0, lo[s]);
            hi[s] = _mm256_fmadd_ps(v, w1, hi[s]);
        }
    }
    for (int s = 0; s < S; s++) {
        _mm256_storeu_ps(y + s * ldy, lo[s]);
        _mm256_storeu_ps(y + s * ldy + 8, hi[s]);
    }
}

/// `block` with S fixed at compile time, so the accumulators live in registers.
CRNN_F16 static void block_streams(int S, size_t cols, const float *x, const uint16_t *panel, float *y, size_t ldy) {
    switch (S) {
    case 6: block(6, cols, x, panel, y, ldy); break;
    case 5: block(5, cols, x, panel, y, ldy); break;
    case 4: block(4, cols, x, panel, y, ldy); break;
    case 3: block(3, cols, x, panel, y, ldy); break;
    case 2: block(2, cols, x, panel, y, ldy); break;
    default: block(1, cols, x, panel, y, ldy); break;
    }
}

/// Streams are cut into ⌈batch/6⌉ blocks of near-equal size; each panel meets every block while it is in L1
/// (16 × 512 halves are 16 KiB). A last, partial panel goes through a 6 × 16 tile.
CRNN_F16 void crnn_gemm_half_panels_avx2(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                         float *y, size_t ldy) {
    size_t blocks = (batch + STREAMS - 1) / STREAMS;
    for (size_t p = 0; p * PANEL < rows; p++) {
        const uint16_t *panel = packed + p * PANEL * cols;
        size_t r0 = p * PANEL;
        size_t width = rows - r0 < PANEL ? rows - r0 : PANEL;
        size_t s0 = 0;
        for (size_t i = 0; i < blocks; i++) {
            size_t s1 = batch * (i + 1) / blocks;
            int S = (int)(s1 - s0);
            if (width == PANEL) {
                block_streams(S, cols, x + s0 * cols, panel, y + s0 * ldy + r0, ldy);
            } else {
                float tile[STREAMS * PANEL] = {0};
                crnn_tile_in(tile, y + s0 * ldy + r0, ldy, (size_t)S, width);
                block_streams(S, cols, x + s0 * cols, panel, tile, PANEL);
                crnn_tile_out(tile, y + s0 * ldy + r0, ldy, (size_t)S, width);
            }
            s0 = s1;
        }
    }
}

#endif
