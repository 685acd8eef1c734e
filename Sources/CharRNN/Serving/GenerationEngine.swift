// GenerationEngine: one model serving many requests at once by continuous batching.
//
// Requests in flight share one StepModel: each choice of each request is a row of the batch, and every step
// advances all rows with one read of the weights. Requests join between steps (primed one at a time, then their
// rows appended) and leave between steps (their rows removed, the rows after them moved up), so a short request
// never waits for a long one to end. StepModel gives a row the same bits whatever the batch holds, and each
// request draws its coins from its own generator, seeded by the request, in the order `charrnn sample` draws
// them: a request's text depends on its prompt, settings and seed only.
//
// Threads: the engine runs on a thread of its own (steps are seconds of CPU, not something to run on a Swift
// concurrency executor). `submit`, `GenerationTicket.cancel`, `load` and `shutdown` may be called from any
// thread; events arrive on the engine's thread and must not block it (hand them to a queue or a stream).

import Foundation

/// Generates text for many requests at once from one model.
public final class GenerationEngine: @unchecked Sendable {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let limits: EngineLimits
    /// Called on the engine's thread after every step with its wall time in seconds and the rows it ran (for
    /// metrics); must be quick.
    public var onStep: (@Sendable (_ seconds: Double, _ streams: Int) -> Void)?
    private let stepper: StepModel
    /// Guards `waiting`, `chores`, `accepting`, `stopping`, `activeStreams` and the jobs' `cancelled`. `active` is
    /// the engine thread's alone: other threads never read it.
    private let lock = NSCondition()
    private var waiting: [GenerationJob] = []
    private var accepting = true
    private var stopping = false
    private var activeStreams = 0
    /// Work for the engine's thread between steps (scoring), in order.
    private var chores: [() -> Void] = []
    /// The jobs in the batch, in row order: read and written by the engine's thread only.
    private var active: [GenerationJob] = []
    /// Each step's input tokens, one per row (the engine thread's; kept to allocate nothing per step).
    private var tokens: [Int32] = []
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// An engine for `model` (whose weights must not change while it runs) that generates in `precision` with up
    /// to `limits.streams` rows per step; call `start()` before submitting.
    ///
    /// - Throws: `StepModelError` when float16 cannot hold the weights.
    public init(
        model: CharRNNModel<Float>, vocabulary: Vocabulary, precision: WeightPrecision = .float32,
        limits: EngineLimits = EngineLimits()
    ) throws {
        precondition(limits.streams >= 1 && limits.queue >= 0, "an engine needs at least one stream")
        self.model = model
        self.vocabulary = vocabulary
        self.limits = limits
        stepper = try StepModel(model: model, streams: limits.streams, precision: precision)
    }

