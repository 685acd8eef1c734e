// The sampler driven by exact coins, the UTF-8 stream repair, and generation through the model.
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

    @Test func invalidSettingsAreReported() {
        #expect(SamplingConfig(temperature: 0).problem != nil)
        #expect(SamplingConfig(temperature: -1).problem != nil)
        #expect(SamplingConfig(topK: 0).problem != nil)
        #expect(SamplingConfig(topP: 0).problem != nil)
        #expect(SamplingConfig(topP: 1.5).problem != nil)
        #expect(SamplingConfig(topP: 1).problem == nil)
    }
}

@Suite struct UTF8StreamTests {
    @Test func holdsBackIncompleteSequencesAndRepairsInvalidOnes() {
        var s = UTF8Stream()
        var out: [UInt8] = []
        s.push([0x61, 0xE4], into: &out)  // "a", then the first byte of 中
        #expect(out == [0x61])
        s.push([0xB8], into: &out)
        #expect(out == [0x61])
        s.push([0xAD, 0xFF], into: &out)  // 中 complete; 0xFF is never UTF-8
        #expect(String(decoding: out, as: UTF8.self) == "a中\u{FFFD}")
        s.push([0xF0, 0x9F], into: &out)
        s.finish(into: &out)  // an unfinished emoji becomes one U+FFFD
        #expect(String(decoding: out, as: UTF8.self) == "a中\u{FFFD}\u{FFFD}")
    }

    @Test func randomByteStreamsComeOutAsValidUTF8InAnySplit() {
        var rng = SplitMix64(seed: 31)
        for _ in 0..<200 {
            let bytes = (0..<40).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var s = UTF8Stream()
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                let n = 1 + Int(rng.next() % 3)
                s.push(bytes[i..<min(bytes.count, i + n)], into: &out)
                i += n
            }
            s.finish(into: &out)
            #expect(out == Array(String(decoding: bytes, as: UTF8.self).utf8))
        }
    }
}

@Suite struct GenerationTests {
    @Test func sameSeedSameTokensAndGreedyIsDeterministic() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 4)
        func generate(seed: UInt64, streams: Int, sampling: SamplingConfig = SamplingConfig()) throws -> [[Int]] {
            let g = try TextGenerator(
                model: model, vocabulary: corpus.vocabulary, streams: streams, sampling: sampling, seed: seed)
            g.prime(try corpus.vocabulary.encode("the cat").ids)
            var out: [[Int]] = []
            var tokens: [Int] = []
            for _ in 0..<30 {
                g.next(into: &tokens)
                out.append(tokens)
            }
            return out
        }
        #expect(try generate(seed: 9, streams: 3) == generate(seed: 9, streams: 3))
        #expect(try generate(seed: 9, streams: 3) != generate(seed: 10, streams: 3))
        #expect(try generate(seed: 9, streams: 3).allSatisfy { !$0.contains(Vocabulary.unknownID) })
        // Greedy: every stream follows the same path.
        let greedy = try generate(seed: 1, streams: 2, sampling: SamplingConfig(greedy: true))
        #expect(greedy.allSatisfy { $0[0] == $0[1] })
    }

    @Test func generateHandsOverTheTextOfTheSameTokens() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 6)
        let prime = try corpus.vocabulary.encode("the").ids
        func generator() throws -> TextGenerator {
            let g = try TextGenerator(
                model: model, vocabulary: corpus.vocabulary, streams: 2, sampling: SamplingConfig(), seed: 12)
            g.prime(prime)
            return g
        }
        // Token by token with next(into:), decoded per stream …
        let stepwise = try generator()
        var ids: [[Int]] = [[], []]
        var tokens: [Int] = []
        for _ in 0..<25 {
            stepwise.next(into: &tokens)
            for b in 0..<2 { ids[b].append(tokens[b]) }
        }
        // … is what generate hands over, piece by piece.
        var texts = ["", ""]
        try generator().generate(tokens: 25) { b, text in
            texts[b] += text
            return true
        }
        #expect(texts == ids.map { corpus.vocabulary.decode($0) })
        var calls = 0
        try generator().generate(tokens: 25) { _, _ in
            calls += 1
            return false
        }
        #expect(calls == 1)
    }

    @Test func primeInChunksEqualsTheModelRunOverTheWholePrime() throws {
        // A prime longer than one 256-step chunk leaves the same state as one long forward pass.
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, cell: .gru, seed: 5)
        let ids = Array(corpus.ids.prefix(600))
        let g = try TextGenerator(
            model: model, vocabulary: corpus.vocabulary, streams: 1, sampling: SamplingConfig(greedy: true), seed: 0)
        g.prime(ids)
        var tokens: [Int] = []
        g.next(into: &tokens)
        let state = RecurrentState<Float>(config: model.config, batch: 1)
        let whole = ids.map { Int32($0) }
        let logits = whole.withUnsafeBufferPointer { model.logits(inputs: $0, steps: 600, batch: 1, state: state) }
        let last = Array(logits[(599 * model.config.vocabularySize)...])
        let argmax = (1..<last.count).max { last[$0] < last[$1] }!
        #expect(tokens[0] == argmax)
    }
}

/// A freshly initialized Float model (H = 16, E = 8) over a vocabulary of `vocabularySize`.
func smallModel(vocabularySize: Int, cell: CellKind = .lstm, seed: UInt64) -> CharRNNModel<Float> {
    let model = CharRNNModel<Float>(
        config: ModelConfig(vocabularySize: vocabularySize, cell: cell, hiddenSize: 16, embeddingSize: 8))
    var rng = SplitMix64(seed: seed)
    model.initialize(using: &rng)
    return model
}
