// Learning-rate schedules (step decay, cosine with warmup) against hand-computed numbers.
import Foundation
import Testing

@testable import CharRNN

@Suite struct ScheduleTests {
    @Test func stepDecay() {
        let s = LearningRateSchedule.step(every: 10, factor: 0.5)
        #expect(s.factor(at: 9) == 1 && s.factor(at: 10) == 0.5 && s.factor(at: 25) == 0.25)  // 0.5^2
    }

    @Test func cosineWithWarmup() {
        let s = LearningRateSchedule.cosine(warmup: 10, total: 110, minimumFactor: 0.1)
        #expect(s.factor(at: 0) == 0.1)  // (0 + 1) / 10
        #expect(s.factor(at: 9) == 1)
        #expect(abs(s.factor(at: 10) - 1) < 1e-12)  // cos 0
        #expect(abs(s.factor(at: 60) - 0.55) < 1e-12)  // 0.1 + 0.5 · 0.9 · (1 + cos π/2)
        #expect(s.factor(at: 200) == 0.1)
        #expect(LearningRateSchedule.constant.factor(at: 1000) == 1)
    }
}
