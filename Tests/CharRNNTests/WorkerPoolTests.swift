// The pool behind the parallel loops: every part runs exactly once per job, job after job, whether the helpers
// are spinning or asleep, and loops started from inside a job or from other threads still complete.
import Foundation
import Synchronization
import Testing

@testable import CharRNN

@Suite(.serialized) struct WorkerPoolTests {
    /// Runs `jobs` jobs of `workers` parts; each part adds its index + 1 to its own counter. Returns the counters.
    func counts(workers: Int, jobs: Int, pause: (Int) -> Void = { _ in }) -> [Int] {
        let counters = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        counters.initialize(repeating: 0, count: workers)
        defer { counters.deallocate() }
        nonisolated(unsafe) let c = counters
        for job in 0..<jobs {
            WorkerPool.shared.run(workers: workers) { w in c[w] += w + 1 }
            pause(job)
        }
        return Array(UnsafeBufferPointer(start: counters, count: workers))
    }

    @Test func everyPartRunsOncePerJob() {
        for workers in 1...4 {
            #expect(
                counts(workers: workers, jobs: 20_000) == (0..<workers).map { 20_000 * ($0 + 1) }, "\(workers) workers")
        }
    }

    /// Helpers sleep after `spinNanoseconds` without work; a job handed to them then still runs.
    @Test func sleepingHelpersWakeForTheNextJob() {
        let counted = counts(workers: 3, jobs: 6) { _ in usleep(useconds_t(4 * WorkerPool.spinNanoseconds / 1000)) }
        #expect(counted == [6, 12, 18])
    }

    /// A loop started inside a job runs its parts on the calling thread; so do loops started from several threads
    /// at once. Every part still runs once.
    @Test func nestedAndConcurrentLoopsComplete() {
        let total = Atomic<Int>(0)
        WorkerPool.shared.run(workers: 2) { _ in
            WorkerPool.shared.run(workers: 3) { w in total.add(w + 1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 12)
        total.store(0, ordering: .relaxed)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 { WorkerPool.shared.run(workers: 2) { w in total.add(w + 1, ordering: .relaxed) } }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 500 * 3)
    }
}
