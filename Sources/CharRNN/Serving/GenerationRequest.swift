// What a client asks a GenerationEngine for, what it hears back, and the engine's limits.

/// One request: a prompt and how to continue it, `choices` times.
public struct GenerationRequest: Sendable {
    /// The prompt's token ids (each in the vocabulary; `<unk>` allowed). Empty: generation starts as after a line
    /// feed (`Vocabulary.generationStart`), as `charrnn sample` does without a prime.
    public var prompt: [Int]
    /// Tokens to generate per choice at most; 0 generates nothing.
    public var maxTokens: Int
    /// Temperature, top-k and top-p.
    public var sampling: SamplingConfig
    /// Seeds the coins: the same seed, prompt and settings give the same text as `charrnn sample --seed`, whatever
    /// else the engine is generating at the time.
    public var seed: UInt64
    /// Continuations generated together from the same prompt (`charrnn sample --num-samples`).
    public var choices: Int
    /// Texts that end a choice; its text stops just before the stop text, as OpenAI's API returns it.
    public var stop: [String]
    /// Report each generated token with its log-probability (`GenerationEvent.token`).
    public var logprobs: Bool
    /// With `logprobs`, also the most likely tokens at each step, this many (0: none).
    public var topLogprobs: Int

    public init(
        prompt: [Int], maxTokens: Int, sampling: SamplingConfig = SamplingConfig(), seed: UInt64, choices: Int = 1,
        stop: [String] = [], logprobs: Bool = false, topLogprobs: Int = 0
    ) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.seed = seed
        self.choices = choices
        self.stop = stop
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
    }
}

/// What the engine reports about a request, in order, on its own thread.
public enum GenerationEvent: Sendable, Equatable {
    /// A token a choice generated and its natural log-probability under the model (the distribution `charrnn
    /// eval` scores: before temperature, top-k and top-p), when the request asks for `logprobs`. It comes before
    /// the text it adds (which may be held back: part of a character, or of a possible stop text). The token
    /// that completes a stop text is the last. `top`: the `topLogprobs` most likely tokens at that step, most
    /// likely first, by the same distribution (the token itself among them or not).
    case token(choice: Int, id: Int, logprob: Double, top: [RankedToken])
    /// More text of a choice: valid UTF-8, never empty.
    case text(choice: Int, String)
    /// A choice ended: why, and how many tokens it generated.
    case finished(choice: Int, reason: FinishReason, tokens: Int)
    /// The request ended before all its choices finished: cancelled by its ticket or by `shutdown`. Nothing
    /// follows.
    case cancelled
}

/// How much an engine takes on at once.
public struct EngineLimits: Sendable, Equatable {
    /// Streams generated together at most: the rows of each batched step (a request takes one per choice).
    /// Default 32, where a batched step gives 4–5× the tokens per second of one stream (BENCHMARKS.md).
    public var streams: Int
    /// Requests waiting for streams at most; past it `submit` refuses with `EngineError.queueFull`. Default 64.
    public var queue: Int

    public init(streams: Int = 32, queue: Int = 64) {
        self.streams = streams
        self.queue = queue
    }
}

/// Why the engine refuses a request.
public enum EngineError: NamesSettings, Equatable, Sendable {
    /// `limits.queue` requests are already waiting.
    case queueFull
    /// The engine is shutting down.
    case shuttingDown
    /// A setting of the request outside its limits.
    case invalid(SettingError)
    /// A prompt token id outside the model's vocabulary of `vocabularySize`.
    case outsideVocabulary(id: Int, vocabularySize: Int)

    public func worded(_ name: (Setting) -> String) -> String {
        switch self {
        case .queueFull: return "too many requests are waiting; try again shortly"
        case .shuttingDown: return "the server is shutting down"
        case .invalid(let error): return error.worded(name)
        case .outsideVocabulary(let id, let count): return "token id \(id) is outside the vocabulary of \(count)"
        }
    }
}

/// A submitted request's handle: cancel it to free its streams at the next step.
public final class GenerationTicket: Sendable {
    private let cancelAction: @Sendable () -> Void

    init(cancel: @escaping @Sendable () -> Void) { cancelAction = cancel }

    /// Stops the request: its streams are freed before the next step and it reports `.cancelled` (unless it has
    /// already finished). Safe to call from any thread, more than once.
    public func cancel() { cancelAction() }
}
