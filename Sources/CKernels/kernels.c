// Half-precision matrix-vector products: the vectorized kernel (AVX2 + FMA + F16C, enabled per function with a
// target attribute) and its portable twin. See CKernels.h for the contract.
#include "CKernels.h"
#include "panel_tile.h"

#include <string.h>

float crnn_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // infinity or NaN
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // normal: rebias 15 → 127
    } else if (mantissa == 0) {
        bits = sign;  // zero
    } else {
        // Subnormal: shift the mantissa up until its leading one becomes the implicit bit.
        exponent = 113;
        while ((mantissa & 0x400) == 0) {
            mantissa <<= 1;
            exponent -= 1;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void crnn_matvec_f16_portable(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch,
                              float *y, size_t ldy) {
    for (size_t b = 0; b < batch; b++) {
        for (size_t r = 0; r < rows; r++) {
            const uint16_t *w = weights + r * cols;
            const float *xb = x + b * cols;
            float sum = 0;
            for (size_t k = 0; k < cols; k++) sum += crnn_half_to_float(w[k]) * xb[k];
            y[b * ldy + r] += sum;
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
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
CRNN_VECTOR static void dot_rows4(const uint16_t *w, size_t cols, const float *x, float out[4]) {
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

/// Blocks of four rows through `dot4` (this file's `dot_rows4`, or its AVX-512 twin), each block against every
/// vector while its weights are still in L1; the last rows, fewer than four, one at a time.
CRNN_VECTOR static void matvec_f16_avx2(void (*dot4)(const uint16_t *, size_t, const float *, float[4]),
                                        const uint16_t *weights, size_t rows, size_t cols, const float *x,
                                        size_t batch, float *y, size_t ldy) {
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

static int vectorized_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

int crnn_kernels_vectorized(void) {
    static int cached = -1;  // computed once; racing threads all store the same value
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = vectorized_supported();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

static int vector_level(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
    // OpenBLAS's SkylakeX kernels use AVX-512 F, DQ, BW, VL and CD.
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                       __builtin_cpu_supports("avx512cd");
    return avx512 ? 2 : 1;
}

int crnn_cpu_vector_level(void) {
    static int cached = -1;  // as in crnn_kernels_vectorized
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = vector_level();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

int crnn_kernel_level(int cap) {
    const int cpu = crnn_cpu_vector_level() >= 2 ? 2 : crnn_kernels_vectorized();
    return cap < cpu ? cap : cpu;
}

void crnn_matvec_f16_at_level(int level, const uint16_t *weights, size_t rows, size_t cols, const float *x,
                              size_t batch, float *y, size_t ldy) {
    level = crnn_kernel_level(level);
    if (level >= 1) {
        matvec_f16_avx2(level >= 2 ? crnn_dot_rows4_f16_avx512 : dot_rows4, weights, rows, cols, x, batch, y, ldy);
    } else {
        crnn_matvec_f16_portable(weights, rows, cols, x, batch, y, ldy);
    }
}

#else

int crnn_kernels_vectorized(void) { return 0; }

int crnn_cpu_vector_level(void) { return 0; }

int crnn_kernel_level(int cap) {
    (void)cap;
    return 0;
}

void crnn_matvec_f16_at_level(int level, const uint16_t *weights, size_t rows, size_t cols, const float *x,
                              size_t batch, float *y, size_t ldy) {
    (void)level;
    crnn_matvec_f16_portable(weights, rows, cols, x, batch, y, ldy);
}

#endif

void crnn_matvec_f16(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch, float *y,
                     size_t ldy) {
    crnn_matvec_f16_at_level(2, weights, rows, cols, x, batch, y, ldy);
}

void crnn_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
