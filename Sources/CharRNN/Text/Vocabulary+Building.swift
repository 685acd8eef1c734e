// Building a vocabulary from interned tokens, and the slot → id map that encodes a corpus against it.

/// A token with its number of occurrences, for frequency listings.
public struct TokenFrequency: Sendable, Equatable {
    /// The token's UTF-8 bytes (one byte for `.byte` units).
    public var bytes: [UInt8]
    public var count: Int
}

extension TokenTable {
    /// The token in `slot` as UTF-8 bytes: the units themselves for `.byte` tokens, else UTF-16 → UTF-8.
    func bytes(ofSlot slot: Int, unit: TokenUnit) -> [UInt8] {
        let units = units(ofSlot: slot)
        if unit == .byte { return units.map { UInt8(truncatingIfNeeded: $0) } }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(units.count * 3)
        encodeUTF8(units, appendingTo: &bytes)
        return bytes
    }

    /// Every distinct token with its count, most frequent first (ties: smaller bytes first).
    func frequencies(unit: TokenUnit) -> [TokenFrequency] {
        (0..<count).map { TokenFrequency(bytes: bytes(ofSlot: $0, unit: unit), count: counts[$0]) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }
}

extension Vocabulary {
    /// Builds the vocabulary of the tokens in `table` under `limits`.
    ///
    /// - Returns: the vocabulary and, for each slot of `table`, its id (`unknownID` for dropped tokens).
    static func build(
        from table: TokenTable, tokenizer: TokenizerConfig, limits: VocabularyLimits
    ) -> (vocabulary: Vocabulary, idOfSlot: [Int32]) {
        let ranked = (0..<table.count).map { (slot: $0, bytes: table.bytes(ofSlot: $0, unit: tokenizer.unit)) }
        var kept = ranked.filter { table.counts[$0.slot] >= max(1, limits.minCount) }
        if let maxSize = limits.maxSize, kept.count > maxSize - 1 {
            kept.sort {
                let (a, b) = (table.counts[$0.slot], table.counts[$1.slot])
                return a != b ? a > b : $0.bytes.lexicographicallyPrecedes($1.bytes)
            }
            kept.removeSubrange(max(0, maxSize - 1)...)
        }
        kept.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        var idOfSlot = [Int32](repeating: Int32(unknownID), count: table.count)
        var keptTotal = 0
        for (k, entry) in kept.enumerated() {
            idOfSlot[entry.slot] = Int32(k + 1)
            keptTotal += table.counts[entry.slot]
        }
        let unknownCount = table.counts.reduce(0, +) - keptTotal
        // The tokens are distinct and sorted by construction, so this cannot throw.
        let vocabulary = try! Vocabulary(
            tokenizer: tokenizer, tokens: kept.map(\.bytes),
            counts: [unknownCount] + kept.map { table.counts[$0.slot] })
        return (vocabulary, idOfSlot)
    }

    /// For each slot of `table`, the id of its token in this vocabulary (`unknownID` when absent).
    func ids(ofSlotsIn table: TokenTable) -> [Int32] {
        (0..<table.count).map { Int32(id(of: table.bytes(ofSlot: $0, unit: tokenizer.unit))) }
    }

    /// Ids of the tokens of `text`, tokenized with this vocabulary's settings.
    ///
    /// - Returns: the ids and the distinct tokens that were not in the vocabulary (in order of appearance).
    public func encode(_ text: String) throws(ICUError) -> (ids: [Int], unknown: [String]) {
        let tokenizer = try Tokenizer(config: self.tokenizer)
        var table = TokenTable()
        var slots: [Int32] = []
        try tokenizer.tokenize(text) { slots.append(table.add($0)) }
        let idOfSlot = ids(ofSlotsIn: table)
        let unknown = (0..<table.count).filter { idOfSlot[$0] == Int32(Self.unknownID) }.map {
            String(decoding: table.bytes(ofSlot: $0, unit: self.tokenizer.unit), as: UTF8.self)
        }
        return (slots.map { Int(idOfSlot[Int($0)]) }, unknown)
    }
}
