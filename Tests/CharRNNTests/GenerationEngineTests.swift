// The continuous-batching engine: a request's text equals TextGenerator's (what `charrnn sample` prints) for its
// seed, whatever else is in flight; a cancelled request leaves at the next step; the queue's bound; shutdown.
import Foundation
import Synchronization
import Testing

@testable import CharRNN

@Suite struct GenerationEngineTests {
    /// Collects a request's events; `wait` returns them once the request has ended.
    final class Collector: Sendable {
        private let state = Mutex<[GenerationEvent]>([])
        private let done = DispatchSemaphore(value: 0)
        let choices: Int

        init(choices: Int) { self.choices = choices }

        var handler: @Sendable (GenerationEvent) -> Void {
            { [self] event in
                let ended = state.withLock { events -> Bool in
                    events.append(event)
                    let finished = events.filter { if case .finished = $0 { return true } else { return false } }
                    return event == .cancelled || finished.count == choices
                }
                if ended { done.signal() }
            }
        }

        /// The events, once the request ended (nil after `timeout` seconds).
        func wait(timeout: Double = 60) -> [GenerationEvent]? {
            done.wait(timeout: .now() + timeout) == .success ? state.withLock { $0 } : nil
        }

        /// Each choice's text and finish reason.
        func results(timeout: Double = 60) -> [(text: String, reason: FinishReason?)]? {
            guard let events = wait(timeout: timeout) else { return nil }
            var out = [(text: String, reason: FinishReason?)](repeating: ("", nil), count: choices)
            for event in events {
                switch event {
                case .text(let i, let t): out[i].text += t
                case .finished(let i, let reason, _): out[i].reason = reason
                case .cancelled, .token: break
                }
            }
            return out
        }
    }

    /// What TextGenerator makes of the same request (without the stop text, as the engine reports it).
    func alone(_ r: GenerationRequest, model: CharRNNModel<Float>, vocabulary: Vocabulary) throws -> [String] {
        let g = try TextGenerator(
            model: model, vocabulary: vocabulary, streams: r.choices, sampling: r.sampling, seed: r.seed)
        g.prime(r.prompt)
        var texts = [String](repeating: "", count: r.choices)
        g.generate(tokens: r.maxTokens, stop: r.stop, includeStop: false) { b, text in
            texts[b] += text
            return true
        }
        return texts
    }

    /// float32 only: in float16 TextGenerator may choose another layout for few streams (`StepModel.halfLayout`).
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func requestsInFlightTogetherGetTheTextTheyGetAlone(cell: CellKind) throws {
        let corpus = try smallCorpus()
        let vocabulary = corpus.vocabulary
        let model = smallModel(vocabularySize: vocabulary.count, cell: cell, seed: 11)
        let engine = try GenerationEngine(
            model: model, vocabulary: vocabulary, limits: EngineLimits(streams: 7, queue: 20))
        engine.start()
        defer { engine.shutdown(grace: 0) }
        // Different prompts, lengths, choices, sampling and stops: they join and leave at different steps, and
        // more rows are asked for than the engine has, so some wait.
        let requests = (0..<9).map { i in
            GenerationRequest(
                prompt: try! vocabulary.encode(["the", "cat ", "", "床前", "sat on the mat"][i % 5]).ids,
                maxTokens: [30, 5, 60, 0, 45][i % 5],
                sampling: SamplingConfig(temperature: 0.7 + 0.1 * Double(i), topP: i % 2 == 0 ? 0.9 : nil),
                seed: UInt64(100 + i), choices: 1 + i % 3, stop: i % 4 == 1 ? ["a"] : [])
        }
        // What each request gets alone, computed before the engine runs.
        let expected = try requests.map { try alone($0, model: model, vocabulary: vocabulary) }
        let collectors = requests.map { Collector(choices: $0.choices) }
        for (r, c) in zip(requests, collectors) { _ = try engine.submit(r, events: c.handler) }
        for (i, (r, c)) in zip(requests, collectors).enumerated() {
            let results = try #require(c.results())
            #expect(results.map(\.text) == expected[i], "\(r.prompt) seed \(r.seed)")
            #expect(results.allSatisfy { $0.reason != nil })
        }
        // The engine counts a request's rows out just after its last event.
        let deadline = Date().addingTimeInterval(5)
        while engine.load != (0, 0) && Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
        #expect(engine.load.streams == 0 && engine.load.queued == 0)
    }

