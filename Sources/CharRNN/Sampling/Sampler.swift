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

    public init(temperature: Double = 0.8, greedy: Bool = false, topK: Int? = nil, topP: Double? = nil) {
        self.temperature = temperature
        self.greedy = greedy
        self.topK = topK
        self.topP = topP
    }

    /// Why the settings cannot be used, or nil.
    public var problem: String? {
        if !(temperature > 0 && temperature.isFinite) { return "--temperature must be greater than 0, got \(temperature)" }
        if let k = topK, k < 1 { return "--top-k must be at least 1, got \(k)" }
        if let p = topP, !(p > 0 && p <= 1) { return "--top-p must be in (0, 1], got \(p)" }
        return nil
    }
}

/// Picks tokens from logits. Holds scratch space so picking allocates nothing.
public struct Sampler {
    public let config: SamplingConfig
    private var probabilities: [Double]
    private var order: [Int]

    public init(config: SamplingConfig, vocabularySize: Int) {
        precondition(config.problem == nil, config.problem ?? "")
        precondition(vocabularySize >= 2, "sampling needs a vocabulary with at least one token besides <unk>")
        self.config = config
        probabilities = [Double](repeating: 0, count: vocabularySize)
        order = Array(0..<vocabularySize)
    }

    /// The probabilities the last `pick` sampled from (after temperature, top-k and top-p), by token id.
    public var lastProbabilities: [Double] { probabilities }

    /// Chooses a token id (never `Vocabulary.unknownID`) from `logits` (V values) with `coin` in [0, 1).
    public mutating func pick<T: BinaryFloatingPoint>(_ logits: UnsafeBufferPointer<T>, coin: Double) -> Int {
        let v = probabilities.count
        precondition(logits.count == v, "expected \(v) logits, got \(logits.count)")
        let first = Vocabulary.unknownID + 1
        if config.greedy || config.temperature < 1e-4 {
            var best = first
            for k in first..<v where logits[k] > logits[best] { best = k }
            for k in 0..<v { probabilities[k] = k == best ? 1 : 0 }
            return best
        }
        // Softmax of z / τ over the real tokens, computed in Double from the largest logit down.
        var maximum = Double(logits[first])
        for k in first..<v { maximum = max(maximum, Double(logits[k])) }
        var sum = 0.0
        probabilities[Vocabulary.unknownID] = 0
        for k in first..<v {
            let p = Foundation.exp((Double(logits[k]) - maximum) / config.temperature)
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

    /// Zeroes all but the top-k / top-p tokens and renormalizes.
    private mutating func truncate() {
        let v = probabilities.count
        for k in 0..<v { order[k] = k }
        let p = probabilities
        // Most likely first; ties by smaller id, so the kept set is deterministic.
        order.sort { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
        var keep = v - 1  // tokens besides <unk>
        if let k = config.topK { keep = min(keep, k) }
        if let topP = config.topP {
            var cumulative = 0.0
            for (rank, id) in order.prefix(keep).enumerated() {
                cumulative += p[id]
                if cumulative >= topP - 1e-12 {
                    keep = rank + 1
                    break
                }
            }
        }
        var kept = 0.0
        for (rank, id) in order.enumerated() {
            if rank < keep { kept += p[id] } else { probabilities[id] = 0 }
        }
        for k in 0..<v { probabilities[k] /= kept }
    }
}
