// What this CPU can run, detected once: the kernel level the dispatchers use, and the vector level OpenBLAS's
// kernel families need (BLASCore.swift). See CKernels.h.
#include "kernels_internal.h"

#if CRNN_X86_KERNELS

static int vectorized_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

int crnn_kernels_vectorized(void) {
    static int cached = -1;  // computed once; racing threads all store the same value
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = vectorized_supported();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

static int vector_level(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
    // OpenBLAS's SkylakeX kernels use AVX-512 F, DQ, BW, VL and CD.
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                       __builtin_cpu_supports("avx512cd");
    return avx512 ? 2 : 1;
}

int crnn_cpu_vector_level(void) {
    static int cached = -1;  // as in crnn_kernels_vectorized
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = vector_level();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

int crnn_kernel_level(int cap) {
    const int cpu = crnn_cpu_vector_level() >= 2 ? CRNN_LEVEL_AVX512 : crnn_kernels_vectorized();
    return cap < cpu ? cap : cpu;
}

#else

int crnn_kernels_vectorized(void) { return 0; }

int crnn_cpu_vector_level(void) { return 0; }

int crnn_kernel_level(int cap) {
    (void)cap;
    return CRNN_LEVEL_PORTABLE;
}

#endif

void crnn_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