    /// StepModel gives a stream the same logits whatever the step's batch: alone, or last of seven; and the first
    /// three rows of seven, as when four streams have left, equal a step of three. float16 in each layout.
    @Test(
        arguments: CellKind.allCases,
        [(WeightPrecision.float32, HalfMatrix.Layout.rows), (.float16, .rows), (.float16, .panels)])
    func aStreamsLogitsDoNotDependOnTheBatch(cell: CellKind, weights: (WeightPrecision, HalfMatrix.Layout)) throws {
        let (precision, layout) = weights
        let model = StepModelTests.model(cell, hidden: 40, threads: 2)
        let v = model.config.vocabularySize
        func stepper(_ streams: Int) throws -> StepModel {
            try StepModel(model: model, streams: streams, precision: precision, halfLayout: layout)
        }
        let (wide, single) = (try stepper(7), try stepper(1))
        for t in 0..<6 {
            let tokens = StepModelTests.tokens(t, streams: 7)
            let all = wide.step(tokens) { Array($0) }
            let one = single.step([tokens[6]]) { Array($0) }
            #expect(Array(all[(6 * v)...]) == one, "\(cell) \(precision) \(layout) step \(t)")
        }
        let few = try stepper(7)
        let three = few.step(StepModelTests.tokens(0, streams: 3)) { Array($0) }
        #expect(three == (try stepper(3)).step(StepModelTests.tokens(0, streams: 3)) { Array($0) })
    }

