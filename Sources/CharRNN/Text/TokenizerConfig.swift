// What a token is and how text is prepared before it is cut into tokens.

/// The unit of text that one token stands for.
public enum TokenUnit: String, Codable, CaseIterable, Sendable {
    /// User-perceived characters: Unicode extended grapheme clusters (UAX #29) from ICU's character break
    /// iterator. 👨‍👩‍👧, 🇯🇵, "e" + U+0301, a Hangul jamo syllable, a Devanagari conjunct and CR LF are one
    /// token each. The default: a model never has to learn how to spell a character out of smaller pieces.
    case grapheme
    /// Unicode scalar values (what Python's `str` and nanoGPT call characters).
    case codepoint
    /// Bytes of the UTF-8 text, as karpathy/char-rnn reads it: at most 256 tokens, any text at all.
    case byte
    /// ICU word segments: words, and between them runs of whitespace and single punctuation marks, each a token,
    /// so the text round-trips exactly. Chinese and Japanese are segmented with ICU's dictionary.
    case word
}

/// The Unicode normalization applied to text before tokenization.
public enum NormalizationForm: String, Codable, CaseIterable, Sendable {
    /// Canonical composition (the default): "e" + U+0301 and "é" become the same token; no visible change.
    case nfc
    /// Compatibility composition: also folds full-width Latin, ligatures (ﬁ → fi), superscripts and the like.
    case nfkc
    /// Text is taken as it is (after the UTF-8 repair policy).
    case none
}

/// How raw bytes become tokens. Stored in every vocabulary and checkpoint so text is always read the same way.
public struct TokenizerConfig: Codable, Sendable, Equatable {
    /// What one token is. Default `.grapheme`.
    public var unit: TokenUnit
    /// Normalization applied before segmentation. Default `.nfc`.
    public var normalization: NormalizationForm
    /// When true, ill-formed UTF-8 is an error naming its byte offset; when false (the default) each ill-formed
    /// sequence becomes U+FFFD and the caller warns once with the count and the first offset.
    public var strictUTF8: Bool
    /// ICU locale for word segmentation ("" is ICU's root locale, which handles mixed-script text). Default "".
    public var locale: String

    public init(
        unit: TokenUnit = .grapheme, normalization: NormalizationForm = .nfc, strictUTF8: Bool = false,
        locale: String = ""
    ) {
        self.unit = unit
        self.normalization = normalization
        self.strictUTF8 = strictUTF8
        self.locale = locale
    }
}
