// The AVX-512 kernel of `crnn_gemm_half_panels` (half_panels.c has the layout, the portable twin and the
// dispatch; half_panels_avx2.c the AVX2 kernel with the same bits).
//
// Generation with many streams converts each weight once per step and uses it for every stream from registers;
// one 512-bit conversion turns a whole 16-row panel row into floats, where AVX2 needs two. Each output is one
// chain of fused multiply-adds over k, as in the AVX2 kernel, so the bits are the same.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>

#define CRNN_AVX512_F16 __attribute__((target("avx512f,avx2,fma,f16c")))

enum { PANEL = CRNN_PANEL_WIDTH, STREAMS = CRNN_MAX_BLOCK_ROWS };

CRNN_AVX512_F16 static inline __m512 load_half16(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/// Y[0..S)[0..16P) += X[0..S) · (P panels): one accumulator per stream and panel, one conversion per panel and k
/// (half_panels_avx2.c's `block`, with two panels at a time as in packed_gemm_avx512.c). Panel q's values are at
/// panel + q·panel_stride; `m0`/`m1` select the rows of W that exist in panels 0 and 1.
CRNN_AVX512_F16 static inline __attribute__((always_inline)) void block(int S, int P, size_t cols, const float *x,
                                                                        const uint16_t *panel, size_t panel_stride,
                                                                        float *y, size_t ldy, __mmask16 m0,
                                                                        __mmask16 m1) {
    __m512 acc0[STREAMS], acc1[STREAMS];
    for (int s = 0; s < S; s++) {
        acc0[s] = _mm512_maskz_loadu_ps(m0, y + s * ldy);
        if (P == 2) acc1[s] = _mm512_maskz_loadu_ps(m1, y + s * ldy + PANEL);
    }
    const uint16_t *panel1 = P == 2 ? panel + panel_stride : panel;  // not formed past the last panel
    for (size_t kk = 0; kk < cols; kk++) {
        const __m512 w0 = load_half16(panel + kk * PANEL);
        const __m512 w1 = P == 2 ? load_half16(panel1 + kk * PANEL) : w0;
        for (int s = 0; s < S; s++) {
            const __m512 v = _mm512_set1_ps(x[s * cols + kk]);
            acc0[s] = _mm512_fmadd_ps(v, w0, acc0[s]);
            if (P == 2) acc1[s] = _mm512_fmadd_ps(v, w1, acc1[s]);
        }
    }
    for (int s = 0; s < S; s++) {
        _mm512_mask_storeu_ps(y + s * ldy, m0, acc0[s]);
        if (P == 2) _mm512_mask_storeu_ps(y + s * ldy + PANEL, m1, acc1[s]);
    }
}

/// `block` with S and P fixed at compile time, so the accumulators live in registers.
CRNN_AVX512_F16 static void block_streams(int S, int P, size_t cols, const float *x, const uint16_t *panel,
                                          size_t panel_stride, float *y, size_t ldy, __mmask16 m0, __mmask16 m1) {
// One case per block size, laid out as a table.
// clang-format off
#define CRNN_STREAMS(S)                                                                                             \
    case S:                                                                                                         \
        if (P == 2) block(S, 2, cols, x, panel, panel_stride, y, ldy, m0, m1);                                      \
        else block(S, 1, cols, x, panel, panel_stride, y, ldy, m0, m1);                                             \
        break;
    switch (S) {
    CRNN_STREAMS(10) CRNN_STREAMS(9) CRNN_STREAMS(8) CRNN_STREAMS(7)
    CRNN_STREAMS(6) CRNN_STREAMS(5) CRNN_STREAMS(4) CRNN_STREAMS(3) CRNN_STREAMS(2)
    default:
        if (P == 2) block(1, 2, cols, x, panel, panel_stride, y, ldy, m0, m1);
        else block(1, 1, cols, x, panel, panel_stride, y, ldy, m0, m1);
        break;
    }
#undef CRNN_STREAMS
    // clang-format on
}

/// half_panels_avx2.c's kernel with blocks of up to 10 streams and panels two at a time (the last
/// alone when their count is odd); a partial last panel is masked.
CRNN_AVX512_F16 void crnn_gemm_half_panels_avx512(size_t batch, size_t rows, size_t cols, const float *x,
                                                  const uint16_t *packed, float *y, size_t ldy) {
    const size_t blocks = (batch + STREAMS - 1) / STREAMS;
    const size_t panels = (rows + PANEL - 1) / PANEL;
    for (size_t p = 0; p < panels; p += 2) {
        const int P = p + 1 < panels ? 2 : 1;
        const __mmask16 m0 = crnn_panel_mask(p, rows), m1 = P == 2 ? crnn_panel_mask(p + 1, rows) : 0;
        size_t s0 = 0;
        for (size_t i = 0; i < blocks; i++) {
            const size_t s1 = batch * (i + 1) / blocks;
            block_streams((int)(s1 - s0), P, cols, x + s0 * cols, packed + p * PANEL * cols, PANEL * cols,
                          y + s0 * ldy + p * PANEL, ldy, m0, m1);
            s0 = s1;
        }
    }
}

#endif
