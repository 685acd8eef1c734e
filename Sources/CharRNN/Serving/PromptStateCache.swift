// PromptStateCache: the states after the short prompts a GenerationEngine primed last, so a prompt sent again
// joins the batch without being run through the model again.
//
// Priming a prompt of a few tokens costs far more than its tokens: the batched forward pass hands every weight
// matrix to the BLAS product, which packs it anew each call (about a millisecond for LSTM 2×512 between two
// steps). With 32 streams of 200 tokens that is paid some 90 times a second, on the thread that steps the batch.
// Clients send one prompt many times: the playground's Generate pressed again, a script asking for samples of
// one opening with different seeds, a fixed preamble. A cached state is the very state priming computed for
// those ids, so reusing it changes no bit of any text.

/// The states after recently primed prompts; the least recently used goes first when it is full. Not
/// thread-safe: the engine's thread owns it.
struct PromptStateCache {
    /// Prompts kept at most.
    let capacity: Int
    /// Prompts no longer than this many tokens are kept (longer ones cost their tokens, not the packing).
    let maxTokens: Int
    /// Entries, least recently used first. The states are never written after priming (rows are copied out).
    private var entries: [(ids: [Int], state: RecurrentState<Float>)] = []
    /// Lookups answered from the cache, and those that primed.
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int, maxTokens: Int) {
        precondition(capacity >= 0 && maxTokens >= 0, "a cache of negative size")
        self.capacity = capacity
        self.maxTokens = maxTokens
    }

    /// The state after `ids`: the kept one, or `prime()`'s (then kept when `ids` is short enough, evicting the
    /// least recently used).
    mutating func state(
        after ids: ArraySlice<Int>, prime: () -> RecurrentState<Float>
    ) -> RecurrentState<Float> {
        if let index = entries.firstIndex(where: { $0.ids.elementsEqual(ids) }) {
            hits += 1
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.state
        }
        misses += 1
        let state = prime()
        if capacity > 0 && ids.count <= maxTokens {
            if entries.count == capacity { entries.removeFirst() }
            entries.append((Array(ids), state))
        }
        return state
    }

    /// The prompts kept, least recently used first (for tests).
    var keys: [[Int]] { entries.map(\.ids) }
}
