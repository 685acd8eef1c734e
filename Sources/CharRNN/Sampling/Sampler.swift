// Choosing the next token from the model's logits: temperature, greedy (argmax), top-k and top-p (nucleus).
//
// The randomness comes in as a coin in [0, 1) (llm.c's sample_mult), so tests drive it exactly. `<unk>` is never
// chosen: it stands for "some token outside the vocabulary" and has no text of its own.
//
// With temperature τ the probabilities are softmax(z / τ); as τ → 0 this tends to argmax, which `greedy` gives
// directly (and any τ below 1e-4 is treated as greedy, where z / τ would overflow). top-k keeps the k most likely
// tokens; top-p keeps the smallest set of most likely tokens whose probability reaches p; the kept probabilities
// are renormalized.
import Foundation

/// How tokens are chosen.
public struct SamplingConfig: Sendable, Equatable {
    /// τ > 0. Default 0.8: a little more conservative than the model's own distribution, as char-rnn suggests.
    public var temperature: Double = 0.8
    /// Always take the most likely token.
    public var greedy = false
    /// Keep only the k most likely tokens (nil: all).
    public var topK: Int? = nil
    /// Keep the most likely tokens up to cumulative probability p, in (0, 1] (nil: all).
    public var topP: Double? = nil

    /// Sampling settings; `problem` says whether they are valid.
    public init(temperature: Double = 0.8, greedy: Bool = false, topK: Int? = nil, topP: Double? = nil) {
        self.temperature = temperature
        self.greedy = greedy
        self.topK = topK
        self.topP = topP
    }

    /// Why the settings cannot be used (the first setting outside its limits), or nil.
    public var problem: SettingError? {
        let checks: [SettingError?] = [
            SettingError.check(.temperature, temperature, .positive),
            topK.flatMap { SettingError.check(.topK, $0, .atLeast(1)) },
            topP.flatMap { SettingError.check(.topP, $0, .fraction(includingZero: false, includingOne: true)) },
        ]
        return checks.lazy.compactMap { $0 }.first
    }
}

/// Picks tokens from logits. Holds scratch space so picking allocates nothing.
public struct Sampler {
    public let config: SamplingConfig
    private var probabilities: [Double]
    private var order: [Int]

    /// A sampler for distributions over `vocabularySize` tokens; its work buffers are allocated once, here.
    public init(config: SamplingConfig, vocabularySize: Int) {
        precondition(config.problem == nil, config.problem?.description ?? "")
        precondition(vocabularySize >= 2, "sampling needs a vocabulary with at least one token besides <unk>")
        self.config = config
        probabilities = [Double](repeating: 0, count: vocabularySize)
        order = Array(0..<vocabularySize)
    }

    /// The probabilities the last `pick` sampled from (after temperature, top-k and top-p), by token id.
    public var lastProbabilities: [Double] { probabilities }

    /// Chooses a token id (never `Vocabulary.unknownID`) from `logits` (V values, in any collection: an array, a
    /// slice, a buffer) with `coin` in [0, 1).
    public mutating func pick<C: RandomAccessCollection>(_ logits: C, coin: Double) -> Int
    where C.Element: BinaryFloatingPoint, C.Index == Int {
        let v = probabilities.count
        precondition(logits.count == v, "expected \(v) logits, got \(logits.count)")
        let (first, base) = (Vocabulary.unknownID + 1, logits.startIndex)
        if config.greedy || config.temperature < 1e-4 {
            var best = first
            for k in first..<v where logits[base + k] > logits[base + best] { best = k }
            for k in 0..<v { probabilities[k] = k == best ? 1 : 0 }
            return best
        }
        // Softmax of z / τ over the real tokens, computed in Double from the largest logit down.
        var maximum = Double(logits[base + first])
        for k in first..<v { maximum = max(maximum, Double(logits[base + k])) }
        var sum = 0.0
        probabilities[Vocabulary.unknownID] = 0
        for k in first..<v {
            let p = Foundation.exp((Double(logits[base + k]) - maximum) / config.temperature)
            probabilities[k] = p
            sum += p
        }
        for k in first..<v { probabilities[k] /= sum }
        if config.topK != nil || config.topP != nil { truncate() }
        // Walk the cumulative distribution; the last token with probability > 0 absorbs rounding.
        var cumulative = 0.0
        var last = first
        for k in first..<v where probabilities[k] > 0 {
            cumulative += probabilities[k]
            last = k
            if coin < cumulative { return k }
        }
        return last
    }

    /// Zeroes all but the top-k / top-p tokens and renormalizes. Sorts token ids by probability in place with a
    /// heap sort, so picking allocates nothing.
    private mutating func truncate() {
        let v = probabilities.count
        for k in 0..<v { order[k] = k }
        probabilities.withUnsafeBufferPointer { p in
            order.withUnsafeMutableBufferPointer { o in Self.sortByProbability(o, p) }
        }
        var keep = v - 1  // tokens besides <unk>, which has probability 0 and sorts last
        if let k = config.topK { keep = min(keep, k) }
        if let topP = config.topP {
            var cumulative = 0.0
            for rank in 0..<keep {
                cumulative += probabilities[order[rank]]
                if cumulative >= topP - 1e-12 {
                    keep = rank + 1
                    break
                }
            }
        }
        var kept = 0.0
        for rank in 0..<v {
            let id = order[rank]
            if rank < keep { kept += probabilities[id] } else { probabilities[id] = 0 }
        }
        for k in 0..<v { probabilities[k] /= kept }
    }

    /// Sorts ids most likely first (ties: smaller id first) with an in-place heap sort.
    static func sortByProbability(_ o: UnsafeMutableBufferPointer<Int>, _ p: UnsafeBufferPointer<Double>) {
        // "a before b" in the final order; the heap keeps the element that goes last at the root.
        @inline(__always) func before(_ a: Int, _ b: Int) -> Bool { p[a] != p[b] ? p[a] > p[b] : a < b }
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && before(o[child], o[child + 1]) { child += 1 }
                if !before(o[root], o[child]) { return }
                o.swapAt(root, child)
                root = child
            }
        }
        let n = o.count
        for start in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(start, n) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            o.swapAt(0, end)
            siftDown(0, end)
        }
    }
}
