// Vocabulary ⇄ JSON, the form written by `charrnn vocab --output` and embedded in checkpoints.
//
//   {"format": "charrnn-vocabulary", "version": 1,
//    "tokenizer": {"unit": "grapheme", "normalization": "nfc", "strictUTF8": false, "locale": ""},
//    "unknown": {"token": "<unk>", "id": 0, "count": 12},
//    "tokens": ["\n", " ", "!", …],          // ids 1, 2, 3, …; numbers 0–255 for byte vocabularies
//    "counts": [40000, 169892, 697, …]}      // occurrences of each token above
//
// Version 2, for a vocabulary fine-tuning grew, adds "blocks": [65, 13], the lengths of the runs of tokens each
// sorted by bytes (the base's, then the added); a vocabulary of one block is written as version 1.
import Foundation

extension Vocabulary: Codable {
    /// The `format` value of a vocabulary JSON document.
    public static let formatName = "charrnn-vocabulary"
    /// The newest JSON layout this build writes and reads (it writes 1 for a vocabulary of one block).
    public static let formatVersion = 2

    /// The JSON layout this vocabulary is written in: 2 when fine-tuning added tokens, else 1.
    public var jsonVersion: Int { blocks.count > 1 ? 2 : 1 }

    private enum CodingKeys: String, CodingKey {
        case format, version, tokenizer, unknown, tokens, counts, blocks
    }

    private struct Unknown: Codable {
        var token: String
        var id: Int
        var count: Int
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatName, forKey: .format)
        try container.encode(jsonVersion, forKey: .version)
        try container.encode(tokenizer, forKey: .tokenizer)
        try container.encode(Unknown(token: Self.unknownName, id: Self.unknownID, count: counts[0]), forKey: .unknown)
        let real = tokens.dropFirst()
        if tokenizer.unit == .byte {
            try container.encode(real.map { Int($0[0]) }, forKey: .tokens)
        } else {
            try container.encode(real.map { String(decoding: $0, as: UTF8.self) }, forKey: .tokens)
        }
        try container.encode(Array(counts.dropFirst()), forKey: .counts)
        if jsonVersion > 1 { try container.encode(blocks, forKey: .blocks) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(String.self, forKey: .format)
        guard format == Self.formatName else {
            throw VocabularyError.unreadable("format is \"\(format)\", expected \"\(Self.formatName)\"")
        }
        let version = try container.decode(Int.self, forKey: .version)
        guard (1...Self.formatVersion).contains(version) else {
            throw VocabularyError.unreadable(
                "version \(version) is not one this charrnn reads (1 to \(Self.formatVersion)); use a matching charrnn")
        }
        let tokenizer = try container.decode(TokenizerConfig.self, forKey: .tokenizer)
        let unknown = try container.decode(Unknown.self, forKey: .unknown)
        guard unknown.id == Self.unknownID else {
            throw VocabularyError.unreadable("<unk> has id \(unknown.id); this charrnn needs it at \(Self.unknownID)")
        }
        let tokens: [[UInt8]]
        if tokenizer.unit == .byte {
            let values = try container.decode([Int].self, forKey: .tokens)
            if let bad = values.first(where: { !(0...255).contains($0) }) {
                throw VocabularyError.inconsistent("byte token \(bad) is outside 0…255")
            }
            tokens = values.map { [UInt8($0)] }
        } else {
            tokens = try container.decode([String].self, forKey: .tokens).map { Array($0.utf8) }
        }
        let counts = try container.decode([Int].self, forKey: .counts)
        let blocks = version > 1 ? try container.decode([Int].self, forKey: .blocks) : nil
        try self.init(tokenizer: tokenizer, tokens: tokens, counts: [unknown.count] + counts, blocks: blocks)
    }

    /// The vocabulary as JSON (keys sorted, so equal vocabularies give equal bytes).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a vocabulary from JSON, validating it; errors are `VocabularyError`s.
    public static func decode(jsonData data: Data) throws(VocabularyError) -> Vocabulary {
        do {
            return try JSONDecoder().decode(Vocabulary.self, from: data)
        } catch let error as VocabularyError {
            throw error
        } catch {
            throw .unreadable("not a charrnn vocabulary JSON document (\(error))")
        }
    }
}
