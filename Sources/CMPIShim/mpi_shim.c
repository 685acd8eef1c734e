// Open MPI, loaded at run time: the functions of CMPIShim.h over MPI's C API, resolved with dlsym. See
// CMPIShim.h for why; the values below are Open MPI's ABI (mpi.h of Open MPI 4.1 and 5.0), checked against the
// installed mpi.h by MPITests when mpicc is present.
#include "CMPIShim.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Open MPI's handles (MPI_Comm, MPI_Datatype, MPI_Op) are pointers to library globals.
typedef void *handle;

enum {
    SUCCESS = 0,  // MPI_SUCCESS
    THREAD_FUNNELED = 1,  // MPI_THREAD_FUNNELED
    MAX_NAME = 256,  // MPI_MAX_PROCESSOR_NAME, MPI_MAX_ERROR_STRING, MPI_MAX_LIBRARY_VERSION_STRING
    ERROR_OTHER = 16,  // MPI_ERR_OTHER, for a call made before the library is loaded
};
#define IN_PLACE ((void *)1)  // MPI_IN_PLACE
#define CHUNK ((size_t)1 << 30)  // elements per call: counts are C ints

static int (*init_thread)(int *, char ***, int, int *);
static int (*finalize)(void);
static int (*abort_)(handle, int);
static int (*comm_rank)(handle, int *);
static int (*comm_size)(handle, int *);
static int (*get_processor_name)(char *, int *);
static int (*allreduce)(const void *, void *, int, handle, handle, handle);
static int (*bcast)(void *, int, handle, int, handle);
static int (*gather)(const void *, int, handle, void *, int, handle, int, handle);
static int (*barrier)(handle);
static int (*error_string)(int, char *, int *);
static int (*get_library_version)(char *, int *);
static int (*op_create)(void (*)(void *, void *, int *, handle *), int, handle *);
static handle comm_world, type_byte, type_float, type_double, type_uint64, type_uint16, op_sum, op_min, op_max;
/// The bfloat16 sum (MPI_Op_create'd on first use).
static handle op_sum_bfloat16;
static char library_version[MAX_NAME + 1];

/// dlsym of `name` into `slot`; 0 (with the reason in `error`) when it is missing.
static int find(void *library, const char *path, const char *name, void **slot, char *error, size_t capacity) {
    *slot = dlsym(library, name);
    if (*slot) return 1;
    snprintf(error, capacity, "%s has no symbol %s; charrnn needs Open MPI 4 or 5 (Debian: openmpi-bin)", path, name);
    return 0;
}

int crnn_mpi_load(char *error, size_t capacity) {
    if (comm_world) return 1;
    const char *path = getenv("CHARRNN_MPI_LIBRARY");
    if (!path || !*path) path = "libmpi.so.40";
    // RTLD_GLOBAL: Open MPI's plugins (dlopen'ed by libmpi) resolve their symbols against it.
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, capacity, "cannot load %s (%s); install Open MPI (Debian: openmpi-bin)", path, dlerror());
        return 0;
    }
    struct {
        const char *name;
        void **slot;
    } symbols[] = {
        {"MPI_Init_thread", (void **)&init_thread},
        {"MPI_Finalize", (void **)&finalize},
        {"MPI_Abort", (void **)&abort_},
        {"MPI_Comm_rank", (void **)&comm_rank},
        {"MPI_Comm_size", (void **)&comm_size},
        {"MPI_Get_processor_name", (void **)&get_processor_name},
        {"MPI_Allreduce", (void **)&allreduce},
        {"MPI_Bcast", (void **)&bcast},
        {"MPI_Gather", (void **)&gather},
        {"MPI_Barrier", (void **)&barrier},
        {"MPI_Error_string", (void **)&error_string},
        {"MPI_Get_library_version", (void **)&get_library_version},
        {"MPI_Op_create", (void **)&op_create},
        {"ompi_mpi_uint16_t", &type_uint16},
        {"ompi_mpi_byte", &type_byte},
        {"ompi_mpi_float", &type_float},
        {"ompi_mpi_double", &type_double},
        {"ompi_mpi_uint64_t", &type_uint64},
        {"ompi_mpi_op_sum", &op_sum},
        {"ompi_mpi_op_min", &op_min},
        {"ompi_mpi_op_max", &op_max},
        {"ompi_mpi_comm_world", &comm_world},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        if (!find(library, path, symbols[i].name, symbols[i].slot, error, capacity)) {
            comm_world = NULL;
            return 0;
        }
    }
    int length = 0;
    if (get_library_version(library_version, &length) != SUCCESS) library_version[0] = 0;
    library_version[length < MAX_NAME ? (length < 0 ? 0 : length) : MAX_NAME] = 0;
    return 1;
}

const char *crnn_mpi_library_version(void) { return library_version; }

int crnn_mpi_init(void) {
    if (!comm_world) return ERROR_OTHER;
    int provided = 0;
    return init_thread(NULL, NULL, THREAD_FUNNELED, &provided);
}

