// Options shared by every command that reads a corpus: the inputs and how text becomes tokens.
import ArgumentParser
import CharRNN

extension TokenUnit: ExpressibleByArgument {}
extension NormalizationForm: ExpressibleByArgument {}

struct CorpusInputOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "Corpus files or directories ('-' for stdin). Directories are read recursively: their text files in sorted "
                + "path order, hidden and binary files skipped. Inputs are joined with a line feed after any that "
                + "lacks one. With no inputs, stdin is read when it is a pipe or a file.",
            valueName: "input"))
    var inputs: [String] = []

    /// The text source the inputs name; stdin when none are given and stdin is a pipe or a file (`-` reads it
    /// whatever it is).
    func source() throws -> TextSource {
        if inputs.isEmpty {
            if !Terminal.standardInputIsReadable { throw CommandFailure(CorpusError.noInput) }
            return TextSource(inputs: [.standardInput])
        }
        return try reportingFailures { try TextSource(paths: inputs) }
    }
}

struct TokenizerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "What a token is: grapheme (user-perceived characters, the default), codepoint, byte (as char-rnn), or "
                + "word (ICU word segments; spaces and punctuation are tokens too).",
            valueName: "unit"))
    var unit: TokenUnit?

    @Option(
        help: ArgumentHelp(
            "Unicode normalization before tokenizing: nfc (default), nfkc (also folds compatibility forms such as "
                + "full-width letters), or none.",
            valueName: "form"))
    var normalize: NormalizationForm?

    @Flag(
        help: ArgumentHelp(
            "Refuse ill-formed UTF-8 with an error naming its byte offset. By default each ill-formed sequence "
                + "becomes U+FFFD and one warning gives the count and the first offset."))
    var strictUTF8 = TokenizerConfig().strictUTF8

    @Option(
        help: ArgumentHelp(
            "ICU locale for word segmentation (default: the root locale, fine for mixed scripts).", valueName: "id"))
    var locale = TokenizerConfig().locale

    var config: TokenizerConfig {
        let d = TokenizerConfig()
        return TokenizerConfig(
            unit: unit ?? d.unit, normalization: normalize ?? d.normalization, strictUTF8: strictUTF8, locale: locale)
    }
}

/// Warns once about ill-formed UTF-8 that was replaced.
func warnAboutInvalidUTF8(_ statistics: CorpusStatistics) {
    guard statistics.invalidUTF8Count > 0, let first = statistics.firstInvalidUTF8 else { return }
    let n = statistics.invalidUTF8Count
    Terminal.warning(
        "\(first.input): \(n.grouped) ill-formed UTF-8 sequence\(n == 1 ? "" : "s") replaced by U+FFFD, the first at "
            + "byte offset \(first.offset.grouped); use --strict-utf8 to refuse such input"
    )
}
