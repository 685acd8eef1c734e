// Vocabulary: the bijection between tokens and ids that a model's embedding rows and output classes follow.
//
// Order (documented; deterministic; easy to diff): id 0 is `<unk>`, the stand-in for any token outside the
// vocabulary; ids 1… are the kept tokens sorted by their UTF-8 bytes, which is code point order (the choice of
// char-rnn and nanoGPT). Tokens are kept by frequency: those seen fewer than `minCount` times are dropped, then
// at most `maxSize - 1` of the most frequent remain (ties go to the smaller token).
//
// Fine-tuning (`charrnn train --init-from`) grows a vocabulary without moving any id: the tokens the new text adds
// come after the old ones, sorted among themselves. So a vocabulary is a sequence of blocks, each sorted by bytes;
// one built from a corpus has one block. A vocabulary of several blocks is JSON version 2 (older builds refuse
// it), one of a single block stays version 1, byte for byte as before.

/// A token vocabulary: id ↔ token bytes, with the counts it was built from.
public struct Vocabulary: Sendable, Equatable {
    /// The id every token outside the vocabulary maps to.
    public static let unknownID = 0
    /// How `<unk>` is written in listings and JSON.
    public static let unknownName = "<unk>"

    /// How text is cut into these tokens.
    public let tokenizer: TokenizerConfig
    /// Each id's token as UTF-8 bytes (for `.byte` units, one byte). `tokens[0]` is empty: the `<unk>` slot.
    public let tokens: [[UInt8]]
    /// Each id's occurrences in the corpus it was built from; `counts[0]` counts the tokens mapped to `<unk>`.
    /// (Tokens added by fine-tuning count their occurrences in its text.)
    public let counts: [Int]
    /// The lengths of the runs of ids 1… that are each sorted by bytes, in id order: one block for a vocabulary
    /// built from one corpus, one more for each fine-tuning that added tokens. They sum to `count - 1`.
    public let blocks: [Int]
    private let ids: [[UInt8]: Int]

    /// Number of ids, `<unk>` included.
    public var count: Int { tokens.count }

    /// Creates a vocabulary from tokens (without `<unk>`) and their counts.
    ///
    /// - Parameters:
    ///   - tokenizer: how text is cut into these tokens.
    ///   - tokens: each id's token from id 1 on, as UTF-8 bytes.
    ///   - counts: each id's occurrences, `<unk>`'s first.
    ///   - blocks: the lengths of the runs of `tokens` that are each sorted (default: one run, all of them).
    /// - Throws: `VocabularyError` unless the tokens are non-empty, distinct, sorted by their bytes within each
    ///   block, single bytes for `.byte` units, the blocks are non-empty and cover the tokens, and `counts` has one
    ///   more entry than `tokens` (the `<unk>` count first).
    public init(
        tokenizer: TokenizerConfig, tokens: [[UInt8]], counts: [Int], blocks: [Int]? = nil
    ) throws(VocabularyError) {
        guard counts.count == tokens.count + 1 else {
            throw .inconsistent(
                "\(tokens.count) tokens need \(tokens.count + 1) counts (<unk> first), found \(counts.count)")
        }
        let blocks = blocks ?? [tokens.count]
        guard blocks.reduce(0, +) == tokens.count, blocks.allSatisfy({ $0 > 0 }) || tokens.isEmpty else {
            throw .inconsistent("blocks \(blocks) do not cover the \(tokens.count) tokens")
        }
        var blockStarts = Set<Int>()
        var start = 0
        for length in blocks {
            blockStarts.insert(start)
            start += length
        }
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (k, token) in tokens.enumerated() {
            if token.isEmpty { throw .inconsistent("token \(k + 1) is empty") }
            if tokenizer.unit == .byte && token.count != 1 {
                throw .inconsistent("token \(k + 1) has \(token.count) bytes; byte vocabularies hold single bytes")
            }
            if k > 0 && !blockStarts.contains(k) && !tokens[k - 1].lexicographicallyPrecedes(token) {
                throw .inconsistent("tokens \(k) and \(k + 1) are not distinct and sorted by their UTF-8 bytes")
            }
            if ids.updateValue(k + 1, forKey: token) != nil { throw .inconsistent("token \(k + 1) appears twice") }
        }
        if let negative = counts.firstIndex(where: { $0 < 0 }) { throw .inconsistent("count \(negative) is negative") }
        self.tokenizer = tokenizer
        self.tokens = [[]] + tokens
        self.counts = counts
        self.blocks = tokens.isEmpty ? [] : blocks
        self.ids = ids
    }

