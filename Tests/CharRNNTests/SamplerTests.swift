// The sampler driven by exact coins: temperature, top-k, top-p, the alternatives the server reports, bad settings.
import Foundation
import Testing

@testable import CharRNN

@Suite struct SamplerTests {
    // Logits for <unk> and tokens 1…4; <unk> has the largest logit so a sampler that forgot to exclude it fails.
    let logits: [Float] = [10, 0, log(2), log(3), log(4)]  // softmax over 1…4 = [1, 2, 3, 4] / 10

    func pick(_ config: SamplingConfig, coin: Double) -> (Int, [Double]) {
        var s = Sampler(config: config, vocabularySize: 5)
        let id = logits.withUnsafeBufferPointer { s.pick($0, coin: coin) }
        return (id, s.lastProbabilities)
    }

    @Test func temperatureOneSamplesTheModelsDistributionAndNeverUnk() {
        let (_, p) = pick(SamplingConfig(temperature: 1), coin: 0)
        #expect(zip(p, [0, 0.1, 0.2, 0.3, 0.4]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        // Coins walk the cumulative distribution 0.1, 0.3, 0.6, 1.0.
        #expect(
            [0.0, 0.099, 0.1, 0.29, 0.31, 0.59, 0.61, 0.999999].map { pick(SamplingConfig(temperature: 1), coin: $0).0 }
                == [1, 1, 2, 2, 3, 3, 4, 4])
    }

    @Test func lowTemperatureTendsToArgmax() {
        #expect(pick(SamplingConfig(greedy: true), coin: 0.0).0 == 4)
        #expect(pick(SamplingConfig(temperature: 1e-6), coin: 0.0).0 == 4)
        let (_, p) = pick(SamplingConfig(temperature: 0.05), coin: 0.5)
        #expect(p[4] > 0.99)  // (4/3)^20 ≈ 315: almost all mass on the argmax
        let (_, hot) = pick(SamplingConfig(temperature: 100), coin: 0.5)
        #expect(hot[1...].allSatisfy { abs($0 - 0.25) < 0.01 })  // high temperature flattens
    }

    @Test func topKKeepsExactlyTheKMostLikely() {
        let (_, p) = pick(SamplingConfig(temperature: 1, topK: 2), coin: 0)
        #expect(zip(p, [0, 0, 0, 3.0 / 7, 4.0 / 7]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func topPKeepsTheSmallestSetReachingP() {
        // Sorted 0.4, 0.3, 0.2, 0.1: p = 0.7 keeps {4, 3}; p = 0.71 keeps {4, 3, 2}; p = 1 keeps all.
        let (_, a) = pick(SamplingConfig(temperature: 1, topP: 0.7), coin: 0)
        #expect(zip(a, [0, 0, 0, 3.0 / 7, 4.0 / 7]).allSatisfy { abs($0 - $1) < 1e-6 })
        let (_, b) = pick(SamplingConfig(temperature: 1, topP: 0.71), coin: 0)
        #expect(zip(b, [0, 0, 2.0 / 9, 3.0 / 9, 4.0 / 9]).allSatisfy { abs($0 - $1) < 1e-6 })
        let (_, c) = pick(SamplingConfig(temperature: 1, topP: 1), coin: 0)
        #expect(c[1] > 0)
    }

    @Test func heapSortOrdersByProbabilityThenId() {
        var rng = SplitMix64(seed: 8)
        for n in [1, 2, 3, 10, 100] {
            let p = (0..<n).map { _ in Double(rng.next() % 5) / 4 }  // many ties
            var ids = Array(0..<n)
            p.withUnsafeBufferPointer { pp in ids.withUnsafeMutableBufferPointer { Sampler.sortByProbability($0, pp) } }
            #expect(ids == (0..<n).sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 })
        }
    }

    /// The alternatives the server reports against their naive twin: every token sorted by logit (ties by id),
    /// the first k, with log-probabilities equal to `logProbability`'s bits.
    @Test func mostLikelyTokensEqualAFullSort() {
        var rng = SplitMix64(seed: 9)
        for n in [1, 2, 5, 65, 300] {
            let row = (0..<n).map { _ in Float(rng.next() % 7) / 3 - 1 }  // many ties
            row.withUnsafeBufferPointer { row in
                let softmax = LogSoftmax(row)
                let sorted = (0..<n).sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
                for k in [0, 1, 3, 5, n, n + 2] {
                    let top = softmax.mostLikely(k)
                    #expect(top.map(\.id) == Array(sorted.prefix(k)), "n \(n) k \(k)")
                    #expect(top.allSatisfy { $0.logprob == logProbability(of: $0.id, in: row) })
                }
            }
        }
    }

    @Test func invalidSettingsAreReported() {
        #expect(SamplingConfig(temperature: 0).problem != nil)
        #expect(SamplingConfig(temperature: -1).problem != nil)
        #expect(SamplingConfig(topK: 0).problem != nil)
        #expect(SamplingConfig(topP: 0).problem != nil)
        #expect(SamplingConfig(topP: 1.5).problem != nil)
        #expect(SamplingConfig(topP: 1).problem == nil)
    }
}
