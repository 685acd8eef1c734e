// The LSTM cell's elementwise work for one time step in AVX2/FMA: the same math as LSTMCell.swift (its twin, which
// baseline x86-64 Swift compiles to SSE without FMA), eight hidden units per vector. lstm_cell.c has the dispatch;
// CKernels.h the contract.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS
#include <immintrin.h>
#include <string.h>

#define CRNN_FMA __attribute__((target("avx2,fma")))

/// e^x: the polynomial of Activations.swift (clamp, k = round(x/ln2) by the 1.5·2²³ trick, r = x − k·ln2 in two
/// parts, degree-6 Taylor, scale by 2^k through the exponent bits), with fused multiply-adds.
CRNN_FMA static inline __m256 exp8(__m256 x) {
    __m256 v = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    v = _mm256_blendv_ps(v, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));  // NaN stays NaN
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 shifted = _mm256_fmadd_ps(v, _mm256_set1_ps(1.44269504f), magic);
    __m256 k = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), v);
    r = _mm256_fmadd_ps(k, _mm256_set1_ps(2.1219444e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000 - 127));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}

CRNN_FMA static inline __m256 sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

CRNN_FMA static inline __m256 tanh8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = exp8(_mm256_mul_ps(_mm256_set1_ps(-2.0f), x));
    return _mm256_sub_ps(_mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(one, e)), one);
}

/// Loads 8 floats at p[j], or the n − j that remain, zero-padded.
CRNN_FMA static inline __m256 load(const float *p, size_t j, size_t n) {
    if (j + 8 <= n) return _mm256_loadu_ps(p + j);
    float tmp[8] = {0};
    memcpy(tmp, p + j, (n - j) * sizeof(float));
    return _mm256_loadu_ps(tmp);
}

/// Stores 8 floats at p[j], or only the n − j that remain.
CRNN_FMA static inline void store(__m256 v, float *p, size_t j, size_t n) {
    if (j + 8 <= n) {
        _mm256_storeu_ps(p + j, v);
        return;
    }
    float tmp[8];
    _mm256_storeu_ps(tmp, v);
    memcpy(p + j, tmp, (n - j) * sizeof(float));
}

/// The gates and the new cell for 8 hidden units at j (fewer at the end, through padded copies: `load`/`store`).
CRNN_FMA static inline __attribute__((always_inline)) void lstm_gates8(float *gi, float *gf, float *gg, float *go,
                                                                       const float *cp, float *c, size_t j, size_t h) {
    __m256 i = sigmoid8(load(gi, j, h));
    __m256 f = sigmoid8(load(gf, j, h));
    __m256 g = tanh8(load(gg, j, h));
    __m256 o = sigmoid8(load(go, j, h));
    store(i, gi, j, h);
    store(f, gf, j, h);
    store(g, gg, j, h);
    store(o, go, j, h);
    store(_mm256_fmadd_ps(f, load(cp, j, h), _mm256_mul_ps(i, g)), c, j, h);
}

/// Each row in two passes: the gates and c_t, then h_t = o·tanh(c_t) from them (in L1). In one pass, tanh(c_t)
/// waited on four exp chains and the out-of-order window held about one vector, so the loop ran at the chains'
/// latency; split, each pass's vectors are independent of each other (1.3–1.5× faster in a C harness). Each
/// unit's c_t is written after its c_{t-1} is read, so cell_prev may be cell.
CRNN_FMA void crnn_lstm_forward_avx2(float *gates, const float *cell_prev, float *cell, float *hidden, size_t batch,
                                     size_t h) {
    size_t full = h / 8 * 8;
    for (size_t b = 0; b < batch; b++) {
        float *gi = gates + b * 4 * h, *gf = gi + h, *gg = gi + 2 * h, *go = gi + 3 * h;
        const float *cp = cell_prev + b * h;
        float *c = cell + b * h, *hh = hidden + b * h;
        // Full vectors in loops of their own (n = j + 8 lets the compiler drop the padded paths); the rest after.
        for (size_t j = 0; j < full; j += 8) lstm_gates8(gi, gf, gg, go, cp, c, j, j + 8);
        if (full < h) lstm_gates8(gi, gf, gg, go, cp, c, full, h);
        for (size_t j = 0; j < full; j += 8)
            _mm256_storeu_ps(hh + j, _mm256_mul_ps(_mm256_loadu_ps(go + j), tanh8(_mm256_loadu_ps(c + j))));
        if (full < h) store(_mm256_mul_ps(load(go, full, h), tanh8(load(c, full, h))), hh, full, h);
    }
}

CRNN_FMA void crnn_lstm_backward_avx2(const float *gates, const float *cell, const float *cell_prev,
                                      const float *d_hidden, float *d_cell, float *d_gates, size_t batch, size_t h) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (size_t b = 0; b < batch; b++) {
        const float *gi = gates + b * 4 * h;
        float *di = d_gates + b * 4 * h;
        const float *c = cell + b * h, *cp = cell_prev + b * h, *dh = d_hidden + b * h;
        float *dc = d_cell + b * h;
        for (size_t j = 0; j < h; j += 8) {
            __m256 i = load(gi, j, h), f = load(gi + h, j, h), g = load(gi + 2 * h, j, h), o = load(gi + 3 * h, j, h);
            __m256 tc = tanh8(load(c, j, h));
            __m256 dhv = load(dh, j, h);
            // c_t feeds h_t = o·tanh(c_t) and the later steps (dc on entry).
            __m256 dc_total = _mm256_fmadd_ps(_mm256_mul_ps(dhv, o), _mm256_fnmadd_ps(tc, tc, one), load(dc, j, h));
            store(_mm256_mul_ps(_mm256_mul_ps(dc_total, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i))), di, j, h);
            store(_mm256_mul_ps(_mm256_mul_ps(dc_total, load(cp, j, h)), _mm256_mul_ps(f, _mm256_sub_ps(one, f))),
                  di + h, j, h);
            store(_mm256_mul_ps(_mm256_mul_ps(dc_total, i), _mm256_fnmadd_ps(g, g, one)), di + 2 * h, j, h);
            store(_mm256_mul_ps(_mm256_mul_ps(dhv, tc), _mm256_mul_ps(o, _mm256_sub_ps(one, o))), di + 3 * h, j, h);
            store(_mm256_mul_ps(dc_total, f), dc, j, h);
        }
    }
}

#endif
