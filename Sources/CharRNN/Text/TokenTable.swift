// TokenTable: interns tokens (as UTF-16 code units) into dense slot numbers and counts them.
//
// This is the inner loop of corpus loading, so it never builds a String per token: a token of one UTF-16 unit
// (ASCII, CJK ideographs, most of the BMP) is found by direct indexing in a 65,536-entry table; longer tokens
// (emoji sequences, combining marks, words) are hashed over their units into an open-addressing table whose
// keys live in one flat arena.

/// Maps each distinct token to a slot number (0, 1, 2, … in order of first appearance) and counts occurrences.
struct TokenTable: Sendable {
    /// Slot of each single-unit token, by unit value; -1 when not seen.
    private var singleUnitSlots = [Int32](repeating: -1, count: 65536)
    /// Open-addressing buckets (slot or -1); the count is a power of two, at most half full.
    private var buckets = [Int32](repeating: -1, count: 1024)
    private var hashes: [UInt32] = []  // by slot
    private var starts: [Int32] = []  // by slot: where its units begin in `arena`
    private var lengths: [Int32] = []  // by slot
    private var arena: [UInt16] = []
    /// Occurrences of each slot's token.
    private(set) var counts: [Int] = []

    init() {}

    /// How many distinct tokens the table holds.
    var count: Int { counts.count }

    /// The units of the token in `slot`.
    func units(ofSlot slot: Int) -> ArraySlice<UInt16> {
        let start = Int(starts[slot])
        return arena[start..<(start + Int(lengths[slot]))]
    }

    /// Adds one occurrence of `token` and returns its slot.
    @inline(__always)
    mutating func add(_ token: UnsafeBufferPointer<UInt16>) -> Int32 {
        let slot = insert(token)
        counts[Int(slot)] &+= 1
        return slot
    }

    /// The slot of `token`, or nil when the table has never seen it.
    func slot(of token: UnsafeBufferPointer<UInt16>) -> Int32? {
        if token.count == 1 {
            let slot = singleUnitSlots[Int(token[0])]
            return slot >= 0 ? slot : nil
        }
        let hash = Self.hash(token)
        let mask = buckets.count - 1
        var bucket = Int(hash) & mask
        while true {
            let slot = buckets[bucket]
            if slot < 0 { return nil }
            if hashes[Int(slot)] == hash && matches(slot: Int(slot), token) { return slot }
            bucket = (bucket + 1) & mask
        }
    }

    @inline(__always)
    private mutating func insert(_ token: UnsafeBufferPointer<UInt16>) -> Int32 {
        if token.count == 1 {
            let unit = Int(token[0])
            let slot = singleUnitSlots[unit]
            if slot >= 0 { return slot }
            let new = append(token, hash: Self.hash(token))
            singleUnitSlots[unit] = new
            return new
        }
        let hash = Self.hash(token)
        var mask = buckets.count - 1
        var bucket = Int(hash) & mask
        while true {
            let slot = buckets[bucket]
            if slot < 0 { break }
            if hashes[Int(slot)] == hash && matches(slot: Int(slot), token) { return slot }
            bucket = (bucket + 1) & mask
        }
        let new = append(token, hash: hash)
        buckets[bucket] = new
        if hashedCount * 2 > buckets.count {
            grow()
            mask = buckets.count - 1
        }
        return new
    }

    private var hashedCount = 0

    private mutating func append(_ token: UnsafeBufferPointer<UInt16>, hash: UInt32) -> Int32 {
        precondition(counts.count < Int(Int32.max), "TokenTable holds at most 2^31 - 1 distinct tokens")
        let slot = Int32(counts.count)
        starts.append(Int32(arena.count))
        lengths.append(Int32(token.count))
        hashes.append(hash)
        arena.append(contentsOf: token)
        counts.append(0)
        if token.count != 1 { hashedCount += 1 }
        return slot
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: -1, count: buckets.count * 2)
        let mask = bigger.count - 1
        for slot in buckets where slot >= 0 {
            var bucket = Int(hashes[Int(slot)]) & mask
            while bigger[bucket] >= 0 { bucket = (bucket + 1) & mask }
            bigger[bucket] = slot
        }
        buckets = bigger
    }

    @inline(__always)
    private func matches(slot: Int, _ token: UnsafeBufferPointer<UInt16>) -> Bool {
        guard Int(lengths[slot]) == token.count else { return false }
        let start = Int(starts[slot])
        return arena.withUnsafeBufferPointer { arena in
            for k in 0..<token.count where arena[start + k] != token[k] { return false }
            return true
        }
    }

    /// FNV-1a over the units, with a final avalanche so low bits are usable as bucket numbers.
    @inline(__always)
    static func hash(_ token: UnsafeBufferPointer<UInt16>) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for unit in token { h = (h ^ UInt32(unit)) &* 16_777_619 }
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        return h
    }
}
