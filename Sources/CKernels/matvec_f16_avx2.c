// The AVX2 kernel of `crnn_matvec_f16` (AVX2 + FMA + F16C, enabled per function with a target attribute):
// one stream's product with binary16 weights, four rows at a time. matvec_f16.c has the contract's portable twin
// and the dispatch; matvec_f16_avx512.c the AVX-512 block with the same bits.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>

#define CRNN_VECTOR __attribute__((target("avx2,fma,f16c")))

CRNN_VECTOR static inline __m256 load_half8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

CRNN_VECTOR static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// One row against one vector: two accumulators over 16 columns, then 8, then a scalar tail.
CRNN_VECTOR static float dot_row(const uint16_t *w, const float *x, size_t cols) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 16 <= cols; k += 16) {
        a0 = _mm256_fmadd_ps(load_half8(w + k), _mm256_loadu_ps(x + k), a0);
        a1 = _mm256_fmadd_ps(load_half8(w + k + 8), _mm256_loadu_ps(x + k + 8), a1);
    }
    for (; k + 8 <= cols; k += 8) a0 = _mm256_fmadd_ps(load_half8(w + k), _mm256_loadu_ps(x + k), a0);
    float sum = sum8(_mm256_add_ps(a0, a1));
    for (; k < cols; k++) sum += _cvtsh_ss(w[k]) * x[k];
    return sum;
}

/// Four rows against one vector: eight independent accumulators keep four streams of weights in flight, which
/// is what a product bound by reading the weights needs.
CRNN_VECTOR void crnn_dot_rows4_f16_avx2(const uint16_t *w, size_t cols, const float *x, float out[4]) {
    const uint16_t *w0 = w, *w1 = w + cols, *w2 = w + 2 * cols, *w3 = w + 3 * cols;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 16 <= cols; k += 16) {
        __m256 xa = _mm256_loadu_ps(x + k), xb = _mm256_loadu_ps(x + k + 8);
        a0 = _mm256_fmadd_ps(load_half8(w0 + k), xa, a0);
        a1 = _mm256_fmadd_ps(load_half8(w1 + k), xa, a1);
        a2 = _mm256_fmadd_ps(load_half8(w2 + k), xa, a2);
        a3 = _mm256_fmadd_ps(load_half8(w3 + k), xa, a3);
        b0 = _mm256_fmadd_ps(load_half8(w0 + k + 8), xb, b0);
        b1 = _mm256_fmadd_ps(load_half8(w1 + k + 8), xb, b1);
        b2 = _mm256_fmadd_ps(load_half8(w2 + k + 8), xb, b2);
        b3 = _mm256_fmadd_ps(load_half8(w3 + k + 8), xb, b3);
    }
    for (; k + 8 <= cols; k += 8) {
        __m256 xa = _mm256_loadu_ps(x + k);
        a0 = _mm256_fmadd_ps(load_half8(w0 + k), xa, a0);
        a1 = _mm256_fmadd_ps(load_half8(w1 + k), xa, a1);
        a2 = _mm256_fmadd_ps(load_half8(w2 + k), xa, a2);
        a3 = _mm256_fmadd_ps(load_half8(w3 + k), xa, a3);
    }
    out[0] = sum8(_mm256_add_ps(a0, b0));
    out[1] = sum8(_mm256_add_ps(a1, b1));
    out[2] = sum8(_mm256_add_ps(a2, b2));
    out[3] = sum8(_mm256_add_ps(a3, b3));
    for (; k < cols; k++) {
        out[0] += _cvtsh_ss(w0[k]) * x[k];
        out[1] += _cvtsh_ss(w1[k]) * x[k];
        out[2] += _cvtsh_ss(w2[k]) * x[k];
        out[3] += _cvtsh_ss(w3[k]) * x[k];
    }
}

/// Blocks of four rows through `dot4` (this file's `crnn_dot_rows4_f16_avx2`, or its AVX-512 twin), each block
/// against every vector while its weights are still in L1; the last rows, fewer than four, one at a time.
CRNN_VECTOR void crnn_matvec_f16_avx2(void (*dot4)(const uint16_t *, size_t, const float *, float[4]),
                                      const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch,
                                      float *y, size_t ldy) {
    size_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        for (size_t b = 0; b < batch; b++) {
            float out[4];
            dot4(weights + r * cols, cols, x + b * cols, out);
            float *yb = y + b * ldy + r;
            yb[0] += out[0];
            yb[1] += out[1];
            yb[2] += out[2];
            yb[3] += out[3];
        }
    }
    for (; r < rows; r++) {
        for (size_t b = 0; b < batch; b++) y[b * ldy + r] += dot_row(weights + r * cols, x + b * cols, cols);
    }
}

#endif
