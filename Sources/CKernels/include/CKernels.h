// CKernels: hand-vectorized kernels that need instructions beyond baseline x86-64 (AVX2, FMA, F16C), compiled
// for those instructions function by function and chosen at run time, so the package still builds and runs on
// any x86-64 (and any other architecture) through a portable twin with the same contract.
#ifndef CHARRNN_CKERNELS_H
#define CHARRNN_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the AVX2/FMA/F16C kernels, 0 when the portable ones are used.
int crnn_kernels_vectorized(void);

/// Matrix-vector products with half-precision weights, for B vectors at once:
///
///     y[b·ldy + r] += Σ_k float(W[r·cols + k]) · x[b·cols + k]     for r < rows, b < batch
///
/// W is (rows, cols) row-major, IEEE 754 binary16 bit patterns; x is (batch, cols); y is (batch, ldy) and is
/// accumulated into. Sums run in single precision. Chooses the vectorized kernel when the CPU has it.
void crnn_matvec_f16(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch, float *y,
                     size_t ldy);

/// The same contract in portable scalar C (the twin that tests compare the vectorized kernel against).
void crnn_matvec_f16_portable(const uint16_t *weights, size_t rows, size_t cols, const float *x, size_t batch,
                              float *y, size_t ldy);

/// binary16 bit pattern → float, exactly (subnormals, infinities and NaNs included).
float crnn_half_to_float(uint16_t h);

#ifdef __cplusplus
}
#endif

#endif
