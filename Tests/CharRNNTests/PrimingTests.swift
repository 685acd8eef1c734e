// Priming: a prime of up to `TextGenerator.steppedPrimeTokens` tokens runs through the generation step a token at
// a time, a longer one through the forward pass; the generation engine, which primes a short prompt in the rows
// of the batch it generates in, leaves the very bits `TextGenerator` (`charrnn sample`) leaves, however it got
// there (stepped beside other streams, kept from an earlier request, or on the prefill thread).
import Foundation
import Synchronization
import Testing

@testable import CharRNN

@Suite struct PrimingTests {
    /// The state after all but the last of `ids`, as the rule says it is made, in one row.
    func expectedState(_ ids: [Int], model: CharRNNModel<Float>) throws -> RecurrentState<Float> {
        if !TextGenerator.primesInSteps(count: ids.count) { return model.stateAfter(ids.dropLast()) }
        let stepper = try StepModel(model: model, streams: 1)
        for id in ids.dropLast() { _ = stepper.step([Int32(id)]) { _ in 0 } }
        return stepper.state
    }

    /// Whether row `row` of `a` and row 0 of `b` hold the same bits, or (with `tolerance`) nearly the same values.
    func sameRow(_ a: RecurrentState<Float>, _ row: Int, _ b: RecurrentState<Float>, tolerance: Float = 0) -> Bool {
        let h = a.hiddenSize
        return (0..<a.hidden.count).allSatisfy { k in
            let pairs = [(a.hidden(layer: k), b.hidden(layer: k)), (a.cell(layer: k), b.cell(layer: k))]
            return pairs.allSatisfy { x, y in
                x.isEmpty  // the GRU's and the RNN's cell
                    || zip(x[(row * h)..<((row + 1) * h)], y.prefix(h)).allSatisfy {
                        tolerance == 0 ? $0.bitPattern == $1.bitPattern : abs($0 - $1) <= tolerance
                    }
            }
        }
    }

    /// TextGenerator primes every stream by the rule, from a zero state even when primed before, and the stepped
    /// prime is the forward pass's state up to float32 rounding (it primes at all).
    @Test(arguments: [CellKind.lstm, .gru])
    func shortPrimesRunThroughTheStepAndLongOnesThroughTheForwardPass(cell: CellKind) throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, cell: cell, seed: 8)
        let g = try TextGenerator(
            model: model, vocabulary: corpus.vocabulary, streams: 3, sampling: SamplingConfig(), seed: 1)
        #expect(TextGenerator.primesInSteps(count: 64) && !TextGenerator.primesInSteps(count: 65))
        for count in [2, 64, 65, 300, 1, 30] {
            let ids = Array(corpus.ids.prefix(count))
            g.prime(ids)
            let expected = try expectedState(ids, model: model)
            for b in 0..<3 { #expect(sameRow(g.state, b, expected), "\(cell), \(count) tokens, stream \(b)") }
            let forward = model.stateAfter(ids.dropLast())
            #expect(sameRow(g.state, 0, forward, tolerance: 1e-5), "\(cell), \(count) tokens")
        }
    }

    /// Requests with prompts on both sides of the rule, sent together (short ones stepped beside the others, long
    /// ones primed on the prefill thread), then again (short ones now kept): each step's log-probabilities equal,
    /// bit for bit, those of a StepModel started from TextGenerator's primed state.
    @Test func theEngineLeavesTheStateTextGeneratorLeaves() throws {
        let corpus = try smallCorpus()
        let vocabulary = corpus.vocabulary
        let model = smallModel(vocabularySize: vocabulary.count, seed: 12)
        let engine = try GenerationEngine(
            model: model, vocabulary: vocabulary, limits: EngineLimits(streams: 8, queue: 20))
        engine.start()
        defer { engine.shutdown(grace: 0) }
        let counts = [0, 1, 2, 9, 64, 65, 200]
        let requests = counts.enumerated().map { i, count in
            GenerationRequest(
                prompt: Array(corpus.ids.dropFirst(i).prefix(count)), maxTokens: 6, seed: UInt64(i), choices: 1 + i % 2,
                logprobs: true)
        }
        for round in 0..<2 {
            let collectors = requests.map { GenerationEngineTests.Collector(choices: $0.choices) }
            for (r, c) in zip(requests, collectors) { _ = try engine.submit(r, events: c.handler) }
            for (r, c) in zip(requests, collectors) {
                let events = try #require(c.wait())
                let g = try TextGenerator(
                    model: model, vocabulary: vocabulary, streams: 1, sampling: r.sampling, seed: r.seed)
                g.prime(r.prompt)
                for choice in 0..<r.choices {
                    // Replays the engine's tokens from the primed state, comparing each step's log-probability.
                    let stepper = try StepModel(model: model, streams: 1)
                    stepper.state.copyRow(0, of: g.state, to: 0)
                    var input = Int32(r.prompt.last ?? vocabulary.generationStart)
                    var steps = 0
                    for case .token(choice, let id, let logprob, _) in events {
                        let expected = stepper.step([input]) { LogSoftmax($0)(id) }
                        #expect(logprob.bitPattern == expected.bitPattern, "round \(round), \(r.prompt.count) tokens")
                        input = Int32(id)
                        steps += 1
                    }
                    #expect(steps == r.maxTokens, "round \(round), \(r.prompt.count) tokens, choice \(choice)")
                }
            }
        }
        // The second round's prompts of 2 to 64 tokens were kept from the first.
        #expect(engine.promptCache == (hits: 3, misses: 3))
    }
}

extension PrimingTests {
    /// The engine reports as generated the tokens its requests got: not the steps their rows spent on a prompt,
    /// nor the rows of choices a stop text ended while the others go on.
    @Test func stepsReadingAPromptGenerateNothing() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 3)
        let engine = try GenerationEngine(
            model: model, vocabulary: corpus.vocabulary, limits: EngineLimits(streams: 12, queue: 10))
        final class Count: Sendable { let value = Mutex(0) }
        let generated = Count()
        engine.onStep = { _, tokens in generated.value.withLock { $0 += tokens } }
        engine.start()
        defer { engine.shutdown(grace: 0) }
        let requests = [0, 1, 5, 40, 64].enumerated().map { i, count in
            GenerationRequest(
                prompt: Array(corpus.ids.prefix(count)), maxTokens: 30 + i, seed: UInt64(i), choices: 1 + i % 3,
                stop: i % 2 == 0 ? ["e"] : [])
        }
        let collectors = requests.map { GenerationEngineTests.Collector(choices: $0.choices) }
        for (r, c) in zip(requests, collectors) { _ = try engine.submit(r, events: c.handler) }
        var tokens: [Int] = []  // each choice's
        for c in collectors {
            for case .finished(_, _, let count) in try #require(c.wait()) { tokens.append(count) }
        }
        engine.shutdown(grace: 5)  // every step reported
        let total = requests.reduce(0) { $0 + $1.maxTokens * $1.choices }
        #expect(tokens.reduce(0, +) < total)  // some choices stopped early
        #expect(generated.value.withLock { $0 } == tokens.reduce(0, +))
    }
}
