// GenerationJob: one request inside a GenerationEngine: its prompt (primed ahead, or read by its rows a token a
// step), its rows in the batch, its coins, and each choice's text so far. The engine's threads hand it over under
// the engine's lock.

/// A request inside the engine: its rows, its coins, and where each choice is.
final class GenerationJob: @unchecked Sendable {
    let request: GenerationRequest
    let events: @Sendable (GenerationEvent) -> Void
    /// Set by its ticket or by shutdown; read and written under the engine's lock.
    var cancelled = false
    /// Whether its prompt is primed on the prefill thread before it joins, rather than read by its rows in the
    /// batch after it joins.
    let primedAhead: Bool
    /// The state after its prompt (batch 1), from the prefill thread until it joins (under the engine's lock).
    var primed: RecurrentState<Float>?
    /// Whether it may join the batch (under the engine's lock).
    var ready: Bool { !primedAhead || primed != nil }
    /// Its first row in the batch; its choices take `request.choices` rows from there.
    var row = 0
    /// Each choice's input to the next step.
    var current: [Int32]
    /// Prompt tokens its rows still read, one a step, before the step whose logits give the first token (a
    /// short prompt is primed in the batch: `beginPriming`).
    private var promptLeft: ArraySlice<Int> = []
    private var sampler: Sampler
    private var rng: SplitMix64
    private var texts: [StreamText]
    private var reasons: [FinishReason?]
    private var steps = 0

    init(
        request: GenerationRequest, events: @escaping @Sendable (GenerationEvent) -> Void, vocabularySize: Int,
        primedAhead: Bool
    ) {
        self.request = request
        self.events = events
        self.primedAhead = primedAhead
        current = [Int32](repeating: 0, count: request.choices)
        sampler = Sampler(config: request.sampling, vocabularySize: vocabularySize)
        rng = SplitMix64(seed: request.seed)
        texts = [StreamText](
            repeating: StreamText(stop: request.stop, includeStop: false), count: request.choices)
        reasons = [FinishReason?](repeating: nil, count: request.choices)
    }

    /// Every choice has finished.
    var isDone: Bool { !reasons.contains(nil) }

    /// Choices not yet finished: the tokens its next sampling step generates.
    var runningChoices: Int { reasons.reduce(0) { $0 + ($1 == nil ? 1 : 0) } }

    /// Its rows (zero states) are to read `ids` (a prompt, or the generation start), one token a step, before
    /// generating: the steps leave in them the state `TextGenerator.prime` leaves.
    func beginPriming(_ ids: [Int]) {
        current = [Int32](repeating: Int32(ids[0]), count: request.choices)
        promptLeft = ids.dropFirst()
    }

    /// Whether its rows are still reading its prompt: the next step's logits are not sampled.
    var isPriming: Bool { !promptLeft.isEmpty }

    /// Starts from a primed state: its rows hold the state after all but the last of `ids`.
    func beginGenerating(after ids: [Int]) {
        current = [Int32](repeating: Int32(ids[ids.count - 1]), count: request.choices)
        promptLeft = []
    }

    /// After a step: while priming, feeds the next prompt token and returns true when its rows now hold the state
    /// after all but the last (which is their next input, the first generating step's). Otherwise picks each
    /// choice's next token from its row of `logits` (B′, V), reports new text and ends, and finishes the choices
    /// still running once `maxTokens` steps are done. Coins are drawn for every choice, finished or not, as
    /// `TextGenerator` draws them; none while priming.
    @discardableResult
    func advance(logits: UnsafeBufferPointer<Float>, vocabulary: Vocabulary) -> Bool {
        if let next = promptLeft.popFirst() {
            for i in 0..<request.choices { current[i] = Int32(next) }
            return promptLeft.isEmpty
        }
        let v = vocabulary.count
        steps += 1
        for i in 0..<request.choices {
            let start = (row + i) * v
            let id = sampler.pick(
                UnsafeBufferPointer(rebasing: logits[start..<(start + v)]), coin: rng.nextUnitDouble())
            current[i] = Int32(id)
            guard reasons[i] == nil else { continue }
            if request.logprobs {
                let softmax = LogSoftmax(UnsafeBufferPointer(rebasing: logits[start..<(start + v)]))
                events(.token(choice: i, id: id, logprob: softmax(id), top: softmax.mostLikely(request.topLogprobs)))
            }
            let (text, stopped) = texts[i].push(vocabulary.tokens[id])
            if !text.isEmpty { events(.text(choice: i, text)) }
            if stopped {
                reasons[i] = .stop
                events(.finished(choice: i, reason: .stop, tokens: steps))
            }
        }
        if steps >= request.maxTokens { finishAtLength() }
        return false
    }

    /// Ends every choice still running: what its text held back, then `.length` (or `.stop` if that completes a
    /// stop text).
    func finishAtLength() {
        for i in 0..<request.choices where reasons[i] == nil {
            let (text, stopped) = texts[i].finish()
            if !text.isEmpty { events(.text(choice: i, text)) }
            reasons[i] = stopped ? .stop : .length
            events(.finished(choice: i, reason: reasons[i]!, tokens: steps))
        }
    }
}
