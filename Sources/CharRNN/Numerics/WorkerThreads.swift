// The two ways charrnn's own parallel loops split work over threads — matrix products, the recurrence over batch
// rows, gate math, softmax, the optimizer's update — run by the shared WorkerPool.
//
// Every loop takes the thread count from its caller as a value, captured once per operation: a model carries its
// own (`CharRNNModel.threads`), and each product, update or step reads it once and passes it down. Nothing global
// decides it, so two models with different counts can run side by side, and no interleaving can change the count
// between sizing a workspace and splitting the work over it.
//
// `splitOverWorkers` cuts a loop by the thread count: for loops whose every output is computed exactly as the
// single-threaded loop would compute it. `forEachPart` runs parts fixed by the problem's shape, for work whose
// results depend on where the cuts fall (OpenBLAS products, partial sums). Either way, results are the same bits
// for any thread count.
import Synchronization

/// The thread count of an operation: at least 1 (a count below 1 runs on the calling thread alone).
@inline(__always)
func workerCount(_ threads: Int) -> Int { max(1, threads) }

/// Calls `body(range)` for contiguous parts of `0..<count` that together cover it once, on up to `threads`
/// threads, each part holding at least `minimumPerPart` items (fewer parts otherwise; one part runs on the calling
/// thread). `alignment` rounds part boundaries down to a multiple (for SIMD blocks).
@inline(__always)
func splitOverWorkers(
    _ count: Int, threads: Int, minimumPerPart: Int, alignment: Int = 1, _ body: @Sendable (Range<Int>) -> Void
) {
    let parts = max(1, min(workerCount(threads), count / max(1, minimumPerPart)))
    if parts == 1 {
        body(0..<count)
        return
    }
    WorkerPool.shared.run(workers: parts) { part in
        let lo = count * part / parts / alignment * alignment
        let hi = part == parts - 1 ? count : count * (part + 1) / parts / alignment * alignment
        body(lo..<hi)
    }
}

/// Calls `body(part)` once for every part in `0..<parts`, spread over up to `threads` threads. For splits fixed by
/// the problem's shape rather than the thread count, whose results must not depend on how many threads run them.
@inline(__always)
func forEachPart(_ parts: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    forEachPart(parts, threads: threads) { part, _ in body(part) }
}

/// Calls `body(part, worker)` once for every part in `0..<parts` on up to `threads` threads, worker
/// w ∈ 0..<min(threads, parts) being the thread's index (for scratch space of its own). Each worker takes the next
/// part not yet taken, so a thread the machine slows down takes fewer parts instead of holding the others up at
/// the end (which part runs where never changes a result).
@inline(__always)
func forEachPart(_ parts: Int, threads: Int, _ body: @Sendable (_ part: Int, _ worker: Int) -> Void) {
    let workers = min(workerCount(threads), parts)
    if workers <= 1 {
        for part in 0..<parts { body(part, 0) }
        return
    }
    let next = Atomic<Int>(0)
    WorkerPool.shared.run(workers: workers) { worker in
        while true {
            let part = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if part >= parts { return }
            body(part, worker)
        }
    }
}