    /// Starts the engine's thread.
    public func start() {
        precondition(thread == nil, "the engine is already started")
        let thread = Thread { [self] in run() }
        thread.name = "charrnn-engine"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Streams generating now and requests waiting for streams.
    public var load: (streams: Int, queued: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (activeStreams, waiting.count)
    }

    /// Queues `request`; `events` then receives its text and its end, in order, on the engine's thread.
    ///
    /// - Throws: `EngineError.invalid` for a request the engine cannot run (too many choices, a token outside
    ///   the vocabulary, negative `maxTokens`, bad sampling settings), `.queueFull` when `limits.queue` requests
    ///   are waiting, `.shuttingDown` after `shutdown`.
    public func submit(
        _ request: GenerationRequest, events: @escaping @Sendable (GenerationEvent) -> Void
    ) throws(EngineError) -> GenerationTicket {
        if let problem = problem(with: request) { throw problem }
        let job = GenerationJob(request: request, events: events, vocabularySize: model.config.vocabularySize)
        lock.lock()
        defer { lock.unlock() }
        guard accepting else { throw .shuttingDown }
        // A request that fits beside everything in flight and waiting runs at once; others queue, up to the bound.
        var (reserved, queued) = (activeStreams, 0)
        for job in waiting {
            if reserved + job.request.choices <= limits.streams && queued == 0 {
                reserved += job.request.choices
            } else {
                queued += 1
            }
        }
        let runsAtOnce = queued == 0 && reserved + request.choices <= limits.streams
        guard runsAtOnce || queued < limits.queue else { throw .queueFull }
        waiting.append(job)
        lock.signal()
        return GenerationTicket { [weak self, weak job] in
            guard let self, let job else { return }
            self.lock.lock()
            job.cancelled = true
            self.lock.signal()
            self.lock.unlock()
        }
    }

    /// Scores `ids` as one stream from a zero state on the engine's thread, between steps: `completion` gets
    /// every predicted token's (positions 1 … count − 1) log-probability, minus the surprisal `charrnn eval
    /// --per-token` computes (float32, the training forward pass), and the `top` most likely tokens at its
    /// position.
    ///
    /// - Throws: `EngineError.invalid` for a token outside the vocabulary or a negative `top`, `.shuttingDown`
    ///   after `shutdown`.
    public func score(
        _ ids: [Int], top: Int = 0, completion: @escaping @Sendable ([TokenPrediction]) -> Void
    ) throws(EngineError) {
        if let problem = outsideVocabulary(ids) { throw problem }
        if top < 0 { throw .invalid(field: "logprobs", "logprobs must be 0 or more, got \(top)") }
        lock.lock()
        defer { lock.unlock() }
        guard accepting else { throw .shuttingDown }
        chores.append { [model] in completion(model.predictions(ids, top: top)) }
        lock.signal()
    }

    /// Why the engine cannot run `request`, or nil.
    func problem(with request: GenerationRequest) -> EngineError? {
        if request.choices < 1 || request.choices > limits.streams {
            return .invalid(field: "n", "n must be 1 to \(limits.streams), got \(request.choices)")
        }
        if request.maxTokens < 0 {
            return .invalid(field: "max_tokens", "max_tokens must be 0 or more, got \(request.maxTokens)")
        }
        if request.topLogprobs < 0 {
            return .invalid(field: "logprobs", "logprobs must be 0 or more, got \(request.topLogprobs)")
        }
        if let why = request.sampling.problem {
            return .invalid(field: "sampling", why.replacingOccurrences(of: "--", with: ""))
        }
        return outsideVocabulary(request.prompt)
    }

    /// The error for a prompt with a token id outside the vocabulary, or nil.
    private func outsideVocabulary(_ ids: [Int]) -> EngineError? {
        guard let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary.count }) else { return nil }
        return .invalid(field: "prompt", "token id \(bad) is outside the vocabulary of \(vocabulary.count)")
    }

    /// Stops taking requests; what is in flight (and waiting) goes on for up to `grace` seconds, then is
    /// cancelled. Returns when the engine's thread has ended. Calling it again returns at once.
    public func shutdown(grace: Double) {
        lock.lock()
        accepting = false
        lock.unlock()
        let deadline = Date().addingTimeInterval(max(0, grace))
        while Date() < deadline {
            let (streams, queued) = load
            if streams == 0 && queued == 0 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        lock.lock()
        stopping = true  // the engine's thread cancels what is left (`active` is its own)
        lock.signal()
        lock.unlock()
        if thread != nil {
            finished.wait()
            finished.signal()  // a second shutdown returns at once
        }
    }

    /// The engine's thread: admit, step, report, retire, until `shutdown`.
    private func run() {
        while true {
            lock.lock()
            while active.isEmpty && waiting.isEmpty && chores.isEmpty && !stopping { lock.wait() }
            if stopping { (active + waiting).forEach { $0.cancelled = true } }
            let work = chores
            chores.removeAll()
            // Cancelled jobs leave first, then waiting jobs join in order while their rows fit.
            let cancelled = active.filter(\.cancelled) + waiting.filter(\.cancelled)
            waiting.removeAll(where: \.cancelled)
            var rows = active.reduce(0) { $0 + ($1.cancelled ? 0 : $1.request.choices) }
            var admitted: [GenerationJob] = []
            while let next = waiting.first, rows + next.request.choices <= limits.streams {
                admitted.append(waiting.removeFirst())
                rows += next.request.choices
            }
            activeStreams = rows
            let done = stopping && active.allSatisfy(\.cancelled) && waiting.isEmpty && admitted.isEmpty
            lock.unlock()
            retire(where: { job in cancelled.contains { $0 === job } })
            for job in cancelled { job.events(.cancelled) }
            work.forEach { $0() }
            if done { break }
            for job in admitted { admit(job) }
            if active.isEmpty { continue }
            let started = DispatchTime.now().uptimeNanoseconds
            tokens.removeAll(keepingCapacity: true)
            for job in active { tokens += job.current }
            let logits = tokens.withUnsafeBufferPointer { stepper.step($0) }
            for job in active {
                job.advance(logits: logits, vocabulary: vocabulary)
            }
            onStep?(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, tokens.count)
            retire(where: \.isDone)
            lock.lock()
            activeStreams = active.reduce(0) { $0 + $1.request.choices }
            lock.unlock()
        }
        finished.signal()
    }

    /// Primes `job` (its prompt from a zero state, in float32 chunks) and appends its rows to the batch; a job
    /// with nothing to generate finishes at once.
    private func admit(_ job: GenerationJob) {
        let ids = job.request.prompt.isEmpty ? [vocabulary.generationStart] : job.request.prompt
        if job.request.maxTokens == 0 {
            job.finishAtLength()
            return
        }
        let primed = model.stateAfter(ids.dropLast())
        job.row = active.last.map { $0.row + $0.request.choices } ?? 0
        for i in 0..<job.request.choices {
            stepper.state.copyRow(0, of: primed, to: job.row + i)
            job.current[i] = Int32(ids[ids.count - 1])
        }
        active.append(job)
    }

    /// Removes the jobs `leaving` picks from the batch, moving the rows of the others up to keep them contiguous.
    private func retire(where leaving: (GenerationJob) -> Bool) {
        guard active.contains(where: leaving) else { return }
        var row = 0
        var kept: [GenerationJob] = []
        for job in active where !leaving(job) {
            if job.row != row {
                for i in 0..<job.request.choices { stepper.state.copyRow(job.row + i, of: stepper.state, to: row + i) }
                job.row = row
            }
            row += job.request.choices
            kept.append(job)
        }
        active = kept
    }
}

