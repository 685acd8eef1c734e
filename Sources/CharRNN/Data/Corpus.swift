// Corpus: a text source read, tokenized and encoded into compact token ids in one streaming pass.
//
// Memory: the text is never held whole. Chunks of about 1 MiB are decoded, normalized and segmented; each token
// is interned (TokenTable) and its slot number appended as UInt16 (UInt32 only past 65,536 distinct tokens);
// at the end slots are remapped in place to vocabulary ids. Peak memory is about 2 bytes per token plus a few
// MiB, well under the 3× file size the project promises (measured in docs/performance-log.md).

/// Facts gathered while reading a corpus.
public struct CorpusStatistics: Sendable, Equatable {
    /// Bytes in the joined stream (inputs plus any line feeds inserted between them).
    public var bytes = 0
    /// Tokens in the stream.
    public var tokens = 0
    /// Number of inputs read, after directory expansion.
    public var inputs = 0
    /// Files skipped while expanding directories (hidden or binary).
    public var skippedFiles = 0
    /// Ill-formed UTF-8 sequences replaced by U+FFFD.
    public var invalidUTF8Count = 0
    /// Where the first ill-formed sequence was: the input's name and the byte offset within it.
    public var firstInvalidUTF8: (input: String, offset: Int)? = nil

    public static func == (a: Self, b: Self) -> Bool {
        a.bytes == b.bytes && a.tokens == b.tokens && a.inputs == b.inputs && a.skippedFiles == b.skippedFiles
            && a.invalidUTF8Count == b.invalidUTF8Count && a.firstInvalidUTF8?.input == b.firstInvalidUTF8?.input
            && a.firstInvalidUTF8?.offset == b.firstInvalidUTF8?.offset
    }
}

/// An encoded corpus with its vocabulary.
public struct Corpus: Sendable {
    /// The token ids of the whole stream.
    public let ids: TokenIDs
    /// The vocabulary the ids refer to.
    public let vocabulary: Vocabulary
    /// Every distinct token of the stream with its count, most frequent first (including tokens the
    /// vocabulary maps to `<unk>`).
    public let frequencies: [TokenFrequency]
    /// Sizes and the UTF-8 report.
    public let statistics: CorpusStatistics

    /// Occurrences in this corpus of tokens that the vocabulary maps to `<unk>`.
    public let unknownCount: Int

    /// Reads `source`, tokenizes it with `tokenizer`, builds a vocabulary under `limits` and encodes the text.
    ///
    /// - Throws: `CorpusError` (unreadable, empty, ill-formed UTF-8 under `strictUTF8`) or `ICUError`.
    public static func load(
        from source: TextSource, tokenizer: TokenizerConfig, limits: VocabularyLimits = VocabularyLimits(),
        chunkSize: Int = TextSource.defaultChunkSize
    ) throws -> Corpus {
        let (slots, table, statistics) = try intern(source, tokenizer: tokenizer, chunkSize: chunkSize)
        let (vocabulary, idOfSlot) = Vocabulary.build(from: table, tokenizer: tokenizer, limits: limits)
        var ids = slots
        ids.remap(idOfSlot)
        return Corpus(
            ids: ids, vocabulary: vocabulary, frequencies: table.frequencies(unit: tokenizer.unit),
            statistics: statistics, unknownCount: vocabulary.counts[Vocabulary.unknownID])
    }

    /// Reads `source` and encodes it with an existing vocabulary (and that vocabulary's tokenizer settings).
    /// Tokens outside the vocabulary become `<unk>` and are counted in `unknownCount`.
    public static func load(
        from source: TextSource, vocabulary: Vocabulary, strictUTF8: Bool? = nil,
        chunkSize: Int = TextSource.defaultChunkSize
    ) throws -> Corpus {
        var config = vocabulary.tokenizer
        if let strictUTF8 { config.strictUTF8 = strictUTF8 }
        let (slots, table, statistics) = try intern(source, tokenizer: config, chunkSize: chunkSize)
        let idOfSlot = vocabulary.ids(ofSlotsIn: table)
        var ids = slots
        ids.remap(idOfSlot)
        let unknown = (0..<table.count).reduce(0) { $0 + (idOfSlot[$1] == 0 ? table.counts[$1] : 0) }
        return Corpus(
            ids: ids, vocabulary: vocabulary, frequencies: table.frequencies(unit: config.unit),
            statistics: statistics, unknownCount: unknown)
    }

    /// The streaming pass: every token interned, its slot number stored.
    static func intern(
        _ source: TextSource, tokenizer config: TokenizerConfig, chunkSize: Int
    ) throws -> (slots: TokenIDs, table: TokenTable, statistics: CorpusStatistics) {
        let tokenizer = try Tokenizer(config: config)
        var table = TokenTable()
        var narrow: [UInt16] = []  // slot numbers while they fit in 16 bits
        var wide: [UInt32] = []  // all slot numbers, once one does not
        var isWide = false
        let positions = StreamPositions()
        try source.forEachChunk(chunkSize: chunkSize, positions: positions) { chunk in
            let invalidBefore = tokenizer.invalidUTF8.count
            try tokenizer.tokenize(chunk) { token in
                let slot = table.add(token)
                if isWide {
                    wide.append(UInt32(slot))
                } else if slot <= Int32(UInt16.max) {
                    narrow.append(UInt16(slot))
                } else {
                    isWide = true
                    wide = narrow.map { UInt32($0) }
                    narrow = []
                    wide.append(UInt32(slot))
                }
            }
            let invalid = tokenizer.invalidUTF8
            if config.strictUTF8 && invalid.count > invalidBefore, let first = invalid.firstOffset {
                let (input, offset) = source.locate(first, in: positions)
                throw CorpusError.invalidUTF8(
                    source: input.name, offset: offset, count: invalid.count - invalidBefore)
            }
        }
        var statistics = CorpusStatistics()
        statistics.bytes = tokenizer.bytesRead
        statistics.tokens = isWide ? wide.count : narrow.count
        statistics.inputs = source.inputs.count
        statistics.skippedFiles = source.skipped
        statistics.invalidUTF8Count = tokenizer.invalidUTF8.count
        if let first = tokenizer.invalidUTF8.firstOffset {
            let (input, offset) = source.locate(first, in: positions)
            statistics.firstInvalidUTF8 = (input.name, offset)
        }
        guard statistics.tokens > 0 else {
            throw CorpusError.empty(source: source.inputs.map(\.name).joined(separator: ", "))
        }
        return (TokenIDs(storage: isWide ? .uint32(wide) : .uint16(narrow)), table, statistics)
    }
}
