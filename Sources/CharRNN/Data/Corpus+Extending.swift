// A corpus for fine-tuning: the text encoded with a trained model's vocabulary, grown by the tokens the text adds.
// Every token the base vocabulary has keeps its id (its rows in the model stay where they are); the others become
// new ids after the old ones (`Vocabulary.adding`), as many as the limits allow: a token seen fewer than
// `minCount` times, or beyond `maxSize` ids in all, stays `<unk>` and is counted, never dropped silently.

extension Corpus {
    /// Reads `source` with `base`'s tokenizer settings and encodes it with `base` grown by the tokens it lacks.
    ///
    /// - Parameters:
    ///   - source: the text.
    ///   - base: the trained model's vocabulary, whose ids stay as they are.
    ///   - limits: which new tokens are added: those seen at least `minCount` times, the most frequent first
    ///     (ties: the smaller bytes), while the vocabulary stays within `maxSize` ids.
    ///   - strictUTF8: overrides the base's setting when given.
    ///   - chunkSize: bytes read at a time (`TextSource.defaultChunkSize`).
    /// - Returns: the corpus (its `vocabulary` is the grown one; `unknownCount` counts what stayed `<unk>`) and
    ///   the number of tokens added.
    public static func load(
        from source: TextSource, extending base: Vocabulary, limits: VocabularyLimits = VocabularyLimits(),
        strictUTF8: Bool? = nil, chunkSize: Int = TextSource.defaultChunkSize
    ) throws -> (corpus: Corpus, added: Int) {
        var config = base.tokenizer
        if let strictUTF8 { config.strictUTF8 = strictUTF8 }
        let (slots, table, statistics) = try intern(source, tokenizer: config, chunkSize: chunkSize)
        var idOfSlot = base.ids(ofSlotsIn: table)
        var candidates = (0..<table.count).filter { idOfSlot[$0] == Int32(Vocabulary.unknownID) }
            .map { (slot: $0, bytes: table.bytes(ofSlot: $0, unit: config.unit), count: table.counts[$0]) }
            .filter { $0.count >= max(1, limits.minCount) }
        candidates.sort { $0.count != $1.count ? $0.count > $1.count : $0.bytes.lexicographicallyPrecedes($1.bytes) }
        let room = limits.maxSize.map { max(0, $0 - base.count) } ?? candidates.count
        candidates.removeSubrange(min(room, candidates.count)...)
        let vocabulary = try base.adding(candidates.map { ($0.bytes, $0.count) })
        for entry in candidates { idOfSlot[entry.slot] = Int32(vocabulary.id(of: entry.bytes)) }
        var ids = slots
        ids.remap(idOfSlot)
        let unknown = (0..<table.count).reduce(0) { $0 + (idOfSlot[$1] == 0 ? table.counts[$1] : 0) }
        let corpus = Corpus(
            ids: ids, vocabulary: vocabulary, frequencies: table.frequencies(unit: config.unit),
            statistics: statistics, unknownCount: unknown)
        return (corpus, candidates.count)
    }
}