/// A request inside the engine: its rows, its coins, and where each choice is.
final class GenerationJob: @unchecked Sendable {
    let request: GenerationRequest
    let events: @Sendable (GenerationEvent) -> Void
    /// Set by its ticket or by shutdown; read and written under the engine's lock.
    var cancelled = false
    /// Its first row in the batch; its choices take `request.choices` rows from there.
    var row = 0
    /// Each choice's input to the next step.
    var current: [Int32]
    private var sampler: Sampler
    private var rng: SplitMix64
    private var texts: [StreamText]
    private var reasons: [FinishReason?]
    private var steps = 0

    init(request: GenerationRequest, events: @escaping @Sendable (GenerationEvent) -> Void, vocabularySize: Int) {
        self.request = request
        self.events = events
        current = [Int32](repeating: 0, count: request.choices)
        sampler = Sampler(config: request.sampling, vocabularySize: vocabularySize)
        rng = SplitMix64(seed: request.seed)
        texts = [StreamText](
            repeating: StreamText(stop: request.stop, includeStop: false), count: request.choices)
        reasons = [FinishReason?](repeating: nil, count: request.choices)
    }

    /// Every choice has finished.
    var isDone: Bool { !reasons.contains(nil) }

    /// Picks each choice's next token from its row of `logits` (B′, V), reports new text and ends, and finishes
    /// the choices still running once `maxTokens` steps are done. Coins are drawn for every choice, finished or
    /// not, as `TextGenerator` draws them.
    func advance(logits: UnsafeBufferPointer<Float>, vocabulary: Vocabulary) {
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