int crnn_mpi_finalize(void) { return comm_world ? finalize() : ERROR_OTHER; }

void crnn_mpi_abort(int code) {
    if (comm_world) abort_(comm_world, code);
    exit(code);
}

int crnn_mpi_rank(int *rank) { return comm_world ? comm_rank(comm_world, rank) : ERROR_OTHER; }

int crnn_mpi_size(int *size) { return comm_world ? comm_size(comm_world, size) : ERROR_OTHER; }

int crnn_mpi_processor_name(char *name, size_t capacity) {
    if (!comm_world) return ERROR_OTHER;
    char buffer[MAX_NAME + 1];
    int length = 0;
    int status = get_processor_name(buffer, &length);
    if (status != SUCCESS) return status;
    buffer[length < 0 ? 0 : (length > MAX_NAME ? MAX_NAME : length)] = 0;
    snprintf(name, capacity, "%s", buffer);
    return SUCCESS;
}

/// In-place all-reduce of `count` elements of `size` bytes in chunks whose counts fit a C int.
static int allreduce_chunks(void *values, size_t count, size_t size, handle type, handle op) {
    if (!comm_world) return ERROR_OTHER;
    for (size_t done = 0; done < count; done += CHUNK) {
        size_t n = count - done < CHUNK ? count - done : CHUNK;
        int status = allreduce(IN_PLACE, (char *)values + done * size, (int)n, type, op, comm_world);
        if (status != SUCCESS) return status;
    }
    return SUCCESS;
}

int crnn_mpi_allreduce_sum_float(float *values, size_t count) {
    return allreduce_chunks(values, count, sizeof(float), type_float, op_sum);
}

int crnn_mpi_allreduce_sum_double(double *values, size_t count) {
    return allreduce_chunks(values, count, sizeof(double), type_double, op_sum);
}

static inline float bfloat16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline uint16_t float_to_bfloat16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);  // NaN stays NaN
    bits += 0x7fffu + ((bits >> 16) & 1);  // round to nearest, ties to even
    return (uint16_t)(bits >> 16);
}

void crnn_float_to_bfloat16(const float *values, uint16_t *halves, size_t count) {
    for (size_t i = 0; i < count; i++) halves[i] = float_to_bfloat16(values[i]);
}

void crnn_bfloat16_to_float(const uint16_t *halves, float *values, size_t count) {
    for (size_t i = 0; i < count; i++) values[i] = bfloat16_to_float(halves[i]);
}

/// inout[i] ← bfloat16(float(in[i]) + float(inout[i])): MPI calls it on pieces of the vectors it reduces.
static void sum_bfloat16(void *in, void *inout, int *length, handle *type) {
    (void)type;
    const uint16_t *a = in;
    uint16_t *b = inout;
    for (int i = 0; i < *length; i++) b[i] = float_to_bfloat16(bfloat16_to_float(a[i]) + bfloat16_to_float(b[i]));
}

int crnn_mpi_allreduce_sum_bfloat16(uint16_t *values, size_t count) {
    if (!comm_world) return ERROR_OTHER;
    if (!op_sum_bfloat16) {
        int status = op_create(sum_bfloat16, 1, &op_sum_bfloat16);
        if (status != SUCCESS) return status;
    }
    return allreduce_chunks(values, count, sizeof(uint16_t), type_uint16, op_sum_bfloat16);
}

int crnn_mpi_allreduce_extreme_u64(uint64_t *values, size_t count, int maximum) {
    return allreduce_chunks(values, count, sizeof(uint64_t), type_uint64, maximum ? op_max : op_min);
}

int crnn_mpi_broadcast(void *bytes, size_t count, int root) {
    if (!comm_world) return ERROR_OTHER;
    for (size_t done = 0; done < count; done += CHUNK) {
        size_t n = count - done < CHUNK ? count - done : CHUNK;
        int status = bcast((char *)bytes + done, (int)n, type_byte, root, comm_world);
        if (status != SUCCESS) return status;
    }
    return SUCCESS;
}

int crnn_mpi_gather(const void *bytes, size_t count, void *received, int root) {
    if (!comm_world) return ERROR_OTHER;
    if (count > (size_t)INT_MAX) return ERROR_OTHER;
    return gather(bytes, (int)count, type_byte, received, (int)count, type_byte, root, comm_world);
}

int crnn_mpi_barrier(void) { return comm_world ? barrier(comm_world) : ERROR_OTHER; }

void crnn_mpi_error_string(int code, char *text, size_t capacity) {
    char buffer[MAX_NAME + 1];
    int length = 0;
    if (!comm_world || error_string(code, buffer, &length) != SUCCESS) {
        snprintf(text, capacity, "MPI error %d", code);
        return;
    }
    buffer[length < 0 ? 0 : (length > MAX_NAME ? MAX_NAME : length)] = 0;
    snprintf(text, capacity, "%s", buffer);
}