    /// This vocabulary with `added` tokens (none of them in it) appended as a new block, sorted by their bytes,
    /// each with its count. Every existing id keeps its token.
    ///
    /// - Throws: `VocabularyError` when an added token is already here, repeated, or not a token of this unit.
    public func adding(_ added: [(token: [UInt8], count: Int)]) throws(VocabularyError) -> Vocabulary {
        guard !added.isEmpty else { return self }
        let sorted = added.sorted { $0.token.lexicographicallyPrecedes($1.token) }
        return try Vocabulary(
            tokenizer: tokenizer, tokens: Array(tokens.dropFirst()) + sorted.map(\.token),
            counts: counts + sorted.map(\.count), blocks: blocks + [sorted.count])
    }

    /// The id of a token given as UTF-8 bytes; `unknownID` when it is not in the vocabulary.
    public func id(of token: [UInt8]) -> Int { ids[token] ?? Self.unknownID }

    /// The id of a token given as a string; `unknownID` when it is not in the vocabulary.
    public func id(of token: String) -> Int { id(of: Array(token.utf8)) }

    /// The UTF-8 bytes of the text that `ids` stand for; `<unk>` becomes U+FFFD.
    public func bytes<S: Sequence<Int>>(of ids: S) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            precondition(id >= 0 && id < tokens.count, "token id \(id) outside the vocabulary of \(tokens.count)")
            if id == Self.unknownID { out += [0xEF, 0xBF, 0xBD] } else { out += tokens[id] }
        }
        return out
    }

    /// The text that `ids` stand for. Byte vocabularies can produce ill-formed UTF-8, shown as U+FFFD.
    public func decode<S: Sequence<Int>>(_ ids: S) -> String {
        String(decoding: bytes(of: ids), as: UTF8.self)
    }

    /// A one-line, unambiguous rendering of a token for listings: quoted, with control characters escaped
    /// (`"\n"`, `" "`), and bytes that are not UTF-8 in hexadecimal (`0xE4`).
    public func displayName(of id: Int) -> String {
        id == Self.unknownID ? Self.unknownName : Self.displayName(of: tokens[id], unit: tokenizer.unit)
    }

    /// The rendering of `displayName(of:)` for any token's bytes.
    public static func displayName(of bytes: [UInt8], unit: TokenUnit) -> String {
        if unit == .byte && bytes.count == 1 && bytes[0] >= 0x80 {
            return "0x" + String(bytes[0], radix: 16, uppercase: true)
        }
        var out = "\""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Limits applied when a vocabulary is built from a corpus.
public struct VocabularyLimits: Codable, Sendable, Equatable {
    /// Largest vocabulary, `<unk>` included; nil for no limit (the default: every token seen is kept, as
    /// char-rnn does). Needs at least 2.
    public var maxSize: Int?
    /// Tokens seen fewer times are mapped to `<unk>`. Default 1: keep everything seen.
    public var minCount: Int

    /// Limits: at most `maxSize` ids (`<unk>` included; nil for none), tokens seen at least `minCount` times.
    public init(maxSize: Int? = nil, minCount: Int = 1) {
        self.maxSize = maxSize
        self.minCount = minCount
    }

}

/// A vocabulary that cannot be built or read.
public enum VocabularyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The vocabulary's contents contradict each other.
    case inconsistent(String)
    /// A vocabulary file that is not charrnn's JSON, or is of a version this build cannot read.
    case unreadable(String)

    public var description: String {
        switch self {
        case .inconsistent(let why): return "invalid vocabulary: \(why)"
        case .unreadable(let why): return "cannot read vocabulary: \(why)"
        }
    }
}

extension Vocabulary {
    /// The token generation starts after when there is no prime: a line feed if the vocabulary has one (samples
    /// then start like the beginning of a line), else the most frequent token.
    public var generationStart: Int {
        let newline = id(of: "\n")
        if newline != Vocabulary.unknownID { return newline }
        return (1..<count).max { counts[$0] < counts[$1] } ?? 1
    }
}
