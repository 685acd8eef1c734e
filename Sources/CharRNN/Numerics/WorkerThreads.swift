// WorkerThreads: how many threads charrnn's own parallel loops use — one stream's matrix-vector products, the
// gate math of a time step, the optimizer's update — and the helper that splits a loop over them.
//
// Every loop split this way writes disjoint outputs and computes each one exactly as the single-threaded loop
// would, so results are the same bits for any thread count.
import Dispatch

/// Threads for charrnn's own parallel loops. Default 1; `train --threads` and `sample --threads` set it.
public enum WorkerThreads {
    nonisolated(unsafe) public static var count = 1
}

/// Calls `body(range)` for contiguous parts of `0..<count` that together cover it once, on up to
/// `WorkerThreads.count` threads, each part holding at least `minimumPerPart` items (fewer parts otherwise; one
/// part runs on the calling thread). `alignment` rounds part boundaries down to a multiple (for SIMD blocks).
@inline(__always)
func splitOverWorkers(_ count: Int, minimumPerPart: Int, alignment: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = max(1, min(WorkerThreads.count, count / max(1, minimumPerPart)))
    if parts == 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        let lo = count * part / parts / alignment * alignment
        let hi = part == parts - 1 ? count : count * (part + 1) / parts / alignment * alignment
        body(lo..<hi)
    }
}
