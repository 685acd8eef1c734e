// Matrix products against a right-hand operand packed once into 16-column panels: the recurrent products of
// training (h_{t-1} · W_hhᵀ forward, dP_t · W_hh backward), where the same weights meet 50 small left-hand blocks
// in a row and a general GEMM would repack them on every call. This file has the layout, the packing, the portable
// twin and the dispatch to packed_gemm_avx2.c or packed_gemm_avx512.c; CKernels.h has the contract.
//
// Packed layout: panel p (columns 16p … 16p+15 of op(B)) is k rows of 16 floats, row kk holding
// op(B)[kk][16p … 16p+15], zero-padded past column n. Panels follow each other: panel p starts at p·16·k.
#include "kernels_internal.h"

#include <string.h>

enum { PANEL = CRNN_PANEL_WIDTH };

size_t crnn_packed_count(size_t k, size_t n) { return (n + PANEL - 1) / PANEL * PANEL * k; }

void crnn_pack_panels(const float *b, size_t ldb, int transposed, size_t k, size_t n, size_t first_panel,
                      size_t panel_count, float *packed) {
    size_t end = first_panel + panel_count;
    if (transposed) {
        // op(B)[kk][j] = b[j·ldb + kk]: a panel's 16 rows of b are read side by side, its rows written in order.
        for (size_t p = first_panel; p < end; p++) {
            float *dst = packed + p * PANEL * k;
            size_t j0 = p * PANEL;
            size_t cols = n - j0 < PANEL ? n - j0 : PANEL;
            const float *src[PANEL];
            for (size_t c = 0; c < PANEL; c++) src[c] = b + (j0 + (c < cols ? c : 0)) * ldb;
            for (size_t kk = 0; kk < k; kk++)
                for (size_t c = 0; c < PANEL; c++) dst[kk * PANEL + c] = c < cols ? src[c][kk] : 0;
        }
    } else {
        // Row kk of b goes, 16 columns at a time, to row kk of each panel: b is read once, in order (a panel at
        // a time would read it in 64-byte pieces a row apart, several times slower).
        for (size_t kk = 0; kk < k; kk++) {
            const float *src = b + kk * ldb;
            for (size_t p = first_panel; p < end; p++) {
                float *dst = packed + p * PANEL * k + kk * PANEL;
                size_t j0 = p * PANEL;
                if (n - j0 >= PANEL) {
                    memcpy(dst, src + j0, PANEL * sizeof(float));
                } else {
                    for (size_t c = 0; c < PANEL; c++) dst[c] = j0 + c < n ? src[j0 + c] : 0;
                }
            }
        }
    }
}

void crnn_gemm_packed_portable(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                               float beta, float *c, size_t ldc) {
    for (size_t p = 0; p * PANEL < n; p++) {
        const float *bp = packed + p * PANEL * k;
        size_t j0 = p * PANEL;
        size_t cols = n - j0 < PANEL ? n - j0 : PANEL;
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < cols; j++) {
                float sum = beta == 0 ? 0 : beta * c[i * ldc + j0 + j];
                for (size_t kk = 0; kk < k; kk++) sum += a[i * lda + kk] * bp[kk * PANEL + j];
                c[i * ldc + j0 + j] = sum;
            }
        }
    }
}

#if CRNN_X86_KERNELS

void crnn_gemm_packed_at_level(int level, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                               float beta, float *c, size_t ldc, float *a_work) {
    level = crnn_kernel_level(level);
    if (k > 0 && level >= CRNN_LEVEL_AVX512) {
        crnn_gemm_packed_avx512(m, n, k, a, lda, packed, beta, c, ldc, a_work);
    } else if (k > 0 && level == CRNN_LEVEL_AVX2) {
        crnn_gemm_packed_avx2(m, n, k, a, lda, packed, beta, c, ldc, a_work);
    } else {
        crnn_gemm_packed_portable(m, n, k, a, lda, packed, beta, c, ldc);
    }
}

#else

void crnn_gemm_packed_at_level(int level, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                               float beta, float *c, size_t ldc, float *a_work) {
    (void)level;
    (void)a_work;
    crnn_gemm_packed_portable(m, n, k, a, lda, packed, beta, c, ldc);
}

#endif

void crnn_gemm_packed(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed, float beta,
                      float *c, size_t ldc, float *a_work) {
    crnn_gemm_packed_at_level(CRNN_LEVEL_AVX512, m, n, k, a, lda, packed, beta, c, ldc, a_work);
}
