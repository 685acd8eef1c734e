// TextGenerator: runs a trained model one token at a time for B streams at once, primed with text.
//
// Per token it advances a StepModel and picks each stream's next token with the Sampler: nothing is allocated per
// token. A prime of up to `steppedPrimeTokens` tokens runs through that same step, a token at a time (in the
// generation's precision); a longer one in float32, in chunks through the model's batched forward pass
// (`stateAfter`), which reads the weights once per chunk rather than once per token. The two sum in different
// orders, so the states they leave differ in the last bits: every generator primes by this one rule, which is
// how `charrnn serve` gives a request `charrnn sample`'s text (its engine primes a short prompt in the rows the
// request will generate in, batched with the streams in flight, rather than alone).

/// Generates token ids from a model for `streams` parallel samples.
public final class TextGenerator {
    public let model: CharRNNModel<Float>
    public let vocabulary: Vocabulary
    public let streams: Int
    private let stepper: StepModel
    /// Every stream's state (tests read it).
    var state: RecurrentState<Float> { stepper.state }
    private var sampler: Sampler
    private var rng: SplitMix64
    private var current: [Int32]

    /// The model's weights must not change while the generator is in use (see `StepModel`).
    ///
    /// - Parameters:
    ///   - model: the model to generate from.
    ///   - vocabulary: its vocabulary (for the default start token).
    ///   - streams: samples generated together (B).
    ///   - sampling: temperature, greedy, top-k and top-p.
    ///   - seed: seeds the coins; the same seed, checkpoint and settings give the same tokens.
    ///   - precision: the weights generation multiplies by (see `WeightPrecision`).
    /// - Throws: `StepModelError` when float16 cannot hold the weights.
    public init(
        model: CharRNNModel<Float>, vocabulary: Vocabulary, streams: Int, sampling: SamplingConfig, seed: UInt64,
        precision: WeightPrecision = .float32
    ) throws {
        precondition(streams >= 1, "need at least one stream")
        self.model = model
        self.vocabulary = vocabulary
        self.streams = streams
        stepper = try StepModel(model: model, streams: streams, precision: precision)
        sampler = Sampler(config: sampling, vocabularySize: model.config.vocabularySize)
        rng = SplitMix64(seed: seed)
        current = [Int32](repeating: 0, count: streams)
    }

    /// The token generation starts after when there is no prime (`Vocabulary.generationStart`).
    public var defaultStart: Int { vocabulary.generationStart }

    /// Primes of at most this many tokens (the generation start counting as one when there is no prime) run
    /// through the generation step; longer ones through the forward pass (see the top of this file).
    public static let steppedPrimeTokens = 64

    /// Whether a prime of `count` tokens runs through the generation step, a token at a time.
    public static func primesInSteps(count: Int) -> Bool { count <= steppedPrimeTokens }

    /// Runs `ids` through the model from a zero state (the same for every stream); the last id becomes the input
    /// of the first generated step. Empty `ids` means `[defaultStart]`.
    public func prime(_ ids: [Int]) {
        let ids = ids.isEmpty ? [defaultStart] : ids
        if Self.primesInSteps(count: ids.count) {
            // One row primed, then copied: a stream's row gets the same bits whatever the step's batch.
            state.zeroRow(0)
            var token: [Int32] = [0]
            for id in ids.dropLast() {
                token[0] = Int32(id)
                _ = token.withUnsafeBufferPointer { stepper.step($0, decode: false) }
            }
            for b in 1..<streams { state.copyRow(0, of: state, to: b) }
        } else {
            let primed = model.stateAfter(ids.dropLast())
            for b in 0..<streams { state.copyRow(0, of: primed, to: b) }
        }
        for b in 0..<streams { current[b] = Int32(ids[ids.count - 1]) }
    }

    /// Generates the next token of every stream into `tokens` (B ids, never `<unk>`).
    public func next(into tokens: inout [Int]) {
        if tokens.count != streams { tokens = [Int](repeating: 0, count: streams) }
        let v = model.config.vocabularySize
        let logits = current.withUnsafeBufferPointer { stepper.step($0) }
        for b in 0..<streams {
            let id = sampler.pick(
                UnsafeBufferPointer(rebasing: logits[(b * v)..<((b + 1) * v)]), coin: rng.nextUnitDouble())
            tokens[b] = id
            current[b] = Int32(id)
        }
    }

    /// Generates up to `count` tokens per stream and hands each stream's text to `body` as it comes, piece by
    /// piece, always valid UTF-8 (a character split over byte tokens arrives whole). Call `prime` first.
    ///
    /// A stream that produces one of the `stop` texts finishes there: its text ends with the stop text when
    /// `includeStop` is true (as `charrnn sample --stop` prints it) and just before it otherwise (as OpenAI's API
    /// returns it); text that might begin a stop text is held back until it is known not to. Generation ends when
    /// every stream has finished or after `count` tokens.
    ///
    /// - Parameters:
    ///   - count: tokens to generate per stream at most.
    ///   - stop: texts that end a stream (empty texts are ignored).
    ///   - includeStop: whether a stream's text includes the stop text that ended it.
    ///   - body: gets a stream's index and its new text; returns false to end generation at once.
    /// - Returns: why each stream finished (meaningless for streams still running when `body` returned false).
    @discardableResult
    public func generate(
        tokens count: Int, stop: [String] = [], includeStop: Bool = true,
        _ body: (_ stream: Int, _ text: String) -> Bool
    ) -> [FinishReason] {
        var texts = [StreamText](repeating: StreamText(stop: stop, includeStop: includeStop), count: streams)
        var reasons = [FinishReason?](repeating: nil, count: streams)
        var tokens: [Int] = []
        for _ in 0..<count where reasons.contains(nil) {
            next(into: &tokens)
            for b in 0..<streams where reasons[b] == nil {
                let (text, stopped) = texts[b].push(vocabulary.tokens[tokens[b]])  // never <unk>
                if stopped { reasons[b] = .stop }
                if !text.isEmpty && !body(b, text) { return reasons.map { $0 ?? .length } }
            }
        }
        for b in 0..<streams where reasons[b] == nil {
            let (text, stopped) = texts[b].finish()
            reasons[b] = stopped ? .stop : .length
            if !text.isEmpty && !body(b, text) { return reasons.map { $0 ?? .length } }
        }
        return reasons.map { $0 ?? .length }
    }

