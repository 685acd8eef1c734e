// AVX-512 kernels for half-precision weights: the one-stream matrix-vector product of kernels.c and the
// many-stream panel product of half_panels.c (those files have the layouts, the AVX2 kernels and the dispatch).
//
// Generation is bound by converting and reading the weights; one 512-bit conversion turns 16 halves into floats,
// where AVX2 needs two. Each kernel keeps its AVX2 twin's lanes and order of operations, so the bits are the same:
// the dot product's 16-lane accumulator is the AVX2 kernel's two 8-lane ones side by side, and the panel
// product's outputs are each one chain of fused multiply-adds over k.
#include "CKernels.h"
#include "panel_tile.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define CRNN_AVX512_F16 __attribute__((target("avx512f,avx2,fma,f16c")))

enum { PANEL = CRNN_PANEL_WIDTH, STREAMS = CRNN_MAX_BLOCK_ROWS };

CRNN_AVX512_F16 static inline __m512 load_half16(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/// Lanes 0–7 plus lanes 8–15, then those eight summed as the AVX2 kernel's `sum8` does.
CRNN_AVX512_F16 static inline float sum16(__m512 v) {
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 s8 = _mm256_add_ps(lo, hi);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Four rows against one vector (kernels.c's `dot_rows4`): per 16 columns one conversion and one FMA per row;
/// a last 8 columns go into lanes 0–7 only, as the AVX2 kernel adds them to its first accumulator.
CRNN_AVX512_F16 void crnn_dot_rows4_f16_avx512(const uint16_t *w, size_t cols, const float *x, float out[4]) {
    const uint16_t *rows[4] = {w, w + cols, w + 2 * cols, w + 3 * cols};
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    size_t k = 0;
    for (; k + 16 <= cols; k += 16) {
        const __m512 xv = _mm512_loadu_ps(x + k);
        for (int i = 0; i < 4; i++) acc[i] = _mm512_fmadd_ps(load_half16(rows[i] + k), xv, acc[i]);
    }
    if (k + 8 <= cols) {
        const __m512 xv = _mm512_castps256_ps512(_mm256_loadu_ps(x + k));
        for (int i = 0; i < 4; i++) {
            const __m512 wv = _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(rows[i] + k))));
            acc[i] = _mm512_mask3_fmadd_ps(wv, xv, acc[i], 0x00FF);
        }
        k += 8;
    }
    for (int i = 0; i < 4; i++) out[i] = sum16(acc[i]);
    for (; k < cols; k++)
        for (int i = 0; i < 4; i++) out[i] += _cvtsh_ss(rows[i][k]) * x[k];
}

/// Y[0..S)[0..16P) += X[0..S) · (P panels): one accumulator per stream and panel, one conversion per panel and k
/// (half_panels.c's `block`, with two panels at a time as in packed_gemm_avx512.c). Panel q's values are at
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
}

/// half_panels.c's `gemm_half_panels_avx2` with blocks of up to 10 streams and panels two at a time (the last
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
