// Products of several vectors at once with half-precision weights packed into 16-row panels: generation with
// many streams, where the dot-product kernel of matvec_f16.c would convert every weight once per stream. Here each
// weight is converted once per step and meets several streams from registers (half_panels_avx2.c,
// half_panels_avx512.c). This file has the layout, the portable twin and the dispatch; CKernels.h the contract.
//
// Packed layout: panel p (rows 16p … 16p+15 of W) is `cols` rows of 16 binary16 values, row kk holding
// W[16p … 16p+15][kk], zero past the last row of W. Panels follow each other: panel p starts at p·16·cols.
#include "kernels_internal.h"

enum { PANEL = CRNN_PANEL_WIDTH };

size_t crnn_half_panels_count(size_t rows, size_t cols) { return (rows + PANEL - 1) / PANEL * PANEL * cols; }

void crnn_pack_half_panels(const uint16_t *w, size_t rows, size_t cols, uint16_t *packed) {
    for (size_t p = 0; p * PANEL < rows; p++) {
        uint16_t *dst = packed + p * PANEL * cols;
        for (size_t c = 0; c < PANEL; c++) {
            size_t r = p * PANEL + c;
            for (size_t kk = 0; kk < cols; kk++) dst[kk * PANEL + c] = r < rows ? w[r * cols + kk] : 0;
        }
    }
}

void crnn_gemm_half_panels_portable(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                    float *y, size_t ldy) {
    for (size_t p = 0; p * PANEL < rows; p++) {
        const uint16_t *panel = packed + p * PANEL * cols;
        for (size_t b = 0; b < batch; b++) {
            for (size_t c = 0; c < PANEL && p * PANEL + c < rows; c++) {
                float sum = y[b * ldy + p * PANEL + c];
                for (size_t kk = 0; kk < cols; kk++)
                    sum += x[b * cols + kk] * crnn_half_to_float(panel[kk * PANEL + c]);
                y[b * ldy + p * PANEL + c] = sum;
            }
        }
    }
}

#if CRNN_X86_KERNELS

void crnn_gemm_half_panels_at_level(int level, size_t batch, size_t rows, size_t cols, const float *x,
                                    const uint16_t *packed, float *y, size_t ldy) {
    level = crnn_kernel_level(level);
    if (cols > 0 && level >= CRNN_LEVEL_AVX512) {
        crnn_gemm_half_panels_avx512(batch, rows, cols, x, packed, y, ldy);
    } else if (cols > 0 && level == CRNN_LEVEL_AVX2) {
        crnn_gemm_half_panels_avx2(batch, rows, cols, x, packed, y, ldy);
    } else {
        crnn_gemm_half_panels_portable(batch, rows, cols, x, packed, y, ldy);
    }
}

#else

void crnn_gemm_half_panels_at_level(int level, size_t batch, size_t rows, size_t cols, const float *x,
                                    const uint16_t *packed, float *y, size_t ldy) {
    (void)level;
    crnn_gemm_half_panels_portable(batch, rows, cols, x, packed, y, ldy);
}

#endif

void crnn_gemm_half_panels(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed, float *y,
                           size_t ldy) {
    crnn_gemm_half_panels_at_level(CRNN_LEVEL_AVX512, batch, rows, cols, x, packed, y, ldy);
}