    @Test func aCancelledRequestLeavesAndOthersGoOn() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 3)
        let engine = try GenerationEngine(
            model: model, vocabulary: corpus.vocabulary, limits: EngineLimits(streams: 2, queue: 4))
        engine.start()
        defer { engine.shutdown(grace: 0) }
        let endless = Collector(choices: 2)
        let ticket = try engine.submit(
            GenerationRequest(prompt: [], maxTokens: 10_000_000, seed: 1, choices: 2), events: endless.handler)
        // The engine is full: this one waits until the first is cancelled.
        let next = Collector(choices: 1)
        _ = try engine.submit(GenerationRequest(prompt: [], maxTokens: 20, seed: 2), events: next.handler)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(engine.load.queued == 1)
        ticket.cancel()
        #expect(endless.wait()?.last == .cancelled)
        let results = try #require(next.results())
        #expect(results[0].reason == .length)
    }

    /// Holds the prefill thread when it is about to prime its `held`-th prompt, until `open` is signalled.
    final class PrimingGate: Sendable {
        let held: Int
        private let primings = Mutex(0)
        let entered = DispatchSemaphore(value: 0)
        let open = DispatchSemaphore(value: 0)

        init(held: Int) { self.held = held }

        var hook: @Sendable () -> Void {
            { [self] in
                if primings.withLock({ count in
                    count += 1
                    return count
                }) == held {
                    entered.signal()
                    open.wait()
                }
            }
        }
    }

    /// A long prompt being primed holds up no one: while the prefill thread is held before it, a request already
    /// generating runs to its end and a short one sent after it joins and ends; let go, the held request gets the
    /// text it gets alone.
    @Test func aLongPromptBeingPrimedHoldsUpNoOne() throws {
        let corpus = try smallCorpus()
        let vocabulary = corpus.vocabulary
        let model = smallModel(vocabularySize: vocabulary.count, seed: 4)
        let held = GenerationRequest(prompt: Array(corpus.ids.prefix(500)), maxTokens: 20, seed: 9)
        #expect(!TextGenerator.primesInSteps(count: held.prompt.count))
        let later = GenerationRequest(prompt: Array(corpus.ids.prefix(10)), maxTokens: 30, seed: 10)
        let expected = try [held, later].map { try alone($0, model: model, vocabulary: vocabulary) }
        let engine = try GenerationEngine(
            model: model, vocabulary: vocabulary, limits: EngineLimits(streams: 4, queue: 4))
        let gate = PrimingGate(held: 1)
        engine.willPrime = gate.hook
        engine.start()
        defer {
            gate.open.signal()
            engine.shutdown(grace: 0)
        }
        let running = Collector(choices: 1)
        _ = try engine.submit(GenerationRequest(prompt: [], maxTokens: 2_000, seed: 1), events: running.handler)
        let waiting = Collector(choices: 1)
        _ = try engine.submit(held, events: waiting.handler)
        #expect(gate.entered.wait(timeout: .now() + 30) == .success)
        let next = Collector(choices: 1)
        _ = try engine.submit(later, events: next.handler)
        let short = try #require(next.results(timeout: 30), "a short request waited behind a long prompt")
        #expect(short.map(\.text) == expected[1])
        let results = try #require(
            running.results(timeout: 30), "the stream in flight stopped while a prompt was primed")
        #expect(results[0].reason == .length)
        #expect(waiting.wait(timeout: 0.1) == nil, "the held request cannot have started")
        gate.open.signal()
        #expect(try #require(waiting.results()).map(\.text) == expected[0])
    }

    /// Priming that can be called off: asked before each chunk after the first, it ends with `stateAfter`'s state
    /// when never cancelled, and gives up right after the chunk during which it was.
    @Test func primingGivesUpWithinAChunkOfACancel() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 4)
        let ids = Array(corpus.ids.prefix(700))  // chunks of 256, 256 and 188
        let whole = model.stateAfter(ids, chunk: 256)
        var asked = 0
        let kept = try #require(
            model.stateAfter(
                ids, chunk: 256,
                unless: {
                    asked += 1
                    return false
                }))
        #expect(asked == 2)
        for k in 0..<model.config.layers {
            #expect(kept.hidden(layer: k) == whole.hidden(layer: k) && kept.cell(layer: k) == whole.cell(layer: k))
        }
        asked = 0
        let dropped = model.stateAfter(
            ids, chunk: 256,
            unless: {
                asked += 1
                return true
            })
        #expect(dropped == nil && asked == 1)
    }

    /// Priming runs the layers without the decoder: the state it leaves has the bits of the whole forward pass's,
    /// whether the first layer reads embedded rows (fewer positions than the vocabulary) or the vocabulary's
    /// projected table (more), in one chunk or several.
    @Test func primingWithoutTheDecoderLeavesTheForwardPassState() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 5)
        for count in [5, corpus.vocabulary.count + 3, 300] {
            let ids = Array(corpus.ids.prefix(count))
            let primed = model.stateAfter(ids, chunk: 256)
            let whole = RecurrentState<Float>(config: model.config, batch: 1)
            for start in stride(from: 0, to: ids.count, by: 256) {
                let chunk = ids[start..<min(start + 256, ids.count)].map { Int32($0) }
                model.logits(inputs: chunk, steps: chunk.count, batch: 1, state: whole) { _ in }
            }
            for k in 0..<model.config.layers {
                #expect(primed.hidden(layer: k) == whole.hidden(layer: k), "\(count) tokens, layer \(k)")
                #expect(primed.cell(layer: k) == whole.cell(layer: k), "\(count) tokens, layer \(k)")
            }
        }
    }

    @Test func pastTheQueuesBoundRequestsAreRefused() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 3)
        // Not started: nothing runs, so what is submitted stays.
        let engine = try GenerationEngine(
            model: model, vocabulary: corpus.vocabulary, limits: EngineLimits(streams: 2, queue: 1))
        let request = GenerationRequest(prompt: [], maxTokens: 5, seed: 1, choices: 2)
        _ = try engine.submit(request) { _ in }  // runs at once
        _ = try engine.submit(request) { _ in }  // queued
        #expect(throws: EngineError.queueFull) { try engine.submit(request) { _ in } }
        var wrong = request
        wrong.choices = 3
        #expect(throws: EngineError.invalid(SettingError(.choices, .integer(3), .between(1, 2)))) {
            try engine.submit(wrong) { _ in }
        }
        wrong = request
        wrong.prompt = [corpus.vocabulary.count]
        #expect(throws: (any Error).self) { try engine.submit(wrong) { _ in } }
    }

    /// Shutdown: new requests are refused; what is in flight past the grace is cancelled; the thread ends; a second
    /// shutdown returns at once.
    @Test func shutdownCancelsWhatOutlastsTheGrace() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 3)
        let engine = try GenerationEngine(model: model, vocabulary: corpus.vocabulary)
        engine.start()
        let endless = Collector(choices: 1)
        _ = try engine.submit(GenerationRequest(prompt: [], maxTokens: 10_000_000, seed: 1), events: endless.handler)
        let started = Date()
        engine.shutdown(grace: 0.2)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(endless.wait(timeout: 1)?.last == .cancelled)
        #expect(throws: EngineError.shuttingDown) {
            try engine.submit(GenerationRequest(prompt: [], maxTokens: 1, seed: 1)) { _ in }
        }
        let again = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            engine.shutdown(grace: 0)
            again.signal()
        }
        #expect(again.wait(timeout: .now() + 5) == .success, "a second shutdown returns at once")
    }

    /// With logprobs, each generated token comes with its log-probability: what the model's forward pass gives
    /// that token after the prompt and the tokens before it (to float32 rounding), up to the token that completes
    /// a stop text.
    @Test func generatedTokensComeWithTheirLogProbabilities() throws {
        let corpus = try smallCorpus()
        let vocabulary = corpus.vocabulary
        let model = smallModel(vocabularySize: vocabulary.count, seed: 8)
        let engine = try GenerationEngine(model: model, vocabulary: vocabulary)
        engine.start()
        defer { engine.shutdown(grace: 0) }
        let prompt = try vocabulary.encode("the cat").ids
        let collector = Collector(choices: 2)
        _ = try engine.submit(
            GenerationRequest(
                prompt: prompt, maxTokens: 40, seed: 5, choices: 2, stop: ["t"], logprobs: true, topLogprobs: 3),
            events: collector.handler)
        let events = try #require(collector.wait())
        for choice in 0..<2 {
            var ids: [Int] = []
            var logprobs: [Double] = []
            var text = ""
            for event in events {
                if case .token(choice, let id, let lp, let top) = event {
                    ids.append(id)
                    logprobs.append(lp)
                    // the three most likely, most likely first; the token itself has its own value among them
                    #expect(top.count == 3)
                    #expect(zip(top, top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
                    #expect(top.allSatisfy { $0.id != id || $0.logprob == lp })
                    #expect(top.contains { $0.id == id } || lp <= top[2].logprob)
                }
                if case .text(choice, let t) = event { text += t }
            }
            #expect(!ids.isEmpty)
            #expect(vocabulary.decode(ids).hasPrefix(text), "the tokens spell the text, and the stop text after it")
            var nats: [Double] = []
            try model.score(TokenIDs(prompt + ids)) { _, n in nats.append(n) }
            let expected = nats.suffix(ids.count).map { -$0 }
            #expect(zip(logprobs, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(logprobs) \(expected)")
        }
    }

    /// Scoring on the engine's prefill thread gives `score`'s surprisals.
    @Test func scoringEqualsTheModelsScore() throws {
        let corpus = try smallCorpus()
        let model = smallModel(vocabularySize: corpus.vocabulary.count, seed: 3)
        let engine = try GenerationEngine(model: model, vocabulary: corpus.vocabulary)
        engine.start()
        defer { engine.shutdown(grace: 0) }
        let ids = Array(corpus.ids.prefix(300))
        let result = Mutex<[TokenPrediction]?>(nil)
        let done = DispatchSemaphore(value: 0)
        try engine.score(ids, top: 2) { predictions in
            result.withLock { $0 = predictions }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        var expected: [Double] = []
        try model.score(TokenIDs(ids)) { _, n in expected.append(n) }
        let predictions = try #require(result.withLock { $0 })
        #expect(predictions.map { -$0.logprob } == expected)
        #expect(predictions.allSatisfy { $0.top.count == 2 && $0.top[0].logprob >= $0.top[1].logprob })
        #expect(
            predictions.allSatisfy { p in p.top.contains { $0.logprob == p.logprob } || p.logprob <= p.top[1].logprob })
    }
}
