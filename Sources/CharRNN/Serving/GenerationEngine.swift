// GenerationEngine: one model serving many requests at once by continuous batching.
//
// Requests in flight share one StepModel: each choice of each request is a row of the batch, and every step
// advances all rows with one read of the weights. Requests join between steps (their rows appended) and leave
// between steps (their rows removed, the rows after them moved up), so a short request never waits for a long one
// to end. StepModel gives a row the same bits whatever the batch holds, and each request draws its coins from its
// own generator, seeded by the request, in the order `charrnn sample` draws them: a request's text depends on its
// prompt, settings and seed only.
//
// Priming follows `charrnn sample`'s rule (`TextGenerator.primesInSteps`). A short prompt (up to 64 tokens) joins
// at once with zero states and its rows read it a token a step, batched with the streams in flight: the weights
// are read once a step for everyone, where priming it alone through the forward pass cost a packing of every
// matrix (about a millisecond between two steps, which 32 clients paid some 200 times a second). The states after
// the last few such prompts are kept, so one sent again starts generating at once (`PromptStateCache`). A longer
// prompt is primed in float32 through the batched forward pass (`stateAfter`) on a second thread, the prefill
// thread, while it waits, so a prompt of thousands of tokens delays its own first token only, never the streams
// in flight; scoring runs there too. The prefill thread works in submission order, single-threaded, with a model
// of its own that reads `model`'s weights (so it never takes the worker pool from a step; threads change no
// result).
//
// Threads: the engine steps on a thread of its own (steps are seconds of CPU, not something to run on a Swift
// concurrency executor). `submit`, `score`, `GenerationTicket.cancel`, `load` and `shutdown` may be called from any
// thread; events arrive on the engine's thread (scores on the prefill thread) and must not block it (hand them to
// a queue or a stream).

import Foundation

