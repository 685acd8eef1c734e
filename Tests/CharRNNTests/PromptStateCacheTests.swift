// The engine's cache of states after short prompts: it answers only for the very same ids, keeps the most
// recently used, and a request whose prompt it answers gets the text it gets alone (PrimingTests compares the
// bits).
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
        func lookUp(_ ids: [Int]) -> Float? {
            cache.state(after: ids[...]).map { state in withExtendedLifetime(state) { state.hidden[0].pointer[0] } }
        }
        #expect(lookUp([1, 2]) == nil)
        cache.keep(marked(1), after: [1, 2])
        #expect(lookUp([1, 2]) == 1)
        #expect(lookUp([1]) == nil)  // a prefix is another prompt
        cache.keep(marked(2), after: [1])
        #expect(lookUp([2]) == nil)  // and so is another of the same length
        cache.keep(marked(3), after: [2])  // evicts [1, 2], used longest ago
        #expect(cache.keys == [[1], [2]])
        #expect(lookUp([1]) == 2)
        #expect(cache.keys == [[2], [1]])
        cache.keep(marked(4), after: [1, 2, 3])  // evicts [2]
        #expect(cache.keys == [[1], [1, 2, 3]])
        cache.keep(marked(5), after: [1])  // the same prompt primed again: replaced, not kept twice
        #expect(cache.keys == [[1, 2, 3], [1]] && lookUp([1]) == 5)
        cache.keep(marked(6), after: [1, 2, 3, 4])  // too long to keep
        #expect(lookUp([1, 2, 3, 4]) == nil)
        #expect(cache.keys == [[1, 2, 3], [1]])
        #expect((cache.hits, cache.misses) == (3, 4))
    }

    @Test func aCacheOfNothingKeepsNothing() {
        var cache = PromptStateCache(capacity: 0, maxTokens: 64)
        for _ in 0..<3 {
            #expect(cache.state(after: [1, 2][...]) == nil)
            cache.keep(marked(0), after: [1, 2])
        }
        #expect(cache.keys.isEmpty && cache.misses == 3)
    }

    /// Prompts sent again, one after another (so each joins a batch of its own making): the same prompt with
    /// other seeds and choices, a prefix of it, one of the same length, another prompt, none. Each text equals
    /// TextGenerator's; only the first of each prompt of two tokens or more is primed (one token, or none, starts
    /// from the zero state).
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
        #expect(engine.promptCache == (hits: 3, misses: 4))
    }
}