    /// Generates every stream's sample, up to `count` tokens each, and writes them in reading order: each sample
    /// begins with `echo` (the prime's text, or nothing); sample 0 is written as it is generated, and each later
    /// one whole once generation ends, after `separator`. `stop` ends a sample as in `generate` (the stop text
    /// included). What `charrnn sample` prints, apart from its final line feed.
    ///
    /// - Parameters:
    ///   - count: tokens per sample at most.
    ///   - echo: text each sample begins with.
    ///   - separator: written before every sample but the first.
    ///   - stop: texts that end a sample.
    ///   - write: receives the output in order, always valid UTF-8.
    public func writeSamples(
        tokens count: Int, echo: String, separator: String, stop: [String] = [], _ write: (String) -> Void
    ) {
        write(echo)
        var later = [String](repeating: echo, count: streams)
        generate(tokens: count, stop: stop) { stream, text in
            if stream == 0 { write(text) } else { later[stream] += text }
            return true
        }
        for b in later.indices.dropFirst() {
            write(separator)
            write(later[b])
        }
    }
}

/// Why a stream of generated text ended.
public enum FinishReason: String, Sendable, Codable {
    /// It reached the number of tokens asked for.
    case length
    /// It produced a stop text.
    case stop
}

/// One stream's generated text on its way out: token bytes made whole UTF-8 characters (`UTF8Stream`), then
/// passed through a `StopScanner`.
struct StreamText {
    private var utf8 = UTF8Stream()
    private var scanner: StopScanner
    private var bytes: [UInt8] = []

    init(stop: [String], includeStop: Bool) { scanner = StopScanner(stop: stop, includeStop: includeStop) }

    /// Adds a token's bytes; returns the text that is now certain (maybe empty) and whether a stop text ended the
    /// stream (then nothing more is to be pushed).
    mutating func push<C: Collection<UInt8>>(_ token: C) -> (text: String, stopped: Bool) {
        utf8.push(token, into: &bytes)
        return pass()
    }

    /// The stream ends without more tokens: everything held back, and whether it completed a stop text.
    mutating func finish() -> (text: String, stopped: Bool) {
        utf8.finish(into: &bytes)
        var out = pass()
        if !out.stopped { out.text += String(decoding: scanner.finish(), as: UTF8.self) }
        return out
    }

    private mutating func pass() -> (text: String, stopped: Bool) {
        let out = scanner.push(bytes)
        bytes.removeAll(keepingCapacity: true)
        return (String(decoding: out.text, as: UTF8.self), out.stopped)
    }
}

/// Finds stop texts in a stream of UTF-8 as it arrives, holding back what might begin one.
///
/// Text is passed on as soon as it cannot be the start of a stop text; a suffix that is a proper prefix of one is
/// held until the next bytes decide. Cuts fall on character boundaries whenever the input is whole characters and
/// the stop texts are valid UTF-8 (a stop text begins with a lead byte, which only a character's first byte
/// matches).
struct StopScanner {
    let stops: [[UInt8]]
    let includeStop: Bool
    /// Bytes not passed on yet: they may be the start of a stop text.
    private var held: [UInt8] = []

    init(stop: [String], includeStop: Bool) {
        stops = stop.map { Array($0.utf8) }.filter { !$0.isEmpty }
        self.includeStop = includeStop
    }

    /// Adds `bytes`; returns what can be passed on now, and whether a stop text ended the stream (then `text` ends
    /// with it, or before it without `includeStop`, and nothing after it is passed on).
    mutating func push(_ bytes: [UInt8]) -> (text: [UInt8], stopped: Bool) {
        if stops.isEmpty { return (bytes, false) }
        let buffer = held + bytes
        // The earliest stop text in the buffer (the longest where two start at the same byte).
        var found: (start: Int, length: Int)? = nil
        for stop in stops {
            guard let start = firstOccurrence(of: stop, in: buffer) else { continue }
            if found == nil || start < found!.start || start == found!.start && stop.count > found!.length {
                found = (start, stop.count)
            }
        }
        if let found {
            held = []
            return (Array(buffer[..<(found.start + (includeStop ? found.length : 0))]), true)
        }
        var keep = 0
        for stop in stops {
            for k in stride(from: min(stop.count - 1, buffer.count), to: keep, by: -1)
            where buffer.suffix(k).elementsEqual(stop.prefix(k)) {
                keep = k
                break
            }
        }
        held = Array(buffer.suffix(keep))
        return (Array(buffer.dropLast(keep)), false)
    }

    /// Passes on what is held: the stream ended without completing a stop text.
    mutating func finish() -> [UInt8] {
        defer { held = [] }
        return held
    }

    private func firstOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}
