// WorkerPool: the threads behind `splitOverWorkers` and `forEachPart`. Generating one stream hands work to the
// other core about three times per token, every ~50 µs; Dispatch's `concurrentPerform` wakes a sleeping thread each
// time, which on a virtual machine costs tens of microseconds (two threads generated more slowly than one;
// docs/performance-log.md). These threads instead spin for a while after each job, so the next one starts at once, and
// only then sleep.
import CKernels
import Foundation
import Synchronization

/// Persistent helper threads that run the parts of a parallel loop with the calling thread.
final class WorkerPool: @unchecked Sendable {
    /// The pool every parallel loop uses.
    static let shared = WorkerPool()

    /// How long a helper spins for its next job before it sleeps (~0.2 ms: longer than the gaps between one
    /// generated token's loops, short enough not to hold a core while the program does something else).
    static let spinNanoseconds: UInt64 = 200_000

    /// One helper thread's mailbox: the caller stores a new ticket to hand it the current job.
    private final class Helper: Sendable {
        let ticket = Atomic<Int>(0)
    }

    /// The job being run, read only by the helpers it was handed to, while the caller waits for them.
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    private nonisolated(unsafe) var helpers: [Helper] = []
    private nonisolated(unsafe) var tickets = 0
    /// Helpers still running the current job.
    private let running = Atomic<Int>(0)
    /// Set while a job is in flight: a loop started meanwhile (a nested one, or another thread's) runs serially.
    private let busy = Atomic<Bool>(false)
    private let lock = NSCondition()
    /// Helpers asleep on `lock`.
    private nonisolated(unsafe) var sleepers = 0

    /// Calls `body(w)` for w in 0..<workers: 0 on the calling thread, the others on helper threads, and returns
    /// when all have returned. A call made while another is running (from inside `body`, or from another thread)
    /// runs its parts one after another on the calling thread.
    func run(workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for w in 0..<max(1, workers) { body(w) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            while helpers.count < workers - 1 { startHelper() }
            job = body
            tickets += 1
            running.store(workers - 1, ordering: .relaxed)
            for helper in helpers[..<(workers - 1)] { helper.ticket.store(tickets, ordering: .releasing) }
            lock.lock()
            if sleepers > 0 { lock.broadcast() }
            lock.unlock()
            body(0)
            var spins = 0
            while running.load(ordering: .acquiring) > 0 {
                crnn_spin_pause()
                spins += 1
                if spins % 64 == 0 { sched_yield() }  // more threads than cores: let a helper have this one
            }
            job = nil
        }
    }

    private func startHelper() {
        let helper = Helper()
        let index = helpers.count + 1
        helpers.append(helper)
        let thread = Thread { [self] in helperLoop(helper, index) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs each job handed to `helper` as worker `index`; between jobs spins, then sleeps until the next.
    private func helperLoop(_ helper: Helper, _ index: Int) {
        var seen = 0
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while helper.ticket.load(ordering: .acquiring) == seen {
                crnn_spin_pause()
                spins += 1
                if spins % 64 != 0 { continue }
                sched_yield()  // more threads than cores: let the thread with work run
                if DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                    lock.lock()
                    sleepers += 1
                    while helper.ticket.load(ordering: .acquiring) == seen { lock.wait() }
                    sleepers -= 1
                    lock.unlock()
                }
            }
            seen = helper.ticket.load(ordering: .acquiring)
            job!(index)
            running.subtract(1, ordering: .releasing)
        }
    }
}
