// PromptStateCache: the states after the short prompts a GenerationEngine primed last, so a prompt sent again
// joins the batch ready to generate instead of spending a step per token on its prompt first.
//
// The engine primes a short prompt in the request's own rows, a token per step, batched with the streams in
// flight (`TextGenerator.primesInSteps`): that costs the others nothing, but the request waits a step per token
// for its first one (at 32 streams of LSTM 2×512 a step took about 0.7 ms on a Zen 5, 2026-12-04). Clients send
// one prompt many times: the playground's Generate pressed again, a script asking for samples of one opening
// with different seeds, a fixed preamble. A kept state is a copy of the very row priming left, so reusing it
// changes no bit of any text.

/// The states after recently primed prompts; the least recently used goes first when it is full. Not
/// thread-safe: the engine's thread owns it.
struct PromptStateCache {
    /// Prompts kept at most.
    let capacity: Int
    /// Prompts no longer than this many tokens are kept.
    let maxTokens: Int
    /// Entries, least recently used first. The states are never written once kept (rows are copied out).
    private var entries: [(ids: [Int], state: RecurrentState<Float>)] = []
    /// Lookups answered from the cache, and those that were not.
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int, maxTokens: Int) {
        precondition(capacity >= 0 && maxTokens >= 0, "a cache of negative size")
        self.capacity = capacity
        self.maxTokens = maxTokens
    }

    /// The state kept after `ids` (then the most recently used), or nil; counted as a hit or a miss.
    mutating func state(after ids: ArraySlice<Int>) -> RecurrentState<Float>? {
        guard let index = entries.firstIndex(where: { $0.ids.elementsEqual(ids) }) else {
            misses += 1
            return nil
        }
        hits += 1
        let entry = entries.remove(at: index)
        entries.append(entry)
        return entry.state
    }

    /// Keeps `state` (batch 1, not to be written again) as the state after `ids`, when `ids` is short enough,
    /// evicting the least recently used when full; replaces what was kept for the same ids (two requests with one
    /// prompt can be primed side by side).
    mutating func keep(_ state: RecurrentState<Float>, after ids: ArraySlice<Int>) {
        guard capacity > 0 && ids.count <= maxTokens else { return }
        entries.removeAll { $0.ids.elementsEqual(ids) }
        if entries.count == capacity { entries.removeFirst() }
        entries.append((Array(ids), state))
    }

    /// The prompts kept, least recently used first (for tests).
    var keys: [[Int]] { entries.map(\.ids) }
}
