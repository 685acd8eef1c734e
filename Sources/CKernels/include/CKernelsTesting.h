// Entry points for tests and benchmarks only: each operation run with the kernel for a chosen instruction set, and
// the portable twins the vectorized kernels are compared against. Swift imports this as `CKernels.Testing`
// (an explicit submodule, so `import CKernels` alone does not see it).
#ifndef CHARRNN_CKERNELS_TESTING_H
#define CHARRNN_CKERNELS_TESTING_H

#include "CKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels a kernel may be asked for: portable C, AVX2 (with FMA and F16C), AVX-512. A level above
/// the CPU's runs the CPU's best.
#define CRNN_LEVEL_PORTABLE 0
#define CRNN_LEVEL_AVX2 1
#define CRNN_LEVEL_AVX512 2

/// The level the dispatchers run for a caller that asks for at most `cap`: the smaller of `cap` and this CPU's.
int crnn_kernel_level(int cap);

/// `crnn_matvec_f16` with the kernel for at most `level`.
void crnn_matvec_f16_at_level(int level, const uint16_t *weights, size_t rows, size_t cols, const float *x,
                              size_t batch, float *y, size_t ldy);

/// `crnn_matvec_f16`'s contract in portable scalar C (one sum per row, then added to y).
void crnn_matvec_f16_portable(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch, float *y,
                              size_t ldy);

/// `crnn_gemm_half_panels` with the kernel for at most `level`.
void crnn_gemm_half_panels_at_level(int level, size_t batch, size_t rows, size_t cols, const float *x,
                                    const uint16_t *packed, float *y, size_t ldy);

/// `crnn_gemm_half_panels`'s contract in portable scalar C (separate multiply and add, so results differ from the
/// vector kernels' fused multiply-adds in the last bits).
void crnn_gemm_half_panels_portable(size_t batch, size_t rows, size_t cols, const float *x, const uint16_t *packed,
                                    float *y, size_t ldy);

/// `crnn_gemm_packed` with the kernel for at most `level`.
void crnn_gemm_packed_at_level(int level, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                               float beta, float *c, size_t ldc, float *a_work);

/// `crnn_gemm_packed`'s contract in portable scalar C (separate multiply and add, so results differ in the last
/// bits).
void crnn_gemm_packed_portable(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                               float beta, float *c, size_t ldc);

#ifdef __cplusplus
}
#endif

#endif
