// The engine's cache of states after short prompts: it answers only for the very same ids, keeps the most
// recently used, and a request whose prompt it answers gets the text it gets alone.
import Foundation
import Testing

@testable import CharRNN

@Suite struct PromptStateCacheTests {
    /// A state that tells which prompt it stands for (its first h is the number given).
    func marked(_ value: Float) -> RecurrentState<Float> {
        let state = RecurrentState<Float>(
            config: ModelConfig(vocabularySize: 5, cell: .lstm, hiddenSize: 2, embeddingSize: 2), batch: 1)
        state.hidden[0].pointer[0] = value
        return state
    }

    @Test func keepsTheMostRecentlyUsedPromptsAndOnlyShortOnes() {
        var cache = PromptStateCache(capacity: 2, maxTokens: 3)
        var primed: [[Int]] = []
        func lookUp(_ ids: [Int]) -> Float {
            let state = cache.state(after: ids[...]) {
                primed.append(ids)
                return marked(Float(primed.count))
            }
            return withExtendedLifetime(state) { state.hidden[0].pointer[0] }
        }
        #expect(lookUp([1, 2]) == 1)
        #expect(lookUp([1, 2]) == 1)  // kept
        #expect(lookUp([1]) == 2)  // a prefix is another prompt
        #expect(lookUp([2]) == 3)  // and so is another of the same length
        #expect(lookUp([1]) == 2)
        #expect(lookUp([1, 2, 3]) == 4)  // evicts [2], used longest ago
        #expect(cache.keys == [[1], [1, 2, 3]])
        #expect(lookUp([1]) == 2)
        #expect(cache.keys == [[1, 2, 3], [1]])
        #expect(lookUp([1, 2]) == 5)  // primed again; evicts [1, 2, 3]
        #expect(lookUp([1, 2, 3, 4]) == 6)  // too long to keep
        #expect(lookUp([1, 2, 3, 4]) == 7)
        #expect(cache.keys == [[1], [1, 2]])
        #expect(lookUp([]) == 8)
        #expect(lookUp([]) == 8)
        #expect((cache.hits, cache.misses) == (4, 8))
        #expect(primed == [[1, 2], [1], [2], [1, 2, 3], [1, 2], [1, 2, 3, 4], [1, 2, 3, 4], []])
    }

    @Test func aCacheOfNothingPrimesEveryTime() {
        var cache = PromptStateCache(capacity: 0, maxTokens: 64)
        var count = 0
        for _ in 0..<3 {
            _ = cache.state(after: [1, 2][...]) {
                count += 1
                return marked(0)
            }
        }
        #expect(count == 3 && cache.keys.isEmpty && cache.misses == 3)
    }

    /// Prompts sent again, one after another (so each joins a batch of its own making): the same prompt with
    /// other seeds and choices, a prefix of it, one of the same length, another prompt, none. Each text equals
    /// TextGenerator's; only the first of each prompt is primed.
    @Test func aRequestWhosePromptWasKeptGetsTheTextItGetsAlone() throws {
        let corpus = try smallCorpus()
        let vocabulary = corpus.vocabulary
        let model = smallModel(vocabularySize: vocabulary.count, seed: 5)
        let engine = try GenerationEngine(model: model, vocabulary: vocabulary, limits: EngineLimits(streams: 4))
        engine.start()
        defer { engine.shutdown(grace: 0) }
        let prompts = ["the cat", "the cat", "the ca", "the mat", "床前", "the cat", "", "", "床前"]
        for (i, prompt) in prompts.enumerated() {
            let request = GenerationRequest(
                prompt: try vocabulary.encode(prompt).ids, maxTokens: 40,
                sampling: SamplingConfig(temperature: 0.9), seed: UInt64(7 + i), choices: 1 + i % 2)
            let expected = try GenerationEngineTests().alone(request, model: model, vocabulary: vocabulary)
            let collector = GenerationEngineTests.Collector(choices: request.choices)
            _ = try engine.submit(request, events: collector.handler)
            let results = try #require(collector.results())
            #expect(results.map(\.text) == expected, "\(prompt) seed \(request.seed)")
        }
        #expect(engine.promptCache == (hits: 4, misses: 5))
    }
}
