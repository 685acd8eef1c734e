// The LSTM cell's elementwise step, forward and backward: the dispatch to lstm_cell_avx2.c. Its portable twin is
// the Swift code in LSTMCell.swift (`lstmForwardStep`, `lstmBackwardStep`), which callers run when these return 0.
// See CKernels.h for the contract.
#include "kernels_internal.h"

int crnn_lstm_forward(float *gates, const float *cell_prev, float *cell, float *hidden, size_t batch, size_t h) {
#if CRNN_X86_KERNELS
    if (crnn_kernels_vectorized()) {
        crnn_lstm_forward_avx2(gates, cell_prev, cell, hidden, batch, h);
        return 1;
    }
#endif
    (void)gates, (void)cell_prev, (void)cell, (void)hidden, (void)batch, (void)h;
    return 0;
}

int crnn_lstm_backward(const float *gates, const float *cell, const float *cell_prev, const float *d_hidden,
                       float *d_cell, float *d_gates, size_t batch, size_t h) {
#if CRNN_X86_KERNELS
    if (crnn_kernels_vectorized()) {
        crnn_lstm_backward_avx2(gates, cell, cell_prev, d_hidden, d_cell, d_gates, batch, h);
        return 1;
    }
#endif
    (void)gates, (void)cell, (void)cell_prev, (void)d_hidden, (void)d_cell, (void)d_gates, (void)batch, (void)h;
    return 0;
}
