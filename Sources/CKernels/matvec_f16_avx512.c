// The AVX-512 block of `crnn_matvec_f16`: four rows of binary16 weights against one vector, run by
// matvec_f16_avx2.c's loop over the rows (matvec_f16.c has the portable twin and the dispatch).
//
// One stream's generation is bound by converting and reading the weights; one 512-bit conversion turns 16 halves
// into floats, where AVX2 needs two. The 16-lane accumulator is the AVX2 kernel's two 8-lane ones side by side,
// summed in the same order, so the bits are the same.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>

#define CRNN_AVX512_F16 __attribute__((target("avx512f,avx2,fma,f16c")))

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

/// Four rows against one vector (matvec_f16_avx2.c's `crnn_dot_rows4_f16_avx2`): per 16 columns one conversion and
/// one FMA per row; a last 8 columns go into lanes 0–7 only, as the AVX2 kernel adds them to its first accumulator.
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

#endif
