// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; include path from pkg-config `openblas`).
// OpenBLAS's cblas.h also declares openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
