// Memory for the large buffers the kernels stream through (weights, packed weights, optimizer state, activations),
// on transparent huge pages where the system offers them.
//
// Each step of training reads the 4 MiB packed W_hh of a layer, and an update streams ~100 MiB of parameters,
// moments and activations: with 4 KiB pages that is a thousand TLB entries per matrix. Linux backs memory with
// 2 MiB pages either always or, as Debian configures it, only where a program asks with madvise(MADV_HUGEPAGE).
// Asking made LSTM 2×512 training ~8% faster here (docs/performance-log.md, item 33).
#if canImport(Glibc)
import Glibc
#endif

/// Bytes in one transparent huge page on x86-64 and arm64 Linux.
let hugePageBytes = 2 << 20

/// `byteCount` bytes (at least 1), 64-byte aligned; from `hugePageBytes` up, huge-page aligned and marked for huge
/// pages (a hint: where the system does not use them, nothing changes). Free with `deallocate()`.
func allocateLarge(byteCount: Int) -> UnsafeMutableRawPointer {
    guard byteCount >= hugePageBytes else { return .allocate(byteCount: max(1, byteCount), alignment: 64) }
    let pointer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: hugePageBytes)
    #if os(Linux)
    _ = madvise(pointer, byteCount, MADV_HUGEPAGE)
    #endif
    return pointer
}
