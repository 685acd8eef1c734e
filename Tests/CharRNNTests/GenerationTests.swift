// Generation through the model: seeds, greedy decoding, generate's text against next(into:)'s tokens, long primes.
import Foundation
import Testing

@testable import CharRNN

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
