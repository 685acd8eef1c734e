// CMPIShim: the MPI calls charrnn's data-parallel training makes, behind plain C functions Swift can call. Open
// MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are macros over the addresses of library globals, which
// Swift cannot import; here they are looked up in the library itself.
//
// The library is loaded at run time (dlopen of Open MPI's libmpi.so.40, RTLD_GLOBAL so its plugins resolve),
// only when charrnn is started by mpirun or srun: nothing is needed to build charrnn or to run it on one machine,
// and one binary serves both. CHARRNN_MPI_LIBRARY names another libmpi. Open MPI 4 and 5 only (their ABI).
//
// Every function but crnn_mpi_load returns MPI_SUCCESS (0) or an MPI error code; crnn_mpi_error_string describes
// one. All are called from one thread (MPI_THREAD_FUNNELED).
#ifndef CHARRNN_CMPISHIM_H
#define CHARRNN_CMPISHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads the MPI library and looks up every function and handle. Returns 1 on success; 0 with a description of
/// what failed in `error` (NUL-terminated, at most `capacity` bytes).
int crnn_mpi_load(char *error, size_t capacity);

/// The library's own description (MPI_Get_library_version), for messages; empty before crnn_mpi_load.
const char *crnn_mpi_library_version(void);

/// MPI_Init_thread with MPI_THREAD_FUNNELED (charrnn's worker threads never call MPI).
int crnn_mpi_init(void);

/// MPI_Finalize.
int crnn_mpi_finalize(void);

/// MPI_Abort on MPI_COMM_WORLD: ends every rank of the job with `code`.
void crnn_mpi_abort(int code);

/// This process's rank and the number of ranks in MPI_COMM_WORLD.
int crnn_mpi_rank(int *rank);
int crnn_mpi_size(int *size);

/// The host's name as MPI reports it (MPI_Get_processor_name), NUL-terminated in `name` (at most `capacity`).
int crnn_mpi_processor_name(char *name, size_t capacity);

/// MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), in chunks below 2^31.
int crnn_mpi_allreduce_sum_float(float *values, size_t count);

/// The same for doubles.
int crnn_mpi_allreduce_sum_double(double *values, size_t count);

/// In place over bfloat16 values (the top 16 bits of floats): the element-wise sum over all ranks, each addition
/// done in single precision and rounded to bfloat16 once (a user-defined MPI operation on MPI_UINT16_T).
int crnn_mpi_allreduce_sum_bfloat16(uint16_t *values, size_t count);

/// float → bfloat16, rounding to nearest even (NaN stays NaN), and back (exact).
void crnn_float_to_bfloat16(const float *values, uint16_t *halves, size_t count);
void crnn_bfloat16_to_float(const uint16_t *halves, float *values, size_t count);

/// In place over MPI_UINT64_T: the element-wise minimum (`maximum` 0) or maximum (1) over all ranks.
int crnn_mpi_allreduce_extreme_u64(uint64_t *values, size_t count, int maximum);

/// MPI_Bcast of `count` bytes from `root`, in chunks below 2^31.
int crnn_mpi_broadcast(void *bytes, size_t count, int root);

/// MPI_Gather of `count` bytes from every rank into `received` (size · count bytes, rank order) on `root`
/// (`received` is ignored elsewhere). `count` must be below 2^31.
int crnn_mpi_gather(const void *bytes, size_t count, void *received, int root);

/// MPI_Barrier on MPI_COMM_WORLD.
int crnn_mpi_barrier(void);

/// A description of an MPI error code (MPI_Error_string), NUL-terminated in `text`.
void crnn_mpi_error_string(int code, char *text, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
