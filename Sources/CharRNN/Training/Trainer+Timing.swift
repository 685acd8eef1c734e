// Timing updates on this machine, for the automatic settings' time budgets (AutomaticSettings.Measure): a few
// updates run exactly as training runs them, one by one on the clock. The trainer that measured is thrown away
// (its weights moved), so nothing of the measurement reaches the run.
import Foundation

extension Trainer {
    /// The seconds one update takes here: after two updates of warm-up (first-touch allocations, the workers
    /// waking), updates are timed one by one until `seconds` have passed since the start (at least three, at most
    /// fifty are timed); the median. Ten updates within the process's first second misjudged a 5-minute run's
    /// speed by up to a third on a shared 2-core machine (2026-12-07, Intel Xeon).
    ///
    /// - Returns: the median seconds per update, and the seconds spent, warm-up included. (A loss that is not
    ///   finite is timed like any other: the run itself deals with it.)
    /// - Throws: what `run` throws for a failed update (with one process, nothing).
    public func measureSecondsPerUpdate(seconds: Double) throws -> (perUpdate: Double, spent: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        var times: [Double] = []
        let warmUp = 2
        for index in 0..<(warmUp + 50) {
            let before = now()
            guard try forwardBackward(stop: false) != nil else { break }
            _ = clipGradients(
                model.parameters.gradients, threshold: config.gradientClip, mode: config.clipMode, threads: threads)
            try apply(learningRate: config.optimizer.learningRate * config.schedule.factor(at: state.step))
            if index >= warmUp { times.append(now() - before) }
            if times.count >= 3 && now() >= seconds { break }
        }
        times.sort()
        return (times.isEmpty ? now() : times[times.count / 2], now())
    }
}
