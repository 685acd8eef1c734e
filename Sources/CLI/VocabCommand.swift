// `charrnn vocab`: read a corpus, report its tokens and the vocabulary a model would get, optionally save it.
import ArgumentParser
import CharRNN
import Foundation

struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Tokenize a corpus and report its vocabulary.",
        discussion: """
            Prints bytes read, tokens, distinct tokens, the most frequent tokens with their counts, and how much \
            of the text the vocabulary covers after --max-vocab and --min-count. Tokens left out map to <unk> \
            (id 0); the others get ids 1, 2, … in the order of their UTF-8 bytes.

            Examples:
              charrnn vocab corpora/tinyshakespeare.txt
              cat a.txt b.txt | charrnn vocab --unit word --top 50
              charrnn vocab corpora/ --max-vocab 5000 --output runs/vocab.json
            """
    )

    @OptionGroup(title: "Input") var input: CorpusInputOptions
    @OptionGroup(title: "Tokenizer") var tokenizer: TokenizerOptions

    @Option(
        help: ArgumentHelp(
            "Largest vocabulary, <unk> included (default: no limit); keeps the most frequent tokens.", valueName: "n"))
    var maxVocab: Int?

    @Option(help: ArgumentHelp("Map tokens seen fewer than n times to <unk>.", valueName: "n"))
    var minCount = VocabularyLimits().minCount

    @Option(help: ArgumentHelp("How many of the most frequent tokens to list.", valueName: "n"))
    var top = 20

    @Flag(help: "List every distinct token instead of the --top most frequent.")
    var all = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(name: [.short, .long], help: ArgumentHelp("Save the vocabulary as JSON to this file.", valueName: "file"))
    var output: String?

    func validate() throws {
        if let maxVocab, maxVocab < 2 {
            throw ValidationError("--max-vocab must be at least 2 (<unk> and one token), got \(maxVocab)")
        }
        if minCount < 1 { throw ValidationError("--min-count must be at least 1, got \(minCount)") }
        if top < 0 { throw ValidationError("--top must be 0 or more, got \(top)") }
    }

    func run() throws {
        let source = try input.source()
        let corpus = try reportingFailures {
            try Corpus.load(
                from: source, tokenizer: tokenizer.config,
                limits: VocabularyLimits(maxSize: maxVocab, minCount: minCount))
        }
        warnAboutInvalidUTF8(corpus.statistics)
        if let output {
            try reportingFailures { try AtomicFile.write(try corpus.vocabulary.jsonData(), to: output) }
        }
        let report = VocabularyReport(corpus: corpus, listed: all ? corpus.frequencies.count : top)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(
                report.text(unit: tokenizer.config.unit, normalization: tokenizer.config.normalization, savedTo: output)
            )
        }
    }
}

/// What `charrnn vocab` reports, as text or JSON.
struct VocabularyReport: Encodable {
    struct Entry: Encodable {
        var rank: Int
        var token: String
        var display: String
        var bytes: [UInt8]
        var count: Int
        var share: Double
        /// The token's id, or nil when it maps to <unk>.
        var id: Int?
    }

    var bytes: Int
    var inputs: Int
    var skippedFiles: Int
    var tokens: Int
    var distinctTokens: Int
    var vocabularySize: Int
    var unknownCount: Int
    var coverage: Double
    var invalidUTF8: Int
    var tokenizer: TokenizerConfig
    var top: [Entry]

    init(corpus: Corpus, listed: Int) {
        let s = corpus.statistics
        let vocabulary = corpus.vocabulary
        bytes = s.bytes
        inputs = s.inputs
        skippedFiles = s.skippedFiles
        tokens = s.tokens
        distinctTokens = corpus.frequencies.count
        vocabularySize = vocabulary.count
        unknownCount = corpus.unknownCount
        coverage = Double(s.tokens - corpus.unknownCount) / Double(s.tokens)
        invalidUTF8 = s.invalidUTF8Count
        tokenizer = vocabulary.tokenizer
        top = corpus.frequencies.prefix(listed).enumerated().map { k, f in
            let id = vocabulary.id(of: f.bytes)
            // A display name that does not depend on the token being in the vocabulary.
            let shown = Vocabulary.displayName(of: f.bytes, unit: vocabulary.tokenizer.unit)
            return Entry(
                rank: k + 1, token: String(decoding: f.bytes, as: UTF8.self), display: shown, bytes: f.bytes,
                count: f.count, share: Double(f.count) / Double(s.tokens),
                id: id == Vocabulary.unknownID ? nil : id)
        }
    }

    func text(unit: TokenUnit, normalization: NormalizationForm, savedTo output: String?) -> String {
        var lines: [String] = []
        let skipped = skippedFiles > 0 ? " (\(skippedFiles) hidden or binary files skipped)" : ""
        lines.append("read \(bytes.grouped) bytes from \(inputs) input\(inputs == 1 ? "" : "s")\(skipped)")
        lines.append("tokens: \(tokens.grouped) (unit \(unit.rawValue), normalization \(normalization.rawValue))")
        lines.append("distinct tokens: \(distinctTokens.grouped)")
        lines.append(
            "vocabulary: \(vocabularySize.grouped) ids (\((vocabularySize - 1).grouped) tokens + <unk>), covering "
                + percent(coverage) + " of the text"
                + (unknownCount > 0 ? "; \(unknownCount.grouped) tokens map to <unk>" : ""))
        if let output { lines.append("vocabulary saved to \(output)") }
        if !top.isEmpty {
            lines.append(top.count == distinctTokens ? "all tokens, most frequent first:" : "most frequent tokens:")
            lines.append("   rank        count    share      id  token")
            for e in top {
                let id = e.id.map(String.init) ?? "<unk>"
                lines.append(
                    pad(String(e.rank), 7) + pad(e.count.grouped, 13) + pad(percent(e.share), 9) + pad(id, 8) + "  "
                        + e.display)
            }
        }
        return lines.joined(separator: "\n")
    }

    private func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
    private func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}
