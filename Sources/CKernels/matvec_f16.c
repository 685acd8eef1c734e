// Half-precision matrix-vector products (one stream's generation step, bound by reading the weights): the
// binary16 conversion, the portable twin and the dispatch to matvec_f16_avx2.c or matvec_f16_avx512.c. See
// CKernels.h for the contract.
#include "kernels_internal.h"

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

void crnn_matvec_f16_portable(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch, float *y,
                              size_t ldy) {
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

#if CRNN_X86_KERNELS

void crnn_matvec_f16_at_level(int level, const uint16_t *weights, size_t rows, size_t cols, const float *x,
                              size_t batch, float *y, size_t ldy) {
    level = crnn_kernel_level(level);
    if (level >= CRNN_LEVEL_AVX2) {
        crnn_matvec_f16_avx2(level >= CRNN_LEVEL_AVX512 ? crnn_dot_rows4_f16_avx512 : crnn_dot_rows4_f16_avx2, weights,
                             rows, cols, x, batch, y, ldy);
    } else {
        crnn_matvec_f16_portable(weights, rows, cols, x, batch, y, ldy);
    }
}

#else

void crnn_matvec_f16_at_level(int level, const uint16_t *weights, size_t rows, size_t cols, const float *x,
                              size_t batch, float *y, size_t ldy) {
    (void)level;
    crnn_matvec_f16_portable(weights, rows, cols, x, batch, y, ldy);
}

#endif

void crnn_matvec_f16(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch, float *y,
                     size_t ldy) {
    crnn_matvec_f16_at_level(CRNN_LEVEL_AVX512, weights, rows, cols, x, batch, y, ldy);
}
