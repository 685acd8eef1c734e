// The partial last panel of a product, shared by the panel kernels (packed_gemm.c, half_panels.c): they always
// write 16 columns, so a panel with fewer goes through a zero-padded rows × 16 tile, copied in and back out.
#ifndef CRNN_PANEL_TILE_H
#define CRNN_PANEL_TILE_H

#include "CKernels.h"

/// tile[r·16 + j] ← c[r·ldc + j] for r < rows, j < cols; the tile's other columns keep their values.
static inline void crnn_tile_in(float *tile, const float *c, size_t ldc, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) tile[r * CRNN_PANEL_WIDTH + j] = c[r * ldc + j];
}

/// c[r·ldc + j] ← tile[r·16 + j] for r < rows, j < cols.
static inline void crnn_tile_out(const float *tile, float *c, size_t ldc, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) c[r * ldc + j] = tile[r * CRNN_PANEL_WIDTH + j];
}

#endif