/// Generates text for many requests at once from one model.
public final class GenerationEngine: @unchecked Sendable {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let limits: EngineLimits
    /// Called on the engine's thread after every step with its wall time in seconds and the tokens it generated
    /// (one per choice still running: rows reading their prompt, or whose choice a stop text ended, generate
    /// none), for metrics; must be quick.
    public var onStep: (@Sendable (_ seconds: Double, _ generated: Int) -> Void)?
    private let stepper: StepModel
    /// The prefill thread's model: `model`'s weights, one thread, so priming never takes the worker pool from a
    /// step (a step's loops would then run serially; the results do not depend on threads).
    private let prefillModel: CharRNNModel<Float>
    /// Short prompts whose states the engine keeps (`PromptStateCache`), so one sent again joins without priming.
    public static let cachedPrompts = 32
    /// The states after recent short prompts: the engine thread's alone.
    private var promptStates = PromptStateCache(
        capacity: GenerationEngine.cachedPrompts, maxTokens: TextGenerator.steppedPrimeTokens)
    /// `promptStates`' hits and misses, for other threads (under `lock`).
    private var promptCacheCounts = (hits: 0, misses: 0)
    /// Called on the prefill thread before it primes a request's prompt, like `onStep` an observer set before
    /// `start` (a tracer timing the priming; a test holds the thread here to see the other requests go on). The
    /// request is primed when it returns. Nil by default.
    public var willPrime: (@Sendable () -> Void)?
    /// Guards `waiting`, `accepting`, `stopping`, `activeStreams`, `promptCacheCounts` and the jobs' `cancelled`
    /// and `primed`.
    /// `active` is the engine thread's alone: other threads never read it.
    private let lock = NSCondition()
    private var waiting: [GenerationJob] = []
    private var accepting = true
    private var stopping = false
    private var activeStreams = 0
    /// Guards `prefillWork` and `prefillStopping`; taken inside `lock` (never the other way round).
    private let prefillLock = NSCondition()
    /// Work for the prefill thread (priming and scoring), in order.
    private var prefillWork: [() -> Void] = []
    /// Set when the engine's thread has ended: the prefill thread finishes its work and ends.
    private var prefillStopping = false
    private let prefillFinished = DispatchSemaphore(value: 0)
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
        prefillModel = CharRNNModel(sharingWeightsOf: model, threads: 1)
    }

    /// Starts the engine's threads.
    public func start() {
        precondition(thread == nil, "the engine is already started")
        let thread = Thread { [self] in run() }
        thread.name = "charrnn-engine"
        thread.stackSize = 8 << 20
        self.thread = thread
        let prefill = Thread { [self] in prefillLoop() }
        prefill.name = "charrnn-prefill"
        prefill.stackSize = 8 << 20
        prefill.start()
        thread.start()
    }

    /// Streams in the batch (generating, or reading their prompt) and requests waiting for streams.
    public var load: (streams: Int, queued: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (activeStreams, waiting.count)
    }

    /// Prompts of 2 to 64 tokens primed in the batch (`misses`) and those whose state was kept from an earlier
    /// request (`hits`); shorter ones start from the zero state and count as neither.
    public var promptCache: (hits: Int, misses: Int) {
        lock.lock()
        defer { lock.unlock() }
        return promptCacheCounts
    }

    /// Queues `request`; `events` then receives its text and its end, in order, on the engine's thread.
    ///
    /// - Throws: `EngineError.invalid` for a request the engine cannot run (too many choices, negative
    ///   `maxTokens`, bad sampling settings), `.outsideVocabulary` for a token outside the vocabulary,
    ///   `.queueFull` when `limits.queue` requests are waiting, `.shuttingDown` after `shutdown`.
    public func submit(
        _ request: GenerationRequest, events: @escaping @Sendable (GenerationEvent) -> Void
    ) throws(EngineError) -> GenerationTicket {
        if let problem = problem(with: request) { throw problem }
        let job = GenerationJob(
            request: request, events: events, vocabularySize: model.config.vocabularySize,
            primedAhead: request.maxTokens > 0 && !TextGenerator.primesInSteps(count: request.prompt.count))
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
        if job.primedAhead {
            enqueuePrefill { [self] in prime(job) }
        } else {
            lock.signal()
        }
        return GenerationTicket { [weak self, weak job] in
            guard let self, let job else { return }
            self.lock.lock()
            job.cancelled = true
            self.lock.signal()
            self.lock.unlock()
        }
    }

    /// Scores `ids` as one stream from a zero state on the prefill thread, in turn with priming: `completion` gets
    /// every predicted token's (positions 1 … count − 1) log-probability, minus the surprisal `charrnn eval
    /// --per-token` computes (float32, the training forward pass), and the `top` most likely tokens at its
    /// position.
    ///
    /// - Throws: `EngineError.outsideVocabulary` for a token outside the vocabulary, `.invalid` for a negative
    ///   `top`, `.shuttingDown` after `shutdown`.
    public func score(
        _ ids: [Int], top: Int = 0, completion: @escaping @Sendable ([TokenPrediction]) -> Void
    ) throws(EngineError) {
        if let problem = outsideVocabulary(ids) { throw problem }
        if let e = SettingError.check(.topLogprobs, top, .atLeast(0)) { throw .invalid(e) }
        lock.lock()
        defer { lock.unlock() }
        guard accepting else { throw .shuttingDown }
        enqueuePrefill { [prefillModel] in completion(prefillModel.predictions(ids, top: top)) }
    }

    /// Hands `work` to the prefill thread, after what it has already.
    private func enqueuePrefill(_ work: @escaping () -> Void) {
        prefillLock.lock()
        prefillWork.append(work)
        prefillLock.signal()
        prefillLock.unlock()
    }

    /// The prefill thread: runs its work in order until the engine's thread has ended and nothing is left.
    private func prefillLoop() {
        while true {
            prefillLock.lock()
            while prefillWork.isEmpty && !prefillStopping { prefillLock.wait() }
            if prefillWork.isEmpty {
                prefillLock.unlock()
                break
            }
            let work = prefillWork.removeFirst()
            prefillLock.unlock()
            work()
        }
        prefillFinished.signal()
    }

    /// On the prefill thread: runs `job`'s prompt, all but its last token, from a zero state (the last is the
    /// first step's input) and marks it ready to join. A job cancelled before or while it is primed is dropped
    /// (within a chunk of 256 tokens; the engine's thread removes it from the queue).
    private func prime(_ job: GenerationJob) {
        let cancelled = { [lock] in
            lock.lock()
            defer { lock.unlock() }
            return job.cancelled
        }
        if cancelled() { return }
        willPrime?()
        guard let primed = prefillModel.stateAfter(promptIDs(job).dropLast(), unless: cancelled) else { return }
        lock.lock()
        job.primed = primed
        lock.signal()
        lock.unlock()
    }

    /// Why the engine cannot run `request`, or nil.
    func problem(with request: GenerationRequest) -> EngineError? {
        let checks: [SettingError?] = [
            SettingError.check(.choices, request.choices, .between(1, limits.streams)),
            SettingError.check(.maxTokens, request.maxTokens, .atLeast(0)),
            SettingError.check(.topLogprobs, request.topLogprobs, .atLeast(0)),
        ]
        if let problem = checks.lazy.compactMap({ $0 }).first ?? request.sampling.problem { return .invalid(problem) }
        return outsideVocabulary(request.prompt)
    }

    /// The error for a prompt with a token id outside the vocabulary, or nil.
    private func outsideVocabulary(_ ids: [Int]) -> EngineError? {
        guard let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary.count }) else { return nil }
        return .outsideVocabulary(id: bad, vocabularySize: vocabulary.count)
    }

    /// Stops taking requests; what is in flight (and waiting) goes on for up to `grace` seconds, then is
    /// cancelled; scoring already asked for is finished. Returns when the engine's threads have ended. Calling it
    /// again returns at once.
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
            // Work: rows to step, a job ready to join, a cancelled job, or the end.
            while active.isEmpty && !waiting.contains(where: { $0.ready || $0.cancelled }) && !stopping {
                lock.wait()
            }
            if stopping { (active + waiting).forEach { $0.cancelled = true } }
            // Cancelled jobs leave first, then ready jobs join in order while their rows fit; one still being
            // primed lets those behind it go first (it takes the next free rows once ready).
            let cancelled = active.filter(\.cancelled) + waiting.filter(\.cancelled)
            waiting.removeAll(where: \.cancelled)
            var rows = active.reduce(0) { $0 + ($1.cancelled ? 0 : $1.request.choices) }
            var admitted: [GenerationJob] = []
            var index = 0
            while index < waiting.count {
                let next = waiting[index]
                if !next.ready {
                    index += 1
                    continue
                }
                if rows + next.request.choices > limits.streams { break }
                admitted.append(waiting.remove(at: index))
                rows += next.request.choices
            }
            activeStreams = rows
            let done = stopping && active.allSatisfy(\.cancelled) && waiting.isEmpty && admitted.isEmpty
            lock.unlock()
            retire(where: { job in cancelled.contains { $0 === job } })
            for job in cancelled { job.events(.cancelled) }
            if done { break }
            for job in admitted { admit(job) }
            if active.isEmpty { continue }
            let started = DispatchTime.now().uptimeNanoseconds
            tokens.removeAll(keepingCapacity: true)
            for job in active { tokens += job.current }
            // A step in which every row reads a prompt needs no logits (for a large vocabulary, half its work).
            let decode = active.contains { !$0.isPriming }
            let logits = tokens.withUnsafeBufferPointer { stepper.step($0, decode: decode) }
            var generated = 0
            for job in active {
                if !job.isPriming { generated += job.runningChoices }
                if job.advance(logits: logits, vocabulary: vocabulary) { keepPrimedState(of: job) }
            }
            onStep?(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, generated)
            retire(where: \.isDone)
            lock.lock()
            activeStreams = active.reduce(0) { $0 + $1.request.choices }
            lock.unlock()
        }
        prefillLock.lock()
        prefillStopping = true
        prefillLock.signal()
        prefillLock.unlock()
        prefillFinished.wait()
        finished.signal()
    }

    /// Appends the rows of `job` to the batch: from the state its prompt left (primed on the prefill thread, or
    /// kept from a request with the same prompt), or from zero states to read a short prompt a token a step. A job
    /// with nothing to generate finishes at once.
    private func admit(_ job: GenerationJob) {
        if job.request.maxTokens == 0 {
            job.finishAtLength()
            return
        }
        let ids = promptIDs(job)
        lock.lock()
        let fromPrefill = job.primed
        job.primed = nil
        lock.unlock()
        var primed = fromPrefill
        if primed == nil && ids.count > 1 {  // a one-token prompt leaves the zero state: nothing to keep
            primed = promptStates.state(after: ids.dropLast())
            lock.lock()
            promptCacheCounts = (promptStates.hits, promptStates.misses)
            lock.unlock()
        }
        job.row = active.last.map { $0.row + $0.request.choices } ?? 0
        let rows = job.row..<(job.row + job.request.choices)
        if let primed {
            for row in rows { stepper.state.copyRow(0, of: primed, to: row) }
            job.beginGenerating(after: ids)
        } else {
            for row in rows { stepper.state.zeroRow(row) }
            job.beginPriming(ids)
        }
        active.append(job)
    }

    /// Keeps the state `job`'s rows hold now, just primed in the batch, for a later request with its prompt.
    private func keepPrimedState(of job: GenerationJob) {
        guard promptStates.capacity > 0 else { return }
        let state = RecurrentState<Float>(config: model.config, batch: 1)
        state.copyRow(job.row, of: stepper.state, to: 0)
        promptStates.keep(state, after: promptIDs(job).dropLast())
    }

    /// The ids `job` is primed with: its prompt, or the token generation starts after when it has none.
    private func promptIDs(_ job: GenerationJob) -> [Int] {
        job.request.prompt.isEmpty ? [vocabulary.generationStart] : job.request.prompt
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
